"""Training of the `ground` generator: a GAN conditioned on the overhead tile of each spot
(WGAN-GP, or the logistic loss with lazy R1: `ml.train.adversarial`).

Pairs are (ground view, overhead tile) of the same spot, as GeoScenes writes them (and as
ingest pairs geotagged photos with tiles by location). The critic scores a ground view together
with its tile, so a sharp view of the wrong place scores low; the generator is asked for views
of the tiles the critic just saw. Losses, run folder, checkpoints, bf16 and multi-GPU gradient
averaging are the `place` loop's (`ml.train.losses`, `ml.train.run_dir`); there are no phases.

With `l1_weight` > 0 the generator also pays pix2pix's L1 distance to the real view of the same
tile (Isola et al. 2017), which teaches the content a tile fixes far sooner than the adversarial
term alone. With the architecture's `land_use_head` the critic also learns to classify the land
use of real views (from the view alone), and the generator pays `land_use_weight` times the
cross-entropy of that classifier on its views against their tiles' land use. With
`mode_seeking_weight` > 0 the second half of the generator's batch repeats the first half's tiles
with other latents, and the generator pays MSGAN's mode-seeking term on those pairs
(`ModeSeekingLoss`): a tile's views must differ by seed. With `patch_critic_weight` > 0 a second
critic scores every patch of a view (`ml.train.patch_critic`). Every step is `fetch_batch` ->
`step_discriminator` (n_critic times) -> `step_generator` -> `update_ema`.

`train` runs `python -m ml train ground` on a checked config; `export` writes a `ground` model
folder: the G_ema and D of the checkpoint the duality gap picks (`ml.train.export`, as for
`place`), and the land-use head fitted on D's features of generated views of the run's training
tiles (`ml.eval.ground_landuse`); `checkpoint_pipeline` paints with a checkpoint for `python -m ml eval`.
"""
from __future__ import annotations

import torch

from ml.cli import CommandError
from ml.eval.ground_landuse import land_use_labels
from ml.models.ground import LAND_USES, GroundConfig, GroundModel, ground_networks
from ml.train import checks, export as exporting, run_dir
from ml.train.adversarial import AdversarialObjective
from ml.train.ground_config import GROUND, KIND, GroundTrainConfig
from ml.train.image_cache import ImageCache, load_image_cache
from ml.train.launch import start_run
from ml.train.losses import ClassPredictionLoss, ModeSeekingLoss, ReconstructionLoss
from ml.train.patch_critic import PatchCritic
from ml.train.skeleton import TrainerSkeleton

LAND_USE_IMAGES = 2048  # training pairs the exported land-use head is fitted on, at most
ERROR_NO_LAND_USE = ("--land-use-head needs rows whose attributes name a land use (density: {}), and the "
                     "training rows of {{}} name none").format(", ".join(LAND_USES))
SAMPLE_ROWS = 6  # sample grid: per row the tile, the real view, then one view per seed
SAMPLE_SEEDS = [0, 1, 2, 3]


def sample_latents(latent_dim: int, rows: int) -> torch.Tensor:
    """The latents of the sample grid, row-major (tile, seed): the pipeline's latents for those seeds."""
    return torch.stack([torch.randn(latent_dim, generator=torch.Generator().manual_seed(seed))
                        for _ in range(rows) for seed in SAMPLE_SEEDS])


