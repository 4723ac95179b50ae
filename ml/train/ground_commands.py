"""What `python -m ml train ground` and `python -m ml export <ground run>` do (options: `ml.train.ground_cli`).

Every option is checked here, once, before anything is written: a bad one is a `CommandError`.
The export writes a `ground` model folder: the G_ema and D of the checkpoint the duality gap
picks (`ml.train.selection`, as for `place`), and the land-use head fitted on D's features of
generated views of the run's training tiles (`ml.eval.ground_landuse`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli import CommandError, flag
from ml.eval.ground_landuse import land_use_labels
from ml.models.ground import LAND_USES, GroundConfig
from ml.train import run_dir
from ml.train.commands import (ERROR_DATA, ERROR_NO_DATA_FOLDER, ERROR_NON_NEGATIVE, ERROR_POSITIVE, GapPlayers,
                               check_recipe, option_values, pick_checkpoint, reproducing_command, resolve_architecture,
                               run_training, start_run)
from ml.train.ground import KIND, GroundTrainConfig, GroundTrainer
from ml.train.ground_cli import ARCHITECTURE_OPTIONS, TRAIN_DEFAULTS, TRAIN_OPTIONS

LAND_USE_IMAGES = 2048  # training pairs the exported land-use head is fitted on, at most
ERROR_NO_LAND_USE = ("--land-use-head needs rows whose attributes name a land use (density: {}), and the "
                     "training rows of {{}} name none").format(", ".join(LAND_USES))


def run_train_ground(args: argparse.Namespace) -> int:
    return run_training(args, KIND, build_train_config, _train)


def _train(config: GroundTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    data = load_pairs(config.data, config.model.resolution, "train", drop_outliers=config.drop_outliers,
                      progress=dist.is_main)
    if config.model.land_use_head and not bool((land_use_labels(data, config.model.land_uses) >= 0).any()):
        raise CommandError(ERROR_NO_LAND_USE.format(config.data))
    variant = "".join(suffix for suffix, on in (("-unconditional", not config.model.conditional),
                                                ("-pix2pix", config.model.variant == "pix2pix"),
                                                ("-landuse", config.model.land_use_head)) if on)
    run, options = start_run(KIND, config, dist, command=command_line(config), dataset=data.summary,
                             description=f"{KIND}-{data.summary['name']}{variant}", resume=resume,
                             resume_state=resume_state)
    if run is not None:
        GroundTrainer(config, data, dist, run, options=options, resume_from=resume).train()
    return 0


def build_train_config(args: argparse.Namespace, resume_state: dict | None) -> GroundTrainConfig:
    asked = {name: getattr(args, name) for name in ARCHITECTURE_OPTIONS if getattr(args, name) is not None}
    model = resolve_architecture(GroundConfig, asked, resume_state, args.resume)
    values = option_values(args, TRAIN_OPTIONS, TRAIN_DEFAULTS, resume_state)
    for name in ("batch_size", "n_critic"):
        if values[name] < 1:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("lr", "max_kimg", "tick_kimg", "sample_kimg", "snapshot_kimg"):
        if not values[name] > 0:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("gp_weight", "drift_weight", "l1_weight", "land_use_weight", "ema_kimg", "ema_rampup", "seed"):
        if values[name] is not None and values[name] < 0:
            raise CommandError(ERROR_NON_NEGATIVE.format(flag(name)[2:], values[name]))
    if not (0 <= values["beta1"] < 1 and 0 <= values["beta2"] < 1):
        raise CommandError(f"--beta1 and --beta2 must be in [0, 1), got {values['beta1']} and {values['beta2']}")
    check_recipe(values)
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


def run_export_ground(args: argparse.Namespace, options: dict) -> int:
    """The checkpoint `pick_checkpoint` chooses (with `best`, the smallest duality gap on held-out
    places, as for `place`), with its land-use head, as a model folder."""
    from ml.eval.ground_landuse import fit_land_use_head
    from ml.modelfolder import write_model_folder
    from ml.models.ground import GroundModel

    checkpoint, state, gap = pick_checkpoint(args, options, ground_players())
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
    metrics = {"land_use_train_accuracy": accuracy, "land_use_train_images": len(data), "duality_gap": gap.gap,
               "duality_gap_detail": {**gap.to_dict(), "split": gap.split, "images": gap.images, "steps": gap.steps}}
    sha256 = write_model_folder(args.out, kind=KIND, architecture=config.to_dict(), state_dict=model.state_dict(),
                                training=training, metrics=metrics)
    print(f"exported {checkpoint.name}; land-use head accuracy on its training pairs {accuracy:.3f}")
    print(f"wrote {args.out} (weights sha256 {sha256})")
    return 0


def ground_players() -> GapPlayers:
    from ml.models.ground import ground_networks
    from ml.train.image_cache import ImageCache

    return GapPlayers(architecture=GroundConfig.from_dict, networks=ground_networks,
                      conditions=lambda data, config: ImageCache.to_float(data.overhead), overhead=True)
