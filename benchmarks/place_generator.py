"""Speed of the default 64x64 `place` generator on CPU, beside an equal-width baseline.

    python -m benchmarks.place_generator [--latency-runs 50] [--throughput-runs 5] [--no-write]

Measures, in eval mode under torch.inference_mode() with 2 threads: the median latency of one
image (batch 1), the throughput at batch 64, and the latency of `PlacePipeline.generate` for
one image. The baseline is the same network with every stage as wide as the first (ProGAN
without its shrinking widths), measured in the same run so that both see the same machine
load, as is the default network with noise inputs at its two finest stages (`--noise-stages 2`), ungated and
gated (`--noise-gates`).
Prints a table and writes it into docs/BENCHMARKS.md between this benchmark's markers.
"""
import argparse
import dataclasses
import os
import tempfile
from datetime import date

import torch

from benchmarks.report import median_seconds, publish
from ml import pipelines
from ml.modelfolder import write_model_folder
from ml.models.place import PlaceConfig, PlaceGenerator, place_context

SECTION = "place_generator"
COMMAND = "python -m benchmarks.place_generator"
THREADS = 2
THROUGHPUT_BATCH = 64


@dataclasses.dataclass
class Measurement:
    name: str
    widths: list[int]
    weights_mb: float
    latency_ms: float
    throughput: float


def inputs_for(config: PlaceConfig, batch: int):
    generator = torch.Generator().manual_seed(batch)
    z = torch.randn(batch, config.latent_dim, generator=generator)
    lat = torch.rand(batch, generator=generator) * 180 - 90
    lon = torch.rand(batch, generator=generator) * 360 - 180
    return z, place_context(lat, lon, config)


def measure(name: str, config: PlaceConfig, latency_runs: int, throughput_runs: int) -> Measurement:
    torch.manual_seed(0)
    generator = PlaceGenerator(config).eval()
    weights_mb = sum(t.numel() * t.element_size() for t in generator.state_dict().values()) / 2**20
    with torch.inference_mode():
        single = inputs_for(config, 1)
        latency = median_seconds(lambda: generator(*single), latency_runs)
        batch = inputs_for(config, THROUGHPUT_BATCH)
        throughput = THROUGHPUT_BATCH / median_seconds(lambda: generator(*batch), throughput_runs, warmup=1)
    return Measurement(name, config.stage_widths(), weights_mb, latency * 1000, throughput)


def pipeline_latency_ms(config: PlaceConfig, runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        write_model_folder(folder, kind="place", architecture=config.to_dict(),
                           state_dict=PlaceGenerator(config).state_dict())
        pipeline = pipelines.load(folder)
        return median_seconds(lambda: pipeline.generate([{"lat": 48.86, "lon": 2.35}], [7]), runs) * 1000


def report(place: Measurement, baseline: Measurement, noisy: list[Measurement], pipeline_ms: float, args,
           load: float) -> str:
    machine = f"{os.cpu_count()}-core CPU, torch {torch.__version__.split('+')[0]}"
    rows = [
        "| generator (64x64) | widths 4→64 | weights | latency, batch 1 | throughput, batch 64 |",
        "|---|---|---:|---:|---:|",
    ]
    for m in (place, baseline, *noisy):
        rows.append(f"| {m.name} | {', '.join(map(str, m.widths))} | {m.weights_mb:.1f} MiB "
                    f"| {m.latency_ms:.1f} ms | {m.throughput:.0f} img/s |")
    rows.append(f"| ratio (place vs baseline) | | {place.weights_mb / baseline.weights_mb:.2f}x "
                f"| {baseline.latency_ms / place.latency_ms:.1f}x faster "
                f"| {place.throughput / baseline.throughput:.1f}x faster |")
    for m, label in zip(noisy, ("noise inputs", "gated noise inputs")):
        rows.append(f"| ratio ({label} vs place) | | {m.weights_mb / place.weights_mb:.2f}x "
                    f"| {m.latency_ms / place.latency_ms:.2f}x the time "
                    f"| {m.throughput / place.throughput:.2f}x the rate |")
    return "\n".join([
        "## place generator: CPU inference speed",
        "",
        f"Machine: {machine}, `torch.set_num_threads({THREADS})`, eval mode, `torch.inference_mode()`. "
        f"Command: `{COMMAND}`. Measured {date.today().isoformat()}, load average {load:.2f} at the start "
        f"(the machine is shared, so other work may slow a run).",
        "",
        *rows,
        "",
        f"Latency is the median of {args.latency_runs} runs, throughput the median of {args.throughput_runs}. "
        "The baseline is the same code with every stage as wide as the first. "
        f"`PlacePipeline.generate` for one image (run padded to a batch of {pipelines.BATCH_MULTIPLE}, "
        f"so that its pixels do not depend on the batch) takes {pipeline_ms:.1f} ms. "
        "Targets: at least 150 img/s at batch 64 and at most 20 ms at batch 1.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-runs", type=int, default=50)
    parser.add_argument("--throughput-runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    load = os.getloadavg()[0]
    config = PlaceConfig()
    first_width = config.stage_widths()[0]
    equal_width = dataclasses.replace(config, fmap_min=first_width, fmap_max=first_width)
    place = measure("place (default)", config, args.latency_runs, args.throughput_runs)
    baseline = measure("equal-width baseline", equal_width, args.latency_runs, args.throughput_runs)
    noisy = [measure(name, dataclasses.replace(config, noise_stages=2, noise_gates=gated), args.latency_runs,
                     args.throughput_runs)
             for name, gated in (("place + noise inputs (2 finest stages)", False),
                                 ("place + gated noise inputs (2 finest stages)", True))]
    text = report(place, baseline, noisy, pipeline_latency_ms(config, args.latency_runs), args, load)
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
