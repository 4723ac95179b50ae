"""The options of an `edit` training run (no torch needed to read them).

`EditTrainConfig` is the one typed config of a run: every hyper-parameter of the loop is a
field here with its default, checked once by the command line (`ml.train.edit_commands`).
The defaults are SIMGAN's: Adam 2e-4 halved every 50 epochs, lambda_c = 10, lambda_ca = 1.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ml.configs import TrainConfig

if TYPE_CHECKING:
    from ml.models.edit import EditConfig

KIND = "edit"
DEFAULT_TEXT_CACHE = str(Path(os.environ.get("GENIUS_LOCI_TEXT_CACHE",
                                             Path.home() / ".cache" / "genius-loci" / "text")))


def _default_architecture() -> EditConfig:
    from ml.models.edit import EditConfig

    return EditConfig()


@dataclass
class EditTrainConfig(TrainConfig):
    data: str  # dataset folder with captions (python -m ml geoscenes ...)
    out: str = "runs"  # run folders are numbered inside it
    model: EditConfig = field(default_factory=_default_architecture)  # the networks' architecture
    batch_size: int = 32  # pictures per step, over all ranks
    lr: float = 2e-4  # Adam learning rate of both networks (SIMGAN)
    beta1: float = 0.5  # Adam betas of DCGAN-style training
    beta2: float = 0.999
    lr_halve_epochs: float = 50.0  # the learning rate halves every this many epochs
    cycle_weight: float = 10.0  # lambda_c of the cycle loss (0: the no-cycle ablation)
    identity_weight: float = 0.0  # weight of |G(x, a text x matches) - x|_1 (0: off, as in SIMGAN)
    kl_weight: float = 1.0  # lambda_ca of the conditioning-augmentation KL (forward edit only)
    attribute_weight: float = 1.0  # weight of the attribute-class loss of both players (architecture's attribute_head)
    phrase_edits: float = 0.0  # share of edits whose target names one attribute value (0: captions only)
    ema_kimg: float = 0.0  # half-life of G_ema, in thousands of images (0: none; the export takes G itself)
    ema_rampup: float | None = 0.05  # half-life at most this share of the images seen so far
    max_kimg: float = 200.0  # thousands of pictures to train on
    mirror: bool = True  # flip pictures left-right at random (photos have no handedness)
    drop_outliers: bool = True  # leave out rows the manifest marks as outliers (their captions say nothing of a place)
    text_cache: str = DEFAULT_TEXT_CACHE  # where the captions' embeddings are stored between runs
    tick_kimg: float = 2.0  # a stats.jsonl line every this many kimg
    sample_kimg: float = 10.0  # a sample grid every this many kimg (and at the end)
    snapshot_kimg: float = 25.0  # a checkpoint every this many kimg (and at the end)
    seed: int = 0  # the one seed of the run (each rank offsets it)
    resume: str | None = None  # checkpoint folder (or run folder: its latest) to continue from
    dry_run: bool = False  # check the options and data, print them, write nothing
