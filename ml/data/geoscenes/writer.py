"""Writing a GeoScenes dataset folder in the standard format (see the package docstring).

Samples are numbered city by city in the order of the chosen cities, and each is a pure
function of (seed, geonameid, photo index, size), so the files are byte-identical whatever the
number of worker processes. `dataset.json` is written last: a folder without it is incomplete.
"""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from ml.data.cities import City
from ml.data.geoscenes.places import place_of
from ml.data.geoscenes.render import ATTRIBUTE_CLASSES, Sample, render_sample

FORMAT = "genius-loci-dataset"
VERSION = 1
MASK_ENCODING = "rle-row-major"
PNG_OPTIONS = {"format": "PNG", "compress_level": 1, "optimize": False}  # fast; barely larger


def save_png(array, path: Path) -> None:
    """Fixed encoder options and no metadata chunks, so equal pixels give equal bytes."""
    Image.fromarray(array, "RGB").save(path, **PNG_OPTIONS)


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
    out, city, first, per_city, size, seed, width = job
    place = place_of(city)
    lines = []
    for index in range(per_city):
        ident = sample_id(first + index, width)
        sample = render_sample(place, seed, index, size)
        save_png(sample.image, out / "images" / f"{ident}.png")
        save_png(sample.overhead, out / "overhead" / f"{ident}.png")
        lines.append(json.dumps(manifest_row(sample, city, ident), ensure_ascii=False, separators=(",", ":")))
    return lines


def write_dataset(out: Path, *, cities: list[City], per_city: int, size: int, seed: int,
                  args: dict, workers: int = 1, progress: bool = True) -> int:
    """Render `per_city` photos of each city into the empty folder `out`; return the count."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "overhead").mkdir(exist_ok=True)
    count = len(cities) * per_city
    width = max(6, len(str(max(count - 1, 0))))
    jobs = [(out, city, i * per_city, per_city, size, seed, width) for i, city in enumerate(cities)]
    bar = tqdm(total=count, unit="img", desc="geoscenes", disable=not progress)
    with open(out / "manifest.jsonl", "w", encoding="utf-8", newline="\n") as manifest:
        if workers > 1:
            # Ordered imap keeps the manifest in sample order; 'spawn' avoids forking torch state.
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                for lines in pool.imap(_render_city, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers)))):
                    manifest.writelines(line + "\n" for line in lines)
                    bar.update(len(lines))
        else:
            for job in jobs:
                lines = _render_city(job)
                manifest.writelines(line + "\n" for line in lines)
                bar.update(len(lines))
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
    }
    (out / "dataset.json").write_text(json.dumps(description, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return count
