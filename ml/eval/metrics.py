"""Quality of a generator, measured with the oracle against real held-out photos.

- `fid`: Fréchet distance between Gaussians fitted to oracle features of real and generated
  pictures (Heusel et al. 2017), in the oracle's feature space instead of Inception's.
- `kid`: unbiased squared MMD with the cubic polynomial kernel, averaged over random subsets
  (Binkowski et al. 2018); reported with its standard deviation over the subsets.
- `conditional_accuracy`: for each place attribute (biome, density), how often the oracle
  finds in a picture generated for a real photo's place the class of that place, beside the
  same figure on the real photos themselves. The ratio generated / real is the target (>= 0.9).
- `precision_recall`, `floor`, `edge_strength`: improved precision and recall (Kynkäänniemi
  et al. 2019), the real-vs-real floor of FID, KID, precision and recall, and the edge strength
  of generated against real pictures; see `ml.eval.fidelity`.
- `density_bounds` (on request): the density accuracy near GeoScenes's class bounds of population
  and away from them, where a generator that blurs the step between classes differs.
- `class_accuracy` (on request): the conditional accuracy per class, and as what the generated
  pictures of a class are misread most often.
- `scene_shares` (on request): for what the place leaves open (weather, time of day), the share
  of pictures the oracle reads as each class, generated beside real, and the edge strength of
  each class's pictures: where a generator drops a class (snow) and where the photos' edges lie.

Every generated picture is made for the place (lat, lon) of one real photo, with seed = its
index, so real and generated sets cover the same places. Real features, and their floor, are
cached by the dataset's hash and the oracle's sha256 (`real_features`). Each metric is
registered by name in `METRICS` and returns a dict; `FIDELITY_METRICS` are those the ground
and edit evaluations also report.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from ml.eval.fidelity import (FLOOR_SEED, NEIGHBOURS, cached_floor, edge_strength, laplacian_variances, luminance,
                              precision_recall, real_floor)
from ml.eval.oracle import Oracle
from ml.train.image_cache import ImageCache, load_image_cache

PLACE_ATTRIBUTES = ("biome", "density")  # what a picture of a place must show of it
SCENE_ATTRIBUTES = ("weather", "time_of_day")  # what the place leaves open: each photo draws its own
NEAR_BOUND_DECADES = 0.1  # `density_bounds`: a population this close to a class bound, in log10, is near it
KID_SUBSETS = 50
KID_SUBSET_SIZE = 1000
BATCH = 64


@dataclass
class FeatureSet:
    features: np.ndarray  # (N, feature_dim) float64
    predictions: dict[str, np.ndarray]  # attribute -> (N,) predicted class index


@dataclass
class RealSet:
    data: ImageCache
    oracle: FeatureSet
    cache_key: str | None = None  # what names its cached statistics (None: not cached)


def dataset_hash(root: str | Path) -> str:
    """sha256 of the dataset's manifest and description: a new dataset gets new statistics."""
    digest = hashlib.sha256()
    for name in ("dataset.json", "manifest.jsonl"):
        path = Path(root) / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@torch.no_grad()
def oracle_features(oracle: Oracle, images: torch.Tensor, progress: bool = False) -> FeatureSet:
    """Features and predictions of uint8 (N, 3, H, W) images."""
    features, predictions = [], {name: [] for name in oracle.heads}
    for start in tqdm(range(0, len(images), BATCH), desc="oracle", unit="batch", disable=not progress, leave=False):
        batch_features, logits = oracle(ImageCache.to_float(images[start:start + BATCH]))
        features.append(batch_features.double())
        for name in predictions:
            predictions[name].append(logits[name].argmax(1))
    return FeatureSet(torch.cat(features).numpy(),
                      {name: torch.cat(parts).numpy() for name, parts in predictions.items()})


def real_features(oracle: Oracle, oracle_sha256: str, data: str | Path, *, split: str, max_images: int,
                  cache: Path | None, resolution: int | None = None, progress: bool = True,
                  picture: str = "image") -> RealSet:
    """The real photos of `split` (outliers left out) at `resolution` (default: the oracle's)
    and their oracle features, cached; `picture` "background" takes the rows' backgrounds instead."""
    resolution = resolution or oracle.config.resolution
    images = load_image_cache(data, resolution=resolution, split=split, max_images=max_images, progress=progress,
                              picture=picture)
    key = f"{dataset_hash(data)}|{oracle_sha256}|{split}|{max_images}|{resolution}"
    if picture != "image":  # the photos keep the keys they were cached under
        key += f"|{picture}"
    key = hashlib.sha256(key.encode()).hexdigest()[:24]
    path = None if cache is None else Path(cache) / f"real-{key}.npz"
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            features = FeatureSet(stored["features"], {name: stored[f"pred_{name}"] for name in oracle.heads})
        return RealSet(images, features, key)
    features = oracle_features(oracle, images.images, progress)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, features=features.features,
                 **{f"pred_{name}": values for name, values in features.predictions.items()})
        temporary.replace(path)
    return RealSet(images, features, None if cache is None else key)


