"""The oracle metrics of a model folder, for the admin's validation of an uploaded model.

The reference photos are GeoScenes renders of held-out cities only (cities no shipped model
and no oracle trained on), rendered once at the oracle's resolution into the cache folder;
every model is then measured against the same photos, so versions can be compared.

A `place` model gets FID, KID, conditional accuracy, precision and recall, their real-vs-real
floor and edge strength (`ml.eval.metrics.evaluate`); a `ground`
model gets the ground target: the oracle's land-use accuracy on the views it paints from the
reference's overhead tiles against the same figure on their real ground views
(`ml.eval.ground_landuse.oracle_target`, as `python -m ml landuse` measures it); an `edit` model
gets the edit metrics of `python -m ml eval-edit` (`ml.eval.edit_metrics`), per text included,
from which the artwork page suggests the wordings the model edits best.
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
EDIT_VALIDATION_IMAGES = 300  # each edited by every text, as `python -m ml eval-edit` does by default
MEASURED_KINDS = ("place", "ground", "edit")


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
    """The oracle metrics of a `place`, `ground` or `edit` model folder (see the module docstring);
    None for other kinds or when no oracle is installed (default: the shipped oracle, and the eval
    cache)."""
    from ml import pipelines
    from ml.eval.metrics import evaluate
    from ml.eval.oracle import load_oracle

    oracle_folder, cache = Path(oracle_folder or DEFAULT_ORACLE), Path(cache or DEFAULT_CACHE)
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    if config.get("kind") not in MEASURED_KINDS or not (Path(oracle_folder) / "config.json").is_file():
        return None
    oracle, oracle_sha256 = load_oracle(oracle_folder)
    pipeline = pipelines.load(folder)
    if pipeline.kind == "ground":
        return ground_metrics(pipeline, oracle, oracle_sha256, cache, images=images)
    if pipeline.kind == "edit":
        from ml.eval.edit_metrics import evaluate_edits

        data = reference_scenes(cache, max(oracle.config.resolution, pipeline.resolution))
        return evaluate_edits(pipeline, oracle, oracle_sha256, data, images=min(images, EDIT_VALIDATION_IMAGES),
                              progress=False)
    data = reference_scenes(cache, oracle.config.resolution)
    return evaluate(pipeline, oracle, oracle_sha256, data, max_images=images, cache=cache, progress=False)


def ground_metrics(pipeline, oracle, oracle_sha256: str, cache: Path, *, images: int = VALIDATION_IMAGES) -> dict:
    """The ground target of a GroundPipeline on (at most `images` of) the reference's held-out places.

    The generator paints from tiles at its own resolution, so the reference is rendered at least
    that large (a larger model gets its own render, never enlarged tiles); the real views are
    decoded at the model's resolution, so that both sets reach the oracle through the same resizing."""
    from ml.eval.ground_landuse import oracle_target
    from ml.eval.metrics import dataset_hash
    from ml.train.image_cache import load_image_cache

    data = reference_scenes(cache, max(oracle.config.resolution, pipeline.resolution))
    heldout = load_image_cache(data, resolution=pipeline.resolution, split="heldout", max_images=images,
                               overhead=True, progress=False)
    target = oracle_target(pipeline.model, oracle, heldout)
    return {"images": len(heldout), "split": "heldout", "resolution": pipeline.resolution,
            "data": heldout.summary["name"], "data_sha256": dataset_hash(data), "oracle_sha256": oracle_sha256,
            "land_use_accuracy": {"generated": round(target["generated"], 4), "real": round(target["real"], 4),
                                  "ratio": None if target["ratio"] is None else round(target["ratio"], 4),
                                  "target": target["target"]}}
