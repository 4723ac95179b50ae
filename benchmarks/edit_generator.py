"""Speed of the `edit` generator (SIMGAN) on CPU, and of its text encoder.

    python -m benchmarks.edit_generator [--model models/edit-demo] [--runs 30] [--no-write]

Measures, in eval mode under torch.inference_mode() with 2 threads: the median time of one
edit (batch 1, the text already encoded) and of a batch of 16, for the default 64x64
architecture at the shipped model's width (weights do not change the speed) and for the
shipped model itself at its own resolution; the time of `EditPipeline.generate` for one edit
(PIL in and out, text served from the encoder's cache); and the time to encode one new
sentence with all-MiniLM-L6-v2.
Prints a table and writes it into docs/BENCHMARKS.md between this benchmark's markers.
"""
import argparse
import dataclasses
import os
import time
from datetime import date
from pathlib import Path

import torch
from PIL import Image

from benchmarks.report import REPO, median_seconds, publish
from ml import pipelines
from ml.models.edit import EditConfig, EditGenerator
from ml.models.edit_text import TEXT_DIM, TextEncoder

SECTION = "edit_generator"
COMMAND = "python -m benchmarks.edit_generator"
THREADS = 2
BATCH = 16
TARGET_MS = 100
SENTENCES = [f"the same place in winter, seen from street number {n}" for n in range(200)]


@dataclasses.dataclass
class Row:
    name: str
    resolution: int
    weights_mb: float
    one_ms: float
    batch_ms: float


def measure(name: str, generator: EditGenerator, runs: int) -> Row:
    generator = generator.eval()
    side = generator.config.resolution
    weights_mb = sum(t.numel() * t.element_size() for t in generator.state_dict().values()) / 2**20
    with torch.inference_mode():
        times = {}
        for count in (1, BATCH):
            images = torch.rand(count, 3, side, side) * 2 - 1
            texts = torch.nn.functional.normalize(torch.randn(count, TEXT_DIM), dim=1)
            times[count] = median_seconds(lambda: generator(images, texts), runs, warmup=3) * 1000
    return Row(name, side, weights_mb, times[1], times[BATCH])


def pipeline_ms(model: Path, runs: int) -> float:
    pipeline = pipelines.load(model)
    source = Image.new("RGB", (pipeline.resolution, pipeline.resolution), (90, 120, 160))
    item = {"image": source, "text": "the same place in winter"}
    return median_seconds(lambda: pipeline.generate([item], [7]), runs, warmup=3) * 1000


def sentence_ms() -> float:
    encoder = TextEncoder()
    encoder.encode(["warm up"])
    start = time.perf_counter()
    for sentence in SENTENCES:  # each new: the cache never answers
        encoder.encode([sentence])
    return (time.perf_counter() - start) / len(SENTENCES) * 1000


def report(rows: list[Row], pipeline_one_ms: float, text_ms: float, args, load: float) -> str:
    machine = f"{os.cpu_count()}-core CPU, torch {torch.__version__.split('+')[0]}"
    lines = [
        "## edit generator: inference speed",
        "",
        f"Machine: {machine}, `torch.set_num_threads({THREADS})`, eval mode, `torch.inference_mode()`. "
        f"Command: `{COMMAND}`. Measured {date.today().isoformat()}, load average {load:.2f} at the start "
        "(the machine is shared, so other work may slow a run). CPU only: no GPU timings.",
        "",
        f"| generator | picture | weights | one edit (text encoded) | batch of {BATCH} |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row.name} | {row.resolution}x{row.resolution} | {row.weights_mb:.1f} MiB "
                     f"| {row.one_ms:.1f} ms | {row.batch_ms:.1f} ms ({row.batch_ms / BATCH:.1f} ms each) |")
    lines += [
        "",
        f"Medians of {args.runs} runs. `EditPipeline.generate` for one edit of the shipped model (PIL picture in "
        f"and out, padded to a batch of {pipelines.BATCH_MULTIPLE}, the text's embedding from the encoder's "
        f"cache): {pipeline_one_ms:.1f} ms. Encoding one new sentence with all-MiniLM-L6-v2: {text_ms:.1f} ms "
        f"(mean over {len(SENTENCES)} sentences, one at a time). Target: one 64x64 edit within {TARGET_MS} ms "
        "on this CPU once the model is loaded.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "edit-demo")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    load = os.getloadavg()[0]
    shipped = pipelines.load(args.model)
    torch.manual_seed(0)
    default = EditGenerator(EditConfig(width=shipped.generator.config.width))
    rows = [measure(f"SIMGAN 64x64, width {default.config.width}", default, args.runs),
            measure(f"shipped `{args.model.name}`", shipped.generator, args.runs)]
    text = report(rows, pipeline_ms(args.model, args.runs), sentence_ms(), args, load)
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
