"""Speed of the `ground` pipeline: views per second for a region of 16 spots.

    python -m benchmarks.ground_region [--model models/ground-demo] [--runs 5] [--no-write]

A region job paints its spots one view after the other (so that it can report progress per
view); the same 16 spots painted as one batch show what batching would buy. Each view needs its
overhead tile first (GeoScenes renders it on the CPU), so the tile time is measured apart from
the network's. Runs on CUDA when there is a GPU, else on the CPU with 2 threads. Prints a table
and writes it into docs/BENCHMARKS.md between this benchmark's markers.
"""
import argparse
import os
from datetime import date
from pathlib import Path

import torch

from benchmarks.report import REPO, median_seconds, publish
from ml import pipelines

SECTION = "ground_region"
COMMAND = "python -m benchmarks.ground_region"
THREADS = 2
DEFAULT_MODEL = REPO / "models" / "ground-demo"
# 16 spots of a region around Lyon (what generation.regions draws for a region of that size).
SPOTS = [{"lat": 45.70 + 0.04 * (i // 4), "lon": 4.75 + 0.05 * (i % 4)} for i in range(16)]


def measure(pipeline, runs: int) -> dict:
    seeds = list(range(len(SPOTS)))
    sync = torch.cuda.synchronize if torch.cuda.is_available() else None

    def timed(run) -> float:
        return median_seconds(run, runs, warmup=1, sync=sync)

    tiles = timed(lambda: [pipeline.overhead(s["lat"], s["lon"], pipeline.resolution) for s in SPOTS])
    one_by_one = timed(lambda: [pipeline.views([s], [seed]) for s, seed in zip(SPOTS, seeds)])
    batched = timed(lambda: pipeline.views(SPOTS, seeds))
    return {"tiles": len(SPOTS) / tiles, "one_by_one": len(SPOTS) / one_by_one, "batched": len(SPOTS) / batched}


def report(model: Path, pipeline, figures: dict, device: str, runs: int, load: float) -> str:
    where = (f"GPU {torch.cuda.get_device_name(0)}" if device == "cuda"
             else f"{os.cpu_count()}-core CPU, `torch.set_num_threads({THREADS})`")
    architecture = pipeline.model.config
    return "\n".join([
        "## ground pipeline: views per second for a region of 16 spots",
        "",
        f"Model `{model.relative_to(REPO) if model.is_relative_to(REPO) else model}` "
        f"({architecture.resolution}x{architecture.resolution}, width {architecture.width}). {where}, "
        f"torch {torch.__version__.split('+')[0]}. Command: `{COMMAND}`. Measured {date.today().isoformat()}, "
        f"load average {load:.2f} at the start (the machine is shared, so other work may slow a run).",
        "",
        "| 16 spots painted | views per second |",
        "|---|---:|",
        f"| one view after the other (what a region job does, progress per view) | {figures['one_by_one']:.1f} |",
        f"| as one batch | {figures['batched']:.1f} |",
        f"| their GeoScenes overhead tiles alone (CPU) | {figures['tiles']:.1f} |",
        "",
        f"Medians of {runs} runs. Each view includes rendering its overhead tile, generating the view and "
        "reading its land use with the discriminator's head. No GPU was measured: this machine has none, "
        "and none was lent for this run." if device != "cuda" else f"Medians of {runs} runs.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="ground model folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(THREADS)
    load = os.getloadavg()[0]
    pipeline = pipelines.load(args.model, device=device)
    text = report(args.model.resolve(), pipeline, measure(pipeline, args.runs), device, args.runs, load)
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
