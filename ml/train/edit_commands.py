"""What `python -m ml train edit` and `python -m ml export` of an edit run do (options: `ml.train.edit_cli`).

Every option is checked here, once, before anything is written: a bad one is a `CommandError`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli import CommandError, flag
from ml.models.edit import EditConfig
from ml.train import run_dir
from ml.train.commands import (ERROR_DATA, ERROR_NO_CHECKPOINTS, ERROR_NO_DATA_FOLDER, ERROR_NON_NEGATIVE,
                               ERROR_OUT_NOT_EMPTY, ERROR_POSITIVE, ERROR_UNKNOWN_CHECKPOINT, _one_line,
                               check_head, head_classes, option_values, reproducing_command,
                               resolve_architecture, run_training, start_run)
from ml.train.edit_cli import ARCHITECTURE_OPTIONS, TRAIN_DEFAULTS, TRAIN_OPTIONS
from ml.train.edit_config import KIND, EditTrainConfig

ERROR_NO_CAPTIONS = "--data {}: {} of its {} pictures have no caption; the edit generator learns from captions"
ERROR_BATCH_TWO = "--batch-size must give each process at least 2 pictures (a mismatching text comes from another), got {}"
ERROR_PHRASE_SHARE = "--phrase-edits must be a share between 0 and 1, got {}"
ERROR_NO_PHRASES = ("--phrase-edits: {} labels none of the attributes a phrase can name ({}), so there is no "
                    "phrase to edit with")


def run_train_edit(args: argparse.Namespace) -> int:
    return run_training(args, KIND, build_train_config, _train)


def build_train_config(args: argparse.Namespace, resume_state: dict | None = None) -> EditTrainConfig:
    """The options of the command line as one checked EditTrainConfig (CommandError if not);
    unset ones take the resumed checkpoint's value, else the default."""
    values = option_values(args, TRAIN_OPTIONS, TRAIN_DEFAULTS, resume_state)
    for name in ("batch_size", "lr", "lr_halve_epochs", "max_kimg", "tick_kimg", "sample_kimg", "snapshot_kimg"):
        if not values[name] > 0:
            raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], values[name]))
    for name in ("cycle_weight", "identity_weight", "kl_weight", "attribute_weight", "ema_kimg", "ema_rampup",
                 "seed"):
        if values[name] is not None and values[name] < 0:
            raise CommandError(ERROR_NON_NEGATIVE.format(flag(name)[2:], values[name]))
    if values["batch_size"] < 2:
        raise CommandError(ERROR_BATCH_TWO.format(values["batch_size"]))
    if not 0 <= values["phrase_edits"] <= 1:
        raise CommandError(ERROR_PHRASE_SHARE.format(values["phrase_edits"]))
    if not (0 <= values["beta1"] < 1 and 0 <= values["beta2"] < 1):
        raise CommandError(f"--beta1 and --beta2 must be in [0, 1), got {values['beta1']} and {values['beta2']}")
    if not args.data.is_dir():
        raise CommandError(ERROR_NO_DATA_FOLDER.format(args.data))
    asked = {name: getattr(args, name) for name in ARCHITECTURE_OPTIONS if getattr(args, name) is not None}
    if "attribute_head" in asked:
        asked["attribute_head"] = head_classes(asked["attribute_head"], args.data, "--attribute-head")
    model = resolve_architecture(EditConfig, asked, resume_state, args.resume)
    if model.attribute_head:
        check_head(model.attribute_head, args.data, "--attribute-head")
    return EditTrainConfig(data=str(args.data.resolve()), out=str(args.out), model=model,
                           resume=str(args.resume) if args.resume else None, dry_run=args.dry_run, **values)


