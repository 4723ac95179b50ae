import pytest

from gallery import apis


def names(response):
    return [city["name"] for city in response.json()]


def test_search_is_a_prefix_match_ignoring_accents_and_case(client, cities):
    assert names(client.get("/api/cities/", {"q": "oxf"})) == ["Oxford"]
    assert names(client.get("/api/cities/", {"q": "ZUR"})) == ["Zürich"]
    assert names(client.get("/api/cities/", {"q": "Zür"})) == ["Zürich"]
    assert names(client.get("/api/cities/", {"q": "tromso"})) == ["Tromsø"]
    assert names(client.get("/api/cities/", {"q": "xford"})) == []


def test_search_lists_the_most_populous_first_with_the_contract_fields(client, cities):
    response = client.get("/api/cities", {"q": "o"})
    assert response.status_code == 200
    assert names(response) == ["Oxford"]
    body = client.get("/api/cities/", {"q": "l"}).json()
    assert body[0] == {
        "id": 2643743, "name": "London", "country": "GB", "lat": 51.50853, "lon": -0.12574,
        "population": 8961989, "timezone": "Europe/London",
    }


def test_bbox_gives_the_most_populous_cities_inside(client, cities):
    response = client.get("/api/cities/", {"bbox": "-10,40,20,72", "limit": 3})
    assert names(response) == ["London", "Zürich", "Oxford"]


def test_bbox_crossing_the_antimeridian(client, cities):
    response = client.get("/api/cities/", {"bbox": "170,-40,-170,-10"})
    assert names(response) == ["Auckland", "Suva", "Apia"]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"bbox": "0,50,10,40"}, "bbox", apis.BBOX_SOUTH_NORTH),
        ({"bbox": "0,-91,10,40"}, "bbox", apis.BBOX_RANGE),
        ({"bbox": "-190,0,10,40"}, "bbox", apis.BBOX_RANGE),
        ({"bbox": "0,0,10"}, "bbox", apis.BBOX_FORMAT),
        ({"bbox": "a,b,c,d"}, "bbox", apis.BBOX_FORMAT),
        ({"bbox": "nan,0,10,10"}, "bbox", apis.BBOX_FORMAT),
        ({"bbox": "0,0,10,10", "limit": "0"}, "limit", apis.LIMIT_RANGE.format(max=apis.LIMIT_MAX)),
        ({"bbox": "0,0,10,10", "limit": "many"}, "limit", apis.LIMIT_RANGE.format(max=apis.LIMIT_MAX)),
        ({"bbox": "0,0,10,10", "limit": "²"}, "limit", apis.LIMIT_RANGE.format(max=apis.LIMIT_MAX)),  # was a 500
        ({}, "q", apis.QUERY_MISSING),
        ({"q": "x" * 101}, "q", apis.QUERY_TOO_LONG),
    ],
)
def test_bad_city_queries_are_refused_naming_the_parameter(client, cities, params, field, message):
    response = client.get("/api/cities/", params)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_point_belongs_to_the_largest_city_close_by(cities):
    from gallery.models import City
    from gallery.selectors import city_nearest

    City.objects.create(id=1, name="Westminster", ascii_name="Westminster", search_name="westminster",
                        country_code="GB", lat=51.4975, lon=-0.1357, population=20000)
    assert city_nearest(lat=51.497, lon=-0.135).name == "London"  # not the district under the click
    assert city_nearest(lat=51.85, lon=-1.25).name == "Oxford"  # 11 km out: still the nearest
    assert city_nearest(lat=-13.9, lon=-171.6).name == "Apia"
    assert city_nearest(lat=0.0, lon=-30.0) is None  # mid-Atlantic


def test_cities_that_share_their_coordinates_name_a_point_the_same_way_every_time(tied_cities):
    from gallery.selectors import city_nearest

    assert len(tied_cities) >= 4  # Daman and Nani Daman, Hasaki and Choshi, Furano, Setun'
    for group in tied_cities:
        # the more populous, then the lower GeoNames id (Setun' and Bol'shaya Setun' both have 20,000)
        expected = min(group, key=lambda city: (-city.population, city.pk))
        lat, lon = group[0].lat, group[0].lon
        assert city_nearest(lat=lat, lon=lon) == expected
        assert city_nearest(lat=lat + 0.2, lon=lon) == expected  # ~22 km away: the nearest, not the largest near by
