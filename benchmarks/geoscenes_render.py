"""GeoScenes rendering speed at 64x64 on one CPU core, against rendering at 4x and downscaling.

Three measurements over the same samples (cities picked by `select_cities`, a few photos each):
the whole dataset writer (photo, overhead tile, layers with masks, caption, two PNG files and a
manifest line per sample), the photo alone (`render_sample`), and the baseline: the same scenes
rendered at 256x256 and box-filtered down to 64x64, as one would without drawing at the target
size. Prints a table and writes it into docs/BENCHMARKS.md between this benchmark's markers.

    python -m benchmarks.geoscenes_render [--cities 100] [--per-city 4] [--repeats 3] [--no-write]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads: one core, no BLAS threads

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks.report import publish  # noqa: E402
from ml.data.geoscenes.places import place_of, select_cities  # noqa: E402
from ml.data.geoscenes.render import render_sample  # noqa: E402
from ml.data.geoscenes.writer import write_dataset  # noqa: E402

SECTION = "geoscenes_render"
COMMAND = "python -m benchmarks.geoscenes_render"
SIZE = 64
TARGET = 200  # images per second on one core


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def best_rate(run, count: int, repeats: int) -> float:
    """Images per second of the fastest of `repeats` runs (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return count / best


def measure(cities: int, per_city: int, repeats: int) -> dict:
    chosen = select_cities(cities)
    places = [place_of(c) for c in chosen]
    count = len(places) * per_city
    jobs = [(place, index) for place in places for index in range(per_city)]
    for place, index in jobs[:20]:  # warm caches and imports
        render_sample(place, 0, index, SIZE)

    def photos():
        for place, index in jobs:
            render_sample(place, 0, index, SIZE)

    def downscaled():
        for place, index in jobs:
            big = render_sample(place, 0, index, 4 * SIZE)
            Image.fromarray(big.image).resize((SIZE, SIZE), Image.Resampling.BOX)
            Image.fromarray(big.overhead).resize((SIZE, SIZE), Image.Resampling.BOX)

    scratch = Path(tempfile.mkdtemp(prefix="geoscenes-bench-"))

    def writer():
        out = scratch / f"run{time.perf_counter_ns()}"  # removed after all runs, not timed
        write_dataset(out, cities=chosen, per_city=per_city, size=SIZE, seed=0, args={}, progress=False)

    try:
        return {
            "count": count,
            "writer": best_rate(writer, count, repeats),
            "render": best_rate(photos, count, repeats),
            "baseline": best_rate(downscaled, count, max(1, repeats // 2)),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def report(result: dict, args, pinned: str, load: float) -> str:
    rows = [
        "| GeoScenes at 64x64, one core | images/s | ms/image |",
        "|---|---:|---:|",
        f"| dataset writer (photo + overhead + layers + caption + 2 PNGs + manifest) "
        f"| {result['writer']:.0f} | {1000 / result['writer']:.2f} |",
        f"| render_sample only (photo, overhead, layers, caption in memory) "
        f"| {result['render']:.0f} | {1000 / result['render']:.2f} |",
        f"| baseline: render_sample at 256x256, then box-downscale to 64 "
        f"| {result['baseline']:.0f} | {1000 / result['baseline']:.2f} |",
        f"| ratio render_sample / baseline | {result['render'] / result['baseline']:.1f}x | |",
    ]
    return "\n".join([
        "## GeoScenes: rendering speed",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, process {pinned}, OMP_NUM_THREADS=1; "
        f"Python {platform.python_version()}, numpy {np.__version__}, Pillow {PIL.__version__}. "
        f"Command: `{COMMAND} --cities {args.cities} --per-city {args.per_city}`. "
        f"Measured {date.today().isoformat()}, load average {load:.2f} at the start "
        "(the machine is shared, so other work may slow a run).",
        "",
        *rows,
        "",
        f"{result['count']} samples ({args.cities} cities spread by `select_cities`, {args.per_city} photos "
        f"each, seed 0); each figure is the best of {args.repeats} runs (baseline: "
        f"{max(1, args.repeats // 2)}). Target: at least {TARGET} images/s for the dataset writer.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--per-city", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    pinned = pin_to_one_core()
    load = os.getloadavg()[0]
    text = report(measure(args.cities, args.per_city, args.repeats), args, pinned, load)
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
