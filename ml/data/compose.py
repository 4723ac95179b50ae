"""Datasets for the compose generator, over a GeoScenes folder written with `--background` or
`--steps` (layout: `ml.data.geoscenes.writer`).

`ComposeBackgrounds` gives (background, place) pairs for the background generator;
`ComposeSteps` gives one foreground step per item for the foreground generator: the canvas
before, the object (category, box, colour, coverage) and the canvas after. Pictures are
3xSxS floats in [-1, 1] like `ManifestDataset`'s, at the dataset's own size; rows without the
outputs (outliers) are left out.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ml.data.dataset import ManifestDataset

ERROR_NO_BACKGROUNDS = "{}: no backgrounds; write the dataset with --background or --steps"
ERROR_NO_STEPS = "{}: no steps; write the dataset with --steps"


def _to_image(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).float() / 127.5 - 1.0


class ComposeBackgrounds(ManifestDataset):
    """Items of `ManifestDataset` (the photo as "image", the place, attributes, labels) plus
    "background": the same scene without its foreground objects."""

    def __init__(self, root: str | Path, split: str | None = None):
        super().__init__(root, split=split)
        self.rows = [row for row in self.rows if "background" in row]
        if not self.rows:
            raise ValueError(ERROR_NO_BACKGROUNDS.format(self.root))

    def __getitem__(self, index: int) -> dict:
        item = super().__getitem__(index)
        item["background"] = self.load_image(self.rows[index], "background")
        return item


class ComposeSteps(ManifestDataset):
    """One item per foreground step: {"before", "after": 3xSxS in [-1, 1], "coverage": 1xSxS in
    [0, 1] (amodal), "category": index in `self.foreground`, "box": 4 fractions (x0, y0, x1, y1),
    "colour": 3 values in [-1, 1], "step": its number in the sample} and the row's place, id,
    caption, attributes and labels."""

    def __init__(self, root: str | Path, split: str | None = None):
        super().__init__(root, split=split)
        self.rows = [row for row in self.rows if "steps_file" in row]
        self.steps = [(number, step) for number, row in enumerate(self.rows) for step in range(len(row["steps"]))]
        if not self.steps:
            raise ValueError(ERROR_NO_STEPS.format(self.root))
        self.foreground: list[str] = self.info["compose"]["foreground"]

    def __len__(self) -> int:
        return len(self.steps)

    def canvases(self, row: dict, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(before, after, coverage) of one step of a row, as uint8 SxSx3, SxSx3 and SxS."""
        for number, canvases in enumerate(self.walk(row)):
            if number == step:
                return canvases
        raise IndexError(f"row {row['id']} has {len(row['steps'])} steps, not {step + 1}")

    def walk(self, row: dict):
        """Every step of a row in order, in one pass: (before, after, coverage) as `canvases` gives them."""
        canvas = self.load_pixels(row, "background").permute(1, 2, 0).numpy().copy()
        with np.load(self.root / row["steps_file"], allow_pickle=False) as stored:
            boxes, after, coverage = stored["boxes"], stored["after"], stored["coverage"]
        start = 0
        for x0, y0, x1, y1 in boxes.tolist():
            end = start + (y1 - y0) * (x1 - x0)
            before = canvas.copy()
            mask = np.zeros(canvas.shape[:2], np.uint8)
            mask[y0:y1, x0:x1] = coverage[start:end].reshape(y1 - y0, x1 - x0)
            canvas[y0:y1, x0:x1] = after[start:end].reshape(y1 - y0, x1 - x0, 3)
            start = end
            yield before, canvas.copy(), mask

    def __getitem__(self, index: int) -> dict:
        number, step = self.steps[index]
        row = self.rows[number]
        before, after, coverage = self.canvases(row, step)
        obj = row["steps"][step]
        return {
            "before": _to_image(before),
            "after": _to_image(after),
            "coverage": torch.from_numpy(coverage)[None].float() / 255.0,
            "category": self.foreground.index(obj["category"]),
            "box": torch.tensor(obj["box"], dtype=torch.float32),
            "colour": torch.tensor(obj["colour"], dtype=torch.float32) / 127.5 - 1.0,
            "step": step,
            **self.describe(row),
        }
