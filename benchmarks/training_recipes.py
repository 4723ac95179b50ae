"""What each training option costs per image on this machine: the place trainer's own step under
the adversarial recipes, DiffAugment, channels-last, bf16 autocast and thread counts.

    python -m benchmarks.training_recipes [--resolution 64] [--seconds 15] [--rounds 3] [--no-write]

Every variant is `PlaceTrainer`'s real step (fetch_batch, step_discriminator, step_generator,
update_ema) at the full resolution of the long place runs' architecture (fmap_base 1024,
fmap_max 128, fmap_min 16), batch 32, on random pictures. The baseline is the research's recipe
(WGAN-GP, fp32, default memory format) with the same thread count. The variants are measured in
turn, round after round, so that a change in the machine's load touches all of them alike; each
figure is the median over the rounds. Channels-last and bf16 are what the trainer does on CUDA;
here they are switched on for the CPU to measure whether they would pay.
"""
import argparse
import contextlib
import os
import platform
import statistics
from dataclasses import replace
from datetime import date
from unittest import mock

import torch

from benchmarks.place_training import BATCH, random_data, timed
from benchmarks.report import publish
from ml.models.place import PlaceConfig
from ml.train import run_dir
from ml.train.batches import CachedBatches
from ml.train.place import PlaceTrainer
from ml.train.place_config import PlaceTrainConfig, phase_at

SECTION = "training_recipes"
COMMAND = "python -m benchmarks.training_recipes"

# name -> (run-config changes, memory format, autocast dtype or None, threads)
VARIANTS = {
    "WGAN-GP, fp32, 2 threads (baseline)": ({}, torch.contiguous_format, None, 2),
    "logistic + lazy R1 (interval 16)": ({"loss": "logistic"}, torch.contiguous_format, None, 2),
    "logistic + lazy R1 + DiffAugment translation": ({"loss": "logistic", "augment": "translation"},
                                                      torch.contiguous_format, None, 2),
    "logistic + lazy R1 + DiffAugment color,translation": ({"loss": "logistic", "augment": "color,translation"},
                                                            torch.contiguous_format, None, 2),
    "WGAN-GP, channels-last": ({}, torch.channels_last, None, 2),
    "WGAN-GP, bf16 autocast": ({}, torch.contiguous_format, torch.bfloat16, 2),
    "WGAN-GP, 1 thread": ({}, torch.contiguous_format, None, 1),
}


def architecture(resolution: int) -> PlaceConfig:
    return PlaceConfig(resolution=resolution, fmap_base=1024, fmap_max=128, fmap_min=16)


def measure(resolution: int, changes: dict, memory_format, dtype, threads: int, seconds: float) -> float:
    torch.set_num_threads(threads)
    config = replace(PlaceTrainConfig(data="", model=architecture(resolution), batch_size=BATCH,
                                      start_resolution=resolution), **changes)
    cast = (lambda dist: torch.autocast("cpu", dtype=dtype)) if dtype else (lambda dist: contextlib.nullcontext())
    with mock.patch.object(run_dir, "memory_format", lambda dist: memory_format), \
            mock.patch.object(run_dir, "autocast", cast):
        trainer = PlaceTrainer(config, CachedBatches(random_data(resolution), batch_size=BATCH), run_dir.Distributed(),
                               run_dir.RunDir("", enabled=False), options={})
        phase = phase_at(0, config)

        def step():
            reals, contexts, labels = trainer.fetch_batch(phase)
            trainer.step_discriminator(phase, reals, contexts, labels)
            trainer.step_generator(phase, contexts, labels)
            trainer.update_ema()
        return timed(step, seconds, lambda: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15.0, help="timed wall time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all variants (the median is kept)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    figures = {name: [] for name in VARIANTS}
    for round_ in range(args.rounds):
        for name, (changes, memory_format, dtype, threads) in VARIANTS.items():
            torch.manual_seed(0)
            figures[name].append(measure(args.resolution, changes, memory_format, dtype, threads, args.seconds))
            print(f"round {round_ + 1}: {name}: {figures[name][-1]:.1f} img/s", flush=True)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    baseline = next(iter(medians.values()))
    rows = [f"| {name} | {value:.1f} | {value / baseline:.2f}x |" for name, value in medians.items()]
    text = "\n".join([
        "## Training options on the CPU: images per second",
        "",
        f"Machine: {os.cpu_count()}-core CPU ({platform.processor() or platform.machine()}); torch "
        f"{torch.__version__}. Command: `{COMMAND}"
        f"{f' --resolution {args.resolution}' if args.resolution != 64 else ''}`. Measured "
        f"{date.today().isoformat()}, load average {os.getloadavg()[0]:.2f} at the end (the machine is shared: "
        "the variants take turns, so load touches them alike).",
        "",
        f"| place trainer step at {args.resolution}x{args.resolution}, batch {BATCH} | img/s | against the baseline |",
        "|---|---:|---:|",
        *rows,
        "",
        f"Medians of {args.rounds} rounds of {args.seconds:g} s each (after {3} warm-up steps). Real images consumed "
        "per second, one critic and one generator step per batch, the moving average included.",
    ])
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
