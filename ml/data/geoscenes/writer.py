"""Writing a GeoScenes dataset folder in the standard format (see the package docstring).

Samples are numbered city by city in the order of the chosen cities, and each is a pure
function of (seed, geonameid, photo index, size), so the files are byte-identical whatever the
number of worker processes. `dataset.json` is written last: a folder without it is incomplete.

Compose outputs (opt-in, `compose="background"` or `"steps"`; scenes only, not outliers):
DIR/backgrounds/<id>.png  the photo without its foreground objects; the row gets
                          "background": "backgrounds/<id>.png"
DIR/steps/<id>.npz        ("steps" only; with the background) the foreground added one object at
                          a time, stored as what each step changes, since a step changes no pixel
                          outside its object's coverage:
    boxes     int16 (K, 4)  x0, y0, x1, y1 in pixels (exclusive ends) of step k's coverage
    after     uint8 (P, 3)  the photo after step k inside its box, row-major, steps one after
                            another (P: the sum of the boxes' areas)
    coverage  uint8 (P,)    255 x the share of each pixel the object covers (amodal: before later
                            objects hide any of it), in the same order
  Step k's "before" is the background with steps 0..k-1 pasted in; the last "after" is the photo.
  The row gets "steps_file": "steps/<id>.npz" and "steps": [{"category", "layer" (its index in
  "layers"), "box": [x0, y0, x1, y1] (fractions of the side, from the working resolution),
  "colour": [r, g, b] (fill before light and weather)}, ...] in drawing order.
dataset.json gets "compose": {"output": "background"|"steps", "foreground": [categories]}.
Read them with `ml.data.compose`.

Variants (opt-in, `variants=("weather", "time_of_day")` or any of `render.VARIED`; scenes only,
not outliers): the same photo with each other value of each of these attributes, the rest of the
scene kept (`render.render_variants`): DIR/variants/<id>-<attribute>-<value>.png, and the row gets
"variants": {attribute: {value: path}}. dataset.json gets "variants": {attribute: [values]}. The edit
generator trains on them as the pictures its one-value edits should give (`ml.train.edit`).
"""
from __future__ import annotations

import io
import json
import multiprocessing
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ml.data.cities import City
from ml.data.dataset_format import FORMAT, PNG_OPTIONS, VERSION
from ml.data.geoscenes.places import place_of
from ml.data.geoscenes.render import ATTRIBUTE_CLASSES, VARIED, Sample, render_sample
from ml.data.geoscenes.steps import FOREGROUND, Composition
from ml.data.shards import ShardWriter

MASK_ENCODING = "rle-row-major"


def save_png(array, path: Path) -> None:
    """Fixed encoder options and no metadata chunks, so equal pixels give equal bytes."""
    Image.fromarray(array, "RGB").save(path, **PNG_OPTIONS)


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz that `np.load` reads, with fixed member dates so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, buffer.getvalue())


def step_arrays(composition: Composition) -> dict[str, np.ndarray]:
    """The compact steps of one sample (the layout in the module docstring)."""
    boxes, after, coverage = [], [], []
    for step in composition.steps:
        rows = np.flatnonzero(step.coverage.any(axis=1))
        cols = np.flatnonzero(step.coverage.any(axis=0))
        x0, y0, x1, y1 = cols[0], rows[0], cols[-1] + 1, rows[-1] + 1
        boxes.append((x0, y0, x1, y1))
        after.append(step.after[y0:y1, x0:x1].reshape(-1, 3))
        coverage.append(step.coverage[y0:y1, x0:x1].ravel())
    return {"boxes": np.array(boxes, np.int16).reshape(-1, 4),
            "after": np.concatenate(after) if after else np.zeros((0, 3), np.uint8),
            "coverage": np.concatenate(coverage) if coverage else np.zeros(0, np.uint8)}


def save_composition(out: Path, ident: str, composition: Composition | None, row: dict) -> None:
    """Write a sample's compose outputs and name them in its manifest row."""
    if composition is None:
        return
    save_png(composition.background, out / "backgrounds" / f"{ident}.png")
    row["background"] = f"backgrounds/{ident}.png"
    if (out / "steps").is_dir():
        save_npz(out / "steps" / f"{ident}.npz", step_arrays(composition))
        row["steps_file"] = f"steps/{ident}.npz"
        row["steps"] = [{"category": step.category, "layer": step.layer, "box": step.box, "colour": step.colour}
                        for step in composition.steps]


