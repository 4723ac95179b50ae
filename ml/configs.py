"""What every architecture config shares: a dataclass read from and written to config.json."""
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
