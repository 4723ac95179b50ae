"""Regions of the ground generator: checks, antimeridian, areas and the spots drawn inside."""
import pytest

from generation import errors
from generation.regions import RegionError, area_km2, point_check, region_parse, region_spots, spot_count


def polygon(*positions):
    return {"type": "Polygon", "coordinates": [[list(p) for p in positions] + [list(positions[0])]]}


PARIS = polygon((2.2, 48.8), (2.5, 48.8), (2.5, 48.95), (2.2, 48.95))
# Fiji's Vanua Levu and Taveuni straddle the antimeridian; drawn as a browser sends it.
FIJI = polygon((179.5, -16.2), (-179.6, -16.2), (-179.6, -17.0), (179.5, -17.0))


def test_a_region_over_land_is_parsed_with_its_area(settings):
    region = region_parse(PARIS)
    assert region.geometry == PARIS
    assert 350 < region.area_km2 < 380  # 0.3 x 0.15 degrees at 48.9 N


def test_spots_lie_inside_west_to_east_and_repeat_for_the_same_drawing(settings):
    region = region_parse(PARIS)
    spots = region_spots(region)
    assert len(spots) == spot_count(region.area_km2) == 4
    assert all(2.2 <= s["lon"] <= 2.5 and 48.8 <= s["lat"] <= 48.95 for s in spots)
    assert [s["lon"] for s in spots] == sorted(s["lon"] for s in spots)
    assert region_spots(region_parse(PARIS)) == spots


def test_the_number_of_views_grows_with_area_and_is_capped(settings):
    settings.GROUND_REGION_MAX_VIEWS = 16
    assert [spot_count(a) for a in (0.5, 100, 2500, 10_000, 200_000)] == [1, 2, 10, 16, 16]


def test_a_region_across_the_antimeridian_is_one_polygon_with_spots_on_both_sides():
    region = region_parse(FIJI)
    assert region.shape.bounds[0] == pytest.approx(179.5) and region.shape.bounds[2] == pytest.approx(180.4)
    assert 8_000 < region.area_km2 < 9_500  # 0.9 x 0.8 degrees, not 359 degrees wide
    spots = region_spots(region)
    assert all(-180 <= s["lon"] <= 180 for s in spots)
    assert all(s["lon"] >= 179.5 or s["lon"] <= -179.6 for s in spots)
    assert {s["lon"] > 0 for s in spots} == {True, False}


def test_areas_are_those_of_the_sphere():
    equator = region_parse(polygon((10, 0), (11, 0), (11, 1), (10, 1)))
    assert area_km2(equator.shape) == pytest.approx(12_364, rel=0.01)  # one square degree at the equator


@pytest.mark.parametrize("geometry, message", [
    (polygon((0, 0), (1, 1), (1, 0), (0, 1)), errors.REGION_INVALID.split("(")[0]),
    (polygon((2.2, 48.8), (2.5, 48.8), (2.2, 48.8)), errors.REGION_TOO_FEW_VERTICES),
    (polygon((2.2, 48.8), (2.5, 48.8), (2.5, 91)), "out of range (2.5, 91.0)"),
    (polygon((2.2, 48.8), (181, 48.8), (2.5, 48)), "out of range (181.0, 48.8)"),
    (polygon((-20, -40), (60, -40), (60, 40), (-20, 40)), "more than the 250,000 km² allowed"),
    (polygon((2.2, 48.8), (2.2001, 48.8), (2.2001, 48.8001)), "less than the 0.01 km² needed"),
    (polygon((-150, 0), (-149, 0), (-149, 1), (-150, 1)), errors.REGION_OVER_SEA),
    ({"type": "Point", "coordinates": [2, 48]}, "must be an object with \"type\": \"Polygon\""),
    ({"type": "Polygon", "coordinates": [[[2, "48"], [3, 48], [3, 49]]]}, "each position must be [lon, lat] numbers"),
    ({"type": "Polygon"}, '"coordinates" must be a list of rings'),
    ("POLYGON((0 0, 1 1, 1 0))", "must be an object"),
    ({"type": "Polygon", "coordinates": [[[2 + i / 1000, 48 + (i % 2) / 1000] for i in range(501)]]},
     errors.REGION_TOO_MANY_VERTICES.format(count=501, max=500)),
])
def test_bad_regions_are_refused_naming_the_problem(geometry, message):
    with pytest.raises(RegionError) as raised:
        region_parse(geometry)
    assert message in str(raised.value)


def test_a_point_must_be_on_land():
    point_check(48.85, 2.35)
    with pytest.raises(RegionError, match="over the sea"):
        point_check(0.0, -150.0)
