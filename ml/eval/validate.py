"""The oracle metrics of a model folder, for the admin's validation of an uploaded model.

The reference photos are GeoScenes renders of held-out cities only (cities no shipped model
and no oracle trained on), rendered once at the oracle's resolution into the cache folder;
every model is then measured against the same photos, so versions can be compared.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ml.data.dataset import is_heldout_city
from ml.eval.cli import DEFAULT_CACHE, DEFAULT_ORACLE

REFERENCE_CITIES = 2000  # spread over the world; about a tenth of them are held out
REFERENCE_PER_CITY = 4
REFERENCE_SEED = 11
VALIDATION_IMAGES = 800


def reference_scenes(cache: Path, resolution: int, progress: bool = False) -> Path:
    """The held-out reference dataset (rendered on first use; written complete or not at all)."""
    from ml.data.geoscenes.places import select_cities
    from ml.data.geoscenes.writer import write_dataset

    out = Path(cache) / f"reference-{REFERENCE_CITIES}x{REFERENCE_PER_CITY}-{resolution}-seed{REFERENCE_SEED}"
    if (out / "dataset.json").is_file():
        return out
    cities = [city for city in select_cities(REFERENCE_CITIES) if is_heldout_city(city.geonameid)]
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a render cut off earlier
    args = {"cities": REFERENCE_CITIES, "heldout_only": True, "per_city": REFERENCE_PER_CITY, "seed": REFERENCE_SEED}
    write_dataset(partial, cities=cities, per_city=REFERENCE_PER_CITY, size=resolution, seed=REFERENCE_SEED,
                  args=args, progress=progress)
    partial.replace(out)
    return out


def validation_metrics(folder: str | Path, *, oracle_folder: Path | None = None, cache: Path | None = None,
                       images: int = VALIDATION_IMAGES) -> dict | None:
    """FID, KID and conditional accuracy of a `place` model folder; None for other kinds or
    when no oracle is installed (default: the shipped oracle, and the eval cache)."""
    from ml import pipelines
    from ml.eval.metrics import evaluate
    from ml.eval.oracle import load_oracle

    oracle_folder, cache = Path(oracle_folder or DEFAULT_ORACLE), Path(cache or DEFAULT_CACHE)
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    if config.get("kind") != "place" or not (Path(oracle_folder) / "config.json").is_file():
        return None
    oracle, oracle_sha256 = load_oracle(oracle_folder)
    data = reference_scenes(cache, oracle.config.resolution)
    return evaluate(pipelines.load(folder), oracle, oracle_sha256, data, max_images=images, cache=cache,
                    progress=False)
