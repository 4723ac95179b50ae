"""Training of the `place` generator: a progressive, location-conditional GAN.

The recipe is ProGAN's (Karras et al., ICLR 2018) with the Wasserstein loss and gradient
penalty of Gulrajani et al. (2017), or with `loss` logistic the non-saturating loss with lazy R1
of StyleGAN2 (`ml.train.adversarial`), optionally through DiffAugment: both networks start at `start_resolution` and grow by
doubling, each new resolution first fading in (its layers blended over the upsampled output of
the previous one, alpha going 0 -> 1) and then training stable. Reals are shown at the current
resolution, blended the same way while fading, so the critic never sees a sharper real than
fake. The generator is followed by an exponential moving average of its weights (G_ema), which
is what the samples, the export and the gallery use.

`train` runs `python -m ml train place` on a checked config, `export` writes the G_ema of the
checkpoint the duality gap picks as a model folder, and `checkpoint_pipeline` paints with a
checkpoint for `python -m ml eval`.

Every step is `fetch_batch` -> `step_discriminator` (n_critic times) -> `step_generator` ->
`update_ema`; the run writes its files through `ml.train.run_dir`. With the architecture's
`context_head`, both players also minimise `ClassPredictionLoss` (AC-GAN): the critic on the reals'
attribute classes, the generator on the classes of the places it was asked for. With
`patch_critic_weight` > 0 a second critic scores every patch of a picture
(`ml.train.patch_critic`), at full resolution only (fading in or stable): the smaller phases
train as before. With `mode_seeking_weight` > 0 the second half of the generator's batch repeats
the first half's places with other latents, and the generator pays MSGAN's mode-seeking term on
those pairs (`ModeSeekingLoss`): two seeds of one place must paint different pictures. With
`twin_class_weight` > 0 a twin of the class head learns the classes from the generator's pictures
and the generator pays for being read by it (`ml.train.twin_classifier`, TAC-GAN). With
`class_teacher` a frozen classifier also reads the generator's pictures, and the generator pays its
cross-entropy of the asked classes (`ml.train.class_teacher`). With `spectrum_weight` > 0 the
generator also pays, at full resolution (fading in or stable), for a batch whose spectrum differs
from the photos' (`SpectrumLoss`): too little fine detail or too much; with `spectrum_by`, class by
class of the attributes the teacher shares, the pictures grouped by its reading; with
`spectrum_rings` "laplacian", the rings weighed by their share of the edge strength. Population
steps or the climate added to the context, or a higher `fmap_min`, on a resume widen the networks
where they stand, a higher `noise_stages` adds noise inputs, faint at first, and `noise_gates` their gates, open at
first (`adapt_weights`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ml.cli import CommandError, option_names
from ml.models.place import (PlaceConfig, PlaceDiscriminator, PlaceGenerator, add_noise_inputs, place_context,
                             widen_context, widen_stages)
from ml.train import checks, export as exporting, run_dir
from ml.train.batches import CachedBatches, StreamedBatches
from ml.train.class_teacher import ClassTeacher
from ml.train.image_cache import ImageCache
from ml.train.adversarial import AdversarialObjective
from ml.train.launch import start_run
from ml.train.losses import ClassPredictionLoss, ModeSeekingLoss, SpectrumLoss, class_accuracies
from ml.train.patch_critic import PatchCritic
from ml.train.place_config import KIND, PLACE, Phase, PlaceTrainConfig, phase_at, teacher_shares
from ml.train.skeleton import TrainerSkeleton
from ml.train.twin_classifier import NAME as TWIN_CLASSIFIER, TwinClassifier

ERROR_FEWER_CITIES = "--cities {} asks for more cities than the dataset's {} training cities"

# The sample grids: one row per contrasting place, one column per seed (the same seeds the
# pipeline uses, so a grid cell is what the gallery would paint for that place and seed).
SAMPLE_PLACES = [
    ("Tromsø", 69.6489, 18.9551),  # polar: snow, low sun
    ("Riyadh", 24.6877, 46.7219),  # desert
    ("Manaus", -3.1019, -60.0250),  # tropical rainforest
    ("Tokyo", 35.6895, 139.6917),  # megacity
    ("Hallstatt", 47.5622, 13.6493),  # alpine village
]
SAMPLE_SEEDS = [0, 1, 2, 3]


def sample_inputs(config: PlaceConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents and contexts of the sample grid, row-major (place, seed)."""
    latents = torch.stack([torch.randn(config.latent_dim, generator=torch.Generator().manual_seed(seed))
                           for _ in SAMPLE_PLACES for seed in SAMPLE_SEEDS])
    lat = torch.tensor([lat for _, lat, _ in SAMPLE_PLACES for _ in SAMPLE_SEEDS])
    lon = torch.tensor([lon for _, _, lon in SAMPLE_PLACES for _ in SAMPLE_SEEDS])
    return latents.to(device), place_context(lat, lon, config).to(device)


