"""The one typed config of a training run, shared by every kind (no torch needed to import it).

`RunConfig` holds the fields every kind's run has, once: data, out, the Adam settings, the
length of the run, the moving average of G, the data options, the intervals of ticks, samples
and snapshots, seed, resume (and the model whose generator a resumed run takes) and dry run. A
kind's config (`ml.train.<kind>_config`) is a dataclass that inherits it (and `WGANOptions`
where its critic is a Wasserstein one), adds its own fields, restates a default where its recipe
differs, and names its architecture `model`; place and ground also inherit `AdversarialOptions`
(the WGAN critic's `WGANOptions` and the choice of adversarial loss and augmentation), the patch
critic's `PatchCriticOptions` and the mode-seeking term's `ModeSeekingOptions`.

Each class lists the fields that must be positive (`POSITIVE`) or at least 0 (`NON_NEGATIVE`);
`ml.train.checks.check_values` checks them all, over the class and its bases, once at the command
line. Every field but `NOT_OPTIONS` (and a kind's `SPECIAL_OPTIONS`) is a command-line option of
the same name (`ml.train.options`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

NOT_OPTIONS = ("data", "out", "model", "resume", "generator_from", "dry_run")  # given otherwise, or not options


@dataclass
class RunConfig:
    data: str  # dataset folder in the standard format (python -m ml geoscenes ...)
    out: str = "runs"  # run folders are numbered inside it
    batch_size: int = 32  # images per step, over all ranks
    lr: float = 1e-3  # Adam learning rate of both networks
    beta1: float = 0.0  # Adam betas (0, 0.99): no momentum, as ProGAN, since the
    beta2: float = 0.99  # adversarial target moves every step
    max_kimg: float | None = 200.0  # thousands of real images shown in all
    max_minutes: float | None = None  # or stop (with a final snapshot) after this many minutes of training
    lr_rampdown_kimg: float = 0.0  # the last this many kimg before max_kimg take the lr linearly down to 0 (0: off)
    ema_kimg: float = 10.0  # half-life of G_ema, in thousands of images
    ema_rampup: float | None = 0.05  # half-life at most this share of the images seen so far (None: off)
    mirror: bool = True  # flip reals left-right at random (photos have no handedness)
    drop_outliers: bool = True  # leave out rows the manifest marks as outliers
    tick_kimg: float = 4.0  # a stats.jsonl line every this many kimg
    sample_kimg: float = 20.0  # a sample grid every this many kimg (and at the end)
    snapshot_kimg: float = 50.0  # a checkpoint every this many kimg (and at the end)
    snapshot_minutes: float | None = None  # also a checkpoint every this many minutes of training
    mixed_precision: bool = True  # on CUDA: bf16 autocast and channels-last (off: fp32; CPU runs are fp32)
    seed: int = 0  # the one seed of the run (each rank offsets it)
    threads: int = 0  # CPU threads of the run (0: PyTorch's default)
    resume: str | None = None  # checkpoint folder (or run folder: its latest) to continue from
    generator_from: str | None = None  # model folder whose generator the resumed run continues with
    dry_run: bool = False  # check the options and data, print them, write nothing

    POSITIVE = ("batch_size", "lr", "max_kimg", "tick_kimg", "sample_kimg", "snapshot_kimg")
    NON_NEGATIVE = ("ema_kimg", "ema_rampup", "seed", "threads", "max_minutes", "snapshot_minutes",
                    "lr_rampdown_kimg")
    NOTES = {"threads": "0: PyTorch's default",  # an option's help instead of its default
             "lr_rampdown_kimg": "0: a constant lr",
             "max_minutes": "none: the run ends at --max-kimg", "snapshot_minutes": "none: by kimg only"}
    SPECIAL_OPTIONS = ()  # fields the kind's command line spells its own way

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def total_nimg(self) -> int:
        """Images the run shows in all: `max_kimg` thousands."""
        return round(1000 * self.max_kimg)


@dataclass
class WGANOptions:
    """The Wasserstein critic's settings (WGAN-GP with ProGAN's drift term)."""

    n_critic: int = 1  # critic steps per generator step (WGAN-GP used 5, ProGAN 1)
    gp_weight: float = 10.0  # gradient penalty weight lambda (Gulrajani et al.)
    drift_weight: float = 1e-3  # epsilon_drift on D(real)^2 (ProGAN)

    POSITIVE = ("n_critic",)
    NON_NEGATIVE = ("gp_weight", "drift_weight")


@dataclass
class AdversarialOptions(WGANOptions):
    """The adversarial recipe of the place and ground critics: the loss (WGAN-GP, or the
    non-saturating logistic loss with lazy R1) and DiffAugment of the critic's input
    (`ml.train.adversarial`, `ml.train.augment`)."""

    loss: str = "wgan-gp"  # adversarial loss: wgan-gp (the research's) or logistic (non-saturating, lazy R1)
    r1_gamma: float | None = None  # logistic: R1 weight (None: 0.0002 * resolution^2 / batch_size, StyleGAN2-ADA)
    r1_interval: int = 16  # logistic: R1 every this many critic steps (lazy regularisation, StyleGAN2)
    augment: str = "none"  # DiffAugment of the critic's input: none, or a list of color,translation,cutout

    POSITIVE = ("r1_interval",)
    NON_NEGATIVE = ("r1_gamma",)
    NOTES = {"loss": "wgan-gp; or logistic: non-saturating loss with lazy R1 on reals",
             "r1_gamma": "0.0002 * resolution^2 / batch size", "r1_interval": "16 critic steps",
             "augment": "none; a list of color,translation,cutout applied to reals and fakes alike"}


@dataclass
class PatchCriticOptions:
    """The second, patch critic of the place and ground trainers (`ml.train.patch_critic`)."""

    patch_critic_weight: float = 0.0  # a second critic, PatchGAN's, scoring each patch of a picture alone (0: off)

    NON_NEGATIVE = ("patch_critic_weight",)


@dataclass
class ModeSeekingOptions:
    """MSGAN's mode-seeking term of the place and ground generators (`ml.train.losses.ModeSeekingLoss`)."""

    mode_seeking_weight: float = 0.0  # two seeds of one place or tile must paint different pictures (0: off)

    NON_NEGATIVE = ("mode_seeking_weight",)


def option_fields(config_class) -> list[dataclasses.Field]:
    """The fields of a run config that are command-line options of the same name."""
    special = (*NOT_OPTIONS, *config_class.SPECIAL_OPTIONS)
    return [field for field in dataclasses.fields(config_class) if field.name not in special]


def option_type(field: dataclasses.Field) -> type:
    """The type a command line parses a field's value with: `float | None` -> float."""
    return {"int": int, "float": float, "bool": bool, "str": str}[str(field.type).split("|")[0].strip()]


def class_names(config_class, attribute: str) -> list[str]:
    """The names `attribute` (POSITIVE, NON_NEGATIVE or NOTES) lists over the class and its bases."""
    names = []
    for klass in reversed(config_class.__mro__):
        names += [name for name in vars(klass).get(attribute, ()) if name not in names]
    return names


def class_notes(config_class) -> dict[str, str]:
    """The NOTES of the class and its bases: option -> what its help says instead of its default."""
    return {name: note for klass in reversed(config_class.__mro__) for name, note in vars(klass).get("NOTES", {}).items()}
