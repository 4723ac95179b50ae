"""What `python -m ml train ground` and `python -m ml export <ground run>` do (options: `ml.train.ground_cli`).

Every option is checked here, once, before anything is written: a bad one is a `CommandError`.
The export writes a `ground` model folder: the checkpoint's G_ema, its D, and the land-use head
fitted on D's features of generated views of the run's training tiles (`ml.eval.ground_landuse`).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ml.cli import CommandError, flag
from ml.models.ground import GroundConfig
from ml.train import run_dir
from ml.train.commands import (ERROR_DATA, ERROR_NO_CHECKPOINTS, ERROR_NO_DATA_FOLDER, ERROR_NON_NEGATIVE,
                               ERROR_OUT_NOT_EMPTY, ERROR_POSITIVE, ERROR_UNKNOWN_CHECKPOINT, option_values,
                               reproducing_command, resolve_architecture, run_training, start_run)
from ml.train.ground import KIND, GroundTrainConfig, GroundTrainer
from ml.train.ground_cli import ARCHITECTURE_OPTIONS, TRAIN_DEFAULTS, TRAIN_OPTIONS

LAND_USE_IMAGES = 2048  # training pairs the exported land-use head is fitted on, at most


def run_train_ground(args: argparse.Namespace) -> int:
    return run_training(args, KIND, build_train_config, _train)


def _train(config: GroundTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    data = load_pairs(config.data, config.model.resolution, "train", drop_outliers=config.drop_outliers,
                      progress=dist.is_main)
    conditioning = "" if config.model.conditional else "-unconditional"
    run, options = start_run(KIND, config, dist, command=command_line(config), dataset=data.summary,
                             description=f"{KIND}-{data.summary['name']}{conditioning}", resume=resume,
                             resume_state=resume_state)
    if run is not None:
        GroundTrainer(config, data, dist, run, options=options, resume_from=resume).train()
    return 0


def build_train_config(args: argparse.Namespace, resume_state: dict | None) -> GroundTrainConfig:
    asked = {name: getattr(args, name) for name in ARCHITECTURE_OPTIONS if getattr(args, name) is not None}
    model = resolve_architecture(GroundConfig, asked, resume_state, args.resume)
    values = option_values(args, TRAIN_OPTIONS, TRAIN_DEFAULTS, resume_state)
    if args.ema_rampup == 0:
        values["ema_rampup"] = None
    for name in ("batch_size", "n_critic"):
        if values[name] < 1:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("lr", "max_kimg", "tick_kimg", "sample_kimg", "snapshot_kimg"):
        if not values[name] > 0:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("gp_weight", "drift_weight", "l1_weight", "ema_kimg", "ema_rampup", "seed"):
        if values[name] is not None and values[name] < 0:
            raise CommandError(ERROR_NON_NEGATIVE.format(flag(name)[2:], values[name]))
    if not (0 <= values["beta1"] < 1 and 0 <= values["beta2"] < 1):
        raise CommandError(f"--beta1 and --beta2 must be in [0, 1), got {values['beta1']} and {values['beta2']}")
    if not args.data.is_dir():
        raise CommandError(ERROR_NO_DATA_FOLDER.format(args.data))
    return GroundTrainConfig(data=str(args.data.resolve()), out=str(args.out), model=model,
                             resume=str(args.resume) if args.resume else None, dry_run=args.dry_run, **values)


def load_pairs(root, resolution: int, split: str, *, drop_outliers: bool = True, max_images: int | None = None,
               progress: bool = False):
    """The (ground view, overhead tile) pairs of a dataset split, decoded at `resolution`."""
    from ml.train.image_cache import load_image_cache

    try:
        return load_image_cache(root, resolution=resolution, split=split, drop_outliers=drop_outliers,
                                max_images=max_images, progress=progress, overhead=True)
    except ValueError as error:
        raise CommandError(ERROR_DATA.format(" ".join(str(error).split()))) from None


def command_line(config: GroundTrainConfig) -> str:
    return reproducing_command(KIND, config, [*TRAIN_OPTIONS, *ARCHITECTURE_OPTIONS])


# ---------------------------------------------------------------------------------------------
# export


def run_export_ground(args: argparse.Namespace) -> int:
    """The run's latest checkpoint ('best' means the latest: ground runs have no selection
    criterion yet) or the one named, with its land-use head, as a model folder."""
    from ml.eval.ground_landuse import fit_land_use_head
    from ml.modelfolder import write_model_folder
    from ml.models.ground import GroundModel

    options = json.loads((Path(args.run) / run_dir.OPTIONS_FILE).read_text(encoding="utf-8"))
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(args.out))
    checkpoints = run_dir.list_checkpoints(args.run)
    if not checkpoints:
        raise CommandError(ERROR_NO_CHECKPOINTS.format(args.run))
    if args.checkpoint in ("best", "latest"):
        checkpoint = checkpoints[-1]
    else:
        named = [c for c in checkpoints if c.name in (args.checkpoint, run_dir.CHECKPOINT_PREFIX + args.checkpoint)]
        if not named:
            raise CommandError(ERROR_UNKNOWN_CHECKPOINT.format(args.checkpoint, args.run,
                                                               ", ".join(c.name for c in checkpoints)))
        checkpoint = named[0]
    state = run_dir.read_checkpoint_state(checkpoint)
    config = GroundConfig.from_dict(state["architecture"])
    model = GroundModel(config)
    run_dir.load_network(checkpoint, "G_ema", model.generator)
    run_dir.load_network(checkpoint, "D", model.discriminator)
    data = load_pairs(args.data or options["dataset"]["path"], config.resolution, "train",
                      max_images=LAND_USE_IMAGES)
    head, accuracy = fit_land_use_head(model, data, seed=options["train"]["seed"])
    model.land_use.load_state_dict(head.state_dict())
    training = {"dataset": state.get("dataset"), "kimg": state["kimg"], "seed": options["train"]["seed"],
                "command": options.get("command"), "run": Path(args.run).resolve().name,
                "checkpoint": checkpoint.name}
    metrics = {"land_use_train_accuracy": accuracy, "land_use_train_images": len(data)}
    sha256 = write_model_folder(args.out, kind=KIND, architecture=config.to_dict(), state_dict=model.state_dict(),
                                training=training, metrics=metrics)
    print(f"exported {checkpoint.name}; land-use head accuracy on its training pairs {accuracy:.3f}")
    print(f"wrote {args.out} (weights sha256 {sha256})")
    return 0

