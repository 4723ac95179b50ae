"""A dataset decoded once into memory: uint8 pixels plus the places they show.

The datasets the GANs train on here are small (64x64 pictures: 12 KiB each), so decoding every
PNG once and indexing a tensor afterwards is far faster than decoding per step, and keeps the
loop free of DataLoader workers on a two-core machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from ml.data.dataset import ManifestDataset


class FewerCitiesError(ValueError):
    """The data holds fewer cities than the curriculum asks for."""

    def __init__(self, asked: int, available: int):
        super().__init__(f"{asked} cities asked for, but the data holds {available}")
        self.asked, self.available = asked, available


@dataclass
class ImageCache:
    images: torch.Tensor  # (N, 3, R, R) uint8
    lat: torch.Tensor  # (N,) float32 degrees
    lon: torch.Tensor  # (N,) float32 degrees
    city: torch.Tensor  # (N,) int64 geonameid (0 = none)
    cities: list[int]  # the distinct cities kept, in the order they first appear in the manifest
    summary: dict  # what the run records about its data
    labels: dict[str, torch.Tensor]  # attribute -> (N,) int64 class index (-1: unknown), see dataset.json
    classes: dict[str, list]  # attribute -> its class names, from dataset.json
    overhead: torch.Tensor | None = None  # (N, 3, R, R) uint8 overhead tiles, when asked for
    captions: list[str] = field(default_factory=list)  # one per image ("" where the manifest has none)
    # With variants: the rows' variants (`ml.data.geoscenes.writer`) as (M, 3, R, R) uint8, and
    # attribute -> (N, C) int64: the row in `variant_images` of picture n with value c (-1: none).
    variant_images: torch.Tensor | None = None
    variant_index: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.images.shape[0]

    @staticmethod
    def to_float(pixels: torch.Tensor) -> torch.Tensor:
        """uint8 [0, 255] -> float [-1, 1], as ManifestDataset returns images."""
        return pixels.float() / 127.5 - 1.0


def first_cities(rows: list[dict], count: int | None) -> list[int]:
    """The first `count` distinct cities of the manifest, in manifest order (None: all).

    Manifest order is deterministic: GeoScenes writes city by city, farthest-point order, so
    the first city is the most populous and the first 25 spread over the world."""
    seen: dict[int, None] = {}
    for row in rows:
        seen.setdefault(int(row.get("city") or 0), None)
    cities = list(seen)
    return cities if count is None else cities[:count]


@dataclass
class Selection:
    """The manifest rows a run uses, and what it records about them."""
    dataset: ManifestDataset
    rows: list[dict]
    cities: list[int]
    summary: dict


def select_rows(root: str | Path, *, resolution: int, split: str | None, cities: int | None = None,
                drop_outliers: bool = True, max_images: int | None = None, overhead: bool = False) -> Selection:
    """The rows of `split`, without outliers, of the first `cities` cities (ValueError when none).

    `cities` keeps the first N cities only (the training curriculum). `drop_outliers` leaves out
    rows the manifest marks `attributes.outlier: true` (pictures that are not scenes of the place).
    `max_images` keeps an evenly spaced subset, for evaluations that need only a sample.
    `overhead` keeps only rows with an overhead tile.
    """
    dataset = ManifestDataset(root, resolution=resolution, split=split)
    rows = dataset.rows
    outliers = 0
    if drop_outliers:
        kept = [row for row in rows if not row.get("attributes", {}).get("outlier", False)]
        outliers, rows = len(rows) - len(kept), kept
    without_overhead = 0
    if overhead:
        kept = [row for row in rows if isinstance(row.get("overhead"), str)
                and (dataset.root / row["overhead"]).is_file()]
        without_overhead, rows = len(rows) - len(kept), kept
    chosen = first_cities(rows, cities)
    if cities is not None and len(chosen) < cities:
        raise FewerCitiesError(cities, len(chosen))  # before decoding anything
    chosen_set = set(chosen)
    rows = [row for row in rows if int(row.get("city") or 0) in chosen_set]
    if max_images is not None and len(rows) > max_images:
        step = len(rows) / max_images
        rows = [rows[int(i * step)] for i in range(max_images)]
    if not rows:
        tiles = f", rows without an overhead tile: {without_overhead}" if overhead else ""
        raise ValueError(f"{root}: no images left to use (split {split}, cities {cities or 'all'}, "
                         f"outliers dropped: {outliers}{tiles})")
    summary = {
        "path": str(Path(root).resolve()),
        "name": Path(root).resolve().name,
        "source": dataset.info.get("source"),
        "split": split,
        "images": len(rows),
        "cities": len(chosen),
        "outliers_dropped": outliers,
        "resolution": resolution,
        "size": dataset.info.get("size"),  # the photos' own side, as written (None: not recorded)
    }
    return Selection(dataset, rows, chosen, summary)


def load_image_cache(root: str | Path, *, resolution: int, split: str | None, cities: int | None = None,
                     drop_outliers: bool = True, max_images: int | None = None,
                     progress: bool = True, overhead: bool = False, picture: str = "image",
                     variants: bool = False) -> ImageCache:
    """Decode the images `select_rows` picks (same arguments) at `resolution`; `overhead` also
    decodes each row's overhead tile, `variants` each row's variants (ValueError when the data
    has none). `picture` is the row's picture to decode: "image" (the photo) or "background" (the
    same scene without its foreground objects, `ml.data.compose`)."""
    selection = select_rows(root, resolution=resolution, split=split, cities=cities, drop_outliers=drop_outliers,
                            max_images=max_images, overhead=overhead)
    dataset, rows = selection.dataset, selection.rows
    images = _decode(dataset, rows, picture, resolution, f"decoding {split or 'all'}", progress)
    tiles = _decode(dataset, rows, "overhead", resolution, "decoding overhead", progress) if overhead else None
    row_labels = [dataset.labels_of(row.get("attributes", {})) for row in rows]
    variant_images, variant_index = _decode_variants(dataset, rows, resolution, progress) if variants else (None, {})
    return ImageCache(
        images=images,
        lat=torch.tensor([float(row["lat"]) for row in rows], dtype=torch.float32),
        lon=torch.tensor([float(row["lon"]) for row in rows], dtype=torch.float32),
        city=torch.tensor([int(row.get("city") or 0) for row in rows], dtype=torch.int64),
        cities=selection.cities,
        summary=selection.summary,
        labels={name: torch.tensor([labels[name] for labels in row_labels], dtype=torch.int64)
                for name in dataset.classes},
        classes=dataset.classes,
        overhead=tiles,
        captions=[str(row.get("caption") or "") for row in rows],
        variant_images=variant_images,
        variant_index=variant_index,
    )


def _decode_variants(dataset: ManifestDataset, rows: list[dict], resolution: int,
                     progress: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Every variant of the rows, and where each (row, attribute, value) is (-1: none)."""
    attributes = [name for name in dataset.info.get("variants", {}) if name in dataset.classes]
    if not attributes:
        raise ValueError(f"{dataset.root}: no variants; write the dataset with --variants")
    index = {name: torch.full((len(rows), len(dataset.classes[name])), -1, dtype=torch.int64) for name in attributes}
    wanted = []
    for n, row in enumerate(rows):
        for name in attributes:
            for value, path in row.get("variants", {}).get(name, {}).items():
                index[name][n, dataset.classes[name].index(value)] = len(wanted)
                wanted.append({"picture": path})
    return _decode(dataset, wanted, "picture", resolution, "decoding variants", progress), index


def _decode(dataset: ManifestDataset, rows: list[dict], key: str, resolution: int, label: str,
            progress: bool) -> torch.Tensor:
    pixels = torch.empty(len(rows), 3, resolution, resolution, dtype=torch.uint8)
    for index, row in enumerate(tqdm(rows, desc=label, unit="img", disable=not progress, leave=False)):
        pixels[index] = dataset.load_pixels(row, key)
    return pixels
