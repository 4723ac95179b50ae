"""`python -m ml recipe gpu --out DIR [--minutes 10] [--tiny]`: one command for a lent GPU.

On the machine it runs on, in order, each step a call of the package's own commands:

1. render the same GeoScenes scenes at the small side (64), the large one (128) and the
   upsampler's target (256);
2. train `place` at 64 and at 128, `ground` and `edit` at 64 and the upsampler from 64 to 256,
   each for its share of the minutes (`--max-minutes`) with a checkpoint every minute
   (`--snapshot-minutes 1`), in bf16 + channels-last on CUDA;
3. after each run, a throughput probe: the run resumed from its last checkpoint for a few
   seconds in bf16 + channels-last, then the same in fp32 (`--no-mixed-precision`), so both
   are measured at the same step of the same run (on a CPU both are fp32);
4. export every run (its latest checkpoint) and measure the model folder with its kind's eval
   command;
5. write `DIR/recipe.json` (after every step, so a cut-short recipe leaves its figures) and
   `DIR/RECIPE.md`: images/s per kind, bf16 against fp32, minutes per step, the eval figures.

`--tiny` runs the same steps on a few cities at 16/32/64 px with tiny networks: the plumbing's
test on a CPU. The step shares of the minutes are `SHARES`; exports, evals and the probes use
the rest.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from ml.cli import CommandError

ERROR_MINUTES = "--minutes must be positive, got {}"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"
ERROR_STEP = "step {}: `python -m ml {}` failed (exit status {})"
RECIPE_FILE, REPORT_FILE = "recipe.json", "RECIPE.md"
# Each step's share of --minutes; a training step's loop gets TRAIN_SHARE of its own, the rest
# goes to loading the data and the final snapshot.
SHARES = {"data": 0.08, "place": 0.18, "place-large": 0.18, "ground": 0.14, "edit": 0.14, "upsample": 0.08}
TRAIN_SHARE = 0.85
LONG = "100000"  # --max-kimg and kimg intervals of runs that the clock ends and snapshots
PRECISIONS = {"bf16 + channels-last": "--mixed-precision", "fp32": "--no-mixed-precision"}
# The figures RECIPE.md shows of each eval command's record (recipe.json keeps all of them).
HEADLINES = {
    "eval": ["images", "fid", "floor.fid", "kid", "conditional_accuracy.biome.ratio",
             "conditional_accuracy.density.ratio", "precision", "recall"],
    "eval-edit": ["images", "accuracy", "visitor_accuracy", "consistency", "fid", "sharpness", "diversity"],
    "eval-upsample": ["images", "side", "upsampler.psnr", "bicubic.psnr", "upsampler.fid", "bicubic.fid"],
}


@dataclass(frozen=True)
class Scale:
    """What differs between the recipe for a GPU and its tiny rehearsal on a CPU."""

    cities: int
    per_city: int
    small: int  # side of place, ground, edit and the upsampler's input
    large: int  # side of the second place run
    target: int  # side of the upsampler's output (its --target data)
    batch: int
    tick_steps: int  # steps per stats.jsonl line, the points the images/s are read from
    probe_seconds: float
    eval_images: int
    kinds: dict[str, list[str]] = field(default_factory=dict)  # step -> its architecture options


FULL = Scale(
    cities=1000, per_city=8, small=64, large=128, target=256, batch=64, tick_steps=50, probe_seconds=6,
    eval_images=1000,
    kinds={"place": ["--start-resolution", "8", "--fade-kimg", "10", "--stable-kimg", "10", "--context-population",
                     "--context-head", "biome,density", "--context-weight", "10"],
           "place-large": ["--start-resolution", "16", "--fade-kimg", "10", "--stable-kimg", "10",
                           "--context-population", "--context-head", "biome,density", "--context-weight", "10"],
           "ground": ["--land-use-head", "--land-use-weight", "30"],
           "edit": ["--standardize-text", "--attribute-head", "biome,time_of_day,weather,density",
                    "--phrase-edits", "0.5", "--ema-kimg", "10"],
           "upsample": ["--scale", "4"]})
TINY_PLACE = ["--latent-dim", "8", "--fmap-base", "64", "--fmap-max", "16", "--fmap-min", "8", "--context-frequencies",
              "2", "--context-embed-dim", "8", "--fade-kimg", "0.008", "--stable-kimg", "0.008"]
TINY = Scale(
    cities=40, per_city=2, small=16, large=32, target=64, batch=4, tick_steps=2, probe_seconds=0.5, eval_images=8,
    kinds={"place": ["--start-resolution", "8", *TINY_PLACE], "place-large": ["--start-resolution", "16", *TINY_PLACE],
           "ground": ["--latent-dim", "8", "--width", "16", "--overhead-dim", "8"],
           "edit": ["--width", "4", "--residual-units", "2", "--condition-dim", "8", "--d-width", "4",
                    "--d-text-dim", "8"],
           "upsample": ["--scale", "4", "--width", "8", "--layers", "2"]})


@dataclass(frozen=True)
class TrainStep:
    """One training step of the recipe: the kind, its data (and the upsampler's target) by side."""

    name: str
    kind: str
    side: str  # "small" or "large": the data it trains on
    eval_command: str


TRAIN_STEPS = [TrainStep("place", "place", "small", "eval"), TrainStep("place-large", "place", "large", "eval"),
               TrainStep("ground", "ground", "small", "eval"), TrainStep("edit", "edit", "small", "eval-edit"),
               TrainStep("upsample", "upsample", "small", "eval-upsample")]


def register(subparsers) -> None:
    recipe = subparsers.add_parser("recipe", help="run a whole recipe on this machine",
                                   description="Recipes that render, train, export and measure in one command.")
    recipes = recipe.add_subparsers(dest="recipe", required=True)
    gpu = recipes.add_parser("gpu", help="render, train every kind, export and measure within --minutes",
                             description=__doc__.splitlines()[0])
    gpu.add_argument("--out", type=Path, required=True, help="new or empty folder for data, runs, models, figures")
    gpu.add_argument("--minutes", type=float, default=10.0, help="the time the whole recipe aims to fit in (10)")
    gpu.add_argument("--tiny", action="store_true", help="a few cities at 16-64 px, tiny networks: the CPU rehearsal")
    gpu.set_defaults(func=run_gpu_recipe)


def run_gpu_recipe(args: argparse.Namespace) -> int:
    if not args.minutes > 0:
        raise CommandError(ERROR_MINUTES.format(args.minutes))
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(args.out))
    Recipe(args.out, args.minutes, TINY if args.tiny else FULL).run()
    return 0


