"""Photo effects: textures, light of the time of day, lit windows, weather and filters.

`develop` turns a drawn `Scene` into the final image: it works on float32 arrays at the
working size, box-filters down to the output size once, then adds the particles (rain, snow,
stars) at the output size so they stay one pixel sharp; `finish` applies the social-media
filter and rounds to the saved photo.
"""
from __future__ import annotations

import numpy as np

from ml.data.geoscenes.canvas import downsample
from ml.data.geoscenes.looks import FOG_COLOUR, LIGHT, LIT_WINDOWS, NIGHT_WINDOW
from ml.data.geoscenes.places import Place
from ml.data.geoscenes.sampling import PhotoSpec
from ml.data.geoscenes.scene import GROUND_LAYER, SKY_LAYER, Scene, paint_windows

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _desaturate(rgb: np.ndarray, amount: float) -> np.ndarray:
    grey = (rgb @ _LUMA)[..., None]
    return rgb * (1 - amount) + grey * amount


def _textures(scene: Scene, place: Place, rgb: np.ndarray, labels: np.ndarray) -> None:
    side, horizon = scene.canvas.side, scene.horizon
    rows = np.arange(side, dtype=np.float32)[:, None]
    cols = np.arange(side, dtype=np.float32)[None, :]
    if scene.water_layer is not None:
        period = max(3, side // 24)
        ripple = ((rows + (cols // max(2, side // 10)) * 2) % period < 1) & (labels == scene.water_layer)
        rgb[ripple] = rgb[ripple] * 0.8 + 255 * 0.2
    if place.biome in ("desert", "savanna", "tundra", "mediterranean"):
        depth = np.clip((rows - horizon) / max(side - horizon, 1), 0, 1)
        waves = np.sin((rows + 0.12 * side * np.sin(cols * 6.0 / side)) * (40.0 / side) / (0.25 + depth))
        shade = 1.0 + 0.07 * waves
        # One multiply over the whole picture is 3x faster than gathering the ground pixels.
        rgb *= np.where(labels == GROUND_LAYER, shade, np.float32(1))[..., None]


def _fog(rgb: np.ndarray, horizon: int, spec: PhotoSpec) -> np.ndarray:
    side = rgb.shape[0]
    rows = np.arange(side, dtype=np.float32)
    nearness = np.clip((rows - horizon) / max(side - horizon, 1), 0, 1)
    amount = (0.72 - 0.42 * nearness)[:, None, None]
    return rgb * (1 - amount) + np.asarray(FOG_COLOUR[spec.time_of_day], np.float32) * amount


def _glow(rgb: np.ndarray, lamps, side: int) -> None:
    rows = np.arange(side, dtype=np.float32)[:, None]
    cols = np.arange(side, dtype=np.float32)[None, :]
    for x, y in lamps:
        falloff = np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (0.01 * side * side))
        rgb += falloff[..., None] * np.array([255, 210, 140], np.float32) * 0.9


def develop(scene: Scene, place: Place, spec: PhotoSpec, rng: np.random.Generator,
            shown: np.ndarray | None = None) -> np.ndarray:
    """Lit and weathered float32 image at the output size (values 0..255), before the filter.

    Every step is a function of each pixel's colour, layer and position (or, for the particles,
    of each output pixel's), so drawing one more object changes only the pixels it covers.
    The lamps' glow is light: it stays when the lampposts are left out. `shown`: see
    `paint_windows`.
    """
    canvas = scene.canvas
    rgb, labels = canvas.arrays()
    rgb = rgb.copy()
    night = spec.time_of_day == "night"
    _textures(scene, place, rgb, labels)
    lit_windows = paint_windows(scene, rgb, labels, LIT_WINDOWS[place.density], night, rng, shown)
    unlit = np.isin(labels, sorted(scene.unlit))
    light = np.asarray(LIGHT[spec.time_of_day], np.float32)
    if spec.weather in ("cloudy", "rain", "fog"):
        light = light * (0.9 if spec.weather != "rain" else 0.78)
    rgb = np.where(unlit[..., None], rgb, rgb * light)
    if spec.weather in ("cloudy", "rain"):
        rgb = _desaturate(rgb, 0.3 if spec.weather == "cloudy" else 0.45)
    if night:
        rgb[lit_windows] = NIGHT_WINDOW
        _glow(rgb, scene.lamps, canvas.side)
    if spec.weather == "fog":
        rgb = _fog(rgb, scene.horizon, spec)
    image = downsample(rgb, canvas.supersample)
    sky = labels[canvas.supersample // 2::canvas.supersample, canvas.supersample // 2::canvas.supersample] == SKY_LAYER
    _particles(image, sky, spec, rng)
    return image


def _particles(image: np.ndarray, sky: np.ndarray, spec: PhotoSpec, rng: np.random.Generator) -> None:
    size = image.shape[0]
    if spec.weather == "clear" and spec.time_of_day == "night":
        stars = sky & (rng.random(sky.shape) < 0.01)
        image[stars] = 235
    elif spec.weather == "rain":
        length = max(2, size // 16)
        count = size * size // (12 * length)  # streaks cover about the same share at any size
        x = rng.integers(0, size, count)[:, None] + np.arange(length)[None, :] // 3
        y = rng.integers(-length, size, count)[:, None] + np.arange(length)[None, :]
        keep = (y >= 0) & (y < size) & (x < size)
        image[y[keep], x[keep]] = image[y[keep], x[keep]] * 0.45 + np.float32(200) * 0.55
    elif spec.weather == "snow":
        count = size * size // (22 if size < 128 else 44)
        y, x = rng.integers(0, size, count), rng.integers(0, size, count)
        image[y, x] = 250
        if size >= 128:
            image[np.minimum(y + 1, size - 1), x] = 250


def apply_filter(image: np.ndarray, name: str) -> np.ndarray:
    if name == "warm":
        image = image * np.array([1.1, 1.0, 0.84], np.float32)
    elif name == "cool":
        image = image * np.array([0.86, 0.98, 1.12], np.float32)
    elif name == "faded":
        image = _desaturate(image, 0.35) * 0.7 + 55
    elif name == "bw":
        image = np.repeat((image @ _LUMA)[..., None], 3, axis=2)
    elif name == "vignette":
        size = image.shape[0]
        axis = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
        radius = axis[:, None] ** 2 + axis[None, :] ** 2
        image = image * np.clip(1.0 - 0.5 * radius, 0.15, 1.0)[..., None]
    return image


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def finish(image: np.ndarray, spec: PhotoSpec) -> np.ndarray:
    """The photo as saved: the social-media filter, then rounding to uint8."""
    return to_uint8(apply_filter(image, spec.filter))

