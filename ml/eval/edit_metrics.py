"""Measured versions of SIMGAN's human-rated Table 1, with the GeoScenes oracle as the judge.

Each evaluation edits real held-out photos with texts that each name one attribute value
(`EDIT_TASKS`, worded with the captions' own vocabulary) and measures:

- `accuracy`: of the edits whose source does not already have the value the text names, the
  share in which the oracle finds that value; per task and overall.
- `visitor_accuracy`: the same for `VISITOR_TASKS`, the same values asked for in a visitor's
  words, none of which a caption uses ("the same place in winter", "as the sun goes down").
- `consistency`: for the attributes the text does not name, the share of edits in which the
  oracle's prediction is the same as on the source (overall and per attribute); and
  `feature_distance`, the distance between the oracle features of edit and source, in units of
  the mean distance between two random real photos (0: unchanged, 1: as far apart as two
  unrelated photos).
- `sharpness`: the high-frequency energy (mean squared Laplacian of the luminance) of the edits
  divided by that of the real photos (1: as sharp as the photos, below 1: blurrier).
- `diversity`: the mean pairwise absolute pixel difference (0..1 scale) between the edits of
  one source by one text with different seeds (0: every seed gives the same picture).
- `fidelity`: the place metrics' FID, KID, improved precision and recall (Kynkäänniemi et al.
  2019), their real-vs-real floor and edge strength (`ml.eval.fidelity`), of one edit per
  source (the texts of `EDIT_TASKS` in turn) against the sources.

Each metric is registered by name in `EDIT_METRICS` and returns a dict.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ml.eval.fidelity import laplacian, luminance
from ml.eval.metrics import (BATCH, FIDELITY_METRICS, Evaluation, FeatureSet, RealSet, measure, oracle_features,
                             to_pictures, to_tensor)
from ml.eval.oracle import Oracle
from ml.train.image_cache import ImageCache, load_image_cache

# (attribute, class it asks for, text): one value per task, worded as the captions word it.
EDIT_TASKS = (
    ("weather", "snow", "snowy and wintry"),
    ("weather", "fog", "foggy and misty"),
    ("weather", "clear", "sunny and cloudless"),
    ("time_of_day", "night", "at night, after dark"),
    ("time_of_day", "day", "by day, on a bright afternoon"),
    ("time_of_day", "golden_hour", "at sunset, in the evening light"),
    ("biome", "desert", "a sandy desert"),
    ("biome", "polar", "icy, frozen and polar"),
    ("biome", "tropical", "lush tropical jungle"),
)
# The same values in words no caption uses (the captions' vocabulary: ml.data.geoscenes.captions),
# as a visitor might type them. Polar is left out: the oracle cannot find it in real photos either.
VISITOR_TASKS = (
    ("weather", "snow", "the same place in winter"),
    ("weather", "fog", "lost in thick fog"),
    ("weather", "clear", "under a blue sky"),
    ("time_of_day", "night", "at midnight with the lights on"),
    ("time_of_day", "day", "at noon"),
    ("time_of_day", "golden_hour", "as the sun goes down"),
    ("biome", "desert", "in the middle of the Sahara"),
    ("biome", "tropical", "deep in a rainforest"),
)
JUDGED_ATTRIBUTES = ("biome", "density", "time_of_day", "weather", "water", "landmark")
DIVERSITY_SEEDS = 4


@dataclass
class EditEvaluation:
    sources: ImageCache  # the real photos edited
    source_oracle: FeatureSet
    edits: dict[str, torch.Tensor]  # task text (both sets) -> (N, 3, R, R) uint8 edits, seed = the source's index
    edit_oracle: dict[str, FeatureSet]
    variations: dict[str, torch.Tensor]  # task text -> (M, seeds, 3, R, R) uint8, the first M sources
    classes: dict[str, list]  # the oracle's class names per attribute


def edit_all(pipeline, sources: torch.Tensor, text: str, seeds: list[int], progress: bool = False) -> torch.Tensor:
    """uint8 edits of uint8 `sources` by `text`, one seed each, in batches."""
    pictures = to_pictures(sources)
    out = []
    for start in tqdm(range(0, len(pictures), BATCH), desc=f"editing: {text}", unit="batch", disable=not progress,
                      leave=False):
        batch = pictures[start:start + BATCH]
        out += pipeline.generate([{"image": p, "text": text} for p in batch], seeds[start:start + BATCH])
    return to_tensor(out)


def build_evaluation(pipeline, oracle: Oracle, data: str | Path, *, split: str = "heldout", images: int = 300,
                     diversity_sources: int = 32, progress: bool = True) -> EditEvaluation:
    sources = load_image_cache(data, resolution=pipeline.resolution, split=split, max_images=images,
                               progress=progress)
    seeds = list(range(len(sources)))
    edits, edit_oracle, variations = {}, {}, {}
    few = sources.images[:diversity_sources]
    for _, _, text in EDIT_TASKS + VISITOR_TASKS:
        edits[text] = edit_all(pipeline, sources.images, text, seeds, progress)
        edit_oracle[text] = oracle_features(oracle, edits[text])
    for _, _, text in EDIT_TASKS:
        runs = [edit_all(pipeline, few, text, [1000 * (seed + 1) + i for i in range(len(few))])
                for seed in range(DIVERSITY_SEEDS)]
        variations[text] = torch.stack(runs, dim=1)
    return EditEvaluation(sources, oracle_features(oracle, sources.images), edits, edit_oracle, variations,
                          dict(oracle.config.classes))


def _true_labels(evaluation: EditEvaluation, attribute: str) -> np.ndarray:
    """The sources' labels as indices into the oracle's classes (-1: unknown)."""
    data_classes = evaluation.sources.classes.get(attribute, [])
    names = evaluation.classes[attribute]
    labels = evaluation.sources.labels[attribute].numpy()
    return np.array([names.index(data_classes[label]) if label >= 0 and data_classes[label] in names else -1
                     for label in labels])


def task_accuracies(evaluation: EditEvaluation, tasks=EDIT_TASKS, name: str = "accuracy") -> dict:
    """`name`: the accuracy of the edits by these (attribute, value, text) tasks over all of them,
    and `name`_by_task: per task, beside the oracle's own recall of the value on real photos."""
    per_task, hits, total = {}, 0, 0
    for attribute, value, text in tasks:
        target = evaluation.classes[attribute].index(value)
        truth = _true_labels(evaluation, attribute)
        changed = (truth >= 0) & (truth != target)  # only sources that must change
        found = evaluation.edit_oracle[text].predictions[attribute][changed] == target
        real = evaluation.source_oracle.predictions[attribute][truth == target] == target
        per_task[text] = {"attribute": attribute, "value": value, "edits": int(changed.sum()),
                          "accuracy": round(float(found.mean()), 4) if changed.any() else None,
                          "oracle_on_real": round(float(real.mean()), 4) if real.size else None}
        hits, total = hits + int(found.sum()), total + int(changed.sum())
    return {name: round(hits / total, 4) if total else None, f"{name}_by_task": per_task}


