"""What `python -m ml train place` and `python -m ml export` do (their options: `ml.train.cli`).

Every option is checked here, once, before anything is written: a bad one is a `CommandError`,
which the command line prints as one line (exit status 2).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ml.cli import CommandError, flag, parse_city_count
from ml.models.place import PlaceConfig
from ml.train import run_dir
from ml.train.cli import ARCHITECTURE_OPTIONS, TRAIN_DEFAULTS, TRAIN_OPTIONS
from ml.train.place import KIND, PlaceTrainConfig, PlaceTrainer

ERROR_RESOLUTION = "--{} must be a power of two from 4 to 1024, got {}"
ERROR_START_RESOLUTION = "--start-resolution {} is above --resolution {}"
ERROR_POSITIVE = "--{} must be positive, got {}"
ERROR_NON_NEGATIVE = "--{} must be >= 0, got {}"
ERROR_ARCHITECTURE = "invalid architecture: {}"
ERROR_DATA = "--data: {}"
ERROR_NO_DATA_FOLDER = "--data {} is not a folder"
ERROR_FEWER_CITIES = "--cities {} asks for more cities than the dataset's {} training cities"
ERROR_BATCH_RANKS = "--batch-size {} is not divisible by the {} processes torchrun started"
ERROR_RESUME_MISSING = "--resume {}: no checkpoint there (a checkpoint-*/ folder or a run folder holding one)"
ERROR_RESUME_KIND = "--resume {}: a checkpoint of kind {!r}, not {!r}"
ERROR_RESUME_ARCHITECTURE = "--resume {}: it was trained with {}, but this run asks for {}"
ERROR_RESUME_DONE = "--resume {}: it is already at kimg {:g}; raise --max-kimg above that"
ERROR_HEAD_ATTRIBUTE = "{}: {} lists no attribute {!r} in its dataset.json (it lists: {})"
ERROR_HEAD_CLASSES = "{}: the {} classes of {} ({}) are not the ones the checkpoint was trained on ({})"
ERROR_HEAD_UNLABELLED = "{}: no training row of {} carries a {} class, so the head would learn nothing"
ERROR_RUN_MISSING = "{} is not a run folder (it has no {})"
ERROR_RUN_KIND = "{} is a run of kind {!r}; only {!r} runs can be exported"
ERROR_NO_CHECKPOINTS = "{} has no checkpoint yet"
ERROR_UNKNOWN_CHECKPOINT = "--checkpoint {}: no such checkpoint in {}; it has {}"
ERROR_NONE_FULL = "no checkpoint of {} has reached full resolution; pass --checkpoint NAME to export one anyway"
ERROR_LOSS = "--loss {!r} is not one of {}"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"

# ---------------------------------------------------------------------------------------------
# train place


def run_train_place(args: argparse.Namespace) -> int:
    return run_training(args, KIND, build_train_config, _train)


def run_training(args: argparse.Namespace, kind: str, build_config, train) -> int:
    """The frame of every `python -m ml train KIND`: the checkpoint to resume (of that kind),
    the checked config, then `train(config, dist, resume, resume_state)` between torchrun's
    setup and teardown. A batch the processes cannot share, or a resumed run already at its
    end, is refused before anything is written."""
    resume = find_resume_checkpoint(args.resume, kind) if args.resume else None
    resume_state = run_dir.read_checkpoint_state(resume) if resume else None
    config = build_config(args, resume_state)
    if getattr(config, "threads", 0):
        torch.set_num_threads(config.threads)
    dist = run_dir.setup_distributed()
    try:
        if config.batch_size % dist.world_size:
            raise CommandError(ERROR_BATCH_RANKS.format(config.batch_size, dist.world_size))
        if resume_state is not None and resume_state["nimg"] >= config.total_nimg():
            raise CommandError(ERROR_RESUME_DONE.format(resume, resume_state["kimg"]))
        return train(config, dist, resume, resume_state)
    finally:
        run_dir.teardown_distributed(dist)


def start_run(kind: str, config, dist: run_dir.Distributed, *, command: str, dataset: dict, description: str,
              resume: Path | None, resume_state: dict | None, **extra) -> tuple[run_dir.RunDir | None, dict]:
    """The options a run records (options.json), and its numbered run folder after seeding and
    setting up the backends. With --dry-run the options are printed instead and there is no
    run (None)."""
    options = {"kind": kind, "command": command, "train": config.to_dict(), "dataset": dataset, **extra,
               "world_size": dist.world_size,
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


def _train(config: PlaceTrainConfig, dist: run_dir.Distributed, resume, resume_state) -> int:
    data = load_training_data(config, dist, epoch=resume_state.get("epoch", 0) if resume_state else 0)
    run, options = start_run(KIND, config, dist, command=command_line(config), dataset=data.summary,
                             description=run_description(config, data.summary["name"]), resume=resume,
                             resume_state=resume_state, cities=data.cities)
    if run is None:
        print(plan(config))
        return 0
    PlaceTrainer(config, data, dist, run, options=options, resume_from=resume).train()
    return 0


def option_values(args: argparse.Namespace, names, defaults: dict, resume_state: dict | None) -> dict:
    """Each training option as given on the command line, else the resumed run's, else the default;
    an `--ema-rampup 0` turns the ramp-up off (None)."""
    resumed = resume_state.get("train", {}) if resume_state else {}
    values = {name: getattr(args, name) if getattr(args, name) is not None else resumed.get(name, defaults[name])
              for name in names}
    if "ema_rampup" in values and getattr(args, "ema_rampup", None) == 0:
        values["ema_rampup"] = None
    return values


def check_recipe(values: dict) -> None:
    """The adversarial recipe's options of a place or ground run (CommandError if not valid)."""
    from ml.train.adversarial import LOSSES
    from ml.train.augment import parse_augments

    if values["loss"] not in LOSSES:
        raise CommandError(ERROR_LOSS.format(values["loss"], ", ".join(LOSSES)))
    if values["r1_gamma"] is not None and values["r1_gamma"] < 0:
        raise CommandError(ERROR_NON_NEGATIVE.format("r1-gamma", values["r1_gamma"]))
    if values["r1_interval"] < 1:
        raise CommandError(ERROR_POSITIVE.format("r1-interval", values["r1_interval"]))
    if values["threads"] < 0:
        raise CommandError(ERROR_NON_NEGATIVE.format("threads", values["threads"]))
    try:
        parse_augments(values["augment"])
    except ValueError as error:
        raise CommandError(f"--augment: {error}") from None


