"""Speed of the `compose` pipeline on CPU: the background, one step per mask shape, a scene of 8 objects.

    python -m benchmarks.compose_generator [--model models/compose-demo] [--runs 20] [--threads 2] [--no-write]

Measures, in eval mode, the median time of `ComposePipeline.background` (x0), of one step
(`layer` + `apply`, PIL in and out) for each mask shape, and of `compose` for a scene of 8
objects (the background and 8 steps), on the shipped model. Prints a table and writes it into
docs/BENCHMARKS.md between this benchmark's markers.
"""
import argparse
import os
from datetime import date
from pathlib import Path

import torch

from benchmarks.report import REPO, median_seconds, publish
from ml import pipelines

SECTION = "compose_generator"
COMMAND = "python -m benchmarks.compose_generator"
TARGET_MS = 30
PLACE = {"lat": 48.857, "lon": 2.352}
SCENE = 8


def scene_objects(pipeline) -> list[dict]:
    """8 objects left to right, each category of the model in turn, shapes in turn."""
    shapes = ("mask", "rect", "ellipse")
    return [{"category": pipeline.categories[n % len(pipeline.categories)],
             "box": [0.02 + 0.12 * n, 0.3 + 0.05 * (n % 3), 0.14 + 0.12 * n, 0.9], "shape": shapes[n % 3],
             "colour": None} for n in range(SCENE)]


def report(pipeline, times: dict, args, load: float) -> str:
    machine = f"{os.cpu_count()}-core CPU, torch {torch.__version__.split('+')[0]}"
    weights = sum(t.numel() * t.element_size() for t in pipeline.model.state_dict().values()) / 2**20
    side = pipeline.resolution
    lines = [
        "## compose generator: ms per step and per 8-object scene",
        "",
        f"Machine: {machine}, `torch.set_num_threads({args.threads})`, eval mode, `torch.inference_mode()`. "
        f"Command: `{COMMAND} --threads {args.threads}`. Measured {date.today().isoformat()}, load average "
        f"{load:.2f} at the start (the machine is shared, so other work may slow a run). CPU only: no GPU timings.",
        "",
        f"| model | canvas | weights | background x0 | one step: mask | rect | ellipse | scene of {SCENE} objects |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| `{args.model.name}` | {side}x{side} | {weights:.1f} MiB | {times['background']:.1f} ms "
        f"| {times['mask']:.1f} ms | {times['rect']:.1f} ms | {times['ellipse']:.1f} ms | {times['scene']:.1f} ms |",
        "",
        f"Medians of {args.runs} runs; a step is `layer` (the noise of (seed, step), padded to a batch of "
        f"{pipelines.BATCH_MULTIPLE}) and `apply` (the integer composite), PIL pictures in and out; the scene is "
        f"`compose`: x0 and {SCENE} steps. Target: one step within {TARGET_MS} ms on this CPU at the demo's side.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "compose-demo")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    pipeline = pipelines.load(args.model)
    canvas = pipeline.background(PLACE, 0)
    objects = scene_objects(pipeline)
    times = {"background": median_seconds(lambda: pipeline.background(PLACE, 1), args.runs) * 1000}
    for shape in ("mask", "rect", "ellipse"):
        obj = {**objects[0], "shape": shape}
        times[shape] = median_seconds(lambda: pipeline.apply(canvas, pipeline.layer(canvas, obj, 1, 1)),
                                      args.runs) * 1000
    times["scene"] = median_seconds(lambda: pipeline.compose(PLACE, objects, 1), args.runs) * 1000
    publish(SECTION, report(pipeline, times, args, load), write=not args.no_write)


if __name__ == "__main__":
    main()
