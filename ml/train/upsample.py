"""Training of the `upsample` kind: a compact super-resolution network on rendered pairs.

Every step takes a batch of the same scenes at the small side (`--data`) and at `scale` times it
(`--target`), degrades the small ones as generated pictures are degraded (`degrade`: blur, grain,
checkerboard), and minimises
- the L1 distance between the network's enlargement and the large render (L1 rather than L2: it
  keeps edges sharper where L2 averages them away; Zhao et al., "Loss Functions for Image
  Restoration with Neural Networks", 2017);
- `consistency_weight` times the L1 distance between the enlargement shrunk back (area) and the
  clean small picture: what the generator painted must survive the enlargement (the
  back-projection constraint of classic super-resolution);
- `render_consistency_weight` times the L1 distance between the enlargement shrunk back and the
  large render shrunk the same way: the large render's coarse content, whose anti-aliasing is
  softer than the small render's. Alone (with L1) it paints soft edges; beside the first term the
  network keeps what was painted and softens it only as far as a large render would;
- with `adversarial_weight` > 0, a PatchGAN critic's non-saturating loss with lazy R1 on the
  large renders (`ml.train.losses`), as ESRGAN adds to its pixel loss (Wang et al. 2018): where
  the small picture leaves an edge or a texture open, L1 alone paints the blurred average of
  what could be there, the critic asks for one sharp answer.
The network starts as bicubic enlargement and learns what bicubic misses. The moving average of
its weights (G_ema) is what the samples and the export use. Every step is `fetch_batch` ->
`step_critic` (with a critic) -> `step` -> `update_ema`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ml.cli import CommandError
from ml.models.configs import UpsampleConfig
from ml.models.upsample import PatchCritic, Upsampler, degrade
from ml.train import checks, run_dir
from ml.train import export as exporting
from ml.train.image_cache import ImageCache, load_image_cache
from ml.train.launch import start_run
from ml.train.losses import NonSaturatingCriticLoss, NonSaturatingGeneratorLoss, R1Penalty, r1_gamma_for
from ml.train.skeleton import TrainerSkeleton
from ml.train.upsample_config import KIND, UPSAMPLE, UpsampleTrainConfig

ERROR_UNPAIRED = ("--data {} and --target {} are not renders of the same scenes ({}); write both with "
                  "`python -m ml geoscenes` and the same --cities, --per-city and --seed")
SAMPLE_ROWS = 6  # sample grid: per row the input (enlarged by repetition), bicubic, the network, the target


class UpsampleTrainer(TrainerSkeleton):
    """Owns the network, optimiser and data of one run; `train()` runs it to the end."""

    def __init__(self, config: UpsampleTrainConfig, low: ImageCache, high: ImageCache, dist: run_dir.Distributed,
                 run: run_dir.RunDir, *, options: dict, resume_from=None):
        self.config, self.low, self.high, self.dist, self.run, self.options = config, low, high, dist, run, options
        self.device = dist.device
        critic = PatchCritic(config.critic_width) if config.adversarial_weight > 0 else None
        self.build_networks(Upsampler(config.model), critic, ema=config.ema_kimg > 0)
        if critic is not None:
            side = config.model.resolution * config.model.scale
            gamma = r1_gamma_for(side, config.batch_size) if config.r1_gamma is None else config.r1_gamma
            self.critic_loss, self.generator_loss = NonSaturatingCriticLoss(), NonSaturatingGeneratorLoss()
            self.r1, self.critic_steps = R1Penalty(gamma, config.r1_interval), 0
        self.resume_cached(low, resume_from)

    def train(self) -> None:
        total = self.config.total_nimg()
        self.start_training(total, f"training {KIND} x{self.config.model.scale} on {len(self.low)} pairs from kimg "
                                   f"{self.nimg / 1000:g} to {total / 1000:g}")
        while self.running():
            low, clean, high = self.fetch_batch()
            if self.D is not None:
                self.step_critic(low, high)
            self.step(low, clean, high)
            if self.G_ema is not None:
                self.update_ema()
            before, self.nimg = self.nimg, self.nimg + self.config.batch_size
            self.finish_step(before)
        self.finish_training()

    def fetch_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's share of the next batch: the (degraded) small pictures, the same before the
        degradation, and their large renders."""
        rows = self.batches.next_indices()
        low = ImageCache.to_float(self.low.images[rows]).to(self.device, non_blocking=True)
        high = ImageCache.to_float(self.high.images[rows]).to(self.device, non_blocking=True)
        if self.config.mirror:  # both sides of a pair alike
            flip = torch.rand(low.shape[0], device=self.device) < 0.5
            low = torch.where(flip[:, None, None, None], low.flip(3), low)
            high = torch.where(flip[:, None, None, None], high.flip(3), high)
        clean = low
        if self.config.degrade:
            low = degrade(low)
        fmt = run_dir.memory_format(self.dist)
        return low.contiguous(memory_format=fmt), clean, high.contiguous(memory_format=fmt)

    def step_critic(self, low: torch.Tensor, high: torch.Tensor) -> None:
        with torch.no_grad(), run_dir.autocast(self.dist):
            enlarged = self.G(low)
        with run_dir.autocast(self.dist):
            loss = self.critic_loss(self.D(high), self.D(enlarged))
        loss = loss + self.lazy_r1(self.D, high, "r1_penalty")
        self.optimizer_step(self.D, self.D_opt, loss)
        self.record(loss_d=loss)

    def step(self, low: torch.Tensor, clean: torch.Tensor, high: torch.Tensor) -> None:
        with run_dir.autocast(self.dist):
            enlarged = self.G(low)
        l1 = (enlarged.float() - high.float()).abs().mean()
        shrunk = F.avg_pool2d(enlarged.float(), self.config.model.scale)
        consistency = (shrunk - clean.float()).abs().mean()
        render_consistency = (shrunk - F.avg_pool2d(high.float(), self.config.model.scale)).abs().mean()
        loss = (l1 + self.config.consistency_weight * consistency
                + self.config.render_consistency_weight * render_consistency)
        if self.D is not None:
            self.D.requires_grad_(False)
            with run_dir.autocast(self.dist):
                adversarial = self.generator_loss(self.D(enlarged))
            self.D.requires_grad_(True)
            loss = loss + self.config.adversarial_weight * adversarial
            self.record(adversarial=adversarial)
        self.optimizer_step(self.G, self.G_opt, loss)
        self.record(l1=l1, consistency=consistency, render_consistency=render_consistency)

    def save_snapshot(self) -> None:
        self.write_snapshot(KIND, epoch=self.batches.epoch, dataset=self.low.summary, target=self.high.summary,
                            full_resolution=True)

    @torch.no_grad()
    def save_samples(self) -> None:
        """Per row: the input (each pixel repeated), bicubic, the network (G_ema), the target."""
        if not self.dist.is_main:
            return
        picks = torch.linspace(0, len(self.low) - 1, min(SAMPLE_ROWS, len(self.low))).round().long()
        low = ImageCache.to_float(self.low.images[picks]).to(self.device)
        scale = float(self.config.model.scale)
        network = self.G_ema if self.G_ema is not None else self.G
        grid = torch.stack([F.interpolate(low, scale_factor=scale, mode="nearest"),
                            F.interpolate(low, scale_factor=scale, mode="bicubic", align_corners=False).clamp(-1, 1),
                            network(low).float(), ImageCache.to_float(self.high.images[picks]).to(self.device)], dim=1)
        self.run.save_image_grid(grid.flatten(0, 1), f"samples-{run_dir.kimg_label(self.nimg)}.png", 4)

    def progress_text(self) -> str:
        return f"kimg {self.nimg / 1000:.3f} {self.latest('.4f', L1='l1')}"