def _train(config: EditTrainConfig, dist: run_dir.Distributed, resume: Path | None = None,
           resume_state: dict | None = None) -> int:
    from ml.models.edit_text import encode_with_file_cache
    from ml.train.edit import SAMPLE_TEXTS, EditTrainer, PhraseBook, attribute_phrases

    if config.batch_size // dist.world_size < 2:
        raise CommandError(ERROR_BATCH_TWO.format(config.batch_size))
    data = load_training_data(config, progress=dist.is_main)
    phrases = attribute_phrases(data.classes) if config.phrase_edits > 0 else []
    if config.phrase_edits > 0 and not phrases:
        from ml.data.geoscenes.captions import KEYWORDS

        raise CommandError(ERROR_NO_PHRASES.format(config.data, ", ".join(KEYWORDS)))
    run, options = start_run(KIND, config, dist, command=command_line(config), dataset=data.summary,
                             description=f"{KIND}-{data.summary['name']}-{config.model.resolution}", resume=resume,
                             resume_state=resume_state)
    if run is None:
        return 0
    texts = encode_with_file_cache(data.captions, config.text_cache)
    sample_texts = encode_with_file_cache(list(SAMPLE_TEXTS), config.text_cache)
    book = PhraseBook(phrases, encode_with_file_cache([text for *_, text in phrases], config.text_cache)) \
        if phrases else None
    EditTrainer(config, data, texts, sample_texts, dist, run, options=options, resume_from=resume,
                phrases=book).train()
    return 0


def load_training_data(config: EditTrainConfig, progress: bool):
    from ml.train.image_cache import load_image_cache

    try:
        data = load_image_cache(config.data, resolution=config.model.resolution, split="train",
                                drop_outliers=config.drop_outliers, progress=progress)
    except ValueError as error:
        raise CommandError(ERROR_DATA.format(_one_line(error))) from None
    uncaptioned = sum(not caption.strip() for caption in data.captions)
    if uncaptioned:
        raise CommandError(ERROR_NO_CAPTIONS.format(config.data, uncaptioned, len(data)))
    return data


def command_line(config: EditTrainConfig) -> str:
    return reproducing_command(KIND, config, [*TRAIN_OPTIONS, *ARCHITECTURE_OPTIONS])


# ---------------------------------------------------------------------------------------------
# export


def run_export_edit(args: argparse.Namespace, options: dict) -> int:
    """The model folder of a checkpoint's generator (its G_ema when the run kept one): the latest
    checkpoint, or the one named."""
    from ml.modelfolder import write_model_folder
    from ml.models.edit import EditGenerator

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(args.out))
    checkpoints = run_dir.list_checkpoints(args.run)
    if not checkpoints:
        raise CommandError(ERROR_NO_CHECKPOINTS.format(args.run))
    if args.checkpoint in ("best", "latest"):  # no selection criterion for edits: the last one
        checkpoint = checkpoints[-1]
    else:
        named = [c for c in checkpoints if c.name in (args.checkpoint, run_dir.CHECKPOINT_PREFIX + args.checkpoint)]
        if not named:
            names = ", ".join(c.name for c in checkpoints)
            raise CommandError(ERROR_UNKNOWN_CHECKPOINT.format(args.checkpoint, args.run, names))
        checkpoint = named[0]
    state = run_dir.read_checkpoint_state(checkpoint)
    config = EditConfig.from_dict(state["architecture"])
    network = "G_ema" if options["train"].get("ema_kimg") else "G"
    generator = run_dir.load_network(checkpoint, network, EditGenerator(config))
    training = {"dataset": state.get("dataset"), "kimg": state["kimg"], "epoch": state.get("epoch"),
                "seed": options["train"]["seed"], "cycle_weight": options["train"]["cycle_weight"],
                "identity_weight": options["train"].get("identity_weight", 0.0),
                "kl_weight": options["train"]["kl_weight"],
                "attribute_weight": options["train"].get("attribute_weight"),
                "phrase_edits": options["train"].get("phrase_edits"),
                "ema_kimg": options["train"].get("ema_kimg", 0.0), "command": options.get("command"),
                "run": Path(args.run).resolve().name, "checkpoint": checkpoint.name}
    sha256 = write_model_folder(args.out, kind=KIND, architecture=config.to_dict(),
                                state_dict=generator.state_dict(), training=training)
    print(f"wrote {args.out} from {checkpoint.name} (weights sha256 {sha256})")
    return 0

