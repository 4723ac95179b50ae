"""The one inference interface the workers call: `load(folder)` -> a pipeline that generates.

A pipeline is rebuilt from a model folder (see `ml.modelfolder`): the network from the
architecture in config.json by the code in this repository, its tensors from
weights.safetensors. Nothing is ever unpickled. Each kind of generator registers its pipeline
class in `PIPELINES`.

Every picture depends only on (weights, inputs, seed): each image draws its noise from its own
seeded generator, and the batch runs padded to a multiple of `BATCH_MULTIPLE`, so that what
else is in the batch changes neither the noise nor the kernels that compute the image.
"""
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from PIL import Image
from torch import nn

from ml.data.overhead_tiles import Overhead, geoscenes_overhead
from ml.modelfolder import ModelFolderError, read_config, read_weights
from ml.models.ground import GroundConfig, GroundModel
from ml.models.place import PlaceConfig, PlaceGenerator, place_context

MAX_SEED = 2**63 - 1
# CPU BLAS and oneDNN kernels choose their reduction order by batch size (batch 1 and batches
# that are not a multiple of 4 take other code paths), which moves results in the last bits and
# can flip a rounded pixel. Padding every batch to a multiple of 4 keeps each image's bits
# independent of its neighbours.
BATCH_MULTIPLE = 4
_MISMATCHES_SHOWN = 3

Progress = Callable[[float], None]


class Pipeline(Protocol):
    kind: str
    sha256: str
    config: dict
    resolution: int

    def generate(self, inputs: list[dict], seeds: list[int],
                 progress: Progress | None = None) -> list[Image.Image]: ...


class PlacePipeline:
    """A location + seed -> an impression of that place, from the (EMA) place generator."""

    kind = "place"

    def __init__(self, generator: PlaceGenerator, *, config: dict, sha256: str):
        self.generator = generator.eval().requires_grad_(False)
        self.config = config
        self.sha256 = sha256
        self.resolution = generator.config.resolution
        self.device = next(generator.parameters()).device

    @staticmethod
    def build_network(architecture: dict) -> PlaceGenerator:
        return PlaceGenerator(PlaceConfig.from_dict(architecture))

    def generate(self, inputs: list[dict], seeds: list[int],
                 progress: Progress | None = None) -> list[Image.Image]:
        """One image per (inputs[i], seeds[i]); inputs[i] is {"lat": ..., "lon": ...} and may
        carry other keys ("city", ...), which are ignored; "city_id" selects the learned city
        embedding of a model trained with one."""
        if len(inputs) != len(seeds):
            raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
        if not inputs:
            return []
        config = self.generator.config
        latitudes, longitudes = zip(*(_coordinates(index, item) for index, item in enumerate(inputs)))
        latents = torch.stack([_latent(index, seed, config.latent_dim) for index, seed in enumerate(seeds)])
        context = place_context(torch.tensor(latitudes), torch.tensor(longitudes), config)
        city = (torch.tensor([_city_id(index, item, config.num_cities) for index, item in enumerate(inputs)])
                if config.num_cities else None)
        _report(progress, 0.1)
        count = len(inputs)
        padding = -count % BATCH_MULTIPLE
        with torch.inference_mode():
            images = self.generator(_pad(latents, padding).to(self.device), _pad(context, padding).to(self.device),
                                    None if city is None else _pad(city, padding).to(self.device),
                                    context_noise=False)[:count]
            _report(progress, 0.9)
            arrays = _to_uint8(images)
        pictures = [Image.fromarray(array.copy()) for array in arrays]
        _report(progress, 1.0)
        return pictures


@dataclass
class GroundView:
    image: Image.Image  # the painted ground-level view
    overhead: Image.Image  # the tile it was painted from
    land_use: str  # the most likely land use of the spot
    land_use_probabilities: dict[str, float]