class Recipe:
    """The steps of one recipe run and the record of what each took and measured."""

    def __init__(self, out: Path, minutes: float, scale: Scale):
        import torch

        self.out, self.minutes, self.scale = out, minutes, scale
        self.cuda = torch.cuda.is_available()
        self.record = {"minutes_budget": minutes, "tiny": scale is TINY,
                       "device": torch.cuda.get_device_name(0) if self.cuda else "cpu",
                       "steps": {}, "models": {}}
        self.started = time.perf_counter()

    def run(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.render_data()
        for step in TRAIN_STEPS:
            run = self.train(step)
            self.probe(step, run)
            self.export_and_measure(step, run)
        self.record["minutes_used"] = round((time.perf_counter() - self.started) / 60, 2)
        self.save()
        (self.out / REPORT_FILE).write_text(format_report(self.record), encoding="utf-8")
        print(f"wrote {self.out / RECIPE_FILE} and {self.out / REPORT_FILE} "
              f"({self.record['minutes_used']:g} of {self.minutes:g} minutes)")

    # -----------------------------------------------------------------------------------------
    # The steps

    def data(self, side: str) -> Path:
        return self.out / "data" / f"geoscenes-{getattr(self.scale, side)}"

    def render_data(self) -> None:
        """The same scenes (cities, photos per city, seed) at the three sides."""
        start = time.perf_counter()
        for side in ("small", "large", "target"):
            self.command("data", ["geoscenes", "--cities", str(self.scale.cities), "--per-city",
                                  str(self.scale.per_city), "--size", str(getattr(self.scale, side)),
                                  "--out", str(self.data(side)), "--workers", str(os.cpu_count() or 1)])
        self.finish_step("data", start)

    def train(self, step: TrainStep) -> Path:
        """The step's run, ended by its minutes, with a checkpoint every minute; its folder."""
        start, scale = time.perf_counter(), self.scale
        resolution = getattr(scale, step.side)
        target = ["--target", str(self.data("target"))] if step.kind == "upsample" else []
        self.command(step.name, ["train", step.kind, "--data", str(self.data(step.side)),
                                 "--out", str(self.out / "runs" / step.name), *target,
                                 "--resolution", str(resolution), "--batch-size", str(scale.batch),
                                 "--max-kimg", LONG, "--max-minutes", f"{self.train_minutes(step.name):.4f}",
                                 "--snapshot-minutes", "1", "--snapshot-kimg", LONG,
                                 "--tick-kimg", self.tick_kimg(), "--sample-kimg", LONG,
                                 *scale.kinds[step.name]])
        (run,) = (self.out / "runs" / step.name).iterdir()
        self.finish_step(step.name, start, images_per_second=median_rate(run), run=str(run))
        return run

    def probe(self, step: TrainStep, run: Path) -> None:
        """The run resumed for a few seconds in each precision: images/s of the same step."""
        start, rates = time.perf_counter(), {}
        for precision, option in PRECISIONS.items():
            out = self.out / "probes" / f"{step.name}-{option.strip('-')}"
            self.command(f"{step.name} probe", ["train", step.kind, "--data", str(self.data(step.side)),
                                                "--out", str(out), "--resume", str(run), option,
                                                "--max-minutes", f"{self.scale.probe_seconds / 60:.4f}",
                                                "--snapshot-minutes", "0", "--tick-kimg", self.tick_kimg()])
            (probe_run,) = out.iterdir()
            rates[precision] = median_rate(probe_run)
        self.finish_step(f"{step.name} probe", start, images_per_second=rates,
                         note=None if self.cuda else "no CUDA: both ran in fp32 (bf16 + channels-last are for CUDA)")

    def export_and_measure(self, step: TrainStep, run: Path) -> None:
        """The run's latest checkpoint as a model folder, measured by its kind's eval command."""
        start, model = time.perf_counter(), self.out / "models" / step.name
        self.command(f"{step.name} export", ["export", str(run), "--out", str(model), "--checkpoint", "latest"])
        data = str(self.data(step.side))
        images = ["--images", str(self.scale.eval_images)]
        extra = {"eval": ["--cache", str(self.out / "eval-cache")], "eval-edit": [],
                 "eval-upsample": ["--target", str(self.data("target"))]}[step.eval_command]
        self.command(f"{step.name} eval", [step.eval_command, str(model), "--data", data, *images, *extra])
        self.record["models"][step.name] = {"folder": str(model), "eval_command": step.eval_command,
                                            "eval": last_metrics(model)}
        self.finish_step(f"{step.name} export + eval", start)

    # -----------------------------------------------------------------------------------------
    # Bookkeeping

    def train_minutes(self, name: str) -> float:
        return SHARES[name] * self.minutes * TRAIN_SHARE

    def tick_kimg(self) -> str:
        return f"{self.scale.batch * self.scale.tick_steps / 1000:g}"

    def command(self, step: str, argv: list[str]) -> None:
        """`python -m ml ARGV` in this process; a failure stops the recipe, naming the step."""
        from ml.cli import main

        print(f"[recipe] {step}: python -m ml {' '.join(argv)}", flush=True)
        status = main(argv)
        if status:
            raise CommandError(ERROR_STEP.format(step, argv[0], status))

    def finish_step(self, name: str, start: float, **figures) -> None:
        minutes = (time.perf_counter() - start) / 60
        budget = SHARES.get(name)
        self.record["steps"][name] = {"minutes": round(minutes, 3),
                                      "budget_minutes": None if budget is None else round(budget * self.minutes, 3),
                                      **{key: value for key, value in figures.items() if value is not None}}
        print(f"[recipe] {name}: {minutes:.2f} min" + (f", {figures['images_per_second']} images/s"
                                                        if "images_per_second" in figures else ""), flush=True)
        self.save()

    def save(self) -> None:
        (self.out / RECIPE_FILE).write_text(json.dumps(self.record, indent=2) + "\n", encoding="utf-8")


def median_rate(run: Path) -> float | None:
    """Images/s of a run: the median of its stats.jsonl lines, leaving out the first (warm-up,
    cuDNN's autotuning) when there are others."""
    lines = (run / "stats.jsonl").read_text(encoding="utf-8").splitlines()
    rates = [json.loads(line)["images_per_second"] for line in lines if line.strip()]
    return round(statistics.median(rates[1:] or rates), 1) if rates else None


def last_metrics(model: Path) -> dict:
    """The figures the eval command appended last to the model folder's metrics.jsonl."""
    lines = (model / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1])