def generate_for(pipeline, real: ImageCache, progress: bool = True) -> torch.Tensor:
    """uint8 pictures from `pipeline`, one per real photo's place, seed = the photo's index."""
    pictures = []
    for start in tqdm(range(0, len(real), BATCH), desc="generating", unit="batch", disable=not progress,
                      leave=False):
        places = [{"lat": float(lat), "lon": float(lon)}
                  for lat, lon in zip(real.lat[start:start + BATCH], real.lon[start:start + BATCH])]
        seeds = list(range(start, start + len(places)))
        pictures += pipeline.generate(places, seeds)
    return to_tensor(pictures)


def edge_pictures(generated: torch.Tensor, real: ImageCache, data: str | Path, split: str, max_images: int,
                  picture: str = "image") -> tuple[torch.Tensor | str, torch.Tensor]:
    """Real and generated uint8 pictures of the pictures' side, for edge strength: the photos as
    stored, or shrunk to that side as training shrinks them. Where the photos are stored smaller
    than the pictures, (why they are not measured, generated): enlarged photos are softer than
    the scenes, and the pictures shrunk to the photos' side would be compared with another render
    of the scenes (the GeoScenes 64 px photos shrunk to 32 px have 0.56 of the Laplacian variance
    of the 32 px photos of the same places), so either ratio would judge the photos, not the
    generator."""
    side = generated.shape[-1]
    stored = real.summary.get("size")
    if stored is not None and stored < side:
        return (f"the photos are {stored} px, smaller than the {side} px pictures; "
                f"measure with photos of {side} px"), generated
    if real.images.shape[-1] == side:
        return real.images, generated
    return load_image_cache(data, resolution=side, split=split, max_images=max_images, progress=False,
                            picture=picture).images, generated


def to_pictures(images: torch.Tensor) -> list[Image.Image]:
    """uint8 (N, 3, H, W) pictures as PIL images."""
    return [Image.fromarray(image.permute(1, 2, 0).numpy()) for image in images]