class GroundTrainer(TrainerSkeleton):
    """Owns the networks, optimisers and data of one run; `train()` runs it to the end."""

    def __init__(self, config: GroundTrainConfig, data: ImageCache, dist: run_dir.Distributed,
                 run: run_dir.RunDir, *, options: dict, resume_from=None):
        self.config, self.data, self.dist, self.run, self.options = config, data, dist, run, options
        self.device = dist.device
        self.build_networks(*ground_networks(config.model), ema=True)
        self.adversarial = AdversarialObjective(config, config.model.resolution)
        self.reconstruction = ReconstructionLoss(config.l1_weight)
        self.mode_seeking = ModeSeekingLoss(config.mode_seeking_weight)
        self.land_use = ClassPredictionLoss(config.land_use_weight) if config.model.land_use_head else None
        self.land_use_labels = land_use_labels(data, config.model.land_uses)
        if config.patch_critic_weight > 0:
            self.patch_critic = PatchCritic(config, config.model.resolution, self.device,
                                            run_dir.memory_format(dist), width=config.model.width)
        self.resume_cached(data, resume_from)

    # -----------------------------------------------------------------------------------------
    # The loop

    def train(self) -> None:
        config, total = self.config, self.config.total_nimg()
        self.start_training(total, f"training {KIND} on {len(self.data)} (view, tile) pairs of "
                                   f"{len(self.data.cities)} cities from kimg {self.nimg / 1000:g} to {total / 1000:g}")
        while self.running():
            for _ in range(config.n_critic):
                reals, tiles, land_uses = self.fetch_batch()
                self.step_discriminator(reals, tiles, land_uses)
            self.step_generator(reals, tiles, land_uses)
            self.update_ema()
            before, self.nimg = self.nimg, self.nimg + config.n_critic * config.batch_size
            self.finish_step(before)
        self.finish_training()

    def fetch_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's share of the next batch: ground views, their overhead tiles and the tiles'
        land-use classes (-1: unknown)."""
        rows = self.batches.next_indices()
        fmt = run_dir.memory_format(self.dist)
        reals = ImageCache.to_float(self.data.images[rows]).to(self.device, non_blocking=True)
        tiles = ImageCache.to_float(self.data.overhead[rows]).to(self.device, non_blocking=True)
        if self.config.mirror:  # the view only: a mirrored tile would be another place
            flip = torch.rand(reals.shape[0], device=self.device) < 0.5
            reals = torch.where(flip[:, None, None, None], reals.flip(3), reals)
        land_uses = self.land_use_labels[rows].to(self.device, non_blocking=True)
        return reals.contiguous(memory_format=fmt), tiles.contiguous(memory_format=fmt), land_uses

    def step_discriminator(self, reals: torch.Tensor, tiles: torch.Tensor, land_uses: torch.Tensor) -> None:
        latents = torch.randn(reals.shape[0], self.config.model.latent_dim, device=self.device)
        with torch.no_grad(), run_dir.autocast(self.dist):
            fakes = self.G(latents, tiles)
        with run_dir.autocast(self.dist):
            loss, stats, (real_classes,), _ = self.adversarial.critic_loss(
                lambda images, **kw: self.D(images, tiles, **kw), reals, fakes)
        if self.land_use is not None:  # learnt from real views only
            classified = self.land_use(real_classes, {"land_use": land_uses})
            loss = loss + classified
            self.record(land_use_loss_d=classified)
        self.optimizer_step(self.D, self.D_opt, loss)
        self.record(loss_d=loss, **stats)
        if self.patch_critic is not None:
            self.step_patch_critic(reals, fakes)

    def step_generator(self, reals: torch.Tensor, tiles: torch.Tensor, land_uses: torch.Tensor) -> None:
        pairs = self.config.mode_seeking_weight > 0 and tiles.shape[0] >= 2
        if pairs:  # the first half's tiles twice, with other latents: pairs of views of one tile
            reals, tiles, land_uses = (ModeSeekingLoss.pairs(x) for x in (reals, tiles, land_uses))
        latents = torch.randn(tiles.shape[0], self.config.model.latent_dim, device=self.device)
        self.D.requires_grad_(False)  # D only passes gradients through
        with run_dir.autocast(self.dist):
            fakes = self.G(latents, tiles)
            adversarial, shown_classes = self.adversarial.generator_loss(
                lambda images, **kw: self.D(images, tiles, **kw), fakes)
            extras = self.generator_extras(fakes, latents if pairs else None)
        reconstruction = self.reconstruction(fakes, reals) if self.config.l1_weight else torch.zeros(())
        loss = adversarial + reconstruction + extras
        if self.land_use is not None:
            classified = self.land_use(shown_classes, {"land_use": land_uses})
            loss = loss + classified
            self.record(land_use_loss_g=classified)
        self.optimizer_step(self.G, self.G_opt, loss)
        self.D.requires_grad_(True)
        self.record(loss_g=loss, l1=reconstruction)

    # -----------------------------------------------------------------------------------------
    # Snapshots, samples and stats

    def save_snapshot(self) -> None:
        self.write_snapshot(KIND, epoch=self.batches.epoch, dataset=self.data.summary, full_resolution=True)

    @torch.no_grad()
    def save_samples(self) -> None:
        """Per row: an overhead tile, its real ground view, then G_ema's views for the fixed seeds."""
        if not self.dist.is_main:
            return
        rows = min(SAMPLE_ROWS, len(self.data))
        picks = torch.linspace(0, len(self.data) - 1, rows).round().long()
        tiles = ImageCache.to_float(self.data.overhead[picks]).to(self.device)
        latents = sample_latents(self.config.model.latent_dim, rows).to(self.device)
        views = self.G_ema(latents, tiles.repeat_interleave(len(SAMPLE_SEEDS), dim=0)).float()
        reals = ImageCache.to_float(self.data.images[picks]).to(self.device)
        grid = torch.cat([tiles[:, None], reals[:, None], views.reshape(rows, len(SAMPLE_SEEDS), *views.shape[1:])],
                         dim=1).flatten(0, 1)
        self.run.save_image_grid(grid, f"samples-{run_dir.kimg_label(self.nimg)}.png", 2 + len(SAMPLE_SEEDS))


