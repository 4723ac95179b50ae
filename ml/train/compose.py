"""Training of the `compose` kind: a background generator and an object generator, in one loop.

Every iteration takes a batch of backgrounds (with their places) and a batch of foreground steps
(canvas before, object, canvas after; `ml.data.compose`), and trains
- the background generator G_bg (the place generator, `ml.models.place`) against the place
  critic on backgrounds, with the run's adversarial loss (`ml.train.adversarial`) and, when G_bg
  has a context head, the place-class loss as place training weighs it (`context_weight`): the
  critic learns each real background's biome and density, G_bg is asked to paint its place's.
  Without it a G_bg started from a place model keeps its realism but forgets its places (its
  biome ratio fell from 0.91 to 0.63 in 13 kimg of backgrounds);
- the object generator G_fg and the mask generator G_mask against the global and instance critics
  (non-saturating loss, lazy R1 on the real steps), the critics' losses weighted 0.9 / 0.1 as the
  research's public code, plus three L1 terms: `outside_weight` x the painting against the
  canvas outside the mask (the research's reconstruction term), `content_weight` x the composite
  against the real step inside the box (the renderer records the exact step, so the pair is
  known: a regression target that speeds up a small CPU budget), and `mask_weight` x G_mask's mask
  against the object's coverage.
G_fg paints mostly through the real coverage, and a `generated_masks` share of steps through
G_mask's mask, which then learns from the critics too. The moving average of the generators
(G_ema) is what the samples and the export use. Every iteration is `fetch_batch` ->
`step_critics` -> `step_generators` -> `update_ema`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ml.data.compose import ComposeSteps
from ml.models.compose import GLOBAL_WEIGHT, INSTANCE_WEIGHT, ComposeCritics, ComposeModel, box_inside, layout_maps
from ml.models.configs import ComposeConfig
from ml.models.place import place_context
from ml.train import checks, run_dir
from ml.train import export as exporting
from ml.train.adversarial import AdversarialObjective
from ml.train.batches import CachedBatches
from ml.train.compose_config import COMPOSE, KIND, ComposeTrainConfig
from ml.train.image_cache import ImageCache, load_image_cache
from ml.train.launch import start_run
from ml.train.losses import (ClassPredictionLoss, NonSaturatingCriticLoss, NonSaturatingGeneratorLoss, R1Penalty,
                             class_accuracies, r1_gamma_for)
from ml.train.skeleton import TrainerSkeleton

SAMPLE_ROWS = 6  # sample grid: per row the canvas before, the real step, G_fg through the real
#                  coverage, through G_mask's mask, through an ellipse, and G_bg's background of the place


@dataclass
class StepCache:
    """Foreground steps decoded into memory (uint8 pictures), as `CachedBatches` indexes them."""
    before: torch.Tensor  # (M, 3, S, S) the canvas before the object
    after: torch.Tensor  # (M, 3, S, S) the canvas with it
    coverage: torch.Tensor  # (M, 1, S, S) 255 x the object's share of each pixel
    category: torch.Tensor  # (M,) index into the model's categories
    box: torch.Tensor  # (M, 4) x0, y0, x1, y1 as fractions
    colour: torch.Tensor  # (M, 3) uint8 fill
    lat: torch.Tensor  # (M,) the scene's place
    lon: torch.Tensor
    cities: list[int]
    summary: dict
    # single-shot scenes (`load_scenes`): the layout of all objects (`ml.models.compose.layout_maps`)
    maps: torch.Tensor | None = None  # (M, 1 + categories + 4, S, S) float16

    def __len__(self) -> int:
        return len(self.category)


@dataclass
class BackgroundPlaces:
    """The places of one batch of backgrounds: what G_bg is conditioned on and what its class head reads."""
    contexts: torch.Tensor  # (B, C) `ml.models.place.place_context`
    labels: dict[str, torch.Tensor]  # attribute of G_bg's context_head -> (B,) class index (-1: unknown)


@dataclass
class LayerBatch:
    """One batch of steps as the networks take them (pictures in [-1, 1], coverage in [0, 1])."""
    before: torch.Tensor
    after: torch.Tensor
    coverage: torch.Tensor
    category: torch.Tensor
    box: torch.Tensor
    colour: torch.Tensor
    has_colour: torch.Tensor  # (B,) 1 where G_fg is told the colour
    maps: torch.Tensor | None = None  # single-shot scenes: their layouts, colours told where has_colour

    def mirrored(self, flip: torch.Tensor) -> LayerBatch:
        """The steps where `flip` is set mirrored left-right (pictures and boxes alike)."""
        def pictures(x):
            return None if x is None else torch.where(flip[:, None, None, None], x.flip(3), x)
        x0, y0, x1, y1 = self.box.unbind(1)
        box = torch.where(flip[:, None], torch.stack([1 - x1, y0, 1 - x0, y1], dim=1), self.box)
        return LayerBatch(pictures(self.before), pictures(self.after), pictures(self.coverage), self.category, box,
                          self.colour, self.has_colour, pictures(self.maps))


class ComposeTrainer(TrainerSkeleton):
    """Owns the networks, optimisers and data of one run; `train()` runs it to the end."""

    def __init__(self, config: ComposeTrainConfig, backgrounds: ImageCache, steps: StepCache,
                 dist: run_dir.Distributed, run: run_dir.RunDir, *, options: dict, resume_from=None):
        self.config, self.backgrounds, self.steps = config, backgrounds, steps
        self.dist, self.run, self.options, self.device = dist, run, options, dist.device
        model = ComposeModel(config.model)
        if resume_from is None and config.background_from:
            load_background(model, config.background_from)
        self.build_networks(model, ComposeCritics(config.model), ema=config.ema_kimg > 0)
        side = config.model.resolution
        self.adversarial = AdversarialObjective(config, side)
        self.critic_loss, self.generator_loss = NonSaturatingCriticLoss(), NonSaturatingGeneratorLoss()
        head = config.model.background_config.context_head
        self.place_classes = ClassPredictionLoss(config.context_weight) if head and config.context_weight else None
        gamma = r1_gamma_for(side, config.batch_size) if config.r1_gamma is None else config.r1_gamma
        self.r1, self.critic_steps = R1Penalty(gamma, config.r1_interval), 0
        epoch, background_epoch = 0, 0
        if resume_from is not None:
            epoch = self.load_checkpoint(resume_from)
            background_epoch = int(run_dir.read_checkpoint_state(resume_from).get("background_epoch", 0))
        share = dict(batch_size=config.batch_size // dist.world_size, rank=dist.rank, world_size=dist.world_size,
                     seed=config.seed)
        self.step_batches = CachedBatches(steps, epoch=epoch, **share)
        self.background_batches = CachedBatches(backgrounds, epoch=background_epoch, **share)
        self.broadcast_networks()

    def train(self) -> None:
        total = self.config.total_nimg()
        shown = "single-shot scenes" if self.config.model.single_shot else "steps"
        self.start_training(total, f"training {KIND} on {len(self.steps)} {shown} and {len(self.backgrounds)} "
                                   f"backgrounds from kimg {self.nimg / 1000:g} to {total / 1000:g}")
        while self.running():
            backgrounds, places, layers = self.fetch_batch()
            self.step_critics(backgrounds, places, layers)
            self.step_generators(backgrounds, places, layers)
            if self.G_ema is not None:
                self.update_ema()
            before, self.nimg = self.nimg, self.nimg + self.config.batch_size
            self.finish_step(before)
        self.finish_training()

    def fetch_batch(self) -> tuple[torch.Tensor, BackgroundPlaces, LayerBatch]:
        """This rank's share of the next batch: backgrounds, their places, and steps."""
        batch = self.background_batches.next_batch()
        backgrounds = ImageCache.to_float(batch.images).to(self.device, non_blocking=True)
        background = self.config.model.background_config
        places = BackgroundPlaces(
            contexts=place_context(batch.lat, batch.lon, background).to(self.device),
            labels={name: batch.labels[name].to(self.device) for name in background.context_head or ()})
        rows = self.step_batches.next_indices()
        layers = self.layer_batch(rows, (torch.rand(len(rows)) >= self.config.colour_dropout).float())
        if self.config.mirror:
            flip = torch.rand(backgrounds.shape[0], device=self.device) < 0.5
            backgrounds = torch.where(flip[:, None, None, None], backgrounds.flip(3), backgrounds)
            layers = layers.mirrored(torch.rand(len(rows), device=self.device) < 0.5)
        return backgrounds, places, layers

    def layer_batch(self, rows: torch.Tensor, has_colour: torch.Tensor) -> LayerBatch:
        """The steps (or single-shot scenes) `rows` on this rank's device; G_fg is told the colours
        where `has_colour` is 1."""
        steps = self.steps
        maps = None
        if steps.maps is not None:  # a scene's colour and has-colour maps are off where its colour is not told
            told = torch.ones(steps.maps.shape[1])
            told[-4:] = 0
            maps = steps.maps[rows].float() * torch.maximum(told[None], has_colour[:, None])[:, :, None, None]
        layers = LayerBatch(
            before=ImageCache.to_float(steps.before[rows]), after=ImageCache.to_float(steps.after[rows]),
            coverage=steps.coverage[rows].float() / 255.0, category=steps.category[rows], box=steps.box[rows],
            colour=ImageCache.to_float(steps.colour[rows]), has_colour=has_colour, maps=maps)
        return LayerBatch(*(None if value is None else value.to(self.device, non_blocking=True)
                            for value in vars(layers).values()))

    def paint_layers(self, G: ComposeModel, layers: LayerBatch) -> dict[str, torch.Tensor]:
        """G's step for each object: its mask (the real coverage, or for a `generated_masks` share
        G_mask's), G_fg's painting and the composite over the canvas; also G_mask's mask. A
        single-shot model paints each scene's layout over its background in one pass, nothing
        composited (G_mask is not trained: its mask is the real coverage)."""
        count, latent = len(layers.category), self.config.model.latent_dim
        if self.config.model.single_shot:
            painted = G.paint_layout(torch.randn(count, latent, device=self.device), layers.before, layers.maps)
            return {"mask": layers.coverage, "generated": layers.coverage, "painted": painted, "composite": painted}
        generated = G.object_mask(torch.randn(count, latent, device=self.device), layers.box, layers.category, "mask")
        use_generated = torch.rand(count, device=self.device) < self.config.generated_masks
        mask = torch.where(use_generated[:, None, None, None], generated, layers.coverage)
        painted = G.paint(torch.randn(count, latent, device=self.device), layers.before, layers.box, mask,
                          layers.category, layers.colour, layers.has_colour)
        return {"mask": mask, "generated": generated, "painted": painted,
                "composite": painted * mask + layers.before * (1 - mask)}

    def layer_scores(self, pictures: torch.Tensor, layers: LayerBatch) -> tuple[torch.Tensor, torch.Tensor]:
        return self.D.layer_scores(pictures, layers.box, layers.category)

    def step_critics(self, backgrounds: torch.Tensor, places: BackgroundPlaces, layers: LayerBatch) -> None:
        latents = torch.randn(backgrounds.shape[0], self.config.model.background_config.latent_dim, device=self.device)
        with torch.no_grad(), run_dir.autocast(self.dist):
            fake = self.paint_layers(self.G, layers)
        loss_bg, stats = torch.zeros((), device=self.device), {}
        if self.background_due():
            with torch.no_grad(), run_dir.autocast(self.dist):
                fake_backgrounds = self.G.G_bg(latents, places.contexts)
            with run_dir.autocast(self.dist):
                loss_bg, stats, (real_classes,), _ = self.adversarial.critic_loss(
                    lambda images, **kw: self.D.D_bg(images, places.contexts, **kw), backgrounds, fake_backgrounds)
            if self.place_classes is not None:  # learnt from real backgrounds only
                place = self.place_classes(real_classes, places.labels)
                loss_bg = loss_bg + place
                stats.update(context_loss_d=place, **class_accuracies(real_classes, places.labels, "d"))
        with run_dir.autocast(self.dist):
            real = torch.cat([layers.after, layers.coverage], dim=1)
            real_global, real_instance = self.layer_scores(real, layers)
            fake_global, fake_instance = self.layer_scores(torch.cat([fake["composite"], fake["mask"]], dim=1), layers)
            loss_layer = (GLOBAL_WEIGHT * self.critic_loss(real_global, fake_global)
                          + INSTANCE_WEIGHT * self.critic_loss(real_instance, fake_instance))
        penalty = self.lazy_r1(lambda pictures: self.weighted(*self.layer_scores(pictures, layers)), real, "r1_layer")
        self.optimizer_step(self.D, self.D_opt, loss_bg + loss_layer + penalty)
        if self.background_due():
            self.record(loss_d_bg=loss_bg, **{f"bg_{key}": value for key, value in stats.items()})
        self.record(loss_d_layer=loss_layer, real_layer=real_global.detach().mean(),
                    fake_layer=fake_global.detach().mean())

    def background_due(self) -> bool:
        """Whether this iteration trains G_bg and its critic (every `background_interval`-th)."""
        return (self.nimg // self.config.batch_size) % self.config.background_interval == 0

    @staticmethod
    def weighted(global_scores: torch.Tensor, instance_scores: torch.Tensor) -> torch.Tensor:
        return GLOBAL_WEIGHT * global_scores + INSTANCE_WEIGHT * instance_scores

    def step_generators(self, backgrounds: torch.Tensor, places: BackgroundPlaces, layers: LayerBatch) -> None:
        config = self.config
        latents = torch.randn(backgrounds.shape[0], config.model.background_config.latent_dim, device=self.device)
        self.D.requires_grad_(False)  # D only passes gradients through
        loss_bg = torch.zeros((), device=self.device)
        if self.background_due():
            with run_dir.autocast(self.dist):
                loss_bg, classes = self.adversarial.generator_loss(
                    lambda images, **kw: self.D.D_bg(images, places.contexts, **kw),
                    self.G.G_bg(latents, places.contexts))
            if self.place_classes is not None:  # G_bg paints so that the critic reads its places' classes
                place = self.place_classes(classes, places.labels)
                loss_bg = loss_bg + place
                self.record(bg_context_loss_g=place, **{f"bg_{key}": value for key, value
                                                        in class_accuracies(classes, places.labels, "g").items()})
            self.record(loss_g_bg=loss_bg)
        with run_dir.autocast(self.dist):
            fake = self.paint_layers(self.G, layers)
            fake_global, fake_instance = self.layer_scores(torch.cat([fake["composite"], fake["mask"]], dim=1), layers)
            adversarial = (GLOBAL_WEIGHT * self.generator_loss(fake_global)
                           + INSTANCE_WEIGHT * self.generator_loss(fake_instance))
        inside = box_inside(layers.box, config.model.resolution)
        outside = ((fake["painted"].float() - layers.before).abs() * (1 - fake["mask"].float())).mean()
        content = ((fake["composite"].float() - layers.after).abs() * inside).sum() / (3 * inside.sum())
        mask = ((fake["generated"].float() - layers.coverage).abs() * inside).sum() / inside.sum()
        loss = (loss_bg + adversarial + config.outside_weight * outside + config.content_weight * content
                + config.mask_weight * mask)
        self.optimizer_step(self.G, self.G_opt, loss)
        self.D.requires_grad_(True)
        self.record(loss_g_layer=adversarial, outside=outside, content=content, mask=mask)

    def save_snapshot(self) -> None:
        self.write_snapshot(KIND, epoch=self.step_batches.epoch, background_epoch=self.background_batches.epoch,
                            dataset=self.steps.summary, backgrounds=self.backgrounds.summary, full_resolution=True)

    @torch.no_grad()
    def save_samples(self) -> None:
        """Per row: before, the real step, G_ema's step through the real coverage, through G_mask's
        mask and through an ellipse (a single-shot model's: its scene), and G_ema's background of
        the scene's place."""
        if not self.dist.is_main:
            return
        steps = self.steps
        picks = torch.linspace(0, len(steps) - 1, min(SAMPLE_ROWS, len(steps))).round().long()
        layers = self.layer_batch(picks, torch.ones(len(picks)))
        G, model = self.G_ema if self.G_ema is not None else self.G, self.config.model
        noise = torch.Generator().manual_seed(0)
        z = torch.randn(len(picks), model.latent_dim, generator=noise).to(self.device)
        columns = [layers.before, layers.after]
        if model.single_shot:
            columns.append(G.paint_layout(z, layers.before, layers.maps).float())
        for shape in () if model.single_shot else ("real", "mask", "ellipse"):
            mask = layers.coverage if shape == "real" else G.object_mask(z, layers.box, layers.category, shape)
            painted = G.paint(z, layers.before, layers.box, mask, layers.category, layers.colour, layers.has_colour)
            columns.append(painted.float() * mask + layers.before * (1 - mask))
        background = model.background_config
        latents = torch.randn(len(picks), background.latent_dim, generator=noise).to(self.device)
        contexts = place_context(steps.lat[picks], steps.lon[picks], background).to(self.device)
        columns.append(G.G_bg(latents, contexts, context_noise=False).float())
        grid = torch.stack(columns, dim=1).flatten(0, 1)
        self.run.save_image_grid(grid, f"samples-{run_dir.kimg_label(self.nimg)}.png", len(columns))

    def progress_text(self) -> str:
        return f"kimg {self.nimg / 1000:.3f} {self.latest('.3f', D='loss_d_layer', G='loss_g_layer', L1='content')}"


def load_background(model: ComposeModel, folder) -> None:
    """G_bg's weights from a place model folder (`--background-from`; its architecture is G_bg's)."""
    from ml.modelfolder import read_config, read_weights
    from ml.pipelines import load_tensors

    data, _ = read_weights(folder, read_config(folder))
    load_tensors(model.G_bg, data)


# ---------------------------------------------------------------------------------------------
# Data


def load_steps(root, model: ComposeConfig, split: str, *, per_category: int, progress: bool = False) -> StepCache:
    """The steps of `split` decoded into memory: per scene and category at most `per_category`
    of them, evenly spaced in drawing order (ValueError when there are none)."""
    data = compose_steps(root, model, split)
    kept: dict[str, list] = {name: [] for name in ("before", "after", "coverage", "category", "box", "colour",
                                                    "lat", "lon")}
    cities = {}
    for row in tqdm(data.rows, desc=f"decoding steps ({split})", unit="scene", disable=not progress, leave=False):
        chosen = chosen_steps([step["category"] for step in row["steps"]], per_category)
        for number, (before, after, coverage) in enumerate(data.walk(row)):
            if number not in chosen:
                continue
            step = row["steps"][number]
            for name, value in (("before", before), ("after", after), ("coverage", coverage[..., None])):
                kept[name].append(torch.from_numpy(value).permute(2, 0, 1))
            kept["category"].append(model.categories.index(step["category"]))
            kept["box"].append(step["box"])
            kept["colour"].append(step["colour"])
            kept["lat"].append(float(row["lat"]))
            kept["lon"].append(float(row["lon"]))
        cities.setdefault(int(row.get("city") or 0), None)
    if not kept["category"]:
        raise ValueError(f"{root}: no steps in split {split}")
    summary = {"path": str(data.root.resolve()), "name": data.root.resolve().name, "split": split,
               "scenes": len(data.rows), "steps": len(kept["category"]), "cities": len(cities),
               "per_category": per_category, "resolution": model.resolution}
    return StepCache(before=torch.stack(kept["before"]), after=torch.stack(kept["after"]),
                     coverage=torch.stack(kept["coverage"]), category=torch.tensor(kept["category"]),
                     box=torch.tensor(kept["box"], dtype=torch.float32),
                     colour=torch.tensor(kept["colour"], dtype=torch.uint8),
                     lat=torch.tensor(kept["lat"]), lon=torch.tensor(kept["lon"]), cities=list(cities),
                     summary=summary)


def compose_steps(root, model: ComposeConfig, split: str) -> ComposeSteps:
    """The dataset's steps of `split` at the model's side (ValueError when there are none)."""
    try:
        data = ComposeSteps(root, split=split)
    except ValueError:
        ComposeSteps(root)  # raises if the dataset has no steps at all
        raise ValueError(f"{root}: none of its {split} cities has steps") from None
    if data.info.get("size") != model.resolution:
        raise ValueError(f"{root}: its pictures are not {model.resolution}x{model.resolution}")
    return data


def load_scenes(root, model: ComposeConfig, split: str, *, progress: bool = False) -> StepCache:
    """Whole scenes as the single-shot baseline learns them, one "step" each: before the
    background, after the photo, coverage the union of the objects' coverage, box the canvas,
    the category and colour of the object covering most, and the layout maps of all objects."""
    data = compose_steps(root, model, split)
    kept: dict[str, list] = {name: [] for name in ("before", "after", "maps", "category", "colour", "lat", "lon")}
    cities = {}
    for row in tqdm(data.rows, desc=f"decoding scenes ({split})", unit="scene", disable=not progress, leave=False):
        walked = list(data.walk(row))
        if not walked:
            continue
        masks = torch.stack([torch.from_numpy(coverage).float() / 255 for _, _, coverage in walked])[None]
        category = torch.tensor([model.categories.index(step["category"]) for step in row["steps"]])
        colour = torch.tensor([step["colour"] for step in row["steps"]], dtype=torch.float32) / 127.5 - 1.0
        maps = layout_maps(masks, category[None], colour[None], torch.ones(1, len(category)), len(model.categories))
        largest = int(masks[0].sum(dim=(1, 2)).argmax())
        kept["before"].append(torch.from_numpy(walked[0][0]).permute(2, 0, 1))
        kept["after"].append(torch.from_numpy(walked[-1][1]).permute(2, 0, 1))
        kept["maps"].append(maps[0].half())
        kept["category"].append(int(category[largest]))
        kept["colour"].append(row["steps"][largest]["colour"])
        kept["lat"].append(float(row["lat"]))
        kept["lon"].append(float(row["lon"]))
        cities.setdefault(int(row.get("city") or 0), None)
    if not kept["category"]:
        raise ValueError(f"{root}: no scenes with objects in split {split}")
    maps = torch.stack(kept["maps"])
    summary = {"path": str(data.root.resolve()), "name": data.root.resolve().name, "split": split,
               "scenes": len(kept["category"]), "cities": len(cities), "single_shot": True,
               "resolution": model.resolution}
    return StepCache(before=torch.stack(kept["before"]), after=torch.stack(kept["after"]),
                     coverage=(maps[:, :1].float() * 255).round().to(torch.uint8),
                     category=torch.tensor(kept["category"]),
                     box=torch.tensor([[0.0, 0.0, 1.0, 1.0]]).expand(len(maps), 4).contiguous(),
                     colour=torch.tensor(kept["colour"], dtype=torch.uint8), lat=torch.tensor(kept["lat"]),
                     lon=torch.tensor(kept["lon"]), cities=list(cities), summary=summary, maps=maps)


def chosen_steps(categories: list[str], per_category: int) -> set[int]:
    """The steps of one scene kept: per category at most `per_category`, evenly spaced."""
    chosen = set()
    for name in dict.fromkeys(categories):
        numbers = [number for number, category in enumerate(categories) if category == name]
        picks = np.linspace(0, len(numbers) - 1, min(per_category, len(numbers))).round().astype(int)
        chosen.update(numbers[pick] for pick in picks)
    return chosen


# ---------------------------------------------------------------------------------------------
# The commands


def train(config: ComposeTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    """`python -m ml train compose` with a checked config (`ml.train.launch`)."""
    try:
        # Outliers have no compose outputs: they are always left out.
        backgrounds = load_image_cache(config.data, resolution=config.model.resolution, split="train",
                                       progress=dist.is_main, picture="background")
        if config.model.single_shot:
            steps = load_scenes(config.data, config.model, "train", progress=dist.is_main)
        else:
            steps = load_steps(config.data, config.model, "train", per_category=config.per_category,
                               progress=dist.is_main)
    except ValueError as error:
        raise checks.data_error(error) from None
    run, options = start_run(COMPOSE, config, dist, dataset=steps.summary,
                             description=f"{KIND}-{steps.summary['name']}", resume=resume, resume_state=resume_state,
                             backgrounds=backgrounds.summary,
                             head=("--background-from", config.background_from) if config.background_from else ())
    if run is not None:
        ComposeTrainer(config, backgrounds, steps, dist, run, options=options, resume_from=resume).train()
    return 0


def export(args, options: dict) -> int:
    """`python -m ml export` of a compose run: a checkpoint's generators (G_ema when the run kept
    one); `best` is the latest."""
    return exporting.export_latest(
        args, options, KIND, lambda architecture: ComposeModel(ComposeConfig.from_dict(architecture)),
        lambda state: dict(background_from=options["train"]["background_from"]))