def format_report(record: dict) -> str:
    """RECIPE.md: the run's device and minutes, then a table per step and the eval figures."""
    lines = [f"# GPU recipe on {record['device']}{' (tiny)' if record['tiny'] else ''}", "",
             f"{record['minutes_used']:g} minutes used of {record['minutes_budget']:g}.", "",
             "| step | minutes | budget | images/s |", "|---|---|---|---|"]
    for name, step in record["steps"].items():
        rate = step.get("images_per_second")
        if isinstance(rate, dict):
            rate = "; ".join(f"{precision} {value}" for precision, value in rate.items())
        budget = step["budget_minutes"]
        lines.append(f"| {name} | {step['minutes']:g} | {'' if budget is None else f'{budget:g}'} | "
                     f"{'' if rate is None else rate} |")
    notes = sorted({step["note"] for step in record["steps"].values() if "note" in step})
    lines += ["", *notes, "", "## Eval figures", ""]
    for name, model in record["models"].items():
        figures = ", ".join(f"{key} {value:.4g}" for key in HEADLINES[model["eval_command"]]
                            if (value := figure_at(model["eval"], key)) is not None)
        lines.append(f"- **{name}** (`{model['eval_command']} {model['folder']}`): {figures}")
    return "\n".join(lines) + "\n"


def figure_at(record: dict, dotted: str) -> float | None:
    """The number at a dotted key of an eval record (`floor.fid`), or None where it has none."""
    value = record
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