def build_train_config(args: argparse.Namespace, resume_state: dict | None) -> PlaceTrainConfig:
    """The options of the command line as one checked PlaceTrainConfig (CommandError if not)."""
    if not args.data.is_dir():
        raise CommandError(ERROR_NO_DATA_FOLDER.format(args.data))
    model = build_architecture(args, resume_state)
    if model.context_head:
        check_head(model.context_head, args.data)
    resumed = resume_state.get("train", {}) if resume_state else {}
    values = option_values(args, TRAIN_OPTIONS, TRAIN_DEFAULTS, resume_state)
    cities = parse_city_count(args.cities) if args.cities is not None else resumed.get("cities")
    for name in ("batch_size", "n_critic"):
        if values[name] < 1:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("lr", "tick_kimg", "sample_kimg", "snapshot_kimg"):
        if not values[name] > 0:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("gp_weight", "drift_weight", "context_weight", "fade_kimg", "stable_kimg", "ema_kimg", "ema_rampup", "seed",
                 "data_workers"):
        if values[name] is not None and values[name] < 0:
            raise CommandError(ERROR_NON_NEGATIVE.format(flag(name)[2:], values[name]))
    if values["max_kimg"] is not None and not values["max_kimg"] > 0:
        raise CommandError(ERROR_POSITIVE.format("max-kimg", values["max_kimg"]))
    if not (0 <= values["beta1"] < 1 and 0 <= values["beta2"] < 1):
        raise CommandError(f"--beta1 and --beta2 must be in [0, 1), got {values['beta1']} and {values['beta2']}")
    check_recipe(values)
    if not _power_of_two(values["start_resolution"]):
        raise CommandError(ERROR_RESOLUTION.format("start-resolution", values["start_resolution"]))
    if values["start_resolution"] > model.resolution:
        raise CommandError(ERROR_START_RESOLUTION.format(values["start_resolution"], model.resolution))
    return PlaceTrainConfig(data=str(args.data.resolve()), out=str(args.out), cities=cities, model=model,
                            resume=str(args.resume) if args.resume else None, dry_run=args.dry_run, **values)


