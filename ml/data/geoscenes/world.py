"""World fields of GeoScenes: temperature, elevation, humidity and water at any coordinate.

Every field is a smooth function of the point on the unit sphere (never of raw longitude), so
it is continuous across the antimeridian. Each is a broad climate shape (temperature falling
with |latitude|, a zonal humidity profile with the subtropical dry belts) plus a few named
"anchors" (Gaussian bumps on the sphere for the big deserts, rain belts and mountain ranges)
plus fixed smooth noise (sums of sinusoids of the 3-D position). The world never depends on
the dataset seed: the same city always lives in the same biome.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BIOMES = ("polar", "tundra", "boreal", "temperate", "mediterranean", "desert", "savanna",
          "tropical", "alpine")

LAPSE_RATE_C_PER_KM = 6.5
ALPINE_ELEVATION_KM = 2.4
WATER_THRESHOLD = 0.15  # share of places near water is about 40%

# (lat, lon, radius in degrees, amplitude): anchors for the real world's large features.
_HUMIDITY_ANCHORS = (
    (23, 10, 15, -0.45), (24, 47, 10, -0.45), (27, 71, 5, -0.25), (42, 95, 12, -0.45),
    (32, 56, 8, -0.35), (43, 62, 8, -0.3), (33, -113, 6, -0.4), (-23, -70, 5, -0.4),
    (-25, 133, 13, -0.45), (-23, 18, 8, -0.35), (15, 45, 6, -0.2), (36, -119, 3, -0.15),
    (-4, -62, 12, 0.2), (0, 22, 10, 0.2), (10, 105, 12, 0.3), (28, 115, 10, 0.45),
    (20, 80, 7, 0.3), (27, -82, 6, 0.5), (36, -85, 10, 0.45), (6, -2, 6, 0.25),
    (35, 137, 6, 0.45), (-23, -45, 8, 0.45), (-30, 152, 4, 0.4), (24, 90, 4, 0.4),
)
_TEMPERATURE_ANCHORS = (
    (50, 3, 12, 2.5), (62, 110, 16, -3.5), (58, -100, 12, -2.5), (72, -40, 8, -4.0),
)
_ELEVATION_ANCHORS = (
    (32.5, 88, 4.5, 4.6), (29, 85, 2, 1.5), (-15, -69, 3, 3.9), (-1, -78, 2.5, 3.0), (4.6, -74, 2, 2.8),
    (19.4, -99.1, 3, 2.3), (9, 38.7, 4, 2.5), (40, -106, 6, 1.8), (46.5, 10, 2, 1.4),
    (33, 53, 8, 1.2), (-2, 37, 5, 1.4), (37, 72, 4, 2.5), (-25, 28, 6, 1.3),
)


def unit_vectors(lat, lon) -> np.ndarray:
    """(..., 3) positions on the unit sphere of coordinates given in degrees."""
    lat, lon = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _anchor_sum(p: np.ndarray, anchors) -> np.ndarray:
    table = np.asarray(anchors, float)
    centres = unit_vectors(table[:, 0], table[:, 1])
    angle = np.degrees(np.arccos(np.clip(p @ centres.T, -1.0, 1.0)))
    return (np.exp(-0.5 * (angle / table[:, 2]) ** 2) * table[:, 3]).sum(axis=-1)


class _SphereNoise:
    """Fixed smooth noise on the sphere in about [-1, 1]: a sum of plane waves in 3-D."""

    def __init__(self, seed: int, waves: int = 12, frequency: tuple[float, float] = (2.0, 7.0)):
        rng = np.random.default_rng(seed)
        directions = rng.normal(size=(waves, 3))
        self.directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        self.frequency = rng.uniform(*frequency, size=waves)
        self.phase = rng.uniform(0, 2 * np.pi, size=waves)
        self.scale = np.sqrt(2.0 / waves)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return np.sin((p @ self.directions.T) * self.frequency + self.phase).sum(axis=-1) * self.scale


# Annual mean sea-level temperature (°C) against |latitude|, close to the real zonal means.
_TEMPERATURE_PROFILE = (
    (0, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 90),
    (27, 26.5, 25.5, 23, 20, 16.5, 14, 12, 10, 8, 5.5, 2.5, 0.5, -2.5, -6, -15),
)
# Humidity (0..1) against |latitude|: wet tropics, subtropical dry belts, wet mid-latitudes.
_HUMIDITY_PROFILE = (
    (0, 10, 20, 25, 30, 35, 40, 50, 60, 70, 90),
    (0.85, 0.75, 0.45, 0.35, 0.4, 0.5, 0.6, 0.72, 0.7, 0.55, 0.4),
)

_TEMPERATURE_NOISE = _SphereNoise(101)
_HUMIDITY_NOISE = _SphereNoise(202)
_ELEVATION_NOISE = _SphereNoise(303, frequency=(3.0, 11.0))
_WATER_NOISE = _SphereNoise(404, waves=24, frequency=(8.0, 30.0))


def elevation_km(lat, lon) -> np.ndarray:
    p = unit_vectors(lat, lon)
    return np.clip(0.08 + 0.1 * _ELEVATION_NOISE(p) + _anchor_sum(p, _ELEVATION_ANCHORS), 0.0, None)


def temperature_c(lat, lon) -> np.ndarray:
    """Annual mean temperature: 27 °C at the equator, about 0 °C at 70°, minus the lapse rate."""
    p = unit_vectors(lat, lon)
    sea_level = np.interp(np.abs(np.asarray(lat, float)), *_TEMPERATURE_PROFILE) + 1.2 * _TEMPERATURE_NOISE(p)
    sea_level = sea_level + _anchor_sum(p, _TEMPERATURE_ANCHORS)
    return sea_level - LAPSE_RATE_C_PER_KM * elevation_km(lat, lon)


def humidity(lat, lon) -> np.ndarray:
    """0 (arid) .. 1 (wet): the zonal profile plus the anchors plus a little noise."""
    p = unit_vectors(lat, lon)
    zonal = np.interp(np.abs(np.asarray(lat, float)), *_HUMIDITY_PROFILE)
    return np.clip(zonal + _anchor_sum(p, _HUMIDITY_ANCHORS) + 0.08 * _HUMIDITY_NOISE(p), 0.0, 1.0)


def near_water(lat, lon) -> np.ndarray:
    """Whether the spot is by a sea, lake or river (a thresholded high-frequency field)."""
    return _WATER_NOISE(unit_vectors(lat, lon)) > WATER_THRESHOLD


def biome_of(temperature, humid, elevation) -> str:
    if elevation > ALPINE_ELEVATION_KM:
        return "alpine"
    if temperature < -2.0:
        return "polar"
    if temperature < 3.0:
        return "tundra"
    if humid < 0.3:
        return "desert"
    if temperature < 6.5:
        return "boreal"
    if temperature < 19.0:
        return "mediterranean" if humid < 0.5 else "temperate"
    return "tropical" if humid > 0.65 else "savanna"


@dataclass(frozen=True)
class Climate:
    temperature_c: float
    humidity: float
    elevation_km: float
    water: bool
    biome: str


def climate_at(lat: float, lon: float) -> Climate:
    temperature = float(temperature_c(lat, lon))
    humid = float(humidity(lat, lon))
    elevation = float(elevation_km(lat, lon))
    return Climate(
        temperature_c=round(temperature, 2),
        humidity=round(humid, 3),
        elevation_km=round(elevation, 3),
        water=bool(near_water(lat, lon)),
        biome=biome_of(temperature, humid, elevation),
    )
