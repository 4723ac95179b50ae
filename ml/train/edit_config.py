"""The `edit` kind's run: its config and its registry entry (no torch needed to import this module).

`EditTrainConfig` is the one typed config of a run: the shared fields (`ml.train.run_config`)
with SIMGAN's defaults (Adam 2e-4, betas (0.5, 0.999), halved every 50 epochs; lambda_c = 10,
lambda_ca = 1) and the edit loop's own, checked once by the command line (`ml.train.launch`).
`EDIT` is the kind's entry in the registry (`ml.train.kinds`).

The baselines: `--cycle-weight 0` (no cycle loss), `--no-augmentation` (no conditioning
augmentation), `--residual-units 0 --cycle-weight 0` (a SISGAN-like encoder-decoder). Beyond
SIMGAN's recipe: `--attribute-head`, `--phrase-edits`, `--identity-weight`, `--paired-weight`
and `--ema-kimg` (see `ml.train.edit`).
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from ml.cli import CommandError
from ml.models.configs import EditConfig
from ml.train.options import Kind
from ml.train.run_config import RunConfig

KIND = "edit"
DEFAULT_TEXT_CACHE = str(Path(os.environ.get("GENIUS_LOCI_TEXT_CACHE",
                                             Path.home() / ".cache" / "genius-loci" / "text")))
ERROR_BATCH_TWO = "--batch-size must give each process at least 2 pictures (a mismatching text comes from another), got {}"
ERROR_PHRASE_SHARE = "--phrase-edits must be a share between 0 and 1, got {}"
ERROR_PAIRED_WITHOUT_PHRASES = "--paired-weight {} needs --phrase-edits above 0: only edits to one value have a variant"


@dataclass
class EditTrainConfig(RunConfig):
    model: EditConfig = field(default_factory=EditConfig)  # the networks' architecture
    lr: float = 2e-4  # Adam learning rate of both networks (SIMGAN)
    beta1: float = 0.5  # Adam betas of DCGAN-style training
    beta2: float = 0.999
    lr_halve_epochs: float = 50.0  # the learning rate halves every this many epochs
    cycle_weight: float = 10.0  # lambda_c of the cycle loss (0: the no-cycle ablation)
    identity_weight: float = 0.0  # weight of |G(x, a text x matches) - x|_1 (0: off, as in SIMGAN)
    kl_weight: float = 1.0  # lambda_ca of the conditioning-augmentation KL (forward edit only)
    attribute_weight: float = 1.0  # weight of the attribute-class loss of both players (architecture's attribute_head)
    phrase_edits: float = 0.0  # share of edits whose target names one attribute value (0: captions only)
    paired_weight: float = 0.0  # weight of |G(x, phrase) - x's variant with that value|_1 (0: off; data with --variants)
    ema_kimg: float = 0.0  # half-life of G_ema, in thousands of images (0: none; the export takes G itself)
    max_kimg: float = 200.0  # thousands of pictures to train on
    text_cache: str = DEFAULT_TEXT_CACHE  # where the captions' embeddings are stored between runs
    tick_kimg: float = 2.0  # a stats.jsonl line every this many kimg
    sample_kimg: float = 10.0  # a sample grid every this many kimg (and at the end)
    snapshot_kimg: float = 25.0  # a checkpoint every this many kimg (and at the end)

    POSITIVE = ("lr_halve_epochs",)
    NON_NEGATIVE = ("cycle_weight", "identity_weight", "kl_weight", "attribute_weight", "paired_weight")


def check_options(args: argparse.Namespace, values: dict, model: EditConfig, resume_state: dict | None) -> dict:
    """A mismatching text comes from another picture of the batch; a share is a share; the paired
    loss needs phrase edits."""
    if values["batch_size"] < 2:
        raise CommandError(ERROR_BATCH_TWO.format(values["batch_size"]))
    if not 0 <= values["phrase_edits"] <= 1:
        raise CommandError(ERROR_PHRASE_SHARE.format(values["phrase_edits"]))
    if values["paired_weight"] > 0 and values["phrase_edits"] == 0:
        raise CommandError(ERROR_PAIRED_WITHOUT_PHRASES.format(values["paired_weight"]))
    return {}


EDIT = Kind(
    name=KIND, config=EditTrainConfig, module="ml.train.edit",
    help="train the text-edit generator (SIMGAN)",
    description="Train the SIMGAN text-edit generator on captioned pictures.",
    data_help="dataset folder with captions",
    architecture={"resolution": int, "condition_dim": int, "width": int, "residual_units": int,
                  "augmentation": bool, "d_width": int, "d_text_dim": int, "standardize_text": bool,
                  "decoder": str, "source_skip": bool, "attribute_head": str},
    architecture_help={
        "decoder": "how the decoder doubles the side: transposed (SIMGAN's, default), resize (upsample, then a "
                   "3x3 convolution) or subpixel (pixel shuffle, ICNR-initialised); the last two have no checkerboard",
        "augmentation": "conditioning augmentation (default on; off: the ablation)",
        "source_skip": "the decoder paints a change added to the source before the last tanh, starting from "
                       "the identity, so what the text leaves alone keeps its edges (default off: SIMGAN's "
                       "decoder paints the whole picture)",
        "standardize_text": "both networks see the sentence embeddings standardised per dimension over the "
                            "training texts, so different texts give clearly different conditions from the first "
                            "step (default off)",
        "attribute_head": "ATTRIBUTES (e.g. biome,time_of_day,weather), or none: the discriminator also classifies "
                          "each picture into these attribute classes of the data (dataset.json), learnt on the "
                          "real pictures, and the generator is trained so that its edits get the classes the "
                          "target text asks for (weighted by --attribute-weight; default none)",
    },
    notes={"ema_kimg": "0: none, the export takes the generator itself"}, head_option="attribute_head",
    check=check_options, measured_by="eval-edit")
