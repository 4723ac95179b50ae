"""The architecture configs of every generator kind, in one place that needs no torch.

Each is a dataclass stored as the "architecture" of a model folder's config.json and of a
checkpoint's state.json, checked when it is built; the networks (`ml.models.place`,
`ml.models.ground`, `ml.models.edit`, `ml.models.upsample`, `ml.models.compose`) are built from
them. The command line reads their fields and defaults without importing torch.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Self

# Land use as GeoScenes knows it: the building density of the place (finer), and urban / rural.
LAND_USES = ("village", "town", "city", "megacity")
VARIANTS = ("cgan", "pix2pix")  # the ground generator's: the research's vector-conditioned cGAN; U-Net + PatchGAN
DECODERS = ("transposed", "resize", "subpixel")  # the edit decoder's ways of doubling the side
UPSAMPLE_SCALES = (2, 4)  # the upsampler's: the side of its output over its input's
EDIT_RESOLUTIONS = (16, 32, 64, 128, 256)  # the edit generator's: 64 by default; 16 and 32 for tests and quick runs
CLIMATE_FEATURES = 4  # the place context's climate: temperature, humidity, elevation, water near


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


def ascending_populations(bounds: list) -> bool:
    """Whether `bounds` are whole populations above 0 in strictly ascending order (population steps)."""
    return (all(isinstance(bound, int) and not isinstance(bound, bool) and bound > 0 for bound in bounds)
            and bounds == sorted(set(bounds)))


def check_class_head(owner: str, head) -> None:
    """A critic's class head as its config stores it: attribute name -> at least two class names
    (the dataset's dataset.json lists them), or {} for none; ValueError naming `owner` if not."""
    named = isinstance(head, dict) and all(isinstance(name, str) and name and "." not in name for name in head)
    if not (named and all(isinstance(classes, list) and len(classes) >= 2 for classes in head.values())):
        raise ValueError(f"{owner} must map attribute names to lists of at least two classes, not {head!r}")


@dataclass
class PlaceConfig(JSONConfig):
    resolution: int = 64  # output side in pixels; a power of two from 4 to 1024
    latent_dim: int = 128  # size of the Gaussian latent z
    fmap_base: int = 2048  # a stage's width is fmap_base // its resolution, clamped below
    fmap_max: int = 256  # widest stage (the coarse ones)
    fmap_min: int = 16  # narrowest stage (the fine ones, at 256x256 and up)
    context_frequencies: int = 6  # Fourier octaves of the sphere point in the location context
    context_embed_dim: int = 64  # the context is mapped to this many features in G and D
    context_noise_std: float = 0.05  # Gaussian noise on the context in training (0 = none)
    conditional: bool = True  # False: the place is ignored (the unconditional ablation)
    condition_blocks: bool = False  # the condition also shifts the features of every G stage
    # the finest G stages (0: none) whose two convolutions each add a per-pixel noise map with a learned per-channel
    # strength (`ml.models.place.NoiseInputs`); may rise on a resume, the new strengths starting faint
    noise_stages: int = 0
    # each noise map's strength also varies per pixel, times a gate the features there set (`NoiseInputs`), so the
    # generator can put its noise where the photos have particles (rain's streaks, snow, stars) and nowhere else;
    # may be turned on on a resume, the gates starting open (the ungated noise)
    noise_gates: bool = False
    context_population: bool = False  # the context also holds the size of the nearest world city
    # population bounds (ascending): the context also says, per bound, whether the nearest world
    # city reaches it (+1) or not (-1); [] for none. Added on a resume, the networks are widened
    # (`ml.models.place.widen_context`).
    context_population_steps: list[int] = field(default_factory=list)
    # the context also holds the place's climate from the world's fields (`ml.data.geoscenes.world`):
    # temperature, humidity, elevation and whether water is near. May be added on a resume too.
    context_climate: bool = False
    # attribute -> its class names (the dataset's dataset.json): the critic also classifies
    # each picture into them, AC-GAN style ({}: no such head)
    context_head: dict[str, list] = field(default_factory=dict)
    num_cities: int = 0  # >0 adds a learned city embedding; index 0 means "no city"
    city_embed_dim: int = 16  # size of that embedding
    mbstd_group_size: int = 4  # minibatch-stddev group (shrinks to divide the batch)
    mbstd_channels: int = 1  # feature maps the minibatch stddev appends

    # may go from none to some on a resume (`widen_context`); in the order their features lie in the context, as
    # the widened weights take the new features last
    GROWS_ON_RESUME = ("context_population_steps", "context_climate")
    # may rise on a resume while the first stage keeps its width (`widen_stages`, `add_noise_inputs`): what it widens
    # starts where the network was, what it adds (noise inputs) faint, gates open
    RISES_ON_RESUME = ("fmap_min", "noise_stages", "noise_gates")

    def __post_init__(self) -> None:
        res = self.resolution
        if not isinstance(res, int) or res < 4 or res > 1024 or res & (res - 1):
            raise ValueError(f"PlaceConfig.resolution must be a power of two from 4 to 1024, not {res!r}")
        for name in ("latent_dim", "fmap_base", "fmap_max", "fmap_min", "context_embed_dim",
                     "city_embed_dim", "mbstd_group_size", "mbstd_channels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"PlaceConfig.{name} must be a positive integer, not {value!r}")
        for name in ("context_frequencies", "num_cities", "noise_stages"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"PlaceConfig.{name} must be a non-negative integer, not {value!r}")
        if self.fmap_min > self.fmap_max:
            raise ValueError(f"PlaceConfig.fmap_min ({self.fmap_min}) exceeds fmap_max ({self.fmap_max})")
        if self.noise_stages > self.num_stages - 1:
            raise ValueError(f"PlaceConfig.noise_stages ({self.noise_stages}) exceeds the {self.num_stages - 1} "
                             f"stages past the 4x4 one of a {res}x{res} generator")
        for name in ("conditional", "condition_blocks", "noise_gates", "context_population", "context_climate"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"PlaceConfig.{name} must be true or false, not {getattr(self, name)!r}")
        if self.noise_gates and not self.noise_stages:
            raise ValueError("PlaceConfig.noise_gates needs noise inputs to gate (noise_stages >= 1)")
        self._check_context_head()
        steps = self.context_population_steps
        if not (isinstance(steps, list) and ascending_populations(steps)):
            raise ValueError("PlaceConfig.context_population_steps must be ascending positive whole populations, "
                             f"not {steps!r}")
        if not isinstance(self.context_noise_std, (int, float)) or self.context_noise_std < 0:
            raise ValueError(f"PlaceConfig.context_noise_std must be >= 0, not {self.context_noise_std!r}")
        if self.stage_widths()[0] % self.mbstd_channels:
            raise ValueError(f"PlaceConfig.mbstd_channels ({self.mbstd_channels}) must divide "
                             f"the 4x4 width ({self.stage_widths()[0]})")

    def _check_context_head(self) -> None:
        if self.context_head is False:  # configs written while the head was a switch, left off
            self.context_head = {}
        if self.context_head is True:
            raise ValueError("PlaceConfig.context_head=true was a regression of the whole location context, "
                             "which no longer exists; the head now classifies attributes, e.g. "
                             "{'biome': [...classes], 'density': [...]}")
        check_class_head("PlaceConfig.context_head", self.context_head)

    @property
    def num_stages(self) -> int:
        """Stage 0 renders 4x4; the last stage renders `resolution`."""
        return int(math.log2(self.resolution)) - 1

    @property
    def context_dim(self) -> int:
        return (3 + 6 * self.context_frequencies + int(self.context_population) + len(self.context_population_steps)
                + CLIMATE_FEATURES * self.context_climate)

    def stage_resolution(self, stage: int) -> int:
        return 4 * 2 ** stage

    def stage_widths(self) -> list[int]:
        """Feature maps per stage, shrinking with resolution (ProGAN's fmap schedule)."""
        return [min(max(self.fmap_base // self.stage_resolution(s), self.fmap_min), self.fmap_max)
                for s in range(self.num_stages)]


@dataclass
class GroundConfig(JSONConfig):
    resolution: int = 64  # side of the overhead tile and of the ground view; a power of two, 8 to 256
    latent_dim: int = 64  # size of the Gaussian latent z
    width: int = 128  # channels at 4x4; halved per doubling of resolution, never below width // 4
    overhead_dim: int = 128  # the overhead tile's feature vector, in G and in D
    conditional: bool = True  # False: the overhead is ignored (the unconditional baseline)
    mbstd_group_size: int = 4  # minibatch-stddev group (shrinks to divide the batch)
    land_use_head: bool = False  # the critic also classifies a view's land use from the view alone (AC-GAN)
    variant: str = "cgan"  # "cgan": the tile as one vector in G and D; "pix2pix": U-Net G, PatchGAN D
    land_uses: list[str] = field(default_factory=lambda: list(LAND_USES))  # classes of the land-use head

    def __post_init__(self) -> None:
        res = self.resolution
        if not isinstance(res, int) or res < 8 or res > 256 or res & (res - 1):
            raise ValueError(f"GroundConfig.resolution must be a power of two from 8 to 256, not {res!r}")
        for name in ("latent_dim", "width", "overhead_dim", "mbstd_group_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GroundConfig.{name} must be a positive integer, not {value!r}")
        if self.width < 8:
            raise ValueError(f"GroundConfig.width must be at least 8, not {self.width}")
        for name in ("conditional", "land_use_head"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"GroundConfig.{name} must be true or false, not {getattr(self, name)!r}")
        if len(self.land_uses) < 2:
            raise ValueError("GroundConfig.land_uses must name at least two classes")
        if self.variant not in VARIANTS:
            raise ValueError(f"GroundConfig.variant must be one of {', '.join(VARIANTS)}, not {self.variant!r}")
        if self.variant == "pix2pix" and self.land_use_head:
            # The PatchGAN critic mixes view and tile from its first layer: a head on it could
            # read the land use off the tile, and would teach the generator nothing.
            raise ValueError("GroundConfig.land_use_head needs variant cgan: the PatchGAN critic reads the tile "
                             "from its first layer")

    def stage_widths(self) -> list[int]:
        """Channels at 4x4, 8x8, ..., resolution."""
        stages = int(math.log2(self.resolution)) - 1
        return [max(self.width >> stage, self.width // 4) for stage in range(stages)]


@dataclass
class EditConfig(JSONConfig):
    resolution: int = 64  # side of the pictures edited: 16, 32, 64, 128 or 256
    text_dim: int = 384  # size of the sentence embedding (all-MiniLM-L6-v2)
    condition_dim: int = 64  # size of the text condition the generator sees
    width: int = 16  # channels of the generator's first layer; x2 per halving (x4 in the residual units)
    residual_units: int = 16  # residual units on the joint features (0: a SISGAN-like encoder-decoder)
    augmentation: bool = True  # conditioning augmentation: sample the condition (False: the mean only)
    d_width: int = 32  # channels of the discriminator's first layer; x2 per halving, at most 8x
    d_text_dim: int = 64  # size of the text features the discriminator tiles over its 4x4 grid
    standardize_text: bool = False  # both networks see sentence embeddings standardised over the training texts
    # how the decoder doubles the side: transposed (SIMGAN's strided transposed convolutions),
    # resize (nearest-neighbour upsampling, then a 3x3 convolution) or subpixel (a convolution to
    # 4x the channels, then a pixel shuffle, initialised as resize: ICNR)
    decoder: str = "transposed"
    # the decoder paints a change to the source, added before the last tanh (edited = tanh(atanh(source)
    # + change), the change's last layer starting at 0, so training starts from the identity): what the
    # text leaves alone keeps its edges, where SIMGAN's decoder paints the whole picture again
    source_skip: bool = False
    # attribute -> its class names (the dataset's dataset.json): the discriminator also
    # classifies each picture into them, from the picture alone ({}: no such head)
    attribute_head: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resolution not in EDIT_RESOLUTIONS:
            raise ValueError(f"EditConfig.resolution must be one of {', '.join(map(str, EDIT_RESOLUTIONS))}, "
                             f"not {self.resolution!r}")
        for name in ("text_dim", "condition_dim", "width", "d_width", "d_text_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"EditConfig.{name} must be a positive integer, not {value!r}")
        if isinstance(self.residual_units, bool) or not isinstance(self.residual_units, int) \
                or self.residual_units < 0:
            raise ValueError(f"EditConfig.residual_units must be a non-negative integer, not {self.residual_units!r}")
        for name in ("augmentation", "standardize_text", "source_skip"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"EditConfig.{name} must be true or false, not {getattr(self, name)!r}")
        check_class_head("EditConfig.attribute_head", self.attribute_head)
        if self.decoder not in DECODERS:
            raise ValueError(f"EditConfig.decoder must be one of {', '.join(DECODERS)}, not {self.decoder!r}")

    @property
    def downsamplings(self) -> int:
        """Stride-2 layers of the discriminator: down to 4x4."""
        return int(math.log2(self.resolution)) - 2


@dataclass
class UpsampleConfig(JSONConfig):
    scale: int = 4  # the output's side is this many times the input's: 2 or 4
    width: int = 48  # feature maps of the body
    layers: int = 10  # 3x3 convolutions of the body after the first one
    resolution: int = 32  # side of the pictures it was trained on (it takes any side)

    def __post_init__(self) -> None:
        if self.scale not in UPSAMPLE_SCALES:
            raise ValueError(f"UpsampleConfig.scale must be one of {', '.join(map(str, UPSAMPLE_SCALES))}, "
                             f"not {self.scale!r}")
        for name in ("width", "layers", "resolution"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"UpsampleConfig.{name} must be a positive integer, not {value!r}")


# The compose generator's foreground categories by default: GeoScenes' (`ml.data.geoscenes.steps.FOREGROUND`).
COMPOSE_CATEGORIES = ("boat", "building", "landmark", "tree", "lamppost", "person", "branch")
# The background generator of a compose model trained from scratch: a small place generator.
COMPOSE_BACKGROUND = {"latent_dim": 64, "fmap_base": 512, "fmap_max": 128, "context_frequencies": 4,
                      "context_embed_dim": 32}


@dataclass
class ComposeConfig(JSONConfig):
    resolution: int = 32  # side of the canvas; a power of two from 16 to 128
    categories: list[str] = field(default_factory=lambda: list(COMPOSE_CATEGORIES))  # the objects it paints
    latent_dim: int = 32  # size of the noise of one foreground step (object and mask generators each)
    width: int = 32  # channels of the object generator at full side; x2 per halving (two halvings)
    mask_width: int = 32  # channels of the mask generator's 4x4 map
    mask_side: int = 16  # side of the mask the mask generator draws inside the box
    d_width: int = 32  # channels of the critics' first layer; x2 per halving
    crop: int = 16  # side the instance critic sees an object's box at
    # the baseline: G_fg paints the whole layout in one pass over x0 (per-pixel category and colour
    # maps of all objects instead of one object's), with nothing composited
    single_shot: bool = False
    # the background generator's PlaceConfig but its resolution (the canvas's); a place model's
    # own architecture when the run starts from one (--background-from)
    background: dict = field(default_factory=lambda: dict(COMPOSE_BACKGROUND))

    def __post_init__(self) -> None:
        res = self.resolution
        if not isinstance(res, int) or isinstance(res, bool) or res < 16 or res > 128 or res & (res - 1):
            raise ValueError(f"ComposeConfig.resolution must be a power of two from 16 to 128, not {res!r}")
        for name in ("latent_dim", "width", "mask_width", "d_width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ComposeConfig.{name} must be a positive integer, not {value!r}")
        for name in ("mask_side", "crop"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 8 or value & (value - 1):
                raise ValueError(f"ComposeConfig.{name} must be a power of two of at least 8, not {value!r}")
        if not isinstance(self.single_shot, bool):
            raise ValueError(f"ComposeConfig.single_shot must be true or false, not {self.single_shot!r}")
        names = self.categories
        if not (isinstance(names, list) and names and all(isinstance(n, str) and n for n in names)
                and len(set(names)) == len(names)):
            raise ValueError(f"ComposeConfig.categories must be a list of distinct names, not {names!r}")
        if not isinstance(self.background, dict):
            raise ValueError(f"ComposeConfig.background must be a PlaceConfig object, not {self.background!r}")
        if self.background.get("resolution", res) != res:
            raise ValueError(f"ComposeConfig.background paints {self.background['resolution']}x"
                             f"{self.background['resolution']}, not the canvas's {res}x{res}")
        self.background = {key: value for key, value in self.background_config.to_dict().items()
                           if key != "resolution"}

    @property
    def background_config(self) -> PlaceConfig:
        return PlaceConfig.from_dict({**self.background, "resolution": self.resolution})