def save_variants(out: Path, ident: str, variants: dict[str, dict[str, np.ndarray]] | None, row: dict) -> None:
    """Write a sample's variants and name them in its manifest row."""
    if variants is None:
        return
    row["variants"] = {}
    for attribute, pictures in variants.items():
        for value, picture in pictures.items():
            name = f"variants/{ident}-{attribute}-{value}.png"
            save_png(picture, out / name)
            row["variants"].setdefault(attribute, {})[value] = name


def sample_id(number: int, width: int) -> str:
    return f"{number:0{width}d}"


def manifest_row(sample: Sample, city: City, ident: str) -> dict:
    attributes = sample.attributes
    return {
        "id": ident,
        "image": f"images/{ident}.png",
        "lat": attributes["lat"],
        "lon": attributes["lon"],
        "city": city.geonameid,
        "city_name": city.name,
        "country": city.country_code,
        "attributes": attributes,
        "caption": sample.caption,
        "overhead": f"overhead/{ident}.png",
        "layers": sample.layers,
    }


def _render_city(job: tuple) -> list[str]:
    """Render and save one city's photos; return their manifest lines (runs in workers)."""
    out, city, first, per_city, size, seed, width, compose, variants = job
    place = place_of(city)
    lines = []
    for index in range(per_city):
        ident = sample_id(first + index, width)
        sample = render_sample(place, seed, index, size, compose, variants)
        save_png(sample.image, out / "images" / f"{ident}.png")
        save_png(sample.overhead, out / "overhead" / f"{ident}.png")
        row = manifest_row(sample, city, ident)
        save_composition(out, ident, sample.composition, row)
        save_variants(out, ident, sample.variants, row)
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    return lines


def _rendered_cities(jobs: list[tuple], workers: int):
    """The manifest lines of each city's job, in job order."""
    if workers == 1:
        yield from map(_render_city, jobs)
        return
    # Ordered imap keeps the manifest in sample order; 'spawn' avoids forking torch state.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_render_city, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers))))


def write_dataset(out: Path, *, cities: list[City], per_city: int, size: int, seed: int,
                  args: dict, workers: int = 1, shard_size: int = 0, progress: bool = True,
                  compose: str = "none", variants: tuple[str, ...] = ()) -> int:
    """Render `per_city` photos of each city into the empty folder `out`; return the count.
    `shard_size` > 0 also packs the pictures and rows into tar shards (`ml.data.shards`), which
    hold no compose outputs or variants; `compose` and `variants` add them as files (see the
    module docstring)."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "overhead").mkdir(exist_ok=True)
    if compose != "none":
        (out / "backgrounds").mkdir()
    if compose == "steps":
        (out / "steps").mkdir()
    if variants:
        (out / "variants").mkdir()
    count = len(cities) * per_city
    width = max(6, len(str(max(count - 1, 0))))
    jobs = [(out, city, i * per_city, per_city, size, seed, width, compose, variants) for i, city in enumerate(cities)]
    bar = tqdm(total=count, unit="img", desc="geoscenes", disable=not progress)
    shards = ShardWriter(out, shard_size) if shard_size else None
    written = 0
    with open(out / "manifest.jsonl", "w", encoding="utf-8", newline="\n") as manifest:
        for lines in _rendered_cities(jobs, workers):
            manifest.writelines(line + "\n" for line in lines)
            if shards is not None:
                for line in lines:
                    row = json.loads(line)
                    shards.add(written, row["id"], (out / row["image"]).read_bytes(), row)
                    written += 1
            bar.update(len(lines))
    if shards is not None:
        shards.close()
    bar.close()
    description = {
        "format": FORMAT,
        "version": VERSION,
        "source": "geoscenes",
        "args": args,
        "count": count,
        "cities": len(cities),
        "size": size,
        "mask_encoding": MASK_ENCODING,
        "attributes": ATTRIBUTE_CLASSES,
        **({"shard_size": shard_size} if shard_size else {}),
        **({"compose": {"output": compose, "foreground": list(FOREGROUND)}} if compose != "none" else {}),
        **({"variants": {attribute: list(VARIED[attribute]) for attribute in variants}} if variants else {}),
    }
    (out / "dataset.json").write_text(json.dumps(description, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return count
