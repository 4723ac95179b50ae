"""`python -m ml compare-budget RUN ... --data DIR [--cpu-hours 0.5 1 2]`: training recipes side by
side at equal CPU time.

Each run's checkpoints record the CPU seconds the run had used when they were written (over all
its resumes), so runs that shared a machine with other work are compared by what they cost, not
by the wall clock. For every budget, each run's latest full-resolution checkpoint within it is
measured with the oracle metrics of `python -m ml eval` (FID and its floor, precision/recall,
conditional accuracy, edge strength) against the held-out photos, and a sample grid of the
contrasting places is written beside the table.
"""
from __future__ import annotations

from pathlib import Path

from ml.cli import CommandError
from ml.eval.cli import DEFAULT_CACHE, DEFAULT_ORACLE, check_oracle, figure

ERROR_BUDGETS = "--cpu-hours must be positive, got {}"


def register(subparsers) -> None:
    parser = subparsers.add_parser("compare-budget", help="measure training runs at equal CPU time",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run folders (place or ground)")
    parser.add_argument("--data", type=Path, required=True, help="dataset with the real held-out photos")
    parser.add_argument("--cpu-hours", type=float, nargs="+", default=[0.5, 1.0, 2.0], help="budgets (0.5 1 2)")
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    parser.add_argument("--images", type=int, default=1000, help="held-out photos at most (default 1000)")
    parser.add_argument("--grids", type=Path, help="folder for a sample grid per run and budget")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="real-feature cache")
    parser.set_defaults(func=run_compare_budget)


def checkpoint_within(run: Path, cpu_seconds: float) -> Path | None:
    """The run's latest full-resolution checkpoint written within `cpu_seconds` (None: none yet)."""
    from ml.train import run_dir

    chosen = None
    for checkpoint in run_dir.list_checkpoints(run):
        state = run_dir.read_checkpoint_state(checkpoint)
        if state.get("full_resolution") and state.get("cpu_seconds", float("inf")) <= cpu_seconds:
            chosen = checkpoint
    return chosen


def run_compare_budget(args) -> int:
    from ml.eval.cli import load_target
    from ml.eval.metrics import evaluate
    from ml.eval.oracle import load_oracle
    from ml.eval.report import EDGE_COLUMN, edge_cell, sample_grid
    from ml.train import run_dir

    if any(hours <= 0 for hours in args.cpu_hours):
        raise CommandError(ERROR_BUDGETS.format(args.cpu_hours))
    check_oracle(args.oracle)
    oracle, oracle_sha256 = load_oracle(args.oracle)
    rows = ["| CPU hours | run | checkpoint (kimg) | FID (floor) | precision / recall | biome / density ratio "
            f"| {EDGE_COLUMN} |", "|---:|---|---:|---:|---:|---:|---:|"]
    for hours in args.cpu_hours:
        for run in args.runs:
            checkpoint = checkpoint_within(run, hours * 3600)
            if checkpoint is None:
                rows.append(f"| {hours:g} | {run.name} | none at full resolution yet | | | | |")
                continue
            pipeline, label, _ = load_target(run, checkpoint.name)
            result = evaluate(pipeline, oracle, oracle_sha256, args.data, max_images=args.images, cache=args.cache,
                              progress=False)
            kimg = run_dir.read_checkpoint_state(checkpoint)["kimg"]
            accuracy = result["conditional_accuracy"]
            rows.append(f"| {hours:g} | {run.parent.name}/{run.name} | {kimg:g} | {result['fid']:.1f} "
                        f"({result['floor']['fid']:.1f}) | {figure(result['precision'])} / {figure(result['recall'])} "
                        f"| {figure(accuracy['biome']['ratio'], 2)} / {figure(accuracy['density']['ratio'], 2)} "
                        f"| {edge_cell(result['edge_strength'])} |")
            print(rows[-1], flush=True)
            if args.grids is not None:
                args.grids.mkdir(parents=True, exist_ok=True)
                sample_grid(pipeline).save(args.grids / f"{run.parent.name}-{hours:g}h.png")
    print("\n".join(rows))
    return 0