class GroundPipeline:
    """A spot's overhead tile + seed -> a ground-level view of it, and the spot's land use read
    by the discriminator's land-use head. Tiles come from `overhead` (default: GeoScenes; see
    `ml.data.overhead_tiles` for tile folders of real places)."""

    kind = "ground"

    def __init__(self, model: GroundModel, *, config: dict, sha256: str, overhead: Overhead = geoscenes_overhead):
        self.model = model.eval().requires_grad_(False)
        self.config = config
        self.sha256 = sha256
        self.resolution = model.config.resolution
        self.device = next(model.parameters()).device
        self.overhead = overhead

    @staticmethod
    def build_network(architecture: dict) -> GroundModel:
        return GroundModel(GroundConfig.from_dict(architecture))

    def generate(self, inputs: list[dict], seeds: list[int],
                 progress: Progress | None = None) -> list[Image.Image]:
        return [view.image for view in self.views(inputs, seeds, progress)]

    def views(self, inputs: list[dict], seeds: list[int], progress: Progress | None = None) -> list[GroundView]:
        """One view per (inputs[i], seeds[i]); inputs[i] is {"lat": ..., "lon": ...}."""
        if len(inputs) != len(seeds):
            raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
        if not inputs:
            return []
        config = self.model.config
        spots = [_coordinates(index, item) for index, item in enumerate(inputs)]
        tiles = [self.overhead(lat, lon, self.resolution) for lat, lon in spots]
        tile_batch = torch.stack([torch.tensor(tile).permute(2, 0, 1) for tile in tiles]).float() / 127.5 - 1.0
        latents = torch.stack([_latent(index, seed, config.latent_dim) for index, seed in enumerate(seeds)])
        _report(progress, 0.1)
        count, padding = len(inputs), -len(inputs) % BATCH_MULTIPLE
        with torch.inference_mode():
            images, logits = self.model(_pad(latents, padding).to(self.device), _pad(tile_batch, padding).to(self.device))
            _report(progress, 0.9)
            arrays = _to_uint8(images[:count])
            probabilities = logits[:count].float().softmax(1).cpu().tolist()
        views = []
        for array, tile, shares in zip(arrays, tiles, probabilities):
            named = {name: round(share, 4) for name, share in zip(config.land_uses, shares)}
            views.append(GroundView(image=Image.fromarray(array.copy()), overhead=Image.fromarray(tile),
                                    land_use=max(named, key=named.get), land_use_probabilities=named))
        _report(progress, 1.0)
        return views


class EditPipeline:
    """A source picture + a text -> the picture edited as the text says, by the SIMGAN generator.

    inputs[i] is {"image": PIL image, "text": str}, and for a frame between two texts also
    {"text_to": str, "mix": 0..1}. The seed draws the conditioning-augmentation noise, so one
    (picture, text) gives a different edit per seed; the frames of one seed share that noise and
    move along the straight line between the two texts' conditions."""

    kind = "edit"

    def __init__(self, generator, *, config: dict, sha256: str, text_encoder=None):
        from ml.models.edit_text import TextEncoder

        self.generator = generator.eval().requires_grad_(False)
        self.config, self.sha256 = config, sha256
        self.resolution = generator.config.resolution
        self.device = next(generator.parameters()).device
        self.text_encoder = text_encoder or TextEncoder()

    @staticmethod
    def build_network(architecture: dict):
        from ml.models.edit import EditConfig, EditGenerator

        return EditGenerator(EditConfig.from_dict(architecture))

    def generate(self, inputs: list[dict], seeds: list[int], progress: Progress | None = None) -> list[Image.Image]:
        if len(inputs) != len(seeds):
            raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
        if not inputs:
            return []
        config = self.generator.config
        sources = torch.stack([_source_pixels(index, item, self.resolution) for index, item in enumerate(inputs)])
        noise = torch.stack([_latent(index, seed, config.condition_dim) for index, seed in enumerate(seeds)])
        texts = self.text_encoder.encode([_text(index, item, "text") for index, item in enumerate(inputs)])
        texts_to = self.text_encoder.encode([_text(index, item, "text_to") if "text_to" in item else item["text"]
                                             for index, item in enumerate(inputs)])
        mix = torch.tensor([_mix(index, item) for index, item in enumerate(inputs)])[:, None]
        _report(progress, 0.1)
        count, padding = len(inputs), -len(inputs) % BATCH_MULTIPLE
        with torch.inference_mode():
            noise = _pad(noise, padding).to(self.device)
            start, _, _ = self.generator.condition(_pad(texts, padding).to(self.device), noise)
            end, _, _ = self.generator.condition(_pad(texts_to, padding).to(self.device), noise)
            condition = torch.lerp(start, end, _pad(mix, padding).to(self.device))
            images = self.generator.edit(_pad(sources, padding).to(self.device), condition)[:count]
            _report(progress, 0.9)
            arrays = _to_uint8(images)
        pictures = [Image.fromarray(array.copy()) for array in arrays]
        _report(progress, 1.0)
        return pictures


