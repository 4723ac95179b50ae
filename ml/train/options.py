"""The options every `python -m ml train KIND` command line has (declared without importing torch).

Each kind declares its training options (name -> type, the fields of its run config) and its
architecture options (name -> type, the fields of its architecture config); every one is a flag
of the same name whose unset value (None) takes the resumed checkpoint's value, else the
config's default. A bool is an on/off switch (`--mirror` / `--no-mirror`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli import flag

# The help of the adversarial recipe's options, the same for place and ground.
RECIPE_NOTES = {"loss": "wgan-gp; or logistic: non-saturating loss with lazy R1 on reals",
                "r1_gamma": "0.0002 * resolution^2 / batch size", "r1_interval": "16 critic steps",
                "augment": "none; a list of color,translation,cutout applied to reals and fakes alike",
                "threads": "0: PyTorch's default"}


def add_train_parser(kinds, kind: str, *, help: str, description: str, data_help: str, train: dict[str, type],
                     defaults: dict, architecture: dict[str, type], config_name: str,
                     notes: dict[str, str] | None = None,
                     architecture_help: dict[str, str] | None = None) -> argparse.ArgumentParser:
    """The parser of `python -m ml train KIND`: --data, --out, the training options, --resume,
    --dry-run and the architecture group. `notes` replace a training option's default in its
    help; `architecture_help` explains an architecture option."""
    notes, architecture_help = notes or {}, architecture_help or {}
    parser = kinds.add_parser(kind, help=help, description=f"{description} Options left unset take the resumed "
                                                           "checkpoint's value, else the default shown.")
    parser.add_argument("--data", type=Path, required=True, help=data_help)
    parser.add_argument("--out", type=Path, default=Path(defaults["out"]),
                        help=f"folder of the run folders (default {defaults['out']})")
    for name, kind in train.items():
        if kind is bool:
            parser.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                                help=f"(default {'on' if defaults[name] else 'off'})")
        else:
            parser.add_argument(flag(name), type=kind, default=None,
                                help=f"(default {notes.get(name, defaults[name])})")
    parser.add_argument("--resume", type=Path, help="checkpoint folder, or a run folder (its latest checkpoint)")
    parser.add_argument("--dry-run", action="store_true", help="check everything, print what would run, write nothing")
    group = parser.add_argument_group(f"architecture (default: {config_name}'s, or the resumed checkpoint's)")
    for name, kind in architecture.items():
        if kind is bool:
            group.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                               help=architecture_help.get(name))
        else:
            group.add_argument(flag(name), type=kind, default=None, help=architecture_help.get(name))
    return parser