# ---------------------------------------------------------------------------------------------
# The commands


def train(config: UpsampleTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    """`python -m ml train upsample` with a checked config (`ml.train.launch`)."""
    low, high = load_pairs(config.data, config.target, config.model, "train", drop_outliers=config.drop_outliers,
                           progress=dist.is_main)
    run, options = start_run(UPSAMPLE, config, dist, dataset=low.summary,
                             description=f"{KIND}-{low.summary['name']}-x{config.model.scale}", resume=resume,
                             resume_state=resume_state, head=("--target", config.target), target=high.summary)
    if run is not None:
        UpsampleTrainer(config, low, high, dist, run, options=options, resume_from=resume).train()
    return 0


def load_pairs(data, target, model: UpsampleConfig, split: str, *, drop_outliers: bool = True,
               max_images: int | None = None, progress: bool = False) -> tuple[ImageCache, ImageCache]:
    """The pictures of `split` at the model's side from `data` and at scale times it from `target`,
    row by row the same scenes (CommandError if they are not)."""
    try:
        low, high = (load_image_cache(root, resolution=side, split=split, drop_outliers=drop_outliers,
                                      max_images=max_images, progress=progress)
                     for root, side in ((data, model.resolution), (target, model.resolution * model.scale)))
    except ValueError as error:
        raise checks.data_error(error) from None
    if len(low) != len(high):
        raise CommandError(ERROR_UNPAIRED.format(data, target, f"{len(low)} against {len(high)} pictures"))
    if not (torch.equal(low.city, high.city) and torch.equal(low.lat, high.lat) and torch.equal(low.lon, high.lon)):
        raise CommandError(ERROR_UNPAIRED.format(data, target, "their rows show other places"))
    return low, high


def export(args, options: dict) -> int:
    """`python -m ml export` of an upsample run: a checkpoint's network (G_ema when the run kept
    one); its quality is measured by `python -m ml eval-upsample`, so `best` is the latest."""
    return exporting.export_latest(
        args, options, KIND, lambda architecture: Upsampler(UpsampleConfig.from_dict(architecture)),
        lambda state: dict(target=state.get("target"), degrade=options["train"]["degrade"],
                           ema_kimg=options["train"]["ema_kimg"]))
