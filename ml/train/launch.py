"""The frame of every `python -m ml train KIND`: the options as one checked run config, the
checkpoint to resume, torchrun's setup and teardown around the kind's loop, and the run folder
with the options it records.

What differs between kinds comes from the registry (`ml.train.kinds`): the run config class,
the architecture options, a kind's own checks (`Kind.check`) and its loop (`Kind.module`).
"""
from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import torch

from ml.cli import CommandError, flag
from ml.modelfolder import WEIGHTS_FILE, ModelFolderError, read_config, training_kimg
from ml.train import checks, run_dir
from ml.train.options import OFF, Kind
from ml.train.run_config import option_fields

ERROR_ARCHITECTURE = "invalid architecture: {}"
ERROR_BATCH_RANKS = "--batch-size {} is not divisible by the {} processes torchrun started"
ERROR_RESUME_MISSING = "--resume {}: no checkpoint there (a checkpoint-*/ folder or a run folder holding one)"
ERROR_RESUME_INCOMPLETE = "--resume {}: the checkpoint lacks {}"
ERROR_RESUME_KIND = "--resume {}: a checkpoint of kind {!r}, not {!r}"
ERROR_RESUME_ARCHITECTURE = "--resume {}: it was trained with {}, but this run asks for {}"
ERROR_RESUME_GROW_ORDER = ("--resume {}: {} can no longer be added: the run's context already holds {}, and features "
                            "added on a resume come after all the others")
ERROR_RESUME_FIRST_STAGE = "--resume {}: {}={} would widen the first stage, which a resume cannot"
ERROR_RESUME_DONE = "--resume {}: it is already at kimg {:g}; raise --max-kimg above that"
ERROR_GENERATOR_NEEDS_RESUME = ("--generator-from needs --resume: the checkpoint whose critic, optimisers and "
                                "data order the model's generator continues with")
ERROR_GENERATOR_FROM = "--generator-from {}: {}"


def run_training(kind: Kind, args: argparse.Namespace) -> int:
    """The checkpoint to resume (of that kind), the checked config, then the kind's
    `train(config, dist, resume, resume_state)` between torchrun's setup and teardown. A batch
    the processes cannot share, or a resumed run already at its end, is refused before anything
    is written."""
    resume = find_resume_checkpoint(args.resume, kind.name) if args.resume else None
    resume_state = run_dir.read_checkpoint_state(resume) if resume else None
    if args.generator_from is not None:
        if resume is None:
            raise CommandError(ERROR_GENERATOR_NEEDS_RESUME)
        resume_state = {**resume_state, **generator_progress(args.generator_from, kind.name, resume)}
    config = build_config(kind, args, resume_state)
    kept = kept_from_resumed(kind, args, resume_state)
    if config.threads:
        torch.set_num_threads(config.threads)
    dist = run_dir.setup_distributed(mixed_precision=config.mixed_precision)
    try:
        if config.batch_size % dist.world_size:
            raise CommandError(ERROR_BATCH_RANKS.format(config.batch_size, dist.world_size))
        if resume_state is not None and resume_state["nimg"] >= config.total_nimg():
            raise CommandError(ERROR_RESUME_DONE.format(resume, resume_state["kimg"]))
        if kept and dist.is_main:
            print(f"kept from the resumed run (give an option to change it): {shlex.join(kept)}")
        status = kind.function("train")(config, dist, resume, resume_state)
        # No rank leaves the group while another is still writing its last step: a rank that
        # tears the group down first can abort its peer's connection.
        run_dir.barrier(dist)
        return status
    finally:
        run_dir.teardown_distributed(dist)


def build_config(kind: Kind, args: argparse.Namespace, resume_state: dict | None):
    """The options of the command line as one checked run config of the kind (CommandError if
    not); unset ones take the resumed checkpoint's value, else the default."""
    checks.check_data_folder(args.data)
    model = build_architecture(kind, args, resume_state)
    values = option_values(args, [field.name for field in option_fields(kind.config)], kind.defaults, resume_state)
    checks.check_values(kind.config, values)
    extra = kind.check(args, values, model, resume_state) if kind.check else {}
    return kind.config(data=str(args.data.resolve()), out=str(args.out), model=model,
                       resume=str(args.resume) if args.resume else None,
                       generator_from=str(args.generator_from) if args.generator_from else None,
                       dry_run=args.dry_run, **values, **extra)


