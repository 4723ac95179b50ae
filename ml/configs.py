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


class TrainConfig:
    """Mixin for the one typed config of a training run (its architecture nested as `model`)."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def total_nimg(self) -> int:
        """Images the run shows in all: `max_kimg` thousands."""
        return round(1000 * self.max_kimg)
