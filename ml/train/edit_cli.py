"""The options of `python -m ml train edit` (declared without importing torch).

    python -m ml train edit --data DIR [--out RUNS] [--batch-size 32] [--max-kimg 200]
        [--resolution 64] [--width 16] [--residual-units 16] [--no-augmentation]
        [--cycle-weight 10] [--kl-weight 1] [--resume CKPT] [--dry-run] ...
    torchrun --nproc-per-node G -m ml train edit ...      (one process per GPU)

Unset options take the resumed checkpoint's value, else the default; an architecture option
that differs from the checkpoint's is refused (the weights would not fit).

The baselines: `--cycle-weight 0` (no cycle loss), `--no-augmentation` (no conditioning
augmentation), `--residual-units 0 --cycle-weight 0` (a SISGAN-like encoder-decoder).
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ml.cli import flag
from ml.train.edit_config import EditTrainConfig

ARCHITECTURE_OPTIONS = ["resolution", "condition_dim", "width", "residual_units", "augmentation", "d_width",
                        "d_text_dim"]
TRAIN_OPTIONS = {
    "batch_size": int, "lr": float, "beta1": float, "beta2": float, "lr_halve_epochs": float,
    "cycle_weight": float, "kl_weight": float, "max_kimg": float, "mirror": bool, "drop_outliers": bool,
    "text_cache": str, "tick_kimg": float, "sample_kimg": float, "snapshot_kimg": float, "seed": int,
}
TRAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(EditTrainConfig) if f.name != "model"}


def register_train(kinds) -> None:
    parser = kinds.add_parser("edit", help="train the text-edit generator (SIMGAN)",
                              description="Train the SIMGAN text-edit generator on captioned pictures. "
                                          "Options left unset take the resumed checkpoint's value, else the "
                                          "default shown.")
    parser.add_argument("--data", type=Path, required=True, help="dataset folder with captions")
    parser.add_argument("--out", type=Path, default=Path(TRAIN_DEFAULTS["out"]),
                        help=f"folder of the run folders (default {TRAIN_DEFAULTS['out']})")
    for name, kind in TRAIN_OPTIONS.items():
        default = TRAIN_DEFAULTS[name]
        if kind is bool:
            parser.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                                help=f"(default {'on' if default else 'off'})")
        else:
            parser.add_argument(flag(name), type=kind, default=None, help=f"(default {default})")
    parser.add_argument("--resume", type=Path, help="checkpoint folder, or a run folder (its latest checkpoint)")
    parser.add_argument("--dry-run", action="store_true", help="check everything, print the options, write nothing")
    group = parser.add_argument_group("architecture (default: EditConfig's, or the resumed checkpoint's)")
    for name in ARCHITECTURE_OPTIONS:
        if name == "augmentation":
            group.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                               help="conditioning augmentation (default on; off: the ablation)")
        else:
            group.add_argument(flag(name), type=int, default=None)
    parser.set_defaults(func=_train_edit)


def _train_edit(args: argparse.Namespace) -> int:
    from ml.train.edit_commands import run_train_edit

    return run_train_edit(args)