def build_architecture(args: argparse.Namespace, resume_state: dict | None) -> PlaceConfig:
    """PlaceConfig from the architecture options; unset ones come from the resumed checkpoint
    (or PlaceConfig's defaults), and a set one that differs from the checkpoint is refused."""
    asked = {name: getattr(args, name) for name in ARCHITECTURE_OPTIONS if getattr(args, name) is not None}
    if "resolution" in asked and not _power_of_two(asked["resolution"]):
        raise CommandError(ERROR_RESOLUTION.format("resolution", asked["resolution"]))
    if "context_head" in asked:
        asked["context_head"] = head_classes(asked["context_head"], args.data)
    return resolve_architecture(PlaceConfig, asked, resume_state, args.resume)


def head_classes(text: str, data: Path, option: str = "--context-head") -> dict[str, list]:
    """The value of a class-head option (`--context-head biome,density|none`): each attribute
    named, with its classes as the dataset's dataset.json lists them (the architecture records
    them with the head)."""
    names = [] if text.strip().lower() == "none" else [name.strip() for name in text.split(",") if name.strip()]
    listed = _dataset_classes(data)
    for name in names:
        if name not in listed:
            raise CommandError(ERROR_HEAD_ATTRIBUTE.format(option, data, name, ", ".join(listed) or "none"))
    return {name: listed[name] for name in dict.fromkeys(names)}


def check_head(head: dict[str, list], data: Path, option: str = "--context-head") -> None:
    """The data can train a class head: its classes are the head's (a resumed head keeps its
    own), and some training row carries each attribute."""
    from ml.data.dataset import ManifestDataset

    listed = _dataset_classes(data)
    for name, classes in head.items():
        if name not in listed:
            raise CommandError(ERROR_HEAD_ATTRIBUTE.format(option, data, name, ", ".join(listed) or "none"))
        if listed[name] != classes:
            raise CommandError(ERROR_HEAD_CLASSES.format(option, name, data, ", ".join(map(str, listed[name])),
                                                         ", ".join(map(str, classes))))
    try:
        dataset = ManifestDataset(data, split="train")
    except ValueError:
        return  # no usable rows: loading the data says so
    for name in head:
        if not any(dataset.labels_of(row.get("attributes", {}))[name] >= 0 for row in dataset.rows):
            raise CommandError(ERROR_HEAD_UNLABELLED.format(option, data, name))


def _dataset_classes(data: Path) -> dict[str, list]:
    """attribute -> its classes, from the dataset folder's dataset.json (none without one)."""
    description = data / "dataset.json"
    if not description.is_file():
        return {}
    try:
        return json.loads(description.read_text(encoding="utf-8")).get("attributes", {})
    except (OSError, ValueError) as error:
        raise CommandError(ERROR_DATA.format(f"{description}: {_one_line(error)}")) from None


def resolve_architecture(config_class, asked: dict, resume_state: dict | None, resume: Path | None):
    """`config_class` (a JSONConfig) from the options `asked`; the others come from the resumed
    checkpoint (or the class's defaults), and an asked one that differs from the checkpoint is
    refused: the weights would not fit."""
    base = resume_state["architecture"] if resume_state else config_class().to_dict()
    if resume_state:
        differing = sorted(name for name, value in asked.items() if base.get(name) != value)
        if differing:
            was = ", ".join(f"{name}={base.get(name)}" for name in differing)
            now = ", ".join(f"{name}={asked[name]}" for name in differing)
            raise CommandError(ERROR_RESUME_ARCHITECTURE.format(resume, was, now))
    try:
        return config_class.from_dict({**base, **asked})
    except (TypeError, ValueError) as error:
        raise CommandError(ERROR_ARCHITECTURE.format(error)) from None


def find_resume_checkpoint(path: Path, kind: str = KIND) -> Path:
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
    return checkpoint


