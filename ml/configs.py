"""What every architecture config shares (a dataclass read from and written to config.json), and
what every training run's config shares (a dataclass written whole into options.json)."""
import dataclasses
from typing import Self


class JSONConfig:
    """Mixin for a dataclass stored as a JSON object; unknown keys are refused, not ignored."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Self:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
        return cls(**values)


def check_class_head(owner: str, head) -> None:
    """A critic's class head as its config stores it: attribute name -> at least two class names
    (the dataset's dataset.json lists them), or {} for none; ValueError naming `owner` if not."""
    named = isinstance(head, dict) and all(isinstance(name, str) and name and "." not in name for name in head)
    if not (named and all(isinstance(classes, list) and len(classes) >= 2 for classes in head.values())):
        raise ValueError(f"{owner} must map attribute names to lists of at least two classes, not {head!r}")


class TrainConfig:
    """Mixin for the one typed config of a training run (its architecture nested as `model`)."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def total_nimg(self) -> int:
        """Images the run shows in all: `max_kimg` thousands."""
        return round(1000 * self.max_kimg)
