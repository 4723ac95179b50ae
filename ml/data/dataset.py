"""A torch `Dataset` over the standard dataset format (see `ml.data.geoscenes`).

Held-out cities: a city is held out when the first byte of sha256 of its geonameid is below
`HELDOUT_SHARE` x 256 (about 10% of cities), the same for every dataset and every run, so
metrics can be computed on places the generator never saw. Rows with no city are training rows.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

HELDOUT_SHARE = 0.1
SPLITS = ("train", "heldout")
REQUIRED_KEYS = ("id", "image", "lat", "lon")

ERROR_NO_MANIFEST = "{}: no manifest.jsonl; is this a dataset folder (python -m ml geoscenes ...)?"
ERROR_NO_IMAGES = "{}: the manifest lists no readable images"
ERROR_SPLIT = "split must be one of None, 'train', 'heldout'; got {!r}"
ERROR_RESOLUTION = "resolution must be a positive integer or None; got {!r}"


def is_heldout_city(geonameid: int | None) -> bool:
    if geonameid is None:
        return False
    digest = hashlib.sha256(str(int(geonameid)).encode("ascii")).digest()
    return digest[0] < HELDOUT_SHARE * 256


def decode_picture(source, resolution: int | None) -> torch.Tensor:
    """A picture file (path or file object) as 3xHxW uint8 RGB, resized to `resolution`
    (area filter when shrinking, bicubic when growing)."""
    with Image.open(source) as image:
        image = image.convert("RGB")
        if resolution is not None:
            image = resized(image, resolution)
        pixels = np.asarray(image, dtype=np.uint8)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()


def resized(image: Image.Image, resolution: int) -> Image.Image:
    """`image` at resolution x resolution: the area filter when shrinking, bicubic when growing."""
    if image.size == (resolution, resolution):
        return image
    shrinking = image.width > resolution
    return image.resize((resolution, resolution), Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC)


def _check_row(row, root: Path) -> str | None:
    """Why a manifest row is unusable, or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    missing = [key for key in REQUIRED_KEYS if key not in row]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        return "lat/lon are not numbers"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "lat/lon out of range"
    if not isinstance(row["image"], str) or not (root / row["image"]).is_file():
        return f"image {row['image']!r} not found"
    return None


class ManifestDataset(Dataset):
    """Samples of a dataset folder: `{"image": CxHxW float in [-1, 1], "lat", "lon", "city",
    "attributes": {...}, "labels": {name: class index}, "caption", "id"}`.

    `resolution` resizes (area filter for shrinking, bicubic for growing); `split` keeps the
    "train" or "heldout" cities only. Unusable manifest rows are skipped with a warning naming
    their line numbers; they are also listed in `self.skipped` as (line, reason).
    """

    def __init__(self, root: str | Path, resolution: int | None = None, split: str | None = None):
        if split not in (None, *SPLITS):
            raise ValueError(ERROR_SPLIT.format(split))
        if resolution is not None and (not isinstance(resolution, int) or resolution < 1):
            raise ValueError(ERROR_RESOLUTION.format(resolution))
        self.root = Path(root)
        self.resolution = resolution
        self.split = split
        manifest = self.root / "manifest.jsonl"
        if not manifest.is_file():
            raise ValueError(ERROR_NO_MANIFEST.format(self.root))
        description = self.root / "dataset.json"
        self.info = json.loads(description.read_text(encoding="utf-8")) if description.is_file() else {}
        self.classes: dict[str, list] = self.info.get("attributes", {})
        self.rows, self.skipped, usable = self._read(manifest)
        if usable == 0:
            raise ValueError(ERROR_NO_IMAGES.format(self.root))
        if self.skipped:
            lines = ", ".join(str(line) for line, _ in self.skipped[:20])
            more = "" if len(self.skipped) <= 20 else f" and {len(self.skipped) - 20} more"
            warnings.warn(f"{manifest}: skipped {len(self.skipped)} bad rows at lines {lines}{more} "
                          f"(first: {self.skipped[0][1]})", stacklevel=2)

    def _read(self, manifest: Path):
        rows, skipped, usable = [], [], 0
        with open(manifest, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    skipped.append((number, f"invalid JSON ({error.msg})"))
                    continue
                reason = _check_row(row, self.root)
                if reason:
                    skipped.append((number, reason))
                    continue
                usable += 1
                heldout = is_heldout_city(row.get("city"))
                if self.split is None or (self.split == "heldout") == heldout:
                    rows.append(row)
        return rows, skipped, usable

    def __len__(self) -> int:
        return len(self.rows)

    def load_image(self, row: dict, key: str = "image") -> torch.Tensor:
        """The picture the row names under `key` ("image", or "overhead" for its tile), in [-1, 1]."""
        return self.load_pixels(row, key).float() / 127.5 - 1.0

    def load_pixels(self, row: dict, key: str = "image") -> torch.Tensor:
        """The picture the row names under `key` as 3xRxR uint8, at the dataset's resolution."""
        return decode_picture(self.root / row[key], self.resolution)

    def labels_of(self, attributes: dict) -> dict[str, int]:
        """Class index of each categorical attribute listed in dataset.json (-1 if unknown)."""
        labels = {}
        for name, classes in self.classes.items():
            value = attributes.get(name)
            labels[name] = classes.index(value) if value in classes else -1
        return labels

    def __getitem__(self, index: int) -> dict:
        row = self.rows[index]
        return {"image": self.load_image(row), **self.describe(row)}

    def describe(self, row: dict) -> dict:
        """What a row says besides its pictures: id, place, caption, attributes and labels."""
        attributes = row.get("attributes", {})
        return {
            "id": row["id"],
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "city": int(row.get("city") or 0),
            "caption": row.get("caption", ""),
            "attributes": attributes,
            "labels": self.labels_of(attributes),
        }