class UpsamplePipeline:
    """Any generator's picture -> the same picture at `scale` times its side, by the learned
    upsampler (`ml.models.upsample`). inputs[i] is {"image": PIL image}; the seeds are taken for
    the interface's sake and change nothing: the enlargement is deterministic."""

    kind = "upsample"

    def __init__(self, network, *, config: dict, sha256: str):
        self.network = network.eval().requires_grad_(False)
        self.config, self.sha256 = config, sha256
        self.scale = network.config.scale
        self.resolution = network.config.resolution
        self.device = next(network.parameters()).device

    @staticmethod
    def build_network(architecture: dict):
        from ml.models.configs import UpsampleConfig
        from ml.models.upsample import Upsampler

        return Upsampler(UpsampleConfig.from_dict(architecture))

    def generate(self, inputs: list[dict], seeds: list[int], progress: Progress | None = None) -> list[Image.Image]:
        if len(inputs) != len(seeds):
            raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
        return self.upsample([_image(index, item) for index, item in enumerate(inputs)], progress)

    def upsample(self, pictures: list[Image.Image], progress: Progress | None = None) -> list[Image.Image]:
        """Each picture enlarged; pictures of one size run as one padded batch."""
        enlarged: list[Image.Image | None] = [None] * len(pictures)
        by_size: dict[tuple[int, int], list[int]] = {}
        for index, picture in enumerate(pictures):
            by_size.setdefault(picture.size, []).append(index)
        for done, (size, indices) in enumerate(by_size.items()):
            pixels = torch.stack([_pixels(pictures[index]) for index in indices])
            padding = -len(indices) % BATCH_MULTIPLE
            with torch.inference_mode():
                images = self.network(_pad(pixels, padding).to(self.device))[:len(indices)]
                arrays = _to_uint8(images)
            for index, array in zip(indices, arrays):
                enlarged[index] = Image.fromarray(array.copy())
            _report(progress, (done + 1) / len(by_size))
        return enlarged


