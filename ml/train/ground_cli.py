"""`python -m ml train ground ...`: the options of a ground training run (torch is not imported).

    python -m ml train ground --data DIR [--out RUNS] [--resolution 64] [--width 64]
        [--batch-size 32] [--max-kimg 200] [--no-conditional] [--resume CKPT] [--dry-run] ...
    python -m ml export RUN_DIR --out MODEL_DIR      (fits the land-use head, writes the folder)

Every field of `GroundTrainConfig` and of `GroundConfig` is an option with the same name; unset
ones take the resumed checkpoint's value, else the default.
"""
from __future__ import annotations

import argparse
import dataclasses

from ml.train.ground_config import GroundTrainConfig
from ml.train.options import RECIPE_NOTES, add_train_parser

ARCHITECTURE_OPTIONS = {"resolution": int, "latent_dim": int, "width": int, "overhead_dim": int, "conditional": bool,
                        "land_use_head": bool, "variant": str}
ARCHITECTURE_HELP = {
    "conditional": "condition on the overhead tile (default on; off: the unconditional baseline)",
    "land_use_head": "the critic also classifies the land use a view shows, and the generator is trained to "
                     "make its views show their tile's (default off)",
    "variant": "cgan: the tile as one vector in G and D (default); pix2pix: U-Net G, PatchGAN D",
}
NOT_OPTIONS = ("data", "out", "model", "resume", "dry_run")
TRAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(GroundTrainConfig) if f.name != "model"}
TRAIN_OPTIONS = {name: type(default) if name not in ("ema_rampup", "r1_gamma") else float
                 for name, default in TRAIN_DEFAULTS.items() if name not in NOT_OPTIONS}


def register(kinds) -> None:
    parser = add_train_parser(kinds, "ground", help="train the ground generator (overhead tile -> ground view cGAN)",
                              description="Train the conditional GAN from overhead tiles to ground-level views.",
                              data_help="dataset folder with overhead tiles", train=TRAIN_OPTIONS,
                              defaults=TRAIN_DEFAULTS, architecture=ARCHITECTURE_OPTIONS, config_name="GroundConfig",
                              architecture_help=ARCHITECTURE_HELP, notes={"ema_rampup": "0.05; 0 turns it off", **RECIPE_NOTES})
    parser.set_defaults(func=_train_ground)


def _train_ground(args: argparse.Namespace) -> int:
    from ml.train.ground_commands import run_train_ground

    return run_train_ground(args)
