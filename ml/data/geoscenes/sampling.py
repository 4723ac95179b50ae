"""Per-photo choices: viewpoint, zoom, time of day, weather, filter, occluder, outliers.

All of them come from one `numpy.random.Generator` seeded by (dataset seed, geonameid, photo
index), so a photo never depends on which other photos are rendered or in which order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.data.geoscenes.places import Place

TIMES_OF_DAY = ("day", "golden_hour", "night")
WEATHERS = ("clear", "cloudy", "rain", "snow", "fog")
FILTERS = ("none", "warm", "cool", "faded", "bw", "vignette")
OCCLUDERS = ("none", "lamppost", "person", "branch")
OUTLIER_KINDS = ("none", "food", "selfie", "texture")

OUTLIER_RATE = 0.05
LANDMARK_VISIBLE_RATE = 0.75  # a city with a landmark shows it in this share of its photos
JITTER_DEGREES = 0.03  # photos are taken within a few km of the city centre

_TIME_P = (0.55, 0.2, 0.25)
_FILTER_P = (0.55, 0.1, 0.1, 0.1, 0.05, 0.1)
_OCCLUDER_P = (0.7, 0.1, 0.12, 0.08)
# P(clear, cloudy, rain, snow, fog) per biome: the weather follows the climate.
_WEATHER_P = {
    "polar": (0.3, 0.25, 0.0, 0.35, 0.1),
    "tundra": (0.3, 0.25, 0.1, 0.25, 0.1),
    "boreal": (0.35, 0.25, 0.15, 0.15, 0.1),
    "temperate": (0.4, 0.25, 0.2, 0.05, 0.1),
    "mediterranean": (0.65, 0.15, 0.1, 0.0, 0.1),
    "desert": (0.8, 0.1, 0.05, 0.0, 0.05),
    "savanna": (0.6, 0.2, 0.15, 0.0, 0.05),
    "tropical": (0.35, 0.25, 0.3, 0.0, 0.1),
    "alpine": (0.35, 0.2, 0.0, 0.3, 0.15),
}


@dataclass(frozen=True)
class PhotoSpec:
    outlier: str
    time_of_day: str
    weather: str
    filter: str
    occluder: str
    horizon: float  # fraction of the image height, from the top
    zoom: float  # scales buildings, trees and the landmark
    landmark_visible: bool
    lat: float
    lon: float


def photo_rng(seed: int, geonameid: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, geonameid, index])


def _pick(rng: np.random.Generator, names: tuple[str, ...], p) -> str:
    return names[int(rng.choice(len(names), p=p))]


def sample_photo(place: Place, rng: np.random.Generator) -> PhotoSpec:
    outlier = rng.random() < OUTLIER_RATE
    return PhotoSpec(
        outlier=OUTLIER_KINDS[int(rng.integers(1, len(OUTLIER_KINDS)))] if outlier else "none",
        time_of_day=_pick(rng, TIMES_OF_DAY, _TIME_P),
        weather=_pick(rng, WEATHERS, _WEATHER_P[place.biome]),
        filter=_pick(rng, FILTERS, _FILTER_P),
        occluder=_pick(rng, OCCLUDERS, _OCCLUDER_P),
        horizon=float(rng.uniform(0.42, 0.66)),
        zoom=float(rng.uniform(0.75, 1.3)),
        landmark_visible=place.landmark is not None and rng.random() < LANDMARK_VISIBLE_RATE,
        lat=round(float(np.clip(place.city.lat + rng.uniform(-1, 1) * JITTER_DEGREES, -90, 90)), 5),
        lon=round(float((place.city.lon + rng.uniform(-1, 1) * JITTER_DEGREES + 180) % 360 - 180), 5),
    )