class ComposePipeline:
    """A place + an ordered list of objects + seed -> a scene painted step by step
    (`ml.models.compose`): the background x0, then one object per step.

    Step t of a scene is drawn from noise seeded by (seed, t) alone (`step_seed`), and is an RGBA
    layer: RGB the painted pixels, A the object's 8-bit mask; `apply` composites it over the canvas
    in integers, so every pixel where A is 0 keeps the canvas byte for byte. A scene is its
    background and its layers: changing object k repaints layer k on step k - 1 and applies the
    stored layers after it again (`repaint`), so earlier steps come back identical and pixels
    outside object k's old and new masks do not change."""

    kind = "compose"
    # A sample layout (sample grids, checks): back to front, these categories where the model knows them.
    SAMPLE_CATEGORIES = ("tree", "building", "person")
    SAMPLE_BOXES = ([0.05, 0.35, 0.35, 0.95], [0.5, 0.15, 0.9, 0.85], [0.35, 0.6, 0.55, 0.95])
    SCENE_STEP = 2**31  # the step whose noise a single-shot model paints the whole scene with

    def __init__(self, model, *, config: dict, sha256: str):
        self.model = model.eval().requires_grad_(False)
        self.config, self.sha256 = config, sha256
        self.resolution = model.config.resolution
        self.categories: list[str] = list(model.config.categories)
        self.device = next(model.parameters()).device
        self.places = PlacePipeline(model.G_bg, config=config, sha256=sha256)  # paints the backgrounds

    @staticmethod
    def build_network(architecture: dict):
        from ml.models.compose import ComposeModel
        from ml.models.configs import ComposeConfig

        return ComposeModel(ComposeConfig.from_dict(architecture))

    def sample_objects(self) -> list[dict]:
        """Three objects of the model's categories (`SAMPLE_CATEGORIES` first) in fixed boxes."""
        names = [name for name in self.SAMPLE_CATEGORIES if name in self.categories] + self.categories
        return [{"category": names[number], "box": box, "shape": "mask", "colour": None}
                for number, box in enumerate(self.SAMPLE_BOXES)]

    def background(self, place: dict, seed: int) -> Image.Image:
        """x0 of the place ({"lat", "lon"}), drawn from the noise of (seed, 0)."""
        return self.places.generate([place], [step_seed(seed, 0)])[0]

    def layer(self, canvas: Image.Image, obj: dict, seed: int, step: int) -> Image.Image:
        """Step `step`'s RGBA layer of the object on the canvas: it depends only on the weights,
        the canvas, the object and (seed, step)."""
        self._check_layered()
        step_inputs = self._step_inputs(obj, seed, step)
        pixels = _pad(self._canvas_pixels(canvas), BATCH_MULTIPLE - 1).to(self.device)
        with torch.inference_mode():
            mask = self._object_mask(step_inputs)
            painted = self.model.paint(step_inputs["z"], pixels, step_inputs["boxes"], mask, step_inputs["categories"],
                                       step_inputs["colours"], step_inputs["has_colour"])[:1]
            alpha = (mask[:1, 0].float() * 255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()
            rgb = _to_uint8(painted)
        return Image.fromarray(np.dstack([rgb[0], alpha[0]]), "RGBA")

    def paint_scene(self, place: dict, objects: list[dict], seed: int) -> Image.Image:
        """A single-shot model's picture of a whole layout: x0 of (seed, 0), each object's mask
        drawn from the noise of (seed, its step) as `layer` draws it, and the scene painted in one
        pass from the noise of (seed, `SCENE_STEP`)."""
        from ml.models.compose import layout_maps

        if not self.model.config.single_shot:
            raise ValueError("a layered model paints a scene step by step: use compose_layers")
        if not isinstance(objects, list):
            raise ValueError(f"objects must be a list, not {type(objects).__name__}")
        background = self._canvas_pixels(self.background(place, seed))
        steps = [self._step_inputs(obj, seed, step) for step, obj in enumerate(objects, start=1)]
        side, count = self.resolution, len(self.categories)
        noise = torch.Generator().manual_seed(step_seed(seed, self.SCENE_STEP))
        z = _pad(torch.randn(1, self.model.config.latent_dim, generator=noise), BATCH_MULTIPLE - 1).to(self.device)
        with torch.inference_mode():
            if steps:
                layout = layout_maps(torch.cat([self._object_mask(inputs)[:1] for inputs in steps], dim=1),
                                     *(torch.stack([inputs[key][0] for inputs in steps])[None]
                                       for key in ("categories", "colours", "has_colour")), count)
            else:
                layout = torch.zeros(1, 1 + count + 4, side, side, device=self.device)
            painted = self.model.paint_layout(z, _pad(background, BATCH_MULTIPLE - 1).to(self.device),
                                              _pad(layout, BATCH_MULTIPLE - 1))[:1]
            return Image.fromarray(_to_uint8(painted)[0].copy())

    def _step_inputs(self, obj: dict, seed: int, step: int) -> dict[str, torch.Tensor]:
        """The object's tensors and the noise of (seed, step), each padded to a batch of
        BATCH_MULTIPLE on the device, and its mask shape."""
        category, box, shape, colour = _compose_object(obj, self.categories)
        noise = torch.Generator().manual_seed(step_seed(seed, step))
        latent = self.model.config.latent_dim
        values = {"z": torch.randn(1, latent, generator=noise), "z_mask": torch.randn(1, latent, generator=noise),
                  "boxes": torch.tensor([box]), "categories": torch.tensor([category]),
                  "colours": torch.tensor([colour or (0, 0, 0)]).float() / 127.5 - 1.0,
                  "has_colour": torch.tensor([float(colour is not None)])}
        return {**{key: _pad(value, BATCH_MULTIPLE - 1).to(self.device) for key, value in values.items()},
                "shape": shape}

    def _object_mask(self, step_inputs: dict) -> torch.Tensor:
        return self.model.object_mask(step_inputs["z_mask"], step_inputs["boxes"], step_inputs["categories"],
                                      step_inputs["shape"])

    def _canvas_pixels(self, canvas: Image.Image) -> torch.Tensor:
        if canvas.size != (self.resolution, self.resolution):
            side = self.resolution
            raise ValueError(f"the canvas is {canvas.size[0]}x{canvas.size[1]}, not {side}x{side}")
        return _pixels(canvas)[None]

    def _check_layered(self) -> None:
        if self.model.config.single_shot:
            raise ValueError("a single-shot model paints whole scenes in one pass: use paint_scene")

    @staticmethod
    def apply(canvas: Image.Image, layer: Image.Image) -> Image.Image:
        """The layer composited over the canvas in integers (`ml.models.compose.composite`)."""
        from ml.models.compose import composite

        pixels = np.asarray(layer.convert("RGBA"))
        return Image.fromarray(composite(np.asarray(canvas.convert("RGB")), pixels[..., :3], pixels[..., 3]))

    def compose_layers(self, place: dict, objects: list[dict], seed: int,
                       progress: Progress | None = None) -> tuple[list[Image.Image], list[Image.Image]]:
        """Steps [x0, ..., xT] and layers [L1, ..., LT] of a scene: x_t = apply(x_{t-1}, L_t), L_t
        the layer of objects[t - 1] (back to front) on x_{t-1}; progress after every step."""
        self._check_layered()
        if not isinstance(objects, list):
            raise ValueError(f"objects must be a list, not {type(objects).__name__}")
        steps, layers = [self.background(place, seed)], []
        _report(progress, 1 / (len(objects) + 1))
        for step, obj in enumerate(objects, start=1):
            layers.append(self.layer(steps[-1], obj, seed, step))
            steps.append(self.apply(steps[-1], layers[-1]))
            _report(progress, (step + 1) / (len(objects) + 1))
        return steps, layers

    def compose(self, place: dict, objects: list[dict], seed: int,
                progress: Progress | None = None) -> list[Image.Image]:
        """The steps [x0, ..., xT] of `compose_layers`."""
        return self.compose_layers(place, objects, seed, progress)[0]

    def repaint(self, steps: list[Image.Image], layers: list[Image.Image], index: int, obj: dict | None,
                seed: int) -> tuple[list[Image.Image], list[Image.Image]]:
        """A stored scene with object `index` (0-based) changed to `obj`, or removed (None): its layer
        is painted again on the same canvas with the same step noise, the steps before it are kept
        and the stored layers after it are applied again."""
        if not 0 <= index < len(layers) or len(steps) != len(layers) + 1:
            raise ValueError(f"index {index} is not one of the scene's {len(layers)} objects")
        layers = list(layers)
        if obj is None:
            del layers[index]
        else:
            layers[index] = self.layer(steps[index], obj, seed, index + 1)
        steps = list(steps[:index + 1])
        for layer in layers[index:]:
            steps.append(self.apply(steps[-1], layer))
        return steps, layers

    def generate(self, inputs: list[dict], seeds: list[int], progress: Progress | None = None) -> list[Image.Image]:
        """The final picture of each scene; inputs[i] is {"lat", "lon", "objects": [...]}. Scenes run
        one after another (each step is padded to a batch of its own), progress after every step."""
        if len(inputs) != len(seeds):
            raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
        pictures = []
        for number, (item, seed) in enumerate(zip(inputs, seeds)):
            def scene_progress(fraction: float, number: int = number) -> None:
                _report(progress, (number + fraction) / len(inputs))
            _check_seed(number, seed)
            if self.model.config.single_shot:
                pictures.append(self.paint_scene(item, item.get("objects", []), seed))
                scene_progress(1.0)
            else:
                pictures.append(self.compose(item, item.get("objects", []), seed, scene_progress)[-1])
        return pictures


def step_seed(seed: int, step: int) -> int:
    """The seed of step `step` of a scene of seed `seed`: a fixed mix of the two (numpy's
    SeedSequence, no Python hash), in [0, 2**63 - 1]."""
    _check_seed(0, seed)
    high, low = np.random.SeedSequence([seed, step]).generate_state(2, np.uint32).tolist()
    return high << 31 | low >> 1


def _compose_object(obj: dict, categories: list[str]) -> tuple[int, list[float], str, list[int] | None]:
    """(category index, box, shape, colour or None) of an object; ValueError naming what is wrong."""
    from ml.models.compose import SHAPES

    if not isinstance(obj, dict):
        raise ValueError(f"an object must be a dict, not {type(obj).__name__}")
    if obj.get("category") not in categories:
        raise ValueError(f"category {obj.get('category')!r} is not one of {', '.join(categories)}")
    box = obj.get("box")
    if not (isinstance(box, (list, tuple)) and len(box) == 4
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in box)
            and 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1):
        raise ValueError(f"box must be 4 fractions x0 < x1, y0 < y1 within [0, 1], not {box!r}")
    shape = obj.get("shape", SHAPES[0])
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    colour = obj.get("colour")
    if colour is not None and not (isinstance(colour, (list, tuple)) and len(colour) == 3 and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in colour)):
        raise ValueError(f"colour must be 3 integers from 0 to 255, or None, not {colour!r}")
    return categories.index(obj["category"]), [float(v) for v in box], shape, None if colour is None else list(colour)