def option_values(args: argparse.Namespace, names, defaults: dict, resume_state: dict | None) -> dict:
    """Each training option as given on the command line, else the resumed run's, else the default;
    0 turns an option of `OFF` off (None): `--ema-rampup 0`, `--max-minutes 0`."""
    resumed = resume_state.get("train", {}) if resume_state else {}
    values = {name: getattr(args, name) if getattr(args, name) is not None else resumed.get(name, defaults[name])
              for name in names}
    for name in OFF:
        if name in values and getattr(args, name, None) == 0:
            values[name] = None
    return values


def build_architecture(kind: Kind, args: argparse.Namespace, resume_state: dict | None):
    """The kind's architecture from its options; unset ones come from the resumed checkpoint
    (or the defaults), and a set one that differs from the checkpoint is refused. A class head
    is given as attribute names and recorded with their classes; the data must train it."""
    asked = {name: getattr(args, name) for name in kind.architecture if getattr(args, name) is not None}
    if "resolution" in asked and kind.check_resolution:
        checks.check_power_of_two("resolution", asked["resolution"])
    head = kind.head_option
    if head in asked:
        asked[head] = checks.head_classes(asked[head], args.data, flag(head))
    model = resolve_architecture(kind.architecture_class, asked, resume_state, args.resume)
    if head and getattr(model, head):
        checks.check_head(getattr(model, head), args.data, flag(head))
    return model


def resolve_architecture(config_class, asked: dict, resume_state: dict | None, resume: Path | None):
    """`config_class` (a JSONConfig) from the options `asked`; the others come from the resumed
    checkpoint (or the class's defaults), and an asked one that differs from the checkpoint is
    refused: the weights would not fit, unless the class lets that field grow from nothing on a
    resume (`GROWS_ON_RESUME`: the trainer widens the weights). A field newer than the checkpoint
    reads as its default, which is what the checkpoint was trained with. A field of `RISES_ON_RESUME` may take a
    larger value if the first stage keeps its width (the trainer widens the others: `widen_stages`)."""
    base = {**config_class().to_dict(), **(resume_state["architecture"] if resume_state else {})}
    grows = getattr(config_class, "GROWS_ON_RESUME", ())
    rises = [name for name in getattr(config_class, "RISES_ON_RESUME", ())
             if resume_state and name in asked and asked[name] > base[name]]
    if resume_state:
        differing = sorted(name for name, value in asked.items()
                           if base.get(name) != value and name not in rises
                           and not (name in grows and grows_last(grows, name, base)))
        if late := [name for name in differing if name in grows and not base.get(name)]:
            raise CommandError(ERROR_RESUME_GROW_ORDER.format(
                resume, late[0], ", ".join(later for later in grows[grows.index(late[0]):] if base.get(later))))
        if differing:
            was = ", ".join(f"{name}={base.get(name)}" for name in differing)
            now = ", ".join(f"{name}={asked[name]}" for name in differing)
            raise CommandError(ERROR_RESUME_ARCHITECTURE.format(resume, was, now))
    try:
        model = config_class.from_dict({**base, **asked})
    except (TypeError, ValueError) as error:
        raise CommandError(ERROR_ARCHITECTURE.format(error)) from None
    if rises and model.stage_widths()[0] != config_class.from_dict(base).stage_widths()[0]:
        raise CommandError(ERROR_RESUME_FIRST_STAGE.format(resume, rises[0], asked[rises[0]]))
    return model


def grows_last(grows: tuple, name: str, base: dict) -> bool:
    """Whether field `name` of `grows` may grow on a resume from the architecture `base`: it has
    nothing yet, nor has any field after it (the widened weights take the new features last)."""
    return not any(base.get(later) for later in grows[grows.index(name):])


def find_resume_checkpoint(path: Path, kind: str) -> Path:
    """The checkpoint folder `path`, or the latest checkpoint of the run folder `path`, of a
    run of `kind`."""
    if (path / run_dir.STATE_FILE).is_file():
        checkpoint = path
    else:
        checkpoints = run_dir.list_checkpoints(path) if path.is_dir() else []
        if not checkpoints:
            raise CommandError(ERROR_RESUME_MISSING.format(path))
        checkpoint = checkpoints[-1]
    try:
        state = run_dir.read_checkpoint_state(checkpoint)
    except (OSError, ValueError):
        raise CommandError(ERROR_RESUME_MISSING.format(path)) from None
    if state.get("kind") != kind:
        raise CommandError(ERROR_RESUME_KIND.format(path, state.get("kind"), kind))
    if not isinstance(state.get("architecture"), dict) or "nimg" not in state:
        raise CommandError(ERROR_RESUME_MISSING.format(path))
    if missing := run_dir.missing_files(checkpoint, state):
        raise CommandError(ERROR_RESUME_INCOMPLETE.format(checkpoint, ", ".join(missing)))
    return checkpoint


