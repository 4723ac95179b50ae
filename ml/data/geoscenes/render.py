"""One GeoScenes sample: photo, attributes, layers, caption and overhead tile of one spot.

`render_sample(place, seed, index, size)` is a pure function of its arguments: its random
generator is seeded by (seed, geonameid, index) and consumed in a fixed order. With
`compose="background"` or `"steps"` it also returns the compose outputs (`steps.py`), which
draw no random number of their own: the photo and everything else stay byte for byte the same.
With `variants` (names of `VARIED` attributes) it also returns the same photo with each other
value of each of them (`render_variants`), which draw from copies of the generator, so the same holds.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np

from ml.data.geoscenes import captions, effects
from ml.data.geoscenes.canvas import finish_layers
from ml.data.geoscenes.outliers import render_outlier
from ml.data.geoscenes.overhead import render_overhead
from ml.data.geoscenes.places import DENSITIES, LANDMARK_KINDS, STYLES, Place
from ml.data.geoscenes.sampling import (FILTERS, OCCLUDERS, OUTLIER_KINDS, TIMES_OF_DAY, WEATHERS,
                                        PhotoSpec, photo_rng, sample_photo)
from ml.data.geoscenes.scene import draw_scene, water_frozen
from ml.data.geoscenes.steps import OUTPUTS, Composition, compose as compose_scene
from ml.data.geoscenes.world import BIOMES

MIN_SIZE, MAX_SIZE = 16, 1024
# The attributes a variant can change, one at a time, and their values; those varied by default.
VARIED = {"weather": WEATHERS, "time_of_day": TIMES_OF_DAY, "biome": BIOMES}
DEFAULT_VARIED = ("weather", "time_of_day")
# Class lists of the categorical attributes, as written to dataset.json.
ATTRIBUTE_CLASSES = {
    "biome": list(BIOMES),
    "density": list(DENSITIES),
    "style": list(STYLES),
    "time_of_day": list(TIMES_OF_DAY),
    "weather": list(WEATHERS),
    "filter": list(FILTERS),
    "occluder": list(OCCLUDERS),
    "water": [False, True],
    "landmark": [False, True],
    "landmark_kind": ["none", *LANDMARK_KINDS],
    "outlier": [False, True],
    "outlier_kind": list(OUTLIER_KINDS),
}


@dataclass
class Sample:
    image: np.ndarray  # uint8 HxWx3
    overhead: np.ndarray  # uint8 HxWx3
    attributes: dict
    layers: list[dict]
    caption: str
    spec: PhotoSpec
    composition: Composition | None = None  # asked for, and the sample is not an outlier
    variants: dict[str, dict[str, np.ndarray]] | None = None  # asked for: attribute -> value -> photo


def supersample_for(size: int) -> int:
    """Working resolution factor: 2x anti-aliasing where it is cheap, none at 256 and above."""
    return 2 if size <= 128 else 1


def attributes_of(place: Place, spec: PhotoSpec) -> dict:
    landmark = spec.landmark_visible and place.landmark is not None and spec.outlier == "none"
    return {
        "biome": place.biome,
        "density": place.density,
        "style": place.style,
        "time_of_day": spec.time_of_day,
        "weather": spec.weather,
        "filter": spec.filter,
        "occluder": spec.occluder if spec.outlier == "none" else "none",
        "water": place.climate.water,
        "landmark": landmark,
        "landmark_id": place.landmark.id if landmark else 0,
        "landmark_kind": place.landmark.kind if landmark else "none",
        "outlier": spec.outlier != "none",
        "outlier_kind": spec.outlier,
        "horizon": round(spec.horizon, 4),
        "zoom": round(spec.zoom, 4),
        "temperature_c": place.climate.temperature_c,
        "humidity": place.climate.humidity,
        "elevation_km": place.climate.elevation_km,
        "continent": place.city.continent,
        "population": place.city.population,
        "lat": spec.lat,
        "lon": spec.lon,
        "city": place.city.geonameid,
    }


def render_variants(place: Place, spec: PhotoSpec, rng: np.random.Generator, size: int,
                    supersample: int, attributes: tuple[str, ...] = DEFAULT_VARIED) -> dict[str, dict[str, np.ndarray]]:
    """The photo of `spec` again with each other value of each of these `VARIED` attributes, the
    rest kept (`draw_scene`'s `layout_of`): the same mountain ridge, water, road, buildings and landmark,
    occluder and filter; the sky objects, light, lit windows and weather of a new weather or time
    of day, or the ground, colours, forest, trees and textures of a new biome. `rng` is the
    generator as `draw_scene` gets it for the photo; it is not moved. A photo on water has no
    variant that freezes or thaws the water (ice draws no boat, which would move the rest of the
    layout)."""
    variants: dict[str, dict[str, np.ndarray]] = {}
    own_values = attributes_of(place, spec)
    for attribute in attributes:
        for value in VARIED[attribute]:
            if attribute == "biome":
                changed_place = dataclasses.replace(place, climate=dataclasses.replace(place.climate, biome=value))
                changed = spec
            else:
                changed_place, changed = place, dataclasses.replace(spec, **{attribute: value})
            if value == own_values[attribute] or (
                    place.climate.water and water_frozen(changed_place, changed) != water_frozen(place, spec)):
                continue
            own = copy.deepcopy(rng)
            scene = draw_scene(changed_place, changed, own, size, supersample, layout_of=(place, spec))
            image = effects.develop(scene, changed_place, changed, own)
            variants.setdefault(attribute, {})[value] = effects.finish(image, changed)
    return variants


def render_sample(place: Place, seed: int, index: int, size: int = 64, compose: str = "none",
                  variants: tuple[str, ...] = ()) -> Sample:
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be within [{MIN_SIZE}, {MAX_SIZE}], got {size}")
    if compose not in OUTPUTS:
        raise ValueError(f"compose must be one of {OUTPUTS}, got {compose!r}")
    rng = photo_rng(seed, place.city.geonameid, index)
    spec = sample_photo(place, rng)
    supersample = supersample_for(size)
    composition, changed = None, None
    if spec.outlier != "none":
        image, canvas = render_outlier(spec.outlier, rng, size, supersample)
    else:
        if variants:
            changed = render_variants(place, spec, rng, size, supersample, variants)
        scene = draw_scene(place, spec, rng, size, supersample)
        canvas = scene.canvas
        if compose != "none":
            composition = compose_scene(scene, place, spec, copy.deepcopy(rng), compose == "steps")
        image = effects.develop(scene, place, spec, rng)
    image = effects.finish(image, spec)
    layers = finish_layers(canvas.layers, np.asarray(canvas.labels), supersample)
    return Sample(
        image=image,
        overhead=render_overhead(place, spec, rng, size),
        attributes=attributes_of(place, spec),
        layers=layers,
        caption=captions.caption(place, spec, rng),
        spec=spec,
        composition=composition,
        variants=changed,
    )