def to_tensor(pictures: list[Image.Image]) -> torch.Tensor:
    """PIL images (of one size) as uint8 (N, 3, H, W)."""
    return torch.stack([torch.from_numpy(np.asarray(p.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1)
                        for p in pictures])


# --- the metrics --------------------------------------------------------------------------
def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """|mu_r - mu_f|^2 + tr(S_r + S_f - 2 (S_r S_f)^1/2), with the matrix square root taken
    through symmetric eigendecompositions (exact for covariance matrices)."""
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    values, vectors = np.linalg.eigh(cov_r)
    root_r = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.linalg.eigvalsh(root_r @ cov_f @ root_r)
    trace_root = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(((mu_r - mu_f) ** 2).sum() + np.trace(cov_r) + np.trace(cov_f) - 2 * trace_root)


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, subsets: int = KID_SUBSETS,
                              subset_size: int = KID_SUBSET_SIZE, seed: int = 0) -> tuple[float, float]:
    """Mean and standard deviation over subsets of the unbiased MMD^2, kernel (x.y / d + 1)^3."""
    rng = np.random.default_rng(seed)
    # Subsets of at most half of each set, so that they differ and their spread means something.
    m = max(2, min(len(real) // 2, len(fake) // 2, subset_size))
    dim = real.shape[1]
    values = []
    for _ in range(subsets):
        x = fake[rng.choice(len(fake), m, replace=False)]
        y = real[rng.choice(len(real), m, replace=False)]
        a = (x @ x.T / dim + 1) ** 3 + (y @ y.T / dim + 1) ** 3
        b = (x @ y.T / dim + 1) ** 3
        values.append((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m)
    values = np.array(values) / m
    return float(values.mean()), float(values.std())


def fid_figures(real: np.ndarray, generated: np.ndarray) -> dict:
    return {"fid": round(frechet_distance(real, generated), 4)}


def kid_figures(real: np.ndarray, generated: np.ndarray) -> dict:
    mean, std = kernel_inception_distance(real, generated)
    return {"kid": round(mean, 6), "kid_std": round(std, 6)}


# The distances between two sets of features, which the floor also measures between real halves.
DISTANCES: dict[str, Callable[[np.ndarray, np.ndarray], dict]] = {
    "fid": fid_figures,
    "kid": kid_figures,
    "precision_recall": precision_recall,
}


@dataclass
class Evaluation:
    real: RealSet
    generated: FeatureSet
    # uint8 pictures of one side, real beside generated, for edge strength (`edge_pictures`);
    # in place of the real ones, why there are none
    real_pictures: torch.Tensor | str | None = None
    generated_pictures: torch.Tensor | None = None
    cache: Path | None = None  # where the real photos' floor is stored (None: computed each time)


def fid_metric(evaluation: Evaluation) -> dict:
    return fid_figures(evaluation.real.oracle.features, evaluation.generated.features)


def kid_metric(evaluation: Evaluation) -> dict:
    return kid_figures(evaluation.real.oracle.features, evaluation.generated.features)


def accuracy_figures(evaluation: Evaluation, name: str, where: np.ndarray | None = None) -> dict:
    """How often the oracle finds attribute `name`'s class of the place in the generated and in the
    real pictures (of the photos `where` selects, with a known class), and generated / real."""
    labels = evaluation.real.data.labels[name].numpy()
    known = labels >= 0 if where is None else (labels >= 0) & where
    if not known.any():
        return {"places": 0, "generated": None, "real": None, "ratio": None}
    generated = float((evaluation.generated.predictions[name][known] == labels[known]).mean())
    real = float((evaluation.real.oracle.predictions[name][known] == labels[known]).mean())
    return {"places": int(known.sum()), "generated": round(generated, 4), "real": round(real, 4),
            "ratio": round(generated / real, 4) if real else None}


def conditional_accuracy_metric(evaluation: Evaluation) -> dict:
    result = {}
    for name in PLACE_ATTRIBUTES:
        figures = accuracy_figures(evaluation, name)
        result[name] = {key: figures[key] for key in ("generated", "real", "ratio")}
    return {"conditional_accuracy": result}


def density_bounds_metric(evaluation: Evaluation) -> dict:
    """Density accuracy (`accuracy_figures`) of the places whose nearest world city lies within
    `NEAR_BOUND_DECADES` of a GeoScenes density class bound (in log10 population), and of the
    others: a generator that blurs the step between two classes misses near the bounds only."""
    from ml.data.cities import nearest_populations
    from ml.data.geoscenes.places import DENSITY_BOUNDS

    data = evaluation.real.data
    population = nearest_populations(data.lat.numpy(), data.lon.numpy()).astype(np.float64)
    decades = np.abs(np.log10(population)[:, None] - np.log10(DENSITY_BOUNDS)[None]).min(axis=1)
    return {"density_bounds": {"decades": NEAR_BOUND_DECADES,
                               "near": accuracy_figures(evaluation, "density", decades < NEAR_BOUND_DECADES),
                               "far": accuracy_figures(evaluation, "density", decades >= NEAR_BOUND_DECADES)}}


def class_accuracy_metric(evaluation: Evaluation) -> dict:
    """`accuracy_figures` per class of each place attribute (the classes with held-out photos),
    and as what the oracle most often reads the generated pictures of that class that it gets
    wrong, with the share of the class's pictures read so: where a generator's class ratio is lost."""
    data, result = evaluation.real.data, {}
    for name in PLACE_ATTRIBUTES:
        labels, predicted = data.labels[name].numpy(), evaluation.generated.predictions[name]
        classes = data.classes[name]
        result[name] = {}
        for index, class_name in enumerate(classes):
            if not (labels == index).any():
                continue
            figures = accuracy_figures(evaluation, name, labels == index)
            wrong = predicted[(labels == index) & (predicted != index)]
            if len(wrong):
                misread = int(np.bincount(wrong, minlength=len(classes)).argmax())
                figures |= {"misread_as": classes[misread],
                            "misread_share": round(float((wrong == misread).sum()) / figures["places"], 4)}
            result[name][class_name] = figures
    return {"class_accuracy": result}


def scene_shares_metric(evaluation: Evaluation) -> dict:
    """For each attribute the place leaves open (`SCENE_ATTRIBUTES`, those the oracle reads), the
    share of the pictures the oracle reads as each class, generated beside real, their total
    variation distance (half the sum of the shares' differences), and, where the edge pictures
    are measured, the mean variance of the Laplacian of the pictures read as each class (None
    where none is): a generator conditioned on the place alone may drop a class (snow), and the
    photos' edges lie largely in some classes (snow, rain, night)."""
    pictures = evaluation.real_pictures if isinstance(evaluation.real_pictures, torch.Tensor) else None
    variances = None if pictures is None else {
        side: laplacian_variances(luminance(images).round()).numpy()
        for side, images in (("real", pictures), ("generated", evaluation.generated_pictures))}
    result = {}
    for name in SCENE_ATTRIBUTES:
        if name not in evaluation.generated.predictions:
            continue
        read = {"real": evaluation.real.oracle.predictions[name], "generated": evaluation.generated.predictions[name]}
        classes = {}
        for index, class_name in enumerate(evaluation.real.data.classes[name]):
            shown = {side: read[side] == index for side in read}
            classes[class_name] = {side: round(float(shown[side].mean()), 4) for side in read}
            if variances is not None:
                classes[class_name] |= {f"laplacian_variance_{side}": round(float(variances[side][shown[side]].mean()), 1)
                                        if shown[side].any() else None for side in read}
        distance = sum(abs(figures["generated"] - figures["real"]) for figures in classes.values()) / 2
        result[name] = {"classes": classes, "total_variation": round(distance, 4)}
    return {"scene_shares": result}


def precision_recall_metric(evaluation: Evaluation) -> dict:
    return precision_recall(evaluation.real.oracle.features, evaluation.generated.features)


def floor_metric(evaluation: Evaluation) -> dict:
    """FID, KID, precision and recall between two halves of the real photos (`fidelity.real_floor`)."""
    real = evaluation.real
    path = None
    if evaluation.cache is not None and real.cache_key is not None:
        path = Path(evaluation.cache) / f"floor-{real.cache_key}-k{NEIGHBOURS}-seed{FLOOR_SEED}.json"
    return {"floor": cached_floor(path, lambda: real_floor(real.oracle.features, real.data.city.numpy(), DISTANCES))}


def edge_strength_metric(evaluation: Evaluation) -> dict:
    """`fidelity.edge_strength`, or where `edge_pictures` found no photos of the pictures' side,
    the side and why it was not measured."""
    if isinstance(evaluation.real_pictures, str):
        side = int(evaluation.generated_pictures.shape[-1])
        return {"edge_strength": {"resolution": side, "not_measured": evaluation.real_pictures}}
    return {"edge_strength": edge_strength(evaluation.real_pictures, evaluation.generated_pictures)}


METRICS: dict[str, Callable[[Evaluation], dict]] = {
    "fid": fid_metric,
    "kid": kid_metric,
    "conditional_accuracy": conditional_accuracy_metric,
    "precision_recall": precision_recall_metric,
    "floor": floor_metric,
    "edge_strength": edge_strength_metric,
    "density_bounds": density_bounds_metric,
    "class_accuracy": class_accuracy_metric,
    "scene_shares": scene_shares_metric,
}
# What every kind is measured by against real photos, whatever its task metrics.
FIDELITY_METRICS = ("fid", "kid", "precision_recall", "floor", "edge_strength")


def measure(evaluation: Evaluation, names) -> dict:
    """The figures of the metrics `names`, merged into one dict."""
    results = {}
    for name in names:
        results.update(METRICS[name](evaluation))
    return results


def evaluate(pipeline, oracle: Oracle, oracle_sha256: str, data: str | Path, *, names=tuple(METRICS),
             split: str = "heldout", max_images: int = 2000, cache: Path | None = None,
             progress: bool = True, picture: str = "image") -> dict:
    """Every metric of `names` for `pipeline` against the real photos of `split` (or with
    `picture` "background", against their backgrounds).

    A generator painting below the oracle's resolution is compared with real photos shrunk to
    its resolution: both then reach the oracle through the same enlargement, and the metrics
    judge what was painted, not how many pixels it has."""
    resolution = min(getattr(pipeline, "resolution", oracle.config.resolution), oracle.config.resolution)
    real = real_features(oracle, oracle_sha256, data, split=split, max_images=max_images, cache=cache,
                         resolution=resolution, progress=progress, picture=picture)
    pictures = generate_for(pipeline, real.data, progress)
    evaluation = Evaluation(real, oracle_features(oracle, pictures, progress),
                            *edge_pictures(pictures, real.data, data, split, max_images, picture), cache)
    return {"images": len(real.data), "split": split, "resolution": resolution, "data": real.data.summary["name"],
            "data_sha256": dataset_hash(data), "oracle_sha256": oracle_sha256, **measure(evaluation, names)}