# ---------------------------------------------------------------------------------------------
# The commands


def train(config: GroundTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    """`python -m ml train ground` with a checked config (`ml.train.launch`)."""
    data = load_pairs(config.data, config.model.resolution, "train", drop_outliers=config.drop_outliers,
                      progress=dist.is_main)
    if config.model.land_use_head and not bool((land_use_labels(data, config.model.land_uses) >= 0).any()):
        raise CommandError(ERROR_NO_LAND_USE.format(config.data))
    variant = "".join(suffix for suffix, on in (("-unconditional", not config.model.conditional),
                                                ("-pix2pix", config.model.variant == "pix2pix"),
                                                ("-landuse", config.model.land_use_head)) if on)
    run, options = start_run(GROUND, config, dist, dataset=data.summary,
                             description=f"{KIND}-{data.summary['name']}{variant}", resume=resume,
                             resume_state=resume_state)
    if run is not None:
        GroundTrainer(config, data, dist, run, options=options, resume_from=resume).train()
    return 0


def load_pairs(root, resolution: int, split: str, *, drop_outliers: bool = True, max_images: int | None = None,
               progress: bool = False) -> ImageCache:
    """The (ground view, overhead tile) pairs of a dataset split, decoded at `resolution`."""
    try:
        return load_image_cache(root, resolution=resolution, split=split, drop_outliers=drop_outliers,
                                max_images=max_images, progress=progress, overhead=True)
    except ValueError as error:
        raise checks.data_error(error) from None


def gap_players() -> exporting.GapPlayers:
    return exporting.GapPlayers(architecture=GroundConfig.from_dict, networks=ground_networks,
                                conditions=lambda data, config: ImageCache.to_float(data.overhead), overhead=True)


def export(args, options: dict) -> int:
    """`python -m ml export` of a ground run: the checkpoint `pick_checkpoint` chooses (with
    `best`, the smallest duality gap on held-out places; its G_ema averaged with the ones before
    it with `--average`), with its land-use head fitted now."""
    from ml.eval.ground_landuse import fit_land_use_head
    from ml.modelfolder import write_model_folder

    checkpoint, state, gap = exporting.pick_checkpoint(args, options, gap_players())
    model = checkpoint_model(checkpoint, state)
    exporting.generator_weights(args, checkpoint, "G_ema", model.generator)
    data = load_pairs(args.data or options["dataset"]["path"], model.config.resolution, "train",
                      max_images=LAND_USE_IMAGES)
    head, accuracy = fit_land_use_head(model, data, seed=options["train"]["seed"])
    model.land_use.load_state_dict(head.state_dict())
    metrics = {"land_use_train_accuracy": accuracy, "land_use_train_images": len(data), **exporting.gap_metrics(gap)}
    sha256 = write_model_folder(args.out, kind=KIND, architecture=model.config.to_dict(),
                                state_dict=model.state_dict(), training=exporting.provenance(args, options, checkpoint,
                                                                                             state),
                                metrics=metrics)
    print(f"exported {checkpoint.name}; land-use head accuracy on its training pairs {accuracy:.3f}")
    print(f"wrote {args.out} (weights sha256 {sha256})")
    return 0


def checkpoint_model(checkpoint, state: dict) -> GroundModel:
    """A checkpoint's G_ema and D as a GroundModel (its land-use head not fitted yet)."""
    model = GroundModel(GroundConfig.from_dict(state["architecture"]))
    run_dir.load_network(checkpoint, "G_ema", model.generator)
    run_dir.load_network(checkpoint, "D", model.discriminator)
    return model


def checkpoint_pipeline(checkpoint, state: dict, label: str):
    """The pipeline of a checkpoint's G_ema, as `python -m ml eval` measures a run."""
    from ml.pipelines import GroundPipeline

    return GroundPipeline(checkpoint_model(checkpoint, state), config={"kind": KIND,
                                                                       "architecture": state["architecture"]},
                          sha256=label)
