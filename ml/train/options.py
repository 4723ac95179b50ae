"""What the registry knows of a generator kind, and the command line `python -m ml train KIND`
built from it (declared without importing torch).

Every option-field of the kind's run config (`ml.train.run_config.option_fields`) and every
architecture option the kind declares is a flag of the same name whose unset value (None)
takes the resumed checkpoint's value, else the config's default. A bool is an on/off switch
(`--mirror` / `--no-mirror`).
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path

from ml.cli import flag
from ml.train.run_config import class_notes, option_fields, option_type

# Options whose config value None means "off", which the command line says with 0 (the help's note).
OFF = {"ema_rampup": "; 0 turns it off", "max_minutes": "; 0 turns it off", "snapshot_minutes": "; 0 turns it off"}


@dataclasses.dataclass(frozen=True)
class Kind:
    """A generator kind as the command line, the export and the evaluation see it."""

    name: str
    config: type  # its run config (a RunConfig dataclass); its `model` field is the architecture
    module: str  # the module of its loop, imported only to run: train(config, dist, resume, resume_state),
    #              export(args, options) and checkpoint_pipeline(checkpoint, state, label)
    help: str  # one line in `python -m ml train --help`
    description: str
    data_help: str  # what --data must hold
    architecture: dict[str, type]  # architecture options: name -> type
    architecture_help: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)  # replace a training option's default in its help
    check_resolution: bool = False  # --resolution must be a power of two from 4 to 1024
    head_option: str | None = None  # the architecture's class head, given as ATTRIBUTES (or none)
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None  # options spelled its own way
    check: Callable[..., dict] | None = None  # (args, values, model, resume_state) -> more config fields
    measured_by: str = "eval"  # the command that measures it; `eval` asks its module's checkpoint_pipeline

    @property
    def defaults(self) -> dict:
        return {field.name: field.default for field in dataclasses.fields(self.config) if field.name != "model"}

    @property
    def architecture_class(self) -> type:
        return self.config.__dataclass_fields__["model"].default_factory

    def function(self, name: str) -> Callable:
        """The function `name` of the kind's module, imported now (it imports torch)."""
        return getattr(importlib.import_module(self.module), name)


def add_train_parser(subparsers, kind: Kind) -> argparse.ArgumentParser:
    """The parser of `python -m ml train KIND`: --data, --out, the training options, --resume,
    --dry-run and the architecture group."""
    defaults, notes = kind.defaults, {**class_notes(kind.config), **kind.notes}
    parser = subparsers.add_parser(kind.name, help=kind.help,
                                   description=f"{kind.description} Options left unset take the resumed "
                                               "checkpoint's value, else the default shown.")
    parser.add_argument("--data", type=Path, required=True, help=kind.data_help)
    parser.add_argument("--out", type=Path, default=Path(defaults["out"]),
                        help=f"folder of the run folders (default {defaults['out']})")
    for field in option_fields(kind.config):
        default = defaults[field.name]
        if option_type(field) is bool:
            parser.add_argument(flag(field.name), action=argparse.BooleanOptionalAction, default=None,
                                help=f"(default {'on' if default else 'off'})")
        else:
            parser.add_argument(flag(field.name), type=option_type(field), default=None,
                                help=f"(default {notes.get(field.name, default)}{OFF.get(field.name, '')})")
    if kind.add_arguments is not None:
        kind.add_arguments(parser)
    parser.add_argument("--resume", type=Path, help="checkpoint folder, or a run folder (its latest checkpoint)")
    parser.add_argument("--generator-from", type=Path, metavar="MODEL",
                        help="with --resume: an exported model folder of this kind and architecture whose "
                             "generator (and its average) the run continues with, from the model's kimg; the "
                             "critic, the optimisers and the rest come from the checkpoint")
    parser.add_argument("--dry-run", action="store_true", help="check everything, print what would run, write nothing")
    group = parser.add_argument_group(f"architecture (default: {kind.architecture_class.__name__}'s, "
                                      "or the resumed checkpoint's)")
    for name, option in kind.architecture.items():
        if option is bool:
            group.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                               help=kind.architecture_help.get(name))
        else:
            group.add_argument(flag(name), type=option, default=None, help=kind.architecture_help.get(name))
    return parser
