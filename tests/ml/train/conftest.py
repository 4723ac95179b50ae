"""Fixtures of the training tests: a tiny dataset in the standard format and one short run."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.cli import main
from ml.data.dataset import is_heldout_city

TRAIN_CITIES = [(1000, 69.65, 18.96), (1001, -3.10, -60.03)]  # (geonameid, lat, lon)
HELDOUT_CITY = (1012, 35.69, 139.69)
# The place classes of each city above, in order, as GeoScenes writes them in the attributes.
CITY_CLASSES = [{"biome": "polar", "density": "town"}, {"biome": "tropical", "density": "city"},
                {"biome": "temperate", "density": "megacity"}]
CLASSES = {"biome": ["polar", "temperate", "tropical"], "density": ["town", "city", "megacity"]}
PER_CITY = 8
SIZE = 16
# A 3-step run at 8x8: one stable 4x4 step, one fade-in step, one stable 8x8 step, each a
# tick, a sample grid and a checkpoint.
TINY_ARCHITECTURE = ["--resolution", "8", "--latent-dim", "8", "--fmap-base", "64", "--fmap-max", "16",
                     "--fmap-min", "8", "--context-frequencies", "2", "--context-embed-dim", "8"]
TINY_SCHEDULE = ["--batch-size", "4", "--stable-kimg", "0.004", "--fade-kimg", "0.004", "--tick-kimg", "0.004",
                 "--sample-kimg", "0.004", "--snapshot-kimg", "0.004"]


def write_tiny_dataset(root: Path, *, place_classes: bool = True) -> Path:
    """PNGs of smooth colour gradients, one hue per city, plus one outlier row; each row carries
    its city's biome and density unless `place_classes` is off (dataset.json lists them anyway)."""
    assert not any(is_heldout_city(city) for city, _, _ in TRAIN_CITIES) and is_heldout_city(HELDOUT_CITY[0])
    (root / "images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for number, (city, lat, lon) in enumerate(TRAIN_CITIES + [HELDOUT_CITY]):
        hue = np.array([number * 90 % 256, 128, 255 - number * 60], dtype=np.float32)
        for index in range(PER_CITY + (number == 0)):
            ident = f"{len(rows):06d}"
            ramp = np.linspace(0.5, 1.0, SIZE, dtype=np.float32)[:, None, None]
            pixels = (hue * ramp + rng.normal(0, 8, (SIZE, SIZE, 3))).clip(0, 255).astype(np.uint8)
            Image.fromarray(pixels, "RGB").save(root / "images" / f"{ident}.png")
            outlier = index == PER_CITY  # the one extra picture of the first city
            rows.append({"id": ident, "image": f"images/{ident}.png", "lat": lat, "lon": lon, "city": city,
                         "attributes": {"outlier": outlier, **(CITY_CLASSES[number] if place_classes else {})}})
    (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    description = {"format": "genius-loci-dataset", "version": 1, "source": "test", "count": len(rows),
                   "cities": 3, "size": SIZE, "attributes": {"outlier": [False, True], **CLASSES}}
    (root / "dataset.json").write_text(json.dumps(description), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny")


def train(data: Path, runs: Path, *extra: str) -> int:
    return main(["train", "place", "--data", str(data), "--out", str(runs), *TINY_ARCHITECTURE,
                 *TINY_SCHEDULE, *extra])


@pytest.fixture(scope="session")
def trained_run(tiny_dataset, tmp_path_factory) -> Path:
    """The run folder of a 3-step run (its files are shared: tests must not change them)."""
    runs = tmp_path_factory.mktemp("runs")
    assert train(tiny_dataset, runs, "--max-kimg", "0.012") == 0
    (run,) = runs.iterdir()
    return run
