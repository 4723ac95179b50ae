"""The options of `python -m ml train edit` (declared without importing torch).

    python -m ml train edit --data DIR [--out RUNS] [--batch-size 32] [--max-kimg 200]
        [--resolution 64] [--width 16] [--residual-units 16] [--no-augmentation]
        [--cycle-weight 10] [--kl-weight 1] [--resume CKPT] [--dry-run] ...
    torchrun --nproc-per-node G -m ml train edit ...      (one process per GPU)

Unset options take the resumed checkpoint's value, else the default; an architecture option
that differs from the checkpoint's is refused (the weights would not fit).

The baselines: `--cycle-weight 0` (no cycle loss), `--no-augmentation` (no conditioning
augmentation), `--residual-units 0 --cycle-weight 0` (a SISGAN-like encoder-decoder).
Beyond SIMGAN's recipe: `--attribute-head ATTRIBUTES`, `--phrase-edits SHARE` and
`--identity-weight W` and `--ema-kimg K` (see `ml.train.edit`).
"""
from __future__ import annotations

import argparse
import dataclasses

from ml.train.edit_config import EditTrainConfig
from ml.train.options import add_train_parser

ARCHITECTURE_OPTIONS = {"resolution": int, "condition_dim": int, "width": int, "residual_units": int,
                        "augmentation": bool, "d_width": int, "d_text_dim": int, "standardize_text": bool,
                        "decoder": str, "attribute_head": str}
ARCHITECTURE_HELP = {
    "decoder": "how the decoder doubles the side: transposed (SIMGAN's, default), resize (upsample, then a "
               "3x3 convolution) or subpixel (pixel shuffle, ICNR-initialised); the last two have no checkerboard",
    "augmentation": "conditioning augmentation (default on; off: the ablation)",
    "standardize_text": "both networks see the sentence embeddings standardised per dimension over the training "
                        "texts, so different texts give clearly different conditions from the first step (default off)",
    "attribute_head": "ATTRIBUTES (e.g. biome,time_of_day,weather), or none: the discriminator also classifies "
                      "each picture into these attribute classes of the data (dataset.json), learnt on the real "
                      "pictures, and the generator is trained so that its edits get the classes the target text "
                      "asks for (weighted by --attribute-weight; default none)",
}
TRAIN_OPTIONS = {
    "batch_size": int, "lr": float, "beta1": float, "beta2": float, "lr_halve_epochs": float,
    "cycle_weight": float, "identity_weight": float, "kl_weight": float, "attribute_weight": float,
    "phrase_edits": float, "ema_kimg": float, "ema_rampup": float, "max_kimg": float, "mirror": bool,
    "drop_outliers": bool,
    "text_cache": str, "tick_kimg": float, "sample_kimg": float, "snapshot_kimg": float, "seed": int,
}
TRAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(EditTrainConfig) if f.name != "model"}


def register_train(kinds) -> None:
    parser = add_train_parser(kinds, "edit", help="train the text-edit generator (SIMGAN)",
                              description="Train the SIMGAN text-edit generator on captioned pictures.",
                              data_help="dataset folder with captions", train=TRAIN_OPTIONS, defaults=TRAIN_DEFAULTS,
                              architecture=ARCHITECTURE_OPTIONS, config_name="EditConfig",
                              architecture_help=ARCHITECTURE_HELP,
                              notes={"ema_kimg": "0: none, the export takes the generator itself",
                                     "ema_rampup": "0.05; 0 turns it off"})
    parser.set_defaults(func=_train_edit)


def _train_edit(args: argparse.Namespace) -> int:
    from ml.train.edit_commands import run_train_edit

    return run_train_edit(args)
