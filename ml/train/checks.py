"""The checks of training and export options, and their error messages (no torch needed).

Every option of `python -m ml train KIND` and `python -m ml export` is checked once, before
anything is written; a bad one is a `CommandError`, which the command line prints as one line
(exit status 2). The messages are constants, so the tests assert against them.
"""
from __future__ import annotations

import json
from pathlib import Path

from ml.cli import CommandError, flag, option_names
from ml.train.run_config import class_names

ERROR_POSITIVE = "--{} must be positive, got {}"
ERROR_NON_NEGATIVE = "--{} must be >= 0, got {}"
ERROR_BETAS = "--beta1 and --beta2 must be in [0, 1), got {} and {}"
ERROR_LOSS = "--loss {!r} is not one of {}"
ERROR_AUGMENT = "--augment: {}"
ERROR_RESOLUTION = "--{} must be a power of two from 4 to 1024, got {}"
ERROR_NO_DATA_FOLDER = "--data {} is not a folder"
ERROR_DATA = "--data: {}"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"
ERROR_HEAD_ATTRIBUTE = "{}: {} lists no attribute {!r} in its dataset.json (it lists: {})"
ERROR_HEAD_CLASSES = "{}: the {} classes of {} ({}) are not the ones the checkpoint was trained on ({})"
ERROR_HEAD_UNLABELLED = "{}: no training row of {} carries a {} class, so the head would learn nothing"


def check_values(config_class, values: dict) -> None:
    """The options a run config class (and its bases) lists as positive or non-negative, and
    Adam's betas; an unset (None) value is not checked."""
    for name in class_names(config_class, "POSITIVE"):
        check_positive(name, values[name])
    for name in class_names(config_class, "NON_NEGATIVE"):
        if values[name] is not None and values[name] < 0:
            raise CommandError(ERROR_NON_NEGATIVE.format(flag(name)[2:], values[name]))
    if not (0 <= values["beta1"] < 1 and 0 <= values["beta2"] < 1):
        raise CommandError(ERROR_BETAS.format(values["beta1"], values["beta2"]))
    if "loss" in values:
        check_recipe(values)


def check_recipe(values: dict) -> None:
    """The adversarial recipe's options of a place or ground run (`AdversarialOptions`)."""
    from ml.train.adversarial import LOSSES
    from ml.train.augment import parse_augments

    if values["loss"] not in LOSSES:
        raise CommandError(ERROR_LOSS.format(values["loss"], ", ".join(LOSSES)))
    try:
        parse_augments(values["augment"])
    except ValueError as error:
        raise CommandError(ERROR_AUGMENT.format(error)) from None


def check_positive(name: str, value) -> None:
    """The option `name` is above 0 (or unset: None)."""
    if value is not None and not value > 0:
        raise CommandError(ERROR_POSITIVE.format(flag(name)[2:], value))


def check_power_of_two(name: str, value: int) -> None:
    """A resolution option: a power of two from 4 to 1024."""
    if not (4 <= value <= 1024 and value & (value - 1) == 0):
        raise CommandError(ERROR_RESOLUTION.format(flag(name)[2:], value))


def check_data_folder(data: Path) -> None:
    if not data.is_dir():
        raise CommandError(ERROR_NO_DATA_FOLDER.format(data))


def check_out_folder(out: Path) -> None:
    """A folder to write into: new or empty."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(out))


def head_classes(text: str, data: Path, option: str) -> dict[str, list]:
    """The value of a class-head option (`--context-head biome,density|none`): each attribute
    named, with its classes as the dataset's dataset.json lists them (the architecture records
    them with the head)."""
    names = option_names(text)
    listed = dataset_classes(data)
    for name in names:
        if name not in listed:
            raise CommandError(ERROR_HEAD_ATTRIBUTE.format(option, data, name, ", ".join(listed) or "none"))
    return {name: listed[name] for name in dict.fromkeys(names)}


def check_head(head: dict[str, list], data: Path, option: str) -> None:
    """The data can train a class head: its classes are the head's (a resumed head keeps its
    own), and some training row carries each attribute."""
    from ml.data.dataset import ManifestDataset

    listed = dataset_classes(data)
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


def dataset_classes(data: Path) -> dict[str, list]:
    """attribute -> its classes, from the dataset folder's dataset.json (none without one)."""
    description = data / "dataset.json"
    if not description.is_file():
        return {}
    try:
        return json.loads(description.read_text(encoding="utf-8")).get("attributes", {})
    except (OSError, ValueError) as error:
        raise CommandError(ERROR_DATA.format(f"{description}: {one_line(error)}")) from None


def data_error(error: Exception) -> CommandError:
    """A dataset that cannot be loaded, as one line naming --data."""
    return CommandError(ERROR_DATA.format(one_line(error)))


def one_line(error: Exception) -> str:
    return " ".join(str(error).split())