def load_training_data(config: PlaceTrainConfig, dist: run_dir.Distributed, *, epoch: int):
    """This rank's batches: from the dataset decoded into memory, or streamed (`--stream`)."""
    from ml.train.batches import CachedBatches, StreamedBatches
    from ml.train.image_cache import FewerCitiesError, load_image_cache

    common = dict(batch_size=config.batch_size // dist.world_size, rank=dist.rank, world_size=dist.world_size,
                  seed=config.seed, epoch=epoch)
    try:
        if config.stream:
            data = StreamedBatches(config.data, resolution=config.model.resolution, cities=config.cities,
                                   drop_outliers=config.drop_outliers, workers=config.data_workers, **common)
        else:
            cache = load_image_cache(config.data, resolution=config.model.resolution, split="train",
                                     cities=config.cities, drop_outliers=config.drop_outliers,
                                     progress=dist.is_main)
            data = CachedBatches(cache, **common)
    except FewerCitiesError as error:
        raise CommandError(ERROR_FEWER_CITIES.format(error.asked, error.available)) from None
    except ValueError as error:
        raise CommandError(ERROR_DATA.format(_one_line(error))) from None
    return data


def run_description(config: PlaceTrainConfig, data_name: str) -> str:
    cities = "allcities" if config.cities is None else f"{config.cities}{'city' if config.cities == 1 else 'cities'}"
    return f"{KIND}-{data_name}-{cities}"


def command_line(config: PlaceTrainConfig) -> str:
    names = [f.name for f in dataclasses.fields(PlaceTrainConfig)
             if f.name not in ("data", "out", "cities", "model", "dry_run")]
    return reproducing_command(KIND, config, [*names, *ARCHITECTURE_OPTIONS],
                               "--cities", "all" if config.cities is None else str(config.cities))


def reproducing_command(kind: str, config, names: list[str], *head: str) -> str:
    """The command that reproduces a run's options: `head`, then every option in `names`
    spelled out (from the config, or its architecture `config.model`)."""
    parts = ["python", "-m", "ml", "train", kind, "--data", config.data, "--out", config.out, *head]
    values = {**config.to_dict(), **config.model.to_dict()}
    for name in names:
        value = values.get(name)
        if name == "ema_rampup" and value is None:
            value = 0  # how the command line says "off"
        if value is None:
            continue
        if isinstance(value, dict):  # a head's attributes: their classes come from the data
            value = ",".join(value) or "none"
        if isinstance(value, bool):
            parts.append(flag(name) if value else "--no-" + flag(name)[2:])
        else:
            parts += [flag(name), str(value)]
    return shlex.join(parts)


def plan(config: PlaceTrainConfig) -> str:
    """The phases of the run, for --dry-run."""
    model, first = config.model, config.start_stage
    segments = [(f"stable-{model.stage_resolution(first)}", config.stable_kimg)]
    for stage in range(first + 1, model.num_stages):
        resolution = model.stage_resolution(stage)
        segments += [(f"fade-{resolution}", config.fade_kimg), (f"stable-{resolution}", config.stable_kimg)]
    lines, start, total = ["phases:"], 0.0, config.total_nimg() / 1000
    for index, (name, length) in enumerate(segments):
        end = total if index == len(segments) - 1 else min(start + length, total)
        if end > start:
            lines.append(f"  {name:<12} kimg {start:g} - {end:g}")
        start = end
    return "\n".join(lines)


def _power_of_two(value: int) -> bool:
    return 4 <= value <= 1024 and value & (value - 1) == 0


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


# ---------------------------------------------------------------------------------------------
# export


def run_export(args: argparse.Namespace) -> int:
    """Export a run of any kind: each kind writes its own model folder."""
    kind = _run_kind(args.run)
    if kind == "ground":
        from ml.train.ground_commands import run_export_ground

        return run_export_ground(args, read_run_options(args.run, kind="ground"))
    if kind == "edit":
        from ml.train.edit_commands import run_export_edit

        return run_export_edit(args, read_run_options(args.run, kind="edit"))
    options = read_run_options(args.run)
    checkpoint, state, gap = pick_checkpoint(args, options, place_players())
    sha256 = write_export(args.out, checkpoint, state, options, gap, run=args.run)
    print(f"wrote {args.out} (weights sha256 {sha256})")
    return 0


@dataclasses.dataclass
class GapPlayers:
    """What the duality gap needs of a kind: its architecture, its (G, D), and the condition
    of each held-out picture (the place's context, or the spot's overhead tile)."""
    architecture: Callable[[dict], Any]  # a checkpoint's "architecture" -> the kind's config
    networks: Callable[[Any], tuple[torch.nn.Module, torch.nn.Module]]  # fresh (G, D) of a config
    conditions: Callable[[Any, Any], torch.Tensor]  # (held-out ImageCache, config) -> conditions
    overhead: bool = False  # the held-out pictures need their overhead tiles


