"""The options of a `place` training run and its progressive schedule (no torch needed).

`PlaceTrainConfig` is the one typed config of a run: every hyper-parameter of the loop is a
field here with its default, checked once by the command line (`ml.train.commands`).
`phase_at` maps the number of real images shown so far to the phase of progressive growing.
Importing this module stays cheap: the command line registers its options from these defaults
without loading torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ml.configs import TrainConfig

if TYPE_CHECKING:
    from ml.models.place import PlaceConfig

KIND = "place"


def _default_architecture() -> PlaceConfig:
    from ml.models.place import PlaceConfig

    return PlaceConfig()


@dataclass
class PlaceTrainConfig(TrainConfig):
    data: str  # dataset folder in the standard format (python -m ml geoscenes ...)
    out: str = "runs"  # run folders are numbered inside it
    cities: int | None = None  # curriculum: the first N cities of the dataset (None: all)
    model: PlaceConfig = field(default_factory=_default_architecture)  # the networks' architecture
    batch_size: int = 32  # images per step, over all ranks
    lr: float = 1e-3  # Adam learning rate of both networks (ProGAN)
    beta1: float = 0.0  # Adam betas (0, 0.99): no momentum, as ProGAN, since the
    beta2: float = 0.99  # adversarial target moves every step
    n_critic: int = 1  # critic steps per generator step (WGAN-GP used 5, ProGAN 1)
    gp_weight: float = 10.0  # gradient penalty weight lambda (Gulrajani et al.)
    drift_weight: float = 1e-3  # epsilon_drift on D(real)^2 (ProGAN)
    loss: str = "wgan-gp"  # adversarial loss: wgan-gp (the research's) or logistic (non-saturating, lazy R1)
    r1_gamma: float | None = None  # logistic: R1 weight (None: 0.0002 * resolution^2 / batch_size, StyleGAN2-ADA)
    r1_interval: int = 16  # logistic: R1 every this many critic steps (lazy regularisation, StyleGAN2)
    augment: str = "none"  # DiffAugment of the critic's input: none, or a list of color,translation,cutout
    threads: int = 0  # CPU threads of the run (0: PyTorch's default)
    context_weight: float = 1.0  # weight of the place-class loss of both players (architecture's context_head)
    start_resolution: int = 4  # resolution the growing starts at
    fade_kimg: float = 600.0  # thousands of real images per fade-in phase
    stable_kimg: float = 600.0  # thousands of real images per stable phase
    max_kimg: float | None = None  # stop here (None: at the end of the last stable phase)
    ema_kimg: float = 10.0  # half-life of G_ema, in thousands of images
    ema_rampup: float | None = 0.05  # half-life at most this share of the images seen so far
    mirror: bool = True  # flip reals left-right at random (photos have no handedness)
    drop_outliers: bool = True  # leave out rows the manifest marks as outliers
    stream: bool = False  # stream the dataset's tar shards instead of decoding it into memory (large data)
    data_workers: int = 0  # processes decoding the stream per rank (0: the training process itself)
    reset_optimizers_on_grow: bool = True  # fresh Adam moments at each new resolution (ProGAN)
    tick_kimg: float = 4.0  # a stats.jsonl line every this many kimg
    sample_kimg: float = 50.0  # a sample grid every this many kimg (and at each phase's end)
    snapshot_kimg: float = 200.0  # a checkpoint every this many kimg (and at the end)
    seed: int = 0  # the one seed of the run (each rank offsets it)
    resume: str | None = None  # checkpoint folder (or run folder: its latest) to continue from
    dry_run: bool = False  # check the options and data, print the plan, write nothing

    @property
    def start_stage(self) -> int:
        return self.start_resolution.bit_length() - 3  # 4 -> 0, 8 -> 1, ...

    def schedule_kimg(self) -> float:
        """kimg at the end of the last stable phase: the default length of a run."""
        grown = self.model.num_stages - 1 - self.start_stage
        return self.stable_kimg + grown * (self.fade_kimg + self.stable_kimg)

    def total_nimg(self) -> int:
        return round(1000 * (self.schedule_kimg() if self.max_kimg is None else self.max_kimg))


@dataclass(frozen=True)
class Phase:
    stage: int  # index of the resolution being trained (0 = 4x4)
    alpha: float  # fade-in of that stage's layers; 1 when stable
    resolution: int
    fading: bool

    @property
    def name(self) -> str:
        return f"{'fade' if self.fading else 'stable'}-{self.resolution}"


def phase_at(nimg: int, config: PlaceTrainConfig) -> Phase:
    """The phase after `nimg` real images: stable at the start resolution, then fade + stable
    per doubling; the last resolution stays stable for the rest of the run."""
    model, last = config.model, config.model.num_stages - 1
    fade, stable = round(config.fade_kimg * 1000), round(config.stable_kimg * 1000)
    stage, left = config.start_stage, nimg - stable
    while left >= 0 and stage < last:
        stage += 1
        if left < fade:
            alpha = left / fade
            return Phase(stage, alpha, model.stage_resolution(stage), fading=True)
        left -= fade + stable
    return Phase(stage, 1.0, model.stage_resolution(stage), fading=False)
