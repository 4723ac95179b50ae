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
from pathlib import Path

from ml.cli import flag
from ml.train.ground_config import GroundTrainConfig

ARCHITECTURE_OPTIONS = {"resolution": int, "latent_dim": int, "width": int, "overhead_dim": int, "conditional": bool,
                        "land_use_head": bool, "variant": str}
ARCHITECTURE_SWITCHES = {
    "conditional": "condition on the overhead tile (default on; off: the unconditional baseline)",
    "land_use_head": "the critic also classifies the land use a view shows, and the generator is trained to "
                     "make its views show their tile's (default off)",
}
NOT_OPTIONS = ("data", "out", "model", "resume", "dry_run")
TRAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(GroundTrainConfig) if f.name != "model"}
TRAIN_OPTIONS = {name: type(default) if name != "ema_rampup" else float
                 for name, default in TRAIN_DEFAULTS.items() if name not in NOT_OPTIONS}


def register(kinds) -> None:
    parser = kinds.add_parser("ground", help="train the ground generator (overhead tile -> ground view cGAN)",
                              description="Train the conditional GAN from overhead tiles to ground-level views. "
                                          "Options left unset take the resumed checkpoint's value, else the "
                                          "default shown.")
    parser.add_argument("--data", type=Path, required=True, help="dataset folder with overhead tiles")
    parser.add_argument("--out", type=Path, default=Path(TRAIN_DEFAULTS["out"]),
                        help=f"folder of the run folders (default {TRAIN_DEFAULTS['out']})")
    for name, kind in TRAIN_OPTIONS.items():
        if kind is bool:
            parser.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                                help=f"(default {'on' if TRAIN_DEFAULTS[name] else 'off'})")
        else:
            note = "0.05; 0 turns it off" if name == "ema_rampup" else TRAIN_DEFAULTS[name]
            parser.add_argument(flag(name), type=kind, default=None, help=f"(default {note})")
    parser.add_argument("--resume", type=Path, help="checkpoint folder, or a run folder (its latest checkpoint)")
    parser.add_argument("--dry-run", action="store_true", help="check everything, print the options, write nothing")
    group = parser.add_argument_group("architecture (default: GroundConfig's, or the resumed checkpoint's)")
    for name, kind in ARCHITECTURE_OPTIONS.items():
        if kind is bool:
            group.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                               help=ARCHITECTURE_SWITCHES[name])
        elif name == "variant":
            group.add_argument(flag(name), default=None,
                               help="cgan: the tile as one vector in G and D (default); pix2pix: U-Net G, PatchGAN D")
        else:
            group.add_argument(flag(name), type=kind, default=None)
    parser.set_defaults(func=_train_ground)


def _train_ground(args: argparse.Namespace) -> int:
    from ml.train.ground_commands import run_train_ground

    return run_train_ground(args)
