"""The `compose` kind's run: its config and its registry entry (no torch needed to import this module).

A compose run trains, in one loop, the background generator on the dataset's backgrounds and the
object and mask generators on its steps (a GeoScenes folder written with `--steps`). The
background generator may start from a trained place model (`--background-from MODEL_DIR`: its
architecture and weights), the place generator's training going on with backgrounds. With
`--single-shot` the run trains the baseline instead: each scene's whole layout painted in one pass.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from ml.cli import CommandError
from ml.models.configs import ComposeConfig
from ml.train import checks
from ml.train.options import Kind
from ml.train.run_config import AdversarialOptions, RunConfig

KIND = "compose"
ERROR_NOT_COMPOSE = "--data {}: not a dataset with compose steps; write it with python -m ml geoscenes ... --steps"
ERROR_DATA_SIZE = "--data {} holds {}x{} pictures, but --resolution is {}"
ERROR_BACKGROUND_FROM = "--background-from {}: {}"


@dataclass
class ComposeTrainConfig(AdversarialOptions, RunConfig):
    model: ComposeConfig = field(default_factory=ComposeConfig)  # the networks' architecture
    background_from: str | None = None  # place model folder G_bg starts from (None: from scratch)
    loss: str = "logistic"  # the background critic's loss (the layer critics' is always logistic)
    lr: float = 5e-4  # Adam learning rate of every network (2e-3 diverged within 1 kimg)
    batch_size: int = 32  # steps (and backgrounds) per iteration, over all ranks
    max_kimg: float = 200.0  # thousands of steps shown in all
    background_interval: int = 1  # G_bg and its critic train every this many iterations (a warm start needs fewer)
    context_weight: float = 1.0  # weight of the place-class loss of G_bg and its critic (G_bg's context_head), as place
    per_category: int = 3  # steps kept per category and scene (buildings outnumber the rest 10 to 1)
    outside_weight: float = 1.0  # L1 of the painting against the canvas outside the mask (the research's)
    content_weight: float = 1.0  # L1 of the composite against the real step (0: adversarial alone)
    mask_weight: float = 1.0  # L1 of G_mask's mask against the object's coverage
    generated_masks: float = 0.25  # share of steps G_fg paints through G_mask's mask, not the real one
    colour_dropout: float = 0.5  # share of steps whose colour G_fg is not told (colour is optional)
    tick_kimg: float = 2.0
    sample_kimg: float = 10.0
    snapshot_kimg: float = 10.0

    POSITIVE = ("per_category", "background_interval")
    NON_NEGATIVE = ("context_weight", "outside_weight", "content_weight", "mask_weight", "generated_masks", "colour_dropout")
    SPECIAL_OPTIONS = ("background_from",)  # --background-from MODEL_DIR
    NOTES = {"loss": "logistic: the background critic's non-saturating loss with lazy R1 on reals; or wgan-gp"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--background-from", type=Path,
                        help="place model folder whose generator G_bg starts from (its architecture and weights; "
                             "default: a fresh background generator)")


def check_options(args: argparse.Namespace, values: dict, model: ComposeConfig, resume_state: dict | None) -> dict:
    """The data holds steps at the model's side; the model paints the data's categories; with
    --background-from, G_bg takes that place model's architecture (a resumed run keeps its own),
    and the data's backgrounds can train its class head when --context-weight asks for it."""
    info_path = Path(args.data) / "dataset.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    if info.get("compose", {}).get("output") != "steps":
        raise CommandError(ERROR_NOT_COMPOSE.format(args.data))
    if info.get("size") != model.resolution:
        raise CommandError(ERROR_DATA_SIZE.format(args.data, info.get("size"), info.get("size"), model.resolution))
    for name in ("generated_masks", "colour_dropout"):
        if values[name] > 1:
            raise CommandError(f"--{name.replace('_', '-')} must be a share from 0 to 1, not {values[name]}")
    if resume_state is not None:
        extra = {"background_from": resume_state["train"].get("background_from")}
    else:
        model.categories = list(info["compose"]["foreground"])
        extra = {"background_from": background_from(args, model)}
    head = model.background_config.context_head
    if head and values["context_weight"]:
        checks.check_head(head, Path(args.data), "--background-from")
    return extra


def background_from(args: argparse.Namespace, model: ComposeConfig) -> str | None:
    """The place model folder G_bg starts from, resolved, with its architecture set as G_bg's."""
    if args.background_from is None:
        return None
    from ml.modelfolder import ModelFolderError, read_config

    try:
        place = read_config(args.background_from)
    except ModelFolderError as error:
        raise CommandError(ERROR_BACKGROUND_FROM.format(args.background_from, error)) from None
    if place["kind"] != "place" or place["architecture"].get("resolution") != model.resolution:
        raise CommandError(ERROR_BACKGROUND_FROM.format(
            args.background_from, f"a {place['kind']} model at {place['architecture'].get('resolution')}, "
                                  f"not a place model at {model.resolution}"))
    model.background = {key: value for key, value in place["architecture"].items() if key != "resolution"}
    return str(Path(args.background_from).resolve())


COMPOSE = Kind(
    name=KIND, config=ComposeTrainConfig, module="ml.train.compose",
    help="train the compose generator (background, then one object at a time)",
    description="Train the layer-based compose generator: a background generator and an object generator that "
                "adds one object at a time, on a GeoScenes folder written with --steps.",
    data_help="dataset folder with compose steps (python -m ml geoscenes ... --steps)",
    architecture={"resolution": int, "latent_dim": int, "width": int, "mask_width": int, "d_width": int,
                  "single_shot": bool},
    architecture_help={"resolution": "side of the canvas: the dataset's (default 32)",
                       "single_shot": "the baseline: the whole layout painted in one pass over the background, "
                                      "nothing composited, with the same losses (default off)"},
    check_resolution=True, add_arguments=add_arguments, check=check_options)
