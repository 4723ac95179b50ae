"""`python -m ml train KIND ...` and `python -m ml export RUN_DIR ...`, for every kind in the
registry (`ml.train.kinds`).

    python -m ml train place --data DIR [--out RUNS] [--cities 1|25|all] [--batch-size 32]
        [--max-kimg K] [--fade-kimg K] [--stable-kimg K] [--resolution 64] [--resume CKPT]
        [--dry-run] ...       (python -m ml train KIND --help lists every option)
    torchrun --nproc-per-node G -m ml train KIND ...      (one process per GPU)

    python -m ml export RUN_DIR --out MODEL_DIR [--checkpoint best|latest|NAME] [--average N]
    python -m ml handoff RUN_DIR --out DIR [--checkpoint latest|NAME]   (to continue elsewhere)

This module only declares the options, without importing torch (every `python -m ml` command
imports it); `ml.train.launch` checks them, once, before anything is written, and runs them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ml.train.kinds import KINDS
from ml.train.options import add_train_parser


def register(subparsers) -> None:
    train = subparsers.add_parser("train", help="train a generator", description="Train a generator.")
    kinds = train.add_subparsers(dest="kind", required=True)
    for kind in KINDS.values():
        add_train_parser(kinds, kind).set_defaults(func=_train)
    export = subparsers.add_parser(
        "export", help="export a training run's checkpoint as a model folder",
        description="Write a model folder (weights.safetensors + config.json) from a run's checkpoint. "
                    "'best' picks the full-resolution checkpoint with the smallest duality gap on "
                    "held-out cities (an edit run's is its latest).")
    export.add_argument("run", type=Path, metavar="RUN_DIR", help="the run folder")
    export.add_argument("--out", type=Path, required=True, help="new or empty model folder")
    export.add_argument("--checkpoint", default="best", help="best (default), latest or a checkpoint name")
    export.add_argument("--average", type=int, default=1,
                        help="the generator's weights averaged over the chosen checkpoint and the N-1 before it (1)")
    export.add_argument("--data", type=Path, help="dataset for the gap (default: the run's own)")
    export.add_argument("--gap-steps", type=int, default=20, help="steps of each worst-case player (20)")
    export.add_argument("--gap-batch", type=int, default=32, help="batch of the gap estimate (32)")
    export.add_argument("--gap-images", type=int, default=1024, help="held-out images used at most (1024)")
    export.set_defaults(func=_export)
    handoff = subparsers.add_parser(
        "handoff", help="a run's checkpoint, small enough to commit, for another machine to continue",
        description="Copy a run's checkpoint with its optimisers' moments in bf16, one file per optimiser, "
                    "every file at most 5 MB; `train KIND --resume DIR` continues from it.")
    handoff.add_argument("run", type=Path, metavar="RUN_DIR", help="the run folder")
    handoff.add_argument("--out", type=Path, required=True, help="new or empty folder")
    handoff.add_argument("--checkpoint", default="latest", help="latest (default) or a checkpoint name")
    handoff.set_defaults(func=_handoff)


def _train(args: argparse.Namespace) -> int:
    from ml.train.launch import run_training

    return run_training(KINDS[args.kind], args)


def _handoff(args: argparse.Namespace) -> int:
    from ml.train.handoff import run_handoff

    return run_handoff(args)


def _export(args: argparse.Namespace) -> int:
    from ml.train.export import run_export

    return run_export(args)
