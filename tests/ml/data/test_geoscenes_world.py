"""The attributes follow the world: climate from coordinates, density from population."""
import numpy as np
import pytest

from ml.data.cities import nearest_city, world_cities
from ml.data.geoscenes.places import DENSITIES, LANDMARK_CITIES, place_of, select_cities
from ml.data.geoscenes.render import render_sample
from ml.data.geoscenes.world import BIOMES, humidity, temperature_c, unit_vectors


def _place(lat, lon, min_population=15000):
    return place_of(nearest_city(lat, lon, world_cities(min_population)))


def test_polar_and_tundra_cities():
    tromso = _place(69.65, 18.96)
    assert tromso.city.name == "Tromsø"
    assert tromso.biome in ("polar", "tundra")
    longyearbyen = _place(78.22, 15.65, min_population=1000)
    assert longyearbyen.city.name == "Longyearbyen"
    assert longyearbyen.biome in ("polar", "tundra")


@pytest.mark.parametrize("lat, lon, name", [(24.6877, 46.7219, "Riyadh"), (22.79, 5.52, "Tamanghasset"),
                                            (30.0626, 31.2497, "Cairo")])
def test_desert_cities(lat, lon, name):
    place = _place(lat, lon)
    assert place.city.name == name
    assert place.biome == "desert"


def test_wet_tropics():
    assert _place(-3.1019, -60.025).biome == "tropical"  # Manaus
    assert _place(1.2897, 103.8501).biome == "tropical"  # Singapore


def test_temperature_falls_with_latitude_and_fields_are_continuous_across_the_antimeridian():
    lons = np.linspace(-180, 180, 72, endpoint=False)
    band_means = [temperature_c(np.full(72, lat), lons).mean() for lat in (0, 20, 40, 60, 80)]
    assert np.all(np.diff(band_means) < 0)
    south = [temperature_c(np.full(72, -lat), lons).mean() for lat in (0, 30, 60)]
    assert south[0] > south[1] > south[2]
    west, east = unit_vectors(10, 179.9999), unit_vectors(10, -179.9999)
    assert np.allclose(west, east, atol=1e-5)
    assert humidity(10, 179.9999) == pytest.approx(float(humidity(10, -179.9999)), abs=1e-4)


def test_density_follows_population():
    megacity = _place(35.6895, 139.6917)  # Tokyo
    village = _place(69.65, 18.96)  # Tromsø, about 42 000 inhabitants
    assert megacity.density == "megacity" and village.density == "village"
    assert DENSITIES.index(megacity.density) > DENSITIES.index(village.density)

    def building_share(place):
        shares = []
        for index in range(12):
            sample = render_sample(place, 0, index, 32)
            if sample.attributes["outlier"]:
                continue
            boxes = [layer for layer in sample.layers if layer["category"] == "building"]
            shares.append(sum(sum(b["mask"]["counts"][1::2]) for b in boxes) / 32 ** 2)
        return np.mean(shares)

    assert building_share(megacity) > 2 * building_share(village)


def test_landmarks_belong_to_the_largest_cities():
    largest = place_of(world_cities()[0])
    assert largest.landmark is not None and largest.landmark.id == largest.city.geonameid
    assert place_of(world_cities()[LANDMARK_CITIES + 5]).landmark is None
    again = place_of(world_cities()[0])
    assert again.landmark == largest.landmark


def test_select_cities_spreads_and_is_deterministic():
    assert select_cities(1)[0] == world_cities()[0]
    picked = select_cities(25)
    assert picked == select_cities(25) and len({c.geonameid for c in picked}) == 25
    assert len({c.continent for c in picked}) >= 5
    assert len({place_of(c).biome for c in picked}) >= 5
    assert len(select_cities(None, min_population=5_000_000)) == len(world_cities(5_000_000))
    assert set(b for b in (place_of(c).biome for c in select_cities(300))) <= set(BIOMES)