def place_players() -> GapPlayers:
    from ml.models.place import PlaceDiscriminator, PlaceGenerator, place_context

    return GapPlayers(architecture=PlaceConfig.from_dict,
                      networks=lambda config: (PlaceGenerator(config), PlaceDiscriminator(config)),
                      conditions=lambda data, config: place_context(data.lat, data.lon, config))


def pick_checkpoint(args: argparse.Namespace, options: dict, players: GapPlayers):
    """The checkpoint `--checkpoint` names, or with `best` the full-resolution one whose (G, D)
    is nearest an equilibrium (smallest duality gap); returns it, its state and its gap. The
    options are checked and `--out` must be new or empty before anything is measured."""
    for name in ("gap_steps", "gap_batch", "gap_images"):
        if getattr(args, name) < 1:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], getattr(args, name)))
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(args.out))
    checkpoints = run_dir.list_checkpoints(args.run)
    if not checkpoints:
        raise CommandError(ERROR_NO_CHECKPOINTS.format(args.run))
    states = {checkpoint.name: run_dir.read_checkpoint_state(checkpoint) for checkpoint in checkpoints}
    candidates = export_candidates(args.checkpoint, args.run, checkpoints, states)
    gaps = measure_gaps(candidates, states, options, args, players)
    picked = min(candidates, key=lambda checkpoint: gaps[checkpoint.name].gap)
    print(f"picked {picked.name} (gap {gaps[picked.name].gap:.5f})")
    return picked, states[picked.name], gaps[picked.name]


def export_candidates(which: str, run: Path, checkpoints: list[Path], states: dict) -> list[Path]:
    """best: every full-resolution checkpoint; latest: the last one; else the one named."""
    if which == "best":
        candidates = [c for c in checkpoints if states[c.name].get("full_resolution")]
        if not candidates:
            raise CommandError(ERROR_NONE_FULL.format(run))
        return candidates
    if which == "latest":
        return [checkpoints[-1]]
    candidates = [c for c in checkpoints if c.name in (which, run_dir.CHECKPOINT_PREFIX + which)]
    if not candidates:
        names = ", ".join(c.name for c in checkpoints)
        raise CommandError(ERROR_UNKNOWN_CHECKPOINT.format(which, run, names))
    return candidates


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


def write_export(out: Path, checkpoint: Path, state: dict, options: dict, gap, *, run: Path) -> str:
    """The model folder of the checkpoint's G_ema at full resolution; returns its sha256."""
    from ml.modelfolder import write_model_folder
    from ml.models.place import PlaceGenerator

    config = PlaceConfig.from_dict(state["architecture"])
    G_ema = run_dir.load_network(checkpoint, "G_ema", PlaceGenerator(config))
    train = options["train"]
    training = {"dataset": state.get("dataset", options.get("dataset")), "kimg": state["kimg"],
                "cities": len(state.get("cities", [])), "curriculum": train.get("cities") or "all",
                "seed": train["seed"], "command": options.get("command"), "run": Path(run).resolve().name,
                "checkpoint": checkpoint.name}
    metrics = {"duality_gap": gap.gap, "duality_gap_detail": {**gap.to_dict(), "split": gap.split,
                                                              "images": gap.images, "steps": gap.steps}}
    return write_model_folder(out, kind=KIND, architecture=config.to_dict(), state_dict=G_ema.state_dict(),
                              training=training, metrics=metrics)


def _run_kind(run: Path) -> str | None:
    path = Path(run) / run_dir.OPTIONS_FILE
    return json.loads(path.read_text(encoding="utf-8")).get("kind") if path.is_file() else None


def read_run_options(run: Path, kind: str = KIND) -> dict:
    path = Path(run) / run_dir.OPTIONS_FILE
    if not path.is_file():
        raise CommandError(ERROR_RUN_MISSING.format(run, run_dir.OPTIONS_FILE))
    options = json.loads(path.read_text(encoding="utf-8"))
    if options.get("kind") != kind:
        raise CommandError(ERROR_RUN_KIND.format(run, options.get("kind"), kind))
    return options


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
    raise CommandError(ERROR_DATA.format(_one_line(last)))
