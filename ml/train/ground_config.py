"""The options of a `ground` training run (no torch needed to import this module).

`GroundTrainConfig` is the one typed config of a run: every hyper-parameter of the loop is a
field here with its default, checked once by the command line (`ml.train.ground_commands`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ml.configs import TrainConfig

if TYPE_CHECKING:
    from ml.models.ground import GroundConfig

KIND = "ground"


def _default_architecture() -> GroundConfig:
    from ml.models.ground import GroundConfig

    return GroundConfig()


@dataclass
class GroundTrainConfig(TrainConfig):
    data: str  # dataset folder with overhead tiles (python -m ml geoscenes ...)
    out: str = "runs"  # run folders are numbered inside it
    model: GroundConfig = field(default_factory=_default_architecture)  # the networks' architecture
    batch_size: int = 32  # (ground view, overhead) pairs per step, over all ranks
    lr: float = 1e-3  # Adam learning rate of both networks (equalised layers, as ProGAN)
    beta1: float = 0.0  # Adam betas (0, 0.99): the adversarial target moves every step
    beta2: float = 0.99
    n_critic: int = 1  # critic steps per generator step
    gp_weight: float = 10.0  # gradient penalty weight lambda (Gulrajani et al.)
    drift_weight: float = 1e-3  # epsilon_drift on D(real)^2 (ProGAN)
    loss: str = "wgan-gp"  # adversarial loss: wgan-gp (the research's) or logistic (non-saturating, lazy R1)
    r1_gamma: float | None = None  # logistic: R1 weight (None: 0.0002 * resolution^2 / batch_size, StyleGAN2-ADA)
    r1_interval: int = 16  # logistic: R1 every this many critic steps (lazy regularisation, StyleGAN2)
    augment: str = "none"  # DiffAugment of the critic's input: none, or a list of color,translation,cutout
    threads: int = 0  # CPU threads of the run (0: PyTorch's default)
    l1_weight: float = 0.0  # pix2pix's L1 to the real view of the same tile (0: the research's plain cGAN)
    land_use_weight: float = 1.0  # weight of the critic's land-use classification (architecture's land_use_head)
    max_kimg: float = 200.0  # thousands of real pairs shown in all
    ema_kimg: float = 10.0  # half-life of G_ema, in thousands of images
    ema_rampup: float | None = 0.05  # half-life at most this share of the images seen so far
    mirror: bool = True  # flip ground views left-right at random (photos have no handedness)
    drop_outliers: bool = True  # leave out rows the manifest marks as outliers
    tick_kimg: float = 4.0  # a stats.jsonl line every this many kimg
    sample_kimg: float = 20.0  # a sample grid every this many kimg (and at the end)
    snapshot_kimg: float = 50.0  # a checkpoint every this many kimg (and at the end)
    seed: int = 0  # the one seed of the run (each rank offsets it)
    resume: str | None = None  # checkpoint folder (or run folder: its latest) to continue from
    dry_run: bool = False  # check the options and data, print them, write nothing
