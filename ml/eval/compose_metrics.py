"""What a compose model paints, measured on held-out cities: its objects, its backgrounds, its scenes.

Object accuracy: does the asked category appear in the asked box?

A small crop classifier (`CropClassifier`) learns, on the training cities' real steps, to name
what a box holds: the box of each step cropped from the canvas after it (its category) and from
the canvas before it (the class "none": the same box without the object). On held-out cities it
then reads the box of each real step, and of the same step painted by the model on the same
canvas (the real canvas before, the real box, category and colour; noise of (seed 0, step)),
through G_mask's mask and through the box's rectangle. Object accuracy is the share of steps whose
box the classifier reads as the asked category; the target is a generated accuracy at least 0.9
of the real one.

Backgrounds and whole scenes (`quality`): FID, KID and the biome / density accuracy ratio in the
oracle's features (`ml.eval.metrics.evaluate`), G_bg's backgrounds against the real backgrounds
of the same places, and scenes composed from each real scene's own layout (every object of its
steps, back to front, through G_mask's masks) against the real photos.

Diversity (`diversity`): how far apart the model's pictures of one layout lie when only the seed
changes, as the mean pairwise Euclidean distance of their oracle features (the features FID
reads). Each of `layouts` held-out scenes (evenly spaced) is composed from its own place and
objects with `seeds` seeds. Beside it the real figure: the mean pairwise distance between the
real held-out renders of one city (GeoScenes renders up to 4 per city). Those differ in their
layout too (other objects, other boxes), so the real figure is an upper reference: a model whose
seeds change only the noise should stay below it, and 0 means the seed changes nothing.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from tqdm import tqdm

from ml.eval.metrics import evaluate, oracle_features, real_features, to_tensor
from ml.models.compose import crop_boxes
from ml.train.compose import StepCache
from ml.train.image_cache import ImageCache

CROP = 16  # side the classifier sees a box at
NONE = "none"


class CropClassifier(nn.Module):
    """A box's crop (3 x CROP x CROP in [-1, 1]) -> logits over the categories and "none"."""

    def __init__(self, classes: int, width: int = 16):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, width, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(width, 2 * width, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1), nn.LeakyReLU(0.2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(4 * width, classes))

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.layers(crops)


