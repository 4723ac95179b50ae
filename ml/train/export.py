"""`python -m ml export RUN_DIR --out MODEL_DIR`: a run's checkpoint as a model folder, for every kind.

The run's options.json names its kind; the registry (`ml.train.kinds`) gives the kind's
`export(args, options)`, which chooses a checkpoint here (`pick_checkpoint`: the one named, the
latest, or with `best` the full-resolution one whose (G, D) is nearest an equilibrium, by the
duality gap of `ml.train.selection`), and writes the folder with the provenance every kind
records (`provenance`). With `--average N` the generator's weights are the mean over the chosen
checkpoint and the N - 1 before it (`generator_weights`): checkpoint averaging, which cancels the
swings between single checkpoints that the generator's EMA is too short to smooth.
`--out` must be new or empty before anything is measured.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ml.cli import CommandError
from ml.train import checks, run_dir
from ml.train.kinds import KINDS

ERROR_RUN_MISSING = "{} is not a run folder (it has no {})"
ERROR_RUN_KIND = "{} is a run of kind {!r}, which no registered kind exports (they are: {})"
ERROR_NO_CHECKPOINTS = "{} has no checkpoint yet"
ERROR_UNKNOWN_CHECKPOINT = "--checkpoint {}: no such checkpoint in {}; it has {}"
ERROR_NONE_FULL = "no checkpoint of {} has reached full resolution; pass --checkpoint NAME to export one anyway"
ERROR_AVERAGE_COUNT = "--average {}: {} has only {} checkpoint(s) up to {}"
ERROR_AVERAGE_UNLIKE = ("--average {}: {} is not at full resolution of {}'s architecture; average fewer "
                        "checkpoints")


def run_export(args: argparse.Namespace) -> int:
    """Export a run of any registered kind: each kind writes its own model folder."""
    options = read_run_options(args.run)
    if options.get("kind") not in KINDS:
        raise CommandError(ERROR_RUN_KIND.format(args.run, options.get("kind"), ", ".join(KINDS)))
    return KINDS[options["kind"]].function("export")(args, options)


def read_run_options(run: Path) -> dict:
    path = Path(run) / run_dir.OPTIONS_FILE
    if not path.is_file():
        raise CommandError(ERROR_RUN_MISSING.format(run, run_dir.OPTIONS_FILE))
    return json.loads(path.read_text(encoding="utf-8"))


def run_checkpoints(run: Path) -> list[Path]:
    """The checkpoints of a run folder, oldest first; CommandError if it has none."""
    checkpoints = run_dir.list_checkpoints(run)
    if not checkpoints:
        raise CommandError(ERROR_NO_CHECKPOINTS.format(run))
    return checkpoints


def named_checkpoint(run: Path, which: str) -> Path:
    """The checkpoint `latest`, or the one named (`checkpoint-000000.008` or `000000.008`)."""
    checkpoints = run_checkpoints(run)
    if which == "latest":
        return checkpoints[-1]
    named = [c for c in checkpoints if c.name in (which, run_dir.CHECKPOINT_PREFIX + which)]
    if not named:
        raise CommandError(ERROR_UNKNOWN_CHECKPOINT.format(which, run, ", ".join(c.name for c in checkpoints)))
    return named[0]


def export_latest(args: argparse.Namespace, options: dict, kind: str, network: Callable[[dict], Any],
                  details: Callable[[dict], dict]) -> int:
    """The export of a kind with no selection criterion (`best` is the latest checkpoint): the
    checkpoint's G_ema when the run kept one, else its G, built by `network(architecture)`, as a
    model folder whose provenance adds `details(state)`."""
    from ml.modelfolder import write_model_folder

    checks.check_positive("average", args.average)
    checks.check_out_folder(args.out)
    checkpoint = named_checkpoint(args.run, "latest" if args.checkpoint == "best" else args.checkpoint)
    state = run_dir.read_checkpoint_state(checkpoint)
    name = "G_ema" if options["train"].get("ema_kimg") else "G"
    generator = generator_weights(args, checkpoint, name, network(state["architecture"]))
    sha256 = write_model_folder(args.out, kind=kind, architecture=generator.config.to_dict(),
                                state_dict=generator.state_dict(),
                                training=provenance(args, options, checkpoint, state, **details(state)))
    print(f"wrote {args.out} from {checkpoint.name} (weights sha256 {sha256})")
    return 0


def provenance(args: argparse.Namespace, options: dict, checkpoint: Path, state: dict, **more) -> dict:
    """The "training" record of an exported model folder: where its weights come from (with
    `--average`, "averaged" names the checkpoints whose generator weights were averaged)."""
    averaged = [c.name for c in averaged_checkpoints(checkpoint, args.average)] if args.average > 1 else None
    return {"dataset": state.get("dataset", options.get("dataset")), "kimg": state["kimg"],
            "seed": options["train"]["seed"], **more, "command": options.get("command"),
            "run": Path(args.run).resolve().name, "checkpoint": checkpoint.name,
            **({"averaged": averaged} if averaged else {})}


def averaged_checkpoints(checkpoint: Path, count: int) -> list[Path]:
    """`checkpoint` and the `count - 1` checkpoints before it in its run folder, oldest first;
    CommandError unless there are that many, all of `checkpoint`'s architecture at full resolution."""
    checkpoints = run_checkpoints(checkpoint.parent)
    position = [c.name for c in checkpoints].index(checkpoint.name)
    if position + 1 < count:
        raise CommandError(ERROR_AVERAGE_COUNT.format(count, checkpoint.parent, position + 1, checkpoint.name))
    chosen = checkpoints[position + 1 - count:position + 1]
    architecture = run_dir.read_checkpoint_state(checkpoint)["architecture"]
    for other in chosen:
        state = run_dir.read_checkpoint_state(other)
        if state["architecture"] != architecture or not state.get("full_resolution", True):
            raise CommandError(ERROR_AVERAGE_UNLIKE.format(count, other.name, checkpoint.name))
    return chosen


