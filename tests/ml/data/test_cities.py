import numpy as np
import pytest

from ml.data.cities import City, continent_of, haversine_km, largest_cities, nearest_city, world_cities


def test_world_cities_are_cached_sorted_and_filtered():
    cities = world_cities()
    assert len(cities) > 20000
    assert all(isinstance(c, City) for c in cities[:10])
    populations = [c.population for c in cities]
    assert populations == sorted(populations, reverse=True)
    assert min(populations) >= 15000
    big = world_cities(1_000_000)
    assert 0 < len(big) < 1000 and min(c.population for c in big) >= 1_000_000
    assert largest_cities(3) == cities[:3]


def test_city_fields():
    tromso = nearest_city(69.65, 18.96)
    assert tromso.name == "Tromsø" and tromso.asciiname == "Tromso"
    assert tromso.country_code == "NO" and tromso.continent == "EU"
    assert tromso.timezone == "Europe/Oslo"
    with pytest.raises(Exception):
        tromso.name = "x"  # frozen


def test_continent_of():
    assert continent_of("JP") == "AS"
    assert continent_of("br") == "SA"
    assert continent_of("XX") == ""


def test_nearest_city_across_the_antimeridian():
    west = City(1, "West", "West", "FJ", "OC", -17.0, 179.9, 20000, "Pacific/Fiji")
    east = City(2, "East", "East", "WS", "OC", -17.0, -179.9, 20000, "Pacific/Apia")
    far = City(3, "Far", "Far", "FJ", "OC", -17.0, 178.0, 20000, "Pacific/Fiji")
    assert nearest_city(-17.0, -179.95, [west, far]) == west  # 0.15° away, not 359.85°
    assert nearest_city(-17.0, 179.95, [east, far]) == east
    assert float(haversine_km(0, 179.5, 0, -179.5)) == pytest.approx(111.2, abs=0.5)


def test_nearest_city_known_places_and_errors():
    assert nearest_city(35.6895, 139.6917).name == "Tokyo"
    assert nearest_city(48.8534, 2.3488).name == "Paris"
    assert nearest_city(-23.5475, -46.6361).name == "São Paulo"
    with pytest.raises(ValueError):
        nearest_city(91, 0)
    with pytest.raises(ValueError):
        nearest_city(0, 0, [])


def test_haversine_is_vectorised():
    distances = haversine_km(np.zeros(3), np.zeros(3), np.array([0, 1, 90]), np.zeros(3))
    assert distances.shape == (3,)
    assert distances[2] == pytest.approx(10007.5, rel=1e-3)
