"""GET /api/artworks/ (filtered, paginated), /api/artworks/map/ and /api/artworks/<id>/."""
import pytest

from gallery import apis, filters
from gallery.models import Artwork
from tests.gallery.conftest import ids as pks


def ids(response) -> list[int]:
    return [artwork["id"] for artwork in response.json()["results"]]


def test_the_list_is_paginated_newest_first_without_hidden_artworks(client, gallery):
    g = gallery
    first = client.get("/api/artworks/", {"page_size": 4})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 7 and body["previous"] is None
    assert ids(first) == pks([g.sea, g.suva, g.auckland, g.tromso])
    second = client.get(body["next"])
    assert ids(second) == pks([g.london, g.variation, g.oxford])
    assert second.json()["next"] is None
    assert client.get("/api/artworks").status_code == 200  # the path without a slash answers too


def test_the_list_filters_and_sorts(client, gallery, cities):
    g = gallery
    assert ids(client.get("/api/artworks/", {"city": cities["Oxford"].pk})) == pks([g.variation, g.oxford])
    assert ids(client.get("/api/artworks/", {"country": "gb", "sort": "most_viewed"})) == pks([g.london, g.oxford, g.variation])
    assert ids(client.get("/api/artworks/", {"created_from": "2026-03-06", "kind": "place"})) == pks([g.sea, g.suva])
    assert ids(client.get("/api/artworks/", {"model_version": g.oxford.model_version_id, "created_to": "2026-01-10"})) == [g.oxford.pk]
    blank = client.get("/api/artworks/", {"city": "", "country": "", "created_from": "", "sort": ""})
    assert blank.json()["count"] == 7  # an empty field of the filter form means no filter


def test_an_artwork_carries_its_provenance_and_lineage(client, gallery, place_model):
    g = gallery
    listed = {a["id"]: a for a in client.get("/api/artworks/").json()["results"]}
    detail = client.get(f"/api/artworks/{g.oxford.pk}/").json()
    assert listed[g.oxford.pk] == detail
    assert detail["model"] == {"id": place_model.pk, "name": "tiny-place", "sha256": place_model.sha256}
    assert len(detail["model"]["sha256"]) == 64
    assert (detail["parent"], detail["children"], detail["view_count"], detail["seed"]) == (None, [g.variation.pk], 5, 1)
    assert detail["city"]["name"] == "Oxford" and detail["image"].startswith("http://testserver/media/")
    assert client.get(f"/api/artworks/{g.variation.pk}/").json()["parent"] == g.oxford.pk


def test_a_hidden_artwork_is_not_found_and_leaves_its_parents_children(client, gallery):
    assert client.get(f"/api/artworks/{gallery.hidden.pk}/").status_code == 404
    Artwork.objects.filter(pk=gallery.oxford.pk).update(hidden=True)
    assert client.get(f"/api/artworks/{gallery.variation.pk}/").json()["parent"] is None
    assert gallery.oxford.pk not in ids(client.get("/api/artworks/"))


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"city": "oxford"}, "city", filters.CITY_INVALID),
        ({"city": "0"}, "city", filters.CITY_INVALID),
        ({"city": "999"}, "city", filters.CITY_UNKNOWN.format(value=999)),
        ({"country": "GBR"}, "country", filters.COUNTRY_INVALID),
        ({"kind": "portrait"}, "kind", filters.KIND_INVALID.format(kinds="place, ground, edit, compose")),
        ({"model_version": "-1"}, "model_version", filters.MODEL_VERSION_INVALID),
        ({"model_version": "999"}, "model_version", filters.MODEL_VERSION_UNKNOWN.format(value=999)),
        ({"created_from": "10/01/2026"}, "created_from", filters.DATE_INVALID.format(field="created_from")),
        ({"created_to": "2026-02-30"}, "created_to", filters.DATE_INVALID.format(field="created_to")),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_to", filters.DATE_ORDER),
        ({"sort": "oldest"}, "sort", filters.SORT_INVALID.format(sorts="newest, most_viewed")),
        ({"page": "x"}, "page", filters.PAGE_INVALID.format(last=1)),
        ({"page": "2"}, "page", filters.PAGE_INVALID.format(last=1)),
        ({"page_size": "101"}, "page_size", filters.PAGE_SIZE_INVALID.format(max=100)),
        ({"page_size": "0"}, "page_size", filters.PAGE_SIZE_INVALID.format(max=100)),
        ({"page_size": "²"}, "page_size", filters.PAGE_SIZE_INVALID.format(max=100)),  # a digit to isdigit, not to int: was a 500
    ],
)
def test_bad_parameters_are_refused_with_their_name(client, gallery, params, field, message):
    response = client.get("/api/artworks/", params)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_the_map_gives_thinned_markers_in_view(client, gallery):
    g = gallery
    response = client.get("/api/artworks/map/", {"bbox": "-3,50,1,53", "zoom": "9"})
    assert response.status_code == 200
    markers = {m["id"]: m for m in response.json()}
    assert set(markers) == {g.london.pk, g.oxford.pk}
    oxford = markers[g.oxford.pk]
    assert oxford == {
        "id": g.oxford.pk, "url": f"http://testserver/artworks/{g.oxford.pk}/",
        "thumbnail": f"http://testserver{g.oxford.thumbnail.url}", "upsampled": False,
        "title": "Oxford, GB", "kind": "place", "lat": g.oxford.lat, "lon": g.oxford.lon,
        "view_count": 5, "cell_count": 2,
    }
    world = client.get("/api/artworks/map/", {"bbox": "-180,-90,180,90", "zoom": "0", "country": "NZ"}).json()
    assert [m["id"] for m in world] == [g.auckland.pk]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"zoom": "3"}, "bbox", apis.BBOX_FORMAT),
        ({"bbox": "1,2,3", "zoom": "3"}, "bbox", apis.BBOX_FORMAT),
        ({"bbox": "-10,40,20,30", "zoom": "3"}, "bbox", apis.BBOX_SOUTH_NORTH),
        ({"bbox": "-10,40,20,50"}, "zoom", apis.ZOOM_RANGE.format(max=apis.ZOOM_MAX)),
        ({"bbox": "-10,40,20,50", "zoom": "21"}, "zoom", apis.ZOOM_RANGE.format(max=apis.ZOOM_MAX)),
        ({"bbox": "-10,40,20,50", "zoom": "2.5"}, "zoom", apis.ZOOM_RANGE.format(max=apis.ZOOM_MAX)),
        ({"bbox": "-10,40,20,50", "zoom": "²"}, "zoom", apis.ZOOM_RANGE.format(max=apis.ZOOM_MAX)),  # was a 500
        ({"bbox": "-10,40,20,50", "zoom": "3", "country": "1"}, "country", filters.COUNTRY_INVALID),
    ],
)
def test_the_map_refuses_bad_parameters_with_their_name(client, db, params, field, message):
    response = client.get("/api/artworks/map/", params)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_the_schema_documents_the_artwork_endpoints(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    listing = schema["paths"]["/api/artworks/"]["get"]
    assert {"city", "country", "kind", "model_version", "created_from", "created_to", "sort", "page", "page_size"} <= {
        parameter["name"] for parameter in listing["parameters"]
    }
    assert {"bbox", "zoom"} <= {p["name"] for p in schema["paths"]["/api/artworks/map/"]["get"]["parameters"]}
    artwork = schema["components"]["schemas"]["Artwork"]["properties"]
    assert {"model", "parent", "children", "view_count"} <= set(artwork)
