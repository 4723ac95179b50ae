"""The `upsample` kind's run: its config and its registry entry (no torch needed to import this module).

The upsampler learns from pairs of the same GeoScenes scenes rendered at two sizes: `--data` at
the input's side (e.g. 32) and `--target` at `scale` times it (e.g. 128), written by
`python -m ml geoscenes` with the same cities, photos per city and seed, so that row i of one is
row i of the other. Its inputs are degraded as generated pictures are (`ml.models.upsample.degrade`).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from ml.cli import CommandError
from ml.models.configs import UpsampleConfig
from ml.train.options import Kind
from ml.train.run_config import RunConfig

KIND = "upsample"
ERROR_NO_TARGET = "--target {} is not a folder (the same scenes rendered at --scale times --data's side)"


@dataclass
class UpsampleTrainConfig(RunConfig):
    model: UpsampleConfig = field(default_factory=UpsampleConfig)  # the network's architecture
    target: str = ""  # dataset folder of the same scenes at scale x the side (python -m ml geoscenes --size ...)
    batch_size: int = 16  # pairs per step, over all ranks
    lr: float = 5e-4  # Adam learning rate (Real-ESRGAN's compact networks train at 1e-4 to 2e-4 for far longer)
    beta1: float = 0.9  # Adam betas of a regression, not of a game
    beta2: float = 0.99
    max_kimg: float = 100.0  # thousands of pairs shown in all
    degrade: bool = True  # blur, grain and checkerboard on the inputs, as generated pictures have them
    consistency_weight: float = 1.0  # L1 between the enlargement shrunk back and the clean small picture
    render_consistency_weight: float = 0.0  # L1 between the enlargement shrunk back and the large render shrunk alike
    adversarial_weight: float = 0.0  # weight of a PatchGAN critic's non-saturating loss (0: L1 alone, no critic)
    critic_width: int = 32  # channels of the critic's first layer
    r1_gamma: float | None = None  # R1 on the large renders (None: 0.0002 * side^2 / batch_size, as place and ground)
    r1_interval: int = 16  # R1 every this many critic steps
    tick_kimg: float = 2.0
    sample_kimg: float = 10.0
    snapshot_kimg: float = 10.0

    POSITIVE = ("critic_width", "r1_interval")
    NON_NEGATIVE = ("consistency_weight", "render_consistency_weight", "adversarial_weight", "r1_gamma")
    SPECIAL_OPTIONS = ("target",)  # --target DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", type=Path, help="dataset folder of the same scenes at --scale times the side "
                                                    "(required; a resumed run's own by default)")


def check_options(args: argparse.Namespace, values: dict, model: UpsampleConfig, resume_state: dict | None) -> dict:
    """The target dataset: given, or the resumed run's."""
    resumed = resume_state.get("train", {}).get("target") if resume_state else None
    target = Path(args.target) if args.target is not None else Path(resumed) if resumed else None
    if target is None or not target.is_dir():
        raise CommandError(ERROR_NO_TARGET.format(target))
    return {"target": str(target.resolve())}


UPSAMPLE = Kind(
    name=KIND, config=UpsampleTrainConfig, module="ml.train.upsample",
    help="train the upsampler (a compact super-resolution network, L1 on rendered pairs)",
    description="Train the learned upsampler that shows every generator's pictures at scale times their side.",
    data_help="dataset folder of the inputs (GeoScenes at the small side)",
    architecture={"scale": int, "width": int, "layers": int, "resolution": int},
    architecture_help={"resolution": "side of the --data pictures it trains on (default 32)"},
    add_arguments=add_arguments, check=check_options, measured_by="eval-upsample")