def generator_weights(args: argparse.Namespace, checkpoint: Path, name: str, network: torch.nn.Module):
    """`network` with the weights `name` (G_ema or G) of `checkpoint`, or with `--average N` their
    mean over `averaged_checkpoints(checkpoint, N)` (floating-point tensors; others are the last's)."""
    from safetensors.torch import load_file

    if args.average == 1:
        return run_dir.load_network(checkpoint, name, network)
    weights = [load_file(str(run_dir.network_file(c, name))) for c in averaged_checkpoints(checkpoint, args.average)]
    last = weights[-1]
    network.load_state_dict({key: torch.stack([w[key].double() for w in weights]).mean(0).to(value.dtype)
                             if value.is_floating_point() else value for key, value in last.items()})
    return network


def gap_metrics(gap) -> dict:
    """The duality gap of an exported checkpoint, as its model folder's metrics record it."""
    return {"duality_gap": gap.gap, "duality_gap_detail": {**gap.to_dict(), "split": gap.split,
                                                           "images": gap.images, "steps": gap.steps}}


@dataclasses.dataclass
class GapPlayers:
    """What the duality gap needs of a kind: its architecture, its (G, D), and the condition
    of each held-out picture (the place's context, or the spot's overhead tile)."""
    architecture: Callable[[dict], Any]  # a checkpoint's "architecture" -> the kind's config
    networks: Callable[[Any], tuple[torch.nn.Module, torch.nn.Module]]  # fresh (G, D) of a config
    conditions: Callable[[Any, Any], torch.Tensor]  # (held-out ImageCache, config) -> conditions
    overhead: bool = False  # the held-out pictures need their overhead tiles


def pick_checkpoint(args: argparse.Namespace, options: dict, players: GapPlayers):
    """The checkpoint `--checkpoint` names, or with `best` the full-resolution one whose (G, D)
    is nearest an equilibrium (smallest duality gap); returns it, its state and its gap. The
    options are checked and `--out` must be new or empty before anything is measured."""
    for name in ("gap_steps", "gap_batch", "gap_images", "average"):
        checks.check_positive(name, getattr(args, name))
    checks.check_out_folder(args.out)
    checkpoints = run_checkpoints(args.run)
    states = {checkpoint.name: run_dir.read_checkpoint_state(checkpoint) for checkpoint in checkpoints}
    if args.checkpoint == "best":
        candidates = [c for c in checkpoints if states[c.name].get("full_resolution")]
        if not candidates:
            raise CommandError(ERROR_NONE_FULL.format(args.run))
    else:
        candidates = [named_checkpoint(args.run, args.checkpoint)]
    gaps = measure_gaps(candidates, states, options, args, players)
    picked = min(candidates, key=lambda checkpoint: gaps[checkpoint.name].gap)
    print(f"picked {picked.name} (gap {gaps[picked.name].gap:.5f})")
    return picked, states[picked.name], gaps[picked.name]


def measure_gaps(candidates: list[Path], states: dict, options: dict, args: argparse.Namespace,
                 players: GapPlayers) -> dict:
    """The duality gap of each candidate's (G, D), on the same held-out data, latents and seeds."""
    from ml.train.selection import GapConfig, HeldOutGame, duality_gap

    architecture = players.architecture(states[candidates[0].name]["architecture"])
    heldout, split = _gap_data(args.data or options["dataset"]["path"], architecture.resolution, args.gap_images,
                               overhead=players.overhead)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    gap_config = GapConfig(steps=args.gap_steps, batch_size=args.gap_batch, seed=options["train"]["seed"],
                           gp_weight=options["train"]["gp_weight"])
    game = HeldOutGame(heldout, players.conditions(heldout, architecture), architecture.latent_dim, gap_config,
                       device)
    print(f"duality gap (smaller is nearer an equilibrium) on {len(heldout)} {split} images, "
          f"{gap_config.steps} steps per player:")
    gaps = {}
    for checkpoint in candidates:
        state = states[checkpoint.name]
        G, D = players.networks(players.architecture(state["architecture"]))
        G = run_dir.load_network(checkpoint, "G", G).to(device)
        D = run_dir.load_network(checkpoint, "D", D).to(device)
        gaps[checkpoint.name] = duality_gap(G, D, game)
        gaps[checkpoint.name].split, gaps[checkpoint.name].images = split, len(heldout)
        print(f"  {checkpoint.name}  kimg {state['kimg']:>10g}  gap {gaps[checkpoint.name].gap:.5f}")
    return gaps


def _gap_data(path, resolution: int, max_images: int, *, overhead: bool = False):
    """Held-out cities' images (with their overhead tiles when asked); a dataset without any
    falls back to its training images."""
    from ml.train.image_cache import load_image_cache

    for split in ("heldout", "train"):
        try:
            return load_image_cache(path, resolution=resolution, split=split, max_images=max_images,
                                    progress=False, overhead=overhead), split
        except ValueError as error:
            last = error
    raise checks.data_error(last)