def crops_of(pictures: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, S, S) canvases -> their boxes at CROP x CROP in [-1, 1]."""
    return crop_boxes(ImageCache.to_float(pictures), boxes, CROP)


def train_crop_classifier(steps: StepCache, categories: list[str], *, max_steps: int = 10000, epochs: int = 3,
                          batch_size: int = 128, seed: int = 0, progress: bool = False) -> CropClassifier:
    """The classifier of the real steps' boxes (at most `max_steps` of them, evenly spaced):
    after -> category, before -> none."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    classifier = CropClassifier(len(categories) + 1)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=2e-3)
    picks = torch.linspace(0, len(steps) - 1, min(max_steps, len(steps))).round().long()
    boxes, category = steps.box[picks], steps.category[picks]
    crops = torch.cat([crops_of(steps.after[picks], boxes), crops_of(steps.before[picks], boxes)])
    labels = torch.cat([category, torch.full_like(category, len(categories))])
    for _ in tqdm(range(epochs), desc="crop classifier", unit="epoch", disable=not progress, leave=False):
        for rows in torch.randperm(len(labels), generator=generator).split(batch_size):
            batch = crops[rows]
            flip = torch.rand(len(rows), generator=generator) < 0.5
            batch = torch.where(flip[:, None, None, None], batch.flip(3), batch)
            loss = F.cross_entropy(classifier(batch), labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return classifier.eval().requires_grad_(False)


@torch.no_grad()
def accuracy(classifier: CropClassifier, pictures: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of boxes of `pictures` (uint8, one box each) that the classifier reads as their label."""
    predicted = torch.cat([classifier(crops_of(chunk, chunk_boxes)).argmax(1)
                           for chunk, chunk_boxes in zip(pictures.split(256), boxes.split(256))])
    return float((predicted == labels).float().mean())


def painted_steps(pipeline, steps: StepCache, shape: str, progress: bool = False) -> torch.Tensor:
    """Each held-out step painted by the pipeline on its real canvas before, through a mask of
    `shape` (uint8 pictures, one per step)."""
    pictures = torch.empty_like(steps.after)
    categories = pipeline.categories
    for index in tqdm(range(len(steps)), desc=f"painting ({shape})", unit="step", disable=not progress, leave=False):
        canvas = Image.fromarray(steps.before[index].permute(1, 2, 0).numpy())
        obj = {"category": categories[int(steps.category[index])], "box": steps.box[index].tolist(),
               "shape": shape, "colour": steps.colour[index].tolist()}
        painted = pipeline.apply(canvas, pipeline.layer(canvas, obj, 0, index + 1))
        pictures[index] = torch.from_numpy(np.array(painted)).permute(2, 0, 1)
    return pictures


def object_accuracy(pipeline, train: StepCache, heldout: StepCache, *, max_steps: int = 1000,
                    progress: bool = False) -> dict:
    """Real and generated object accuracy on (at most `max_steps`, evenly spaced) held-out steps,
    with their ratios."""
    classifier = train_crop_classifier(train, pipeline.categories, progress=progress)
    picks = torch.linspace(0, len(heldout) - 1, min(max_steps, len(heldout))).round().long()
    heldout = StepCache(**{name: value[picks] if torch.is_tensor(value) else value
                           for name, value in vars(heldout).items()})
    real = accuracy(classifier, heldout.after, heldout.box, heldout.category)
    nothing = torch.full_like(heldout.category, len(pipeline.categories))
    none = accuracy(classifier, heldout.before, heldout.box, nothing)
    record = {"steps": len(heldout), "real": round(real, 4), "before_read_as_none": round(none, 4)}
    for shape in ("mask", "rect"):
        generated = accuracy(classifier, painted_steps(pipeline, heldout, shape, progress), heldout.box,
                             heldout.category)
        record[f"generated_{shape}"] = round(generated, 4)
        record[f"ratio_{shape}"] = round(generated / real, 4) if real else None  # no ratio of nothing
    return record


class RealLayouts:
    """A pipeline that paints, for the held-out photo of index i, the scene with that photo's own
    objects: `ml.eval.metrics.generate_for` asks for photo i's place with seed i."""

    def __init__(self, pipeline, layouts: list[list[dict]]):
        self.pipeline, self.layouts, self.resolution = pipeline, layouts, pipeline.resolution

    def generate(self, inputs: list[dict], seeds: list[int], progress=None):
        return self.pipeline.generate([{**place, "objects": self.layouts[seed]} for place, seed in zip(inputs, seeds)],
                                      seeds, progress)


def scene_layouts(data, max_images: int) -> list[list[dict]]:
    """The objects of each held-out scene that `ml.eval.metrics.real_features` loads, in its order."""
    from ml.train.image_cache import select_rows

    rows = select_rows(data, resolution=None, split="heldout", max_images=max_images).rows
    return [[{"category": step["category"], "box": step["box"], "shape": "mask", "colour": step["colour"]}
             for step in row.get("steps", [])] for row in rows]


def quality(pipeline, oracle, oracle_sha256: str, data, *, max_images: int, cache, progress: bool = False) -> dict:
    """FID, KID and conditional accuracy of G_bg's backgrounds and of whole composed scenes."""
    names = ("fid", "kid", "conditional_accuracy")
    common = dict(names=names, max_images=max_images, cache=cache, progress=progress)
    return {"background": evaluate(pipeline.places, oracle, oracle_sha256, data, picture="background", **common),
            "scene": evaluate(RealLayouts(pipeline, scene_layouts(data, max_images)), oracle, oracle_sha256, data,
                              **common)}


def mean_pairwise_distance(groups: list[np.ndarray]) -> float:
    """The mean Euclidean distance over every pair of rows within the same group ((n_i, D)
    arrays; groups of one row add no pair). ValueError when no group holds a pair."""
    distances = []
    for group in groups:
        rows = np.asarray(group, dtype=np.float64)
        first, second = np.triu_indices(len(rows), k=1)
        distances.append(np.linalg.norm(rows[first] - rows[second], axis=1))
    pairs = np.concatenate(distances) if distances else np.empty(0)
    if not len(pairs):
        raise ValueError("no group holds two pictures: nothing to compare")
    return float(pairs.mean())


def diversity(pipeline, oracle, oracle_sha256: str, data, *, max_images: int, cache, layouts: int, seeds: int,
              progress: bool = False) -> dict:
    """The mean pairwise feature distance of one layout across `seeds` seeds (over `layouts`
    held-out scenes of the `max_images` that `quality` measures), beside that of the real renders
    of one city (over the cities of those `max_images` rendered at least twice; None if none is),
    and their ratio."""
    resolution = min(pipeline.resolution, oracle.config.resolution)
    real = real_features(oracle, oracle_sha256, data, split="heldout", max_images=max_images, cache=cache,
                         resolution=resolution, progress=progress)
    cities = real.data.city.numpy()
    per_city = [real.oracle.features[cities == city] for city in np.unique(cities)]
    paired = [group for group in per_city if len(group) > 1]  # a city rendered once has no pair
    real_distance = mean_pairwise_distance(paired) if paired else None
    scenes = scene_layouts(data, max_images)
    picks = np.linspace(0, len(scenes) - 1, min(layouts, len(scenes))).round().astype(int)
    features = []
    for index in tqdm(picks, desc="diversity", unit="layout", disable=not progress, leave=False):
        place = {"lat": float(real.data.lat[index]), "lon": float(real.data.lon[index]), "objects": scenes[index]}
        pictures = pipeline.generate([place] * seeds, [int(index) * seeds + seed for seed in range(seeds)])
        features.append(oracle_features(oracle, to_tensor(pictures)).features)
    generated = mean_pairwise_distance(features)
    return {"layouts": len(picks), "seeds": seeds, "generated": round(generated, 4),
            "real_same_city": None if real_distance is None else round(real_distance, 4),
            "real_cities": len(paired), "ratio": round(generated / real_distance, 4) if real_distance else None}
