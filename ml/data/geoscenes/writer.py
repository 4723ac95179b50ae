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
from ml.data.shards import ShardWriter

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


def _rendered_cities(jobs: list[tuple], workers: int):
    """The manifest lines of each city's job, in job order."""
    if workers == 1:
        yield from map(_render_city, jobs)
        return
    # Ordered imap keeps the manifest in sample order; 'spawn' avoids forking torch state.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_render_city, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers))))


def write_dataset(out: Path, *, cities: list[City], per_city: int, size: int, seed: int,
                  args: dict, workers: int = 1, shard_size: int = 0, progress: bool = True) -> int:
    """Render `per_city` photos of each city into the empty folder `out`; return the count.
    `shard_size` > 0 also packs the pictures and rows into tar shards (`ml.data.shards`)."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "overhead").mkdir(exist_ok=True)
    count = len(cities) * per_city
    width = max(6, len(str(max(count - 1, 0))))
    jobs = [(out, city, i * per_city, per_city, size, seed, width) for i, city in enumerate(cities)]
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
    }
    (out / "dataset.json").write_text(json.dumps(description, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return count
