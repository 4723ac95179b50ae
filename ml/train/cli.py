"""`python -m ml train place ...` and `python -m ml export RUN_DIR ...`.

    python -m ml train place --data DIR [--out RUNS] [--cities 1|25|all] [--batch-size 32]
        [--max-kimg K] [--fade-kimg K] [--stable-kimg K] [--resolution 64] [--resume CKPT]
        [--dry-run] ...       (python -m ml train place --help lists every option)
    torchrun --nproc-per-node G -m ml train place ...      (one process per GPU)

    python -m ml train ground --data DIR [--resolution 64] [--max-kimg K] ...   (ml.train.ground_cli)

    python -m ml export RUN_DIR --out MODEL_DIR [--checkpoint best|latest|NAME]

This module only declares the options, without importing torch (every `python -m ml` command
imports it); `ml.train.commands` checks them, once, before anything is written, and runs them.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ml.train import edit_cli, ground_cli
from ml.train.options import RECIPE_NOTES, add_train_parser
from ml.train.place_config import PlaceTrainConfig

ARCHITECTURE_OPTIONS = {"resolution": int, "latent_dim": int, "fmap_base": int, "fmap_max": int, "fmap_min": int,
                        "context_frequencies": int, "context_embed_dim": int, "context_noise_std": float,
                        "conditional": bool, "condition_blocks": bool, "context_population": bool,
                        "context_head": str}
ARCHITECTURE_HELP = {
    "conditional": "condition on the place (default on; off: the unconditional ablation)",
    "condition_blocks": "the place also shifts every generator stage's features (default off)",
    "context_population": "the context also holds the population of the nearest world city, so a village and a "
                          "metropolis a few kilometres apart get different conditions (default off)",
    "context_head": "ATTRIBUTES (e.g. biome,density), or none: the critic also classifies each picture into "
                    "these attribute classes of the data (dataset.json), learnt on the real photos, and the "
                    "generator is trained so that its pictures of a place get that place's classes (AC-GAN, "
                    "weighted by --context-weight; default none)",
}

# Training options of the command line: name -> type. Unset ones take the resumed checkpoint's
# value, else PlaceTrainConfig's default, so a resume continues the same schedule unless told.
TRAIN_OPTIONS = {
    "batch_size": int, "n_critic": int, "start_resolution": int, "seed": int, "lr": float, "beta1": float,
    "beta2": float, "gp_weight": float, "drift_weight": float, "context_weight": float, "fade_kimg": float, "stable_kimg": float,
    "max_kimg": float, "ema_kimg": float, "ema_rampup": float, "tick_kimg": float, "sample_kimg": float,
    "snapshot_kimg": float, "mirror": bool, "drop_outliers": bool, "reset_optimizers_on_grow": bool,
    "stream": bool, "data_workers": int, "loss": str, "r1_gamma": float, "r1_interval": int, "augment": str,
    "threads": int,
}
# The defaults, read without building a config (that would import torch for PlaceConfig).
TRAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(PlaceTrainConfig) if f.name != "model"}


def register(subparsers) -> None:
    train = subparsers.add_parser("train", help="train a generator", description="Train a generator.")
    kinds = train.add_subparsers(dest="kind", required=True)
    _register_train_place(kinds)
    ground_cli.register(kinds)
    edit_cli.register_train(kinds)
    export = subparsers.add_parser(
        "export", help="export a training run's checkpoint as a model folder",
        description="Write a model folder (weights.safetensors + config.json) from a run's checkpoint. "
                    "'best' picks the full-resolution checkpoint with the smallest duality gap on "
                    "held-out cities.")
    export.add_argument("run", type=Path, metavar="RUN_DIR", help="the run folder")
    export.add_argument("--out", type=Path, required=True, help="new or empty model folder")
    export.add_argument("--checkpoint", default="best", help="best (default), latest or a checkpoint name")
    export.add_argument("--data", type=Path, help="dataset for the gap (default: the run's own)")
    export.add_argument("--gap-steps", type=int, default=20, help="steps of each worst-case player (20)")
    export.add_argument("--gap-batch", type=int, default=32, help="batch of the gap estimate (32)")
    export.add_argument("--gap-images", type=int, default=1024, help="held-out images used at most (1024)")
    export.set_defaults(func=_export)


def _register_train_place(kinds) -> None:
    parser = add_train_parser(kinds, "place", help="train the place generator (progressive WGAN-GP)",
                              description="Train the location-conditional place generator.",
                              data_help="dataset folder", train=TRAIN_OPTIONS, defaults=TRAIN_DEFAULTS,
                              architecture=ARCHITECTURE_OPTIONS, config_name="PlaceConfig",
                              architecture_help=ARCHITECTURE_HELP,
                              notes={"max_kimg": "end of the schedule", "ema_rampup": "0.05; 0 turns it off", **RECIPE_NOTES})
    parser.add_argument("--cities", help="curriculum: train on the first N cities (1, 25, ...) or all (default all)")
    parser.set_defaults(func=_train_place)


def _train_place(args: argparse.Namespace) -> int:
    from ml.train.commands import run_train_place

    return run_train_place(args)


def _export(args: argparse.Namespace) -> int:
    from ml.train.commands import run_export

    return run_export(args)