def generator_progress(model: Path, kind: str, checkpoint: Path) -> dict:
    """The progress a resumed run takes from the model folder whose generator it continues with
    (`--generator-from`): the model's kimg. The model must be of the run's kind and its weights
    the very tensors of the checkpoint's generator (names and shapes): the export of a run of the
    same architecture, such as the one shipped when the run's own checkpoints were lost."""
    try:
        config = read_config(model)
    except ModelFolderError as error:
        raise CommandError(ERROR_GENERATOR_FROM.format(model, error)) from None
    if config.get("kind") != kind:
        raise CommandError(ERROR_GENERATOR_FROM.format(model, f"a model of kind {config.get('kind')!r}, not {kind!r}"))
    if run_dir.tensor_shapes(model / WEIGHTS_FILE) != run_dir.tensor_shapes(run_dir.network_file(checkpoint, "G")):
        raise CommandError(ERROR_GENERATOR_FROM.format(
            model, f"its weights are not the generator of {checkpoint} (other tensor names or shapes)"))
    kimg = training_kimg(config)
    return {"nimg": round(1000 * kimg), "kimg": kimg}


def start_run(kind: Kind, config, dist: run_dir.Distributed, *, dataset: dict, description: str,
              resume: Path | None, resume_state: dict | None, head: tuple[str, ...] = (),
              **extra) -> tuple[run_dir.RunDir | None, dict]:
    """The options a run records (options.json, with the command that reproduces it, `head` its
    options spelled the kind's own way), and its numbered run folder after seeding and setting up
    the backends. With --dry-run the options are printed instead and there is no run (None)."""
    options = {"kind": kind.name, "command": reproducing_command(kind, config, *head), "train": config.to_dict(),
               "dataset": dataset, **extra, "world_size": dist.world_size,
               "resumed_from": None if resume is None else {"checkpoint": str(resume.resolve()),
                                                            "kimg": resume_state["kimg"]}}
    if config.dry_run:
        print(json.dumps(options, indent=2))
        return None, options
    run_dir.seed_everything(config.seed, dist.rank)
    run_dir.configure_backends(dist)
    folder = run_dir.next_run_dir(config.out, description)
    if dist.is_main:
        print(f"run folder: {folder}")
    return run_dir.RunDir(folder, enabled=dist.is_main), options


def reproducing_command(kind: Kind, config, *head: str) -> str:
    """The command that reproduces a run's options: `head`, then every training option, --resume,
    --generator-from and every architecture option spelled out."""
    parts = ["python", "-m", "ml", "train", kind.name, "--data", config.data, "--out", config.out, *head]
    values = {**config.to_dict(), **config.model.to_dict()}
    for name in [*(field.name for field in option_fields(kind.config)), "resume", "generator_from",
                 *kind.architecture]:
        parts += option_words(name, values.get(name))
    return shlex.join(parts)


def option_words(name: str, value) -> list[str]:
    """How the command line says that option `name` has `value` (no words for an unset one)."""
    if name in OFF and value is None:
        value = 0  # how the command line says "off"
    if value is None:
        return []
    if isinstance(value, (dict, list)):  # a head's attributes (their classes come from the data), or bounds
        value = ",".join(map(str, value)) or "none"
    if isinstance(value, bool):
        return [flag(name) if value else "--no-" + flag(name)[2:]]
    return [flag(name), str(value)]


def kept_from_resumed(kind: Kind, args: argparse.Namespace, resume_state: dict | None) -> list[str]:
    """The words of the training options that a resumed run keeps from its checkpoint (not given
    on the command line) where a new run would take another value, its default."""
    resumed = resume_state.get("train", {}) if resume_state else {}
    defaults, words = kind.defaults, []
    for name in (field.name for field in option_fields(kind.config)):
        if getattr(args, name) is None and name in resumed and resumed[name] != defaults[name]:
            words += option_words(name, resumed[name])
    return words
