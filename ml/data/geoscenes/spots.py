"""GeoScenes at any spot, not only at city centres: the place there and its overhead tile.

The `ground` generator paints the ground view of an overhead tile; for a spot a visitor picks,
the default source of that tile is GeoScenes itself. A spot takes the climate of its own
coordinates (`world.climate_at`). Each city's building density reaches beyond it, falling one
density class per doubling of the distance past the city's radius; a spot takes the densest
reach of any city (so the countryside between cities reads as villages, and a district of a
metropolis as the metropolis), and the style, roads and landmark of that city. A city's
landmark is in view only near its centre.
"""
from __future__ import annotations

import functools

import numpy as np

from ml.data.cities import haversine_km, world_cities
from ml.data.geoscenes.overhead import render_overhead
from ml.data.geoscenes.places import DENSITIES, Place, density_of, place_of
from ml.data.geoscenes.sampling import PhotoSpec, sample_photo
from ml.data.geoscenes.world import climate_at

CITY_RADIUS_KM = {"village": 2.0, "town": 4.0, "city": 8.0, "megacity": 16.0}
LANDMARK_RADIUS_KM = 3.0


@functools.cache
def _city_table() -> tuple[list, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cities = world_cities()
    density = np.array([DENSITIES.index(density_of(c.population)) for c in cities])
    radius = np.array([CITY_RADIUS_KM[DENSITIES[d]] for d in density])
    return cities, np.array([c.lat for c in cities]), np.array([c.lon for c in cities]), density, radius


def place_at(lat: float, lon: float) -> Place:
    """The GeoScenes place at (lat, lon): its own climate, the densest reach of any city."""
    cities, city_lat, city_lon, density, radius = _city_table()
    distance = haversine_km(lat, lon, city_lat, city_lon)
    steps = np.ceil(np.log2(np.maximum(distance / radius, 1.0)))
    reach = density - steps
    best = int(np.lexsort((distance, -reach))[0])  # densest reach, then nearest
    home = place_of(cities[best])
    landmark = home.landmark if distance[best] <= LANDMARK_RADIUS_KM else None
    return Place(city=home.city, climate=climate_at(lat, lon), density=DENSITIES[int(max(reach[best], 0))],
                 style=home.style, landmark=landmark)


def spot_rng(lat: float, lon: float, seed: int = 0) -> np.random.Generator:
    """A generator seeded by the spot (to about a metre) and `seed`."""
    return np.random.default_rng([seed, round((lat + 90) * 1e5), round((lon + 180) * 1e5)])


def overhead_at(lat: float, lon: float, size: int) -> np.ndarray:
    """The GeoScenes overhead tile (uint8 size x size x 3) of the spot (lat, lon)."""
    place = place_at(lat, lon)
    rng = spot_rng(lat, lon)
    spec: PhotoSpec = sample_photo(place, rng)
    return render_overhead(place, spec, rng, size)
