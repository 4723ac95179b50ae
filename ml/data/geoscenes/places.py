"""What a city is like in GeoScenes: biome, building density, architectural style, landmark.

These are the per-city ground truths; everything a photo adds (time, weather, filters...) is
sampled per photo in `sampling.py`. Also here: the deterministic choice of N cities.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ml.data.cities import City, world_cities
from ml.data.geoscenes.world import Climate, climate_at, unit_vectors

DENSITIES = ("village", "town", "city", "megacity")
# Upper population bounds of the first three density classes.
DENSITY_BOUNDS = (50_000, 300_000, 3_000_000)

STYLES = ("african", "asian", "european", "north_american", "south_american", "oceanian")
STYLE_OF_CONTINENT = {"AF": "african", "AS": "asian", "EU": "european", "NA": "north_american",
                      "SA": "south_american", "OC": "oceanian", "AN": "oceanian"}

LANDMARK_KINDS = ("tower", "dome", "arch", "pyramid", "spire", "pagoda", "wheel", "obelisk")
LANDMARK_CITIES = 100  # the most populous cities of the world each get a landmark of their own
_LANDMARK_COLOURS = ((212, 175, 55), (236, 232, 220), (190, 40, 40), (64, 180, 170),
                     (90, 150, 110), (170, 175, 190), (225, 120, 150), (150, 90, 200),
                     (230, 130, 40), (60, 90, 200))


@dataclass(frozen=True)
class Landmark:
    id: int  # the geonameid of its city
    kind: str
    colour: tuple[int, int, int]
    accent: tuple[int, int, int]
    height: float  # fraction of the image height at zoom 1
    width: float  # fraction of the image width at zoom 1
    x: float  # centre, fraction of the image width
    detail: int  # kind-specific count: tiers, spokes, arches...


@dataclass(frozen=True)
class Place:
    city: City
    climate: Climate
    density: str
    style: str
    landmark: Landmark | None

    @property
    def biome(self) -> str:
        return self.climate.biome


def density_of(population: int) -> str:
    return DENSITIES[int(np.searchsorted(DENSITY_BOUNDS, population, side="right"))]


def style_of(continent: str) -> str:
    return STYLE_OF_CONTINENT.get(continent, "european")


@functools.cache
def _landmark_ids() -> frozenset[int]:
    return frozenset(c.geonameid for c in world_cities()[:LANDMARK_CITIES])


def landmark_of(city: City) -> Landmark | None:
    """The city's own landmark (shape and colours drawn from its geonameid), if it has one."""
    if city.geonameid not in _landmark_ids():
        return None
    rng = np.random.default_rng([0x1A4D, city.geonameid])
    colour, accent = rng.choice(len(_LANDMARK_COLOURS), size=2, replace=False)
    return Landmark(
        id=city.geonameid,
        kind=LANDMARK_KINDS[int(rng.integers(len(LANDMARK_KINDS)))],
        colour=_LANDMARK_COLOURS[int(colour)],
        accent=_LANDMARK_COLOURS[int(accent)],
        height=float(rng.uniform(0.45, 0.8)),
        width=float(rng.uniform(0.16, 0.3)),
        x=float(rng.uniform(0.3, 0.7)),
        detail=int(rng.integers(2, 6)),
    )


def place_of(city: City) -> Place:
    return Place(
        city=city,
        climate=climate_at(city.lat, city.lon),
        density=density_of(city.population),
        style=style_of(city.continent),
        landmark=landmark_of(city),
    )


def select_cities(count: int | None, min_population: int = 15000) -> list[City]:
    """`count` cities spread over the world; None (or more than exist) means all of them.

    Greedy farthest-point sampling on the sphere, starting from the most populous city; each
    next city maximises (chord distance to the nearest chosen city) x sqrt(log10(population)), so
    the pick covers every continent, climate and size, mildly preferring larger places. The result
    depends only on the arguments. One city is therefore the world's most populous one.
    """
    pool = world_cities(min_population)
    if count is None or count >= len(pool):
        return pool
    if count <= 0:
        return []
    positions = unit_vectors([c.lat for c in pool], [c.lon for c in pool])
    weight = np.sqrt(np.log10(np.maximum([c.population for c in pool], 10)))
    chosen = [0]
    nearest = np.linalg.norm(positions - positions[0], axis=1)
    for _ in range(count - 1):
        index = int(np.argmax(nearest * weight))
        chosen.append(index)
        np.minimum(nearest, np.linalg.norm(positions - positions[index], axis=1), out=nearest)
    return [pool[i] for i in chosen]