class PlaceTrainer(TrainerSkeleton):
    """Owns the networks, optimisers and data of one run; `train()` runs it to the end."""

    def __init__(self, config: PlaceTrainConfig, data: CachedBatches | StreamedBatches, dist: run_dir.Distributed,
                 run: run_dir.RunDir, *, options: dict, resume_from=None):
        self.config, self.data, self.dist, self.run, self.options = config, data, dist, run, options
        self.device = dist.device
        self.build_networks(PlaceGenerator(config.model), PlaceDiscriminator(config.model), ema=True)
        self.adversarial = AdversarialObjective(config, config.model.resolution)
        self.place_classes = ClassPredictionLoss(config.context_weight) if config.model.context_head else None
        self.mode_seeking = ModeSeekingLoss(config.mode_seeking_weight)
        shares = teacher_shares(config.to_dict(), config.data, config.model)
        self.spectrum = SpectrumLoss(config.spectrum_weight,
                                     groups={name: len(shares[name]) for name in option_names(config.spectrum_by)},
                                     rings=config.spectrum_rings)
        if config.patch_critic_weight > 0:
            self.patch_critic = PatchCritic(config, config.model.resolution, self.device, run_dir.memory_format(dist))
        self.twin = (TwinClassifier(config, config.model.context_head, config.model.stage_widths()[0], self.device)
                     if config.twin_class_weight > 0 else None)
        self.teacher = (ClassTeacher(config.class_teacher, config.class_teacher_weight, config.model.context_head,
                                     self.device, self.adversarial.augment,
                                     shares=shares)
                        if config.class_teacher != "none" else None)
        if resume_from is not None:
            self.load_checkpoint(resume_from)  # its epoch went to the batches (`train`)
        self.broadcast_networks()
        self.stage = phase_at(self.nimg, config).stage

    @property
    def networks(self) -> dict[str, torch.nn.Module]:
        return super().networks | ({TWIN_CLASSIFIER: self.twin.network} if self.twin is not None else {})

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return super().optimizers | ({TWIN_CLASSIFIER: self.twin.optimizer} if self.twin is not None else {})

    def adapt_weights(self, name: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A checkpoint's G, G_ema or D of a narrower context (population steps or the climate
        added on this resume), narrower stages (a higher `fmap_min`) or fewer noise inputs (a higher
        `noise_stages`, or `noise_gates` turned on) fitted to this run's: the networks start where they
        were, new noise inputs faint, new gates open (`widen_context`, `widen_stages`, `add_noise_inputs`)."""
        if name not in ("G", "G_ema", "D"):
            return tensors
        model = self.config.model
        return add_noise_inputs(widen_stages(widen_context(tensors, model.context_dim), model.stage_widths()), model)

    # -----------------------------------------------------------------------------------------
    # The loop

    def train(self) -> None:
        config, total = self.config, self.config.total_nimg()
        self.phase = phase_at(self.nimg, config)  # of the step being taken
        self.start_training(total, f"training {KIND} on {self.data.summary['images']} images of "
                                   f"{len(self.data.cities)} cities from kimg {self.nimg / 1000:g} to "
                                   f"{total / 1000:g}; phase {self.phase.name}")
        self.save_reals()
        if self.teacher is not None:
            self.log(f"class teacher {config.class_teacher} (weights sha256 {self.teacher.sha256[:12]}), "
                     f"weight {config.class_teacher_weight:g}")
        # A generator taken from a model (--generator-from) waits while the critic learns its pictures.
        critic_alone_until = self.nimg + (round(1000 * config.critic_warmup_kimg) if config.generator_from else 0)
        while self.running():
            phase = self.phase = phase_at(self.nimg, config)
            if phase.stage != self.stage:
                self.grow(phase)
            for _ in range(config.n_critic):
                reals, contexts, labels = self.fetch_batch(phase)
                self.step_discriminator(phase, reals, contexts, labels)
            if self.nimg >= critic_alone_until:
                # The generator is asked for the places the critic just saw: it learns p(image | place)
                # weighted by how often the data shows each place, and those places' classes.
                self.step_generator(phase, contexts, labels)
                self.update_ema()
            before, self.nimg = self.nimg, self.nimg + config.n_critic * config.batch_size
            # A new phase shows its first samples at once.
            self.finish_step(before, samples=phase_at(self.nimg, config).name != phase.name)
        self.finish_training()

    def fetch_batch(self, phase: Phase) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """This rank's share of the next batch: reals at the phase's resolution, their contexts,
        and the class indices of the attributes the context head reads (and the teacher's shares)."""
        batch = self.data.next_batch()
        labels = {name: batch.labels[name].to(self.device, non_blocking=True)
                  for name in [*self.config.model.context_head, *(self.teacher.shares if self.teacher else [])]}
        reals = ImageCache.to_float(batch.images).to(self.device, non_blocking=True)
        contexts = place_context(batch.lat, batch.lon, self.config.model)
        contexts = contexts.to(self.device, non_blocking=True)
        if self.config.mirror:
            flip = torch.rand(reals.shape[0], device=self.device) < 0.5
            reals = torch.where(flip[:, None, None, None], reals.flip(3), reals)
        factor = self.config.model.resolution // phase.resolution
        if factor > 1:  # area downsampling, as the dataset itself shrinks pictures
            reals = F.avg_pool2d(reals, factor)
        if phase.fading:
            # Blend the reals like the networks blend their outputs, so the new detail appears
            # in the reals no faster than the generator can produce it.
            coarse = F.interpolate(F.avg_pool2d(reals, 2), scale_factor=2.0, mode="nearest")
            reals = torch.lerp(coarse, reals, phase.alpha)
        return reals.contiguous(memory_format=run_dir.memory_format(self.dist)), contexts, labels

    def step_discriminator(self, phase: Phase, reals: torch.Tensor, contexts: torch.Tensor,
                           labels: dict[str, torch.Tensor]) -> None:
        stage = dict(stage=phase.stage, alpha=phase.alpha)
        latents = torch.randn(reals.shape[0], self.config.model.latent_dim, device=self.device)
        with torch.no_grad(), run_dir.autocast(self.dist):
            fakes = self.G(latents, contexts, **stage)
        with run_dir.autocast(self.dist):
            loss, stats, (real_classes, _), (_, fake_features) = self.adversarial.critic_loss(
                lambda images, **kw: self.D(images, contexts, **stage, **kw), reals, fakes, with_features=True)
        if self.place_classes is not None:  # learnt from reals only
            place = self.place_classes(real_classes, labels)
            loss = loss + place
            self.record(context_loss_d=place, **class_accuracies(real_classes, labels, "d"))
        if self.twin is not None:  # learnt from fakes only, through the critic's features
            twin, twin_classes = self.twin.loss(fake_features, labels)
            loss = loss + twin
            self.record(twin_loss_d=twin, **class_accuracies(twin_classes, labels, "twin"))
        self.optimizer_step(self.D, self.D_opt, loss,
                            together=[(self.twin.network, self.twin.optimizer)] if self.twin is not None else ())
        self.record(loss_d=loss, **stats)
        if self.patch_critic is not None and phase.resolution == self.config.model.resolution:
            self.step_patch_critic(reals, fakes)
        if self.spectrum.weight > 0 and phase.resolution == self.config.model.resolution:
            self.spectrum.observe(reals, labels)

    def step_generator(self, phase: Phase, contexts: torch.Tensor, labels: dict[str, torch.Tensor]) -> None:
        stage = dict(stage=phase.stage, alpha=phase.alpha)
        pairs = self.config.mode_seeking_weight > 0 and contexts.shape[0] >= 2
        if pairs:  # the first half's places twice, with other latents: pairs of pictures of one place
            contexts = ModeSeekingLoss.pairs(contexts)
            labels = {name: ModeSeekingLoss.pairs(classes) for name, classes in labels.items()}
        latents = torch.randn(contexts.shape[0], self.config.model.latent_dim, device=self.device)
        self.D.requires_grad_(False)  # D only passes gradients through; no need for its own
        with run_dir.autocast(self.dist):
            fakes = self.G(latents, contexts, **stage)
            loss, classes, features = self.adversarial.generator_loss(
                lambda images, **kw: self.D(images, contexts, **stage, **kw), fakes, with_features=True)
            loss = loss + self.generator_extras(fakes, latents if pairs else None,
                                                patch=phase.resolution == self.config.model.resolution)
        if self.place_classes is not None:
            place = self.place_classes(classes, labels)
            loss = loss + place
            self.record(context_loss_g=place, **class_accuracies(classes, labels, "g"))
        if self.twin is not None:
            twin = self.twin.generator_loss(features, labels)
            loss = loss + twin
            self.record(twin_g=twin)
        readings = {}
        if self.teacher is not None:
            taught, readings = self.teacher(fakes, labels)
            loss = loss + taught
            self.record(teacher_loss_g=taught, **class_accuracies(
                {name: readings[name] for name in self.teacher.attributes}, labels, "teacher"))
        if self.spectrum.weight > 0 and phase.resolution == self.config.model.resolution:
            spectrum = self.spectrum(fakes, {name: readings[name].argmax(dim=1) for name in self.spectrum.groups})
            loss = loss + spectrum
            self.record(spectrum_g=spectrum)
        self.optimizer_step(self.G, self.G_opt, loss)
        self.D.requires_grad_(True)
        self.record(loss_g=loss)

    def grow(self, phase: Phase) -> None:
        """A new resolution starts fading in."""
        if self.config.reset_optimizers_on_grow:
            # The moments of the old layers describe the loss at the old resolution.
            for optimizer in (self.G_opt, self.D_opt):
                optimizer.state.clear()
        self.stage = phase.stage
        self.log(f"kimg {self.nimg / 1000:g}: growing to {phase.resolution}x{phase.resolution}")

    # -----------------------------------------------------------------------------------------
    # Snapshots, samples and stats

    def save_snapshot(self) -> None:
        phase = phase_at(self.nimg, self.config)
        self.write_snapshot(KIND, stage=phase.stage, alpha=phase.alpha, phase=phase.name,
                            full_resolution=phase.stage == self.config.model.num_stages - 1 and phase.alpha == 1.0,
                            epoch=self.data.epoch, dataset=self.data.summary, cities=self.data.cities)

    def save_reals(self) -> None:
        preview = self.data.preview(len(SAMPLE_PLACES) * len(SAMPLE_SEEDS))
        self.run.save_image_grid(ImageCache.to_float(preview), "reals.png", len(SAMPLE_SEEDS))

    @torch.no_grad()
    def save_samples(self) -> None:
        """G_ema's pictures of the fixed places and seeds, at the resolution of the phase the run
        is in, shown at full size, so grids of different phases line up."""
        if not self.dist.is_main:
            return
        phase = phase_at(self.nimg, self.config)
        latents, contexts = sample_inputs(self.config.model, self.device)
        images = self.G_ema(latents, contexts, stage=phase.stage, alpha=phase.alpha, context_noise=False)
        factor = self.config.model.resolution // phase.resolution
        if factor > 1:
            images = F.interpolate(images.float(), scale_factor=float(factor), mode="nearest")
        self.run.save_image_grid(images, f"samples-{run_dir.kimg_label(self.nimg)}.png", len(SAMPLE_SEEDS))

    def write_tick(self, images_per_second: float) -> None:
        phase = self.phase
        super().write_tick(images_per_second, phase=phase.name, stage=phase.stage, alpha=round(phase.alpha, 6))

    def progress_text(self) -> str:
        phase = self.phase
        return (f"kimg {self.nimg / 1000:.3f} {phase.name} a={phase.alpha:.2f} "
                f"{self.latest('+.3f', D='loss_d', G='loss_g')}")



# ---------------------------------------------------------------------------------------------
# The commands


def train(config: PlaceTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    """`python -m ml train place` with a checked config (`ml.train.launch`)."""
    data = load_training_data(config, dist, epoch=resume_state.get("epoch", 0) if resume_state else 0)
    cities = "allcities" if config.cities is None else f"{config.cities}{'city' if config.cities == 1 else 'cities'}"
    run, options = start_run(PLACE, config, dist, dataset=data.summary, description=f"{KIND}-{data.summary['name']}-"
                                                                                   f"{cities}",
                             resume=resume, resume_state=resume_state, cities=data.cities,
                             head=("--cities", "all" if config.cities is None else str(config.cities)))
    if run is None:
        print(plan(config))
        return 0
    PlaceTrainer(config, data, dist, run, options=options, resume_from=resume).train()
    return 0


def load_training_data(config: PlaceTrainConfig, dist: run_dir.Distributed, *, epoch: int):
    """This rank's batches: from the dataset decoded into memory, or streamed (`--stream`)."""
    from ml.train.image_cache import FewerCitiesError, load_image_cache

    common = dict(batch_size=config.batch_size // dist.world_size, rank=dist.rank, world_size=dist.world_size,
                  seed=config.seed, epoch=epoch)
    try:
        if config.stream:
            return StreamedBatches(config.data, resolution=config.model.resolution, cities=config.cities,
                                   drop_outliers=config.drop_outliers, workers=config.data_workers, **common)
        cache = load_image_cache(config.data, resolution=config.model.resolution, split="train",
                                 cities=config.cities, drop_outliers=config.drop_outliers, progress=dist.is_main)
        return CachedBatches(cache, **common)
    except FewerCitiesError as error:
        raise CommandError(ERROR_FEWER_CITIES.format(error.asked, error.available)) from None
    except ValueError as error:
        raise checks.data_error(error) from None


def plan(config: PlaceTrainConfig) -> str:
    """The phases of the run, for --dry-run."""
    model, first = config.model, config.start_stage
    segments = [(f"stable-{model.stage_resolution(first)}", config.stable_kimg)]
    for stage in range(first + 1, model.num_stages):
        resolution = model.stage_resolution(stage)
        segments += [(f"fade-{resolution}", config.fade_kimg), (f"stable-{resolution}", config.stable_kimg)]
    lines, start, total = ["phases:"], 0.0, config.total_nimg() / 1000
    for index, (name, length) in enumerate(segments):
        end = total if index == len(segments) - 1 else min(start + length, total)
        if end > start:
            lines.append(f"  {name:<12} kimg {start:g} - {end:g}")
        start = end
    return "\n".join(lines)


def gap_players() -> exporting.GapPlayers:
    return exporting.GapPlayers(architecture=PlaceConfig.from_dict,
                                networks=lambda config: (PlaceGenerator(config), PlaceDiscriminator(config)),
                                conditions=lambda data, config: place_context(data.lat, data.lon, config))


def export(args, options: dict) -> int:
    """`python -m ml export` of a place run: the G_ema, at full resolution, of the checkpoint
    `pick_checkpoint` chooses (averaged with the ones before it with `--average`)."""
    from ml.modelfolder import write_model_folder

    checkpoint, state, gap = exporting.pick_checkpoint(args, options, gap_players())
    config = PlaceConfig.from_dict(state["architecture"])
    G_ema = exporting.generator_weights(args, checkpoint, "G_ema", PlaceGenerator(config))
    training = exporting.provenance(args, options, checkpoint, state, cities=len(state.get("cities", [])),
                                    curriculum=options["train"].get("cities") or "all")
    sha256 = write_model_folder(args.out, kind=KIND, architecture=config.to_dict(), state_dict=G_ema.state_dict(),
                                training=training, metrics=exporting.gap_metrics(gap))
    print(f"wrote {args.out} (weights sha256 {sha256})")
    return 0


def checkpoint_pipeline(checkpoint, state: dict, label: str):
    """The pipeline of a checkpoint's G_ema, as `python -m ml eval` measures a run."""
    from ml.pipelines import PlacePipeline

    generator = run_dir.load_network(checkpoint, "G_ema", PlaceGenerator(PlaceConfig.from_dict(state["architecture"])))
    return PlacePipeline(generator, config={"kind": KIND, "architecture": state["architecture"]}, sha256=label)
