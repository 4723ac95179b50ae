"""The oracle: a classifier of GeoScenes attributes whose features the metrics compare.

A small VGG-style network (two 3x3 convolutions with batch norm per resolution, then a 2x2
average pool, down to 4x4) with one linear head per attribute. Its penultimate layer
(`feature_dim` values after a ReLU) plays the part Inception's pool features play in FID and
KID (Heusel et al. 2017; Binkowski et al. 2018): a space where GeoScenes pictures that differ
in what matters (biome, density, light, weather) lie apart. Trained only on the cities that
are not held out (`ml.data.dataset.is_heldout_city`), so its accuracy on held-out cities'
real photos is an honest reference for the conditional accuracy of a generator there.

It is stored as a model folder of kind "oracle" (`config.json` + `weights.safetensors`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.configs import JSONConfig

from ml.modelfolder import ModelFolderError, read_config, read_weights

KIND = "oracle"
# What the oracle learns to see. Per-place attributes (biome, density, water, landmark) are
# what a location-conditional generator must get right; per-photo ones (time of day, weather)
# give its features the variety of real photos.
ATTRIBUTES = ("biome", "density", "time_of_day", "weather", "water", "landmark")


@dataclass
class OracleConfig(JSONConfig):
    resolution: int = 32  # images are resized to this side before classification
    width: int = 32  # channels at full resolution; doubled at each halving, up to 4x
    feature_dim: int = 256  # size of the feature vector the metrics use
    classes: dict[str, list] = field(default_factory=dict)  # attribute -> class names (the heads)

    def __post_init__(self) -> None:
        res = self.resolution
        if not isinstance(res, int) or res < 8 or res & (res - 1):
            raise ValueError(f"OracleConfig.resolution must be a power of two >= 8, not {res!r}")
        for name in ("width", "feature_dim"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"OracleConfig.{name} must be a positive integer, not {getattr(self, name)!r}")
        if not self.classes or any(len(names) < 2 for names in self.classes.values()):
            raise ValueError("OracleConfig.classes must name at least two classes for each attribute")

    def widths(self) -> list[int]:
        """Channels of each block, from full resolution down to 8x8 (pooled to 4x4)."""
        blocks = int(math.log2(self.resolution)) - 2
        return [self.width * min(2 ** index, 4) for index in range(blocks)]


def _conv_bn(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)]


class Oracle(nn.Module):
    """Images in [-1, 1] at any size -> features and per-attribute logits."""

    def __init__(self, config: OracleConfig):
        super().__init__()
        self.config = config
        layers, channels = [], 3
        for width in config.widths():
            layers += [*_conv_bn(channels, width), *_conv_bn(width, width), nn.AvgPool2d(2)]
            channels = width
        self.trunk = nn.Sequential(*layers)
        self.features = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels * 16, config.feature_dim),
                                      nn.ReLU(inplace=True))
        self.heads = nn.ModuleDict({name: nn.Linear(config.feature_dim, len(names))
                                    for name, names in config.classes.items()})

    def resize(self, images: torch.Tensor) -> torch.Tensor:
        side = self.config.resolution
        if images.shape[-2:] == (side, side):
            return images
        shrinking = images.shape[-1] > side
        return F.interpolate(images, size=(side, side), mode="area" if shrinking else "bilinear",
                             align_corners=None if shrinking else False)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(self.trunk(self.resize(images)))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        features = self.embed(images)
        return features, {name: head(features) for name, head in self.heads.items()}


def load_oracle(folder: str | Path, device: str | torch.device = "cpu") -> tuple[Oracle, str]:
    """The oracle of a model folder, in eval mode, and its weights' sha256."""
    from ml.pipelines import load_tensors

    config = read_config(folder, verify_weights=False)
    if config["kind"] != KIND:
        raise ModelFolderError(f"{folder} holds a {config['kind']!r} model, not an oracle")
    try:
        oracle = Oracle(OracleConfig.from_dict(config["architecture"]))
    except (TypeError, ValueError) as error:
        raise ModelFolderError(f"config.json architecture is invalid: {error}") from None
    data, sha256 = read_weights(folder, config)
    load_tensors(oracle, data)
    return oracle.to(device).eval().requires_grad_(False), sha256