PIPELINES: dict[str, type] = {
    "place": PlacePipeline,
    "ground": GroundPipeline,
    "edit": EditPipeline,
    "upsample": UpsamplePipeline,
    "compose": ComposePipeline,
}


def load(folder: str | os.PathLike, device: str | torch.device = "cpu") -> Pipeline:
    """Rebuild the pipeline of a model folder on `device`; ModelFolderError if it is unusable."""
    config = read_config(folder, verify_weights=False)
    kind = config["kind"]
    if kind not in PIPELINES:
        raise ModelFolderError(f"there is no pipeline for kind {kind!r} yet; pipelines exist for: "
                               f"{', '.join(sorted(PIPELINES))}")
    pipeline_class = PIPELINES[kind]
    try:
        network = pipeline_class.build_network(config["architecture"])
    except (TypeError, ValueError) as error:
        raise ModelFolderError(f"config.json architecture is invalid: {error}") from None
    data, sha256 = read_weights(folder, config)
    load_tensors(network, data)
    return pipeline_class(network.to(device), config=config, sha256=sha256)


def load_tensors(network: nn.Module, data: bytes) -> None:
    """Copy the tensors of a safetensors file into `network`, which must match them exactly."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors

    try:
        tensors = load_safetensors(data)
    except SafetensorError as error:
        raise ModelFolderError(f"weights.safetensors cannot be read: {error}") from None
    expected = network.state_dict()
    problems = []
    missing = [name for name in expected if name not in tensors]
    unexpected = [name for name in tensors if name not in expected]
    wrong_shape = [f"{name} {tuple(tensors[name].shape)} (config needs {tuple(expected[name].shape)})"
                   for name in expected if name in tensors and tensors[name].shape != expected[name].shape]
    for label, names in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
        if names:
            more = f" and {len(names) - _MISMATCHES_SHOWN} more" if len(names) > _MISMATCHES_SHOWN else ""
            problems.append(f"{label}: {', '.join(names[:_MISMATCHES_SHOWN])}{more}")
    if problems:
        raise ModelFolderError(f"weights.safetensors does not match config.json ({'; '.join(problems)})")
    network.load_state_dict(tensors)


def _coordinates(index: int, item: dict) -> tuple[float, float]:
    try:
        lat, lon = float(item["lat"]), float(item["lon"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"inputs[{index}] needs numeric \"lat\" and \"lon\", got {item!r}") from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"inputs[{index}] is off the globe: lat {lat}, lon {lon}")
    return lat, lon


def _latent(index: int, seed: int, latent_dim: int) -> torch.Tensor:
    _check_seed(index, seed)
    return torch.randn(latent_dim, generator=torch.Generator().manual_seed(seed))


def _check_seed(index: int, seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seeds[{index}] must be an integer in [0, 2**63 - 1], not {seed!r}")


def _city_id(index: int, item: dict, num_cities: int) -> int:
    city_id = item.get("city_id", 0)
    if isinstance(city_id, bool) or not isinstance(city_id, int) or not 0 <= city_id <= num_cities:
        raise ValueError(f"inputs[{index}] city_id must be an integer in [0, {num_cities}], not {city_id!r}")
    return city_id


def _pad(batch: torch.Tensor, count: int) -> torch.Tensor:
    if not count:
        return batch
    return torch.cat([batch, batch.new_zeros((count, *batch.shape[1:]))])


def _report(progress: Progress | None, fraction: float) -> None:
    if progress is not None:
        progress(fraction)


def _source_pixels(index: int, item: dict, resolution: int) -> torch.Tensor:
    image = _image(index, item).convert("RGB")
    if image.size != (resolution, resolution):
        shrinking = image.width > resolution
        image = image.resize((resolution, resolution), Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC)
    return _pixels(image)


def _image(index: int, item: dict) -> Image.Image:
    image = item.get("image")
    if not isinstance(image, Image.Image):
        raise ValueError(f"inputs[{index}] needs \"image\", a PIL image, got {type(image).__name__}")
    return image


def _pixels(image: Image.Image) -> torch.Tensor:
    """A PIL picture as a (3, H, W) float tensor in [-1, 1]."""
    image = image.convert("RGB")
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).view(image.height, image.width, 3)
    return pixels.permute(2, 0, 1).float() / 127.5 - 1.0


def _to_uint8(images: torch.Tensor):
    """(N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8 arrays, rounded."""
    return (images.float() * 127.5 + 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _text(index: int, item: dict, key: str) -> str:
    text = item.get(key)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"inputs[{index}] needs a non-empty \"{key}\", got {text!r}")
    return text


def _mix(index: int, item: dict) -> float:
    mix = item.get("mix", 0.0)
    if isinstance(mix, bool) or not isinstance(mix, (int, float)) or not 0.0 <= mix <= 1.0:
        raise ValueError(f"inputs[{index}] mix must be a number from 0 to 1, not {mix!r}")
    return float(mix)