def consistency_metric(evaluation: EditEvaluation) -> dict:
    kept, distances = [], []
    features = evaluation.source_oracle.features
    rng = np.random.default_rng(0)
    pairs = rng.integers(len(features), size=(4 * len(features), 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    unrelated = np.linalg.norm(features[pairs[:, 0]] - features[pairs[:, 1]], axis=1).mean()
    by_attribute: dict[str, list[np.ndarray]] = {}
    for attribute, _, text in EDIT_TASKS:
        for other in JUDGED_ATTRIBUTES:
            if other != attribute and other in evaluation.classes:
                same = evaluation.edit_oracle[text].predictions[other] == evaluation.source_oracle.predictions[other]
                kept.append(same)
                by_attribute.setdefault(other, []).append(same)
        distances.append(np.linalg.norm(evaluation.edit_oracle[text].features - features, axis=1))
    return {"consistency": round(float(np.concatenate(kept).mean()), 4),
            "consistency_by_attribute": {name: round(float(np.concatenate(values).mean()), 4)
                                         for name, values in by_attribute.items()},
            "feature_distance": round(float(np.concatenate(distances).mean() / unrelated), 4)}


def high_frequency_energy(images: torch.Tensor) -> float:
    """Mean squared Laplacian of the luminance of uint8 images, on a 0..1 scale."""
    return (laplacian(luminance(images)) / 255).square().mean().item()


def sharpness_metric(evaluation: EditEvaluation) -> dict:
    real = high_frequency_energy(evaluation.sources.images)
    edited = np.mean([high_frequency_energy(evaluation.edits[text]) for _, _, text in EDIT_TASKS])
    return {"sharpness": round(float(edited / real), 4) if real else None}


def diversity_metric(evaluation: EditEvaluation) -> dict:
    distances = []
    for variations in evaluation.variations.values():
        pictures = variations.float() / 255
        for a, b in itertools.combinations(range(pictures.shape[1]), 2):
            distances.append((pictures[:, a] - pictures[:, b]).abs().mean(dim=(1, 2, 3)))
    return {"diversity": round(torch.cat(distances).mean().item(), 4)}


def fidelity_metric(evaluation: EditEvaluation) -> dict:
    """The place metrics of `FIDELITY_METRICS` for one edit of each source, source i edited by
    the i-th text of `EDIT_TASKS` in turn: a generated set as large as the real one, with every
    source and each text once per round."""
    texts = [text for _, _, text in EDIT_TASKS]
    chosen = [texts[index % len(texts)] for index in range(len(evaluation.sources))]
    features = np.stack([evaluation.edit_oracle[text].features[index] for index, text in enumerate(chosen)])
    pictures = torch.stack([evaluation.edits[text][index] for index, text in enumerate(chosen)])
    sources = RealSet(evaluation.sources, evaluation.source_oracle)
    return measure(Evaluation(sources, FeatureSet(features, {}), evaluation.sources.images, pictures),
                   FIDELITY_METRICS)


EDIT_METRICS: dict[str, Callable[[EditEvaluation], dict]] = {
    "accuracy": task_accuracies,
    "visitor_accuracy": functools.partial(task_accuracies, tasks=VISITOR_TASKS, name="visitor_accuracy"),
    "consistency": consistency_metric,
    "sharpness": sharpness_metric,
    "diversity": diversity_metric,
    "fidelity": fidelity_metric,
}


def evaluate_edits(pipeline, oracle: Oracle, oracle_sha256: str, data: str | Path, *, split: str = "heldout",
                   images: int = 300, progress: bool = True) -> dict:
    from ml.eval.metrics import dataset_hash

    evaluation = build_evaluation(pipeline, oracle, data, split=split, images=images, progress=progress)
    results = {"images": len(evaluation.sources), "split": split, "resolution": pipeline.resolution,
               "data": evaluation.sources.summary["name"], "data_sha256": dataset_hash(data),
               "oracle_sha256": oracle_sha256, "tasks": len(EDIT_TASKS)}
    for metric in EDIT_METRICS.values():
        results.update(metric(evaluation))
    return results
