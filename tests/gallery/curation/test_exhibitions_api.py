"""The exhibitions API: public reads of published exhibitions, curators' writes, and the 400s,
403s and 404s with their messages."""
import pytest

from config.api import BODY_NOT_JSON, FIELD_UNKNOWN
from gallery.curation import errors
from gallery.models import Artwork, Exhibition
from gallery.errors import ARTWORK_UNKNOWN
from tests.gallery.curation.conftest import exhibition_build


@pytest.fixture
def winter(gallery, curator):
    return exhibition_build(user=curator, slug="winter", title="Cities in winter", statement="Cold light.",
                            artworks=[gallery.tromso, gallery.hidden, gallery.oxford])


def item_ids(exhibition) -> list[int]:
    return list(exhibition.items.values_list("pk", flat=True))


def artwork_ids(body) -> list[int]:
    return [item["artwork"]["id"] for item in body["items"]]


def test_the_public_reads_published_exhibitions_without_hidden_artworks(client, gallery, curator, winter):
    exhibition_build(user=curator, slug="draft", artworks=[gallery.suva], published=False)
    listed = client.get("/api/exhibitions/").json()
    assert [e["slug"] for e in listed] == ["winter"]
    assert listed[0]["item_count"] == 2 and listed[0]["cover"] == gallery.tromso.pk
    assert listed[0]["url"] == "http://testserver/exhibitions/winter/"

    body = client.get("/api/exhibitions/winter/").json()
    assert (body["title"], body["statement"]) == ("Cities in winter", "Cold light.")
    assert artwork_ids(body) == [gallery.tromso.pk, gallery.oxford.pk]
    assert [item["wall_text"] for item in body["items"]] == ["Wall text 1", "Wall text 3"]
    assert body["kiosk_url"] == "http://testserver/exhibitions/winter/kiosk/"
    assert body["items"][0]["artwork"]["model"]["sha256"] == gallery.tromso.model_sha256

    draft = client.get("/api/exhibitions/draft/")
    assert draft.status_code == 404 and draft.json() == {"detail": errors.EXHIBITION_UNKNOWN.format(slug="draft")}


def test_curators_see_drafts_and_hidden_artworks_flagged(curator_client, gallery, curator, winter):
    exhibition_build(user=curator, slug="draft", artworks=[gallery.suva], published=False)
    assert [e["slug"] for e in curator_client.get("/api/exhibitions/").json()] == ["winter", "draft"]
    assert curator_client.get("/api/exhibitions/draft/").json()["published_at"] is None
    items = curator_client.get("/api/exhibitions/winter/").json()["items"]
    assert [(item["artwork"]["id"], item["hidden"]) for item in items] == [
        (gallery.tromso.pk, False), (gallery.hidden.pk, True), (gallery.oxford.pk, False)
    ]


def test_a_curator_builds_an_exhibition(curator_client, gallery, curator):
    created = curator_client.post("/api/exhibitions/", {"title": "Harbours", "slug": "harbours", "statement": "Sea."}, content_type="application/json")
    assert created.status_code == 201 and created["Location"] == "http://testserver/exhibitions/harbours/"
    assert created.json()["published_at"] is None and Exhibition.objects.get(slug="harbours").created_by == curator

    for artwork in (gallery.auckland, gallery.suva, gallery.sea):
        added = curator_client.post("/api/exhibitions/harbours/items/", {"artwork": artwork.pk, "wall_text": "By the sea"}, content_type="application/json")
        assert added.status_code == 201
    first, second, third = item_ids(Exhibition.objects.get(slug="harbours"))
    reordered = curator_client.post("/api/exhibitions/harbours/order/", {"items": [third, first, second]}, content_type="application/json")
    assert reordered.status_code == 200 and artwork_ids(reordered.json()) == [gallery.sea.pk, gallery.auckland.pk, gallery.suva.pk]

    patched = curator_client.patch(f"/api/exhibitions/harbours/items/{first}/", {"wall_text": "Auckland at dusk."}, content_type="application/json")
    assert patched.json()["items"][1]["wall_text"] == "Auckland at dusk."
    changed = curator_client.patch("/api/exhibitions/harbours/", {"title": "Harbour cities", "slug": "harbour-cities", "cover": gallery.suva.pk}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["cover"] == gallery.suva.pk
    assert changed.json()["url"].endswith("/exhibitions/harbour-cities/")

    published = curator_client.post("/api/exhibitions/harbour-cities/publish/")
    assert published.status_code == 200 and published.json()["published_at"] is not None
    removed = curator_client.delete(f"/api/exhibitions/harbour-cities/items/{second}/")
    assert artwork_ids(removed.json()) == [gallery.sea.pk, gallery.auckland.pk] and removed.json()["cover"] == gallery.sea.pk
    assert curator_client.post("/api/exhibitions/harbour-cities/unpublish/").json()["published_at"] is None
    assert curator_client.delete("/api/exhibitions/harbour-cities/").status_code == 204
    assert not Exhibition.objects.exists() and Artwork.objects.filter(pk=gallery.suva.pk).exists()


def test_a_duplicate_slug_gets_a_clear_message(curator_client, winter):
    response = curator_client.post("/api/exhibitions/", {"title": "Again", "slug": "winter"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"slug": [errors.SLUG_TAKEN.format(title="Cities in winter", slug="winter")]}
    assert Exhibition.objects.count() == 1


def test_reordering_with_an_item_of_another_exhibition_is_refused_and_changes_nothing(curator_client, gallery, curator, winter):
    other = exhibition_build(user=curator, slug="south", artworks=[gallery.suva])
    before = item_ids(winter)
    (foreign,) = item_ids(other)
    order = [before[2], before[0], foreign]
    response = curator_client.post("/api/exhibitions/winter/order/", {"items": order}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"items": [errors.ORDER_FOREIGN.format(ids=foreign)]}
    assert item_ids(winter) == before and list(other.items.values_list("position", flat=True)) == [0]


@pytest.mark.parametrize(
    "method, path, body, expected",
    [
        ("post", "/api/exhibitions/", {"slug": "x"}, {"title": [errors.TITLE_REQUIRED]}),
        ("post", "/api/exhibitions/", {"title": "X", "slug": "Not A Slug"}, {"slug": [errors.SLUG_INVALID]}),
        ("post", "/api/exhibitions/", {"title": "X", "slug": "x", "colour": "red"}, {"colour": [FIELD_UNKNOWN]}),
        ("post", "/api/exhibitions/", {"title": "X" * 201, "slug": "x"}, {"title": [errors.TEXT_TOO_LONG.format(field="title", max=200)]}),
        ("patch", "/api/exhibitions/winter/", {"title": ""}, {"title": [errors.TITLE_REQUIRED]}),
        ("patch", "/api/exhibitions/winter/", {"cover": 999999}, {"cover": [ARTWORK_UNKNOWN.format(artwork_id=999999)]}),
        ("post", "/api/exhibitions/winter/items/", {}, {"artwork": [errors.ARTWORK_ID_INVALID.format(field="artwork")]}),
        ("post", "/api/exhibitions/winter/items/", {"artwork": "seven"}, {"artwork": [errors.ARTWORK_ID_INVALID.format(field="artwork")]}),
        ("post", "/api/exhibitions/winter/items/", {"artwork": 999999}, {"artwork": [ARTWORK_UNKNOWN.format(artwork_id=999999)]}),
        ("post", "/api/exhibitions/winter/order/", {"items": "1,2,3"}, {"items": [errors.ORDER_NOT_IDS]}),
        ("post", "/api/exhibitions/winter/order/", {"items": [1, "two"]}, {"items": {"1": [errors.ORDER_NOT_IDS]}}),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(curator_client, winter, method, path, body, expected):
    before = (list(Exhibition.objects.values()), item_ids(winter))
    response = getattr(curator_client, method)(path, body, content_type="application/json")
    assert response.status_code == 400 and response.json() == expected
    assert (list(Exhibition.objects.values()), item_ids(winter)) == before


def test_an_artwork_already_hung_a_foreign_cover_and_a_broken_body_are_refused(curator_client, gallery, winter):
    again = curator_client.post("/api/exhibitions/winter/items/", {"artwork": gallery.tromso.pk}, content_type="application/json")
    assert again.json() == {"artwork": [errors.ALREADY_AN_ITEM.format(artwork_id=gallery.tromso.pk)]}
    cover = curator_client.patch("/api/exhibitions/winter/", {"cover": gallery.suva.pk}, content_type="application/json")
    assert cover.json() == {"cover": [errors.COVER_NOT_AN_ITEM.format(artwork_id=gallery.suva.pk)]}
    broken = curator_client.post("/api/exhibitions/winter/items/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json() == {"body": [BODY_NOT_JSON]}


def test_unknown_exhibitions_items_and_artworks_are_404(curator_client, winter):
    assert curator_client.get("/api/exhibitions/nowhere/").status_code == 404
    response = curator_client.patch("/api/exhibitions/winter/items/999999/", {"wall_text": "x"}, content_type="application/json")
    assert response.status_code == 404 and response.json() == {"detail": errors.ITEM_UNKNOWN.format(item_id=999999, slug="winter")}
    hide = curator_client.post("/api/artworks/999999/hide/")
    assert hide.status_code == 404 and hide.json() == {"detail": ARTWORK_UNKNOWN.format(artwork_id=999999)}


def test_hide_and_favourite_from_the_dashboard(curator_client, gallery, curator):
    hidden = curator_client.post(f"/api/artworks/{gallery.london.pk}/hide/")
    assert hidden.status_code == 200
    assert hidden.json()["hidden"] is True and hidden.json()["hidden_changed_by"] == curator.username
    assert curator_client.get(f"/api/artworks/{gallery.london.pk}/").status_code == 404  # gone from the public API
    assert curator_client.delete(f"/api/artworks/{gallery.london.pk}/hide/").json()["hidden"] is False
    assert curator_client.get(f"/api/artworks/{gallery.london.pk}/").status_code == 200

    assert curator_client.post(f"/api/artworks/{gallery.suva.pk}/favourite/").json() == {"id": gallery.suva.pk, "favourite": True}
    assert list(curator.favourites.values_list("artwork", flat=True)) == [gallery.suva.pk]
    assert curator_client.delete(f"/api/artworks/{gallery.suva.pk}/favourite/").json()["favourite"] is False
    assert not curator.favourites.exists()


def test_the_schema_documents_the_exhibitions_api(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    expected = {
        "/api/exhibitions/": {"get", "post"},
        "/api/exhibitions/{slug}/": {"get", "patch", "delete"},
        "/api/exhibitions/{slug}/items/": {"post"},
        "/api/exhibitions/{slug}/items/{item_id}/": {"patch", "delete"},
        "/api/exhibitions/{slug}/order/": {"post"},
        "/api/exhibitions/{slug}/publish/": {"post"},
        "/api/exhibitions/{slug}/unpublish/": {"post"},
        "/api/artworks/{artwork_id}/hide/": {"post", "delete"},
        "/api/artworks/{artwork_id}/favourite/": {"post", "delete"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) >= methods, path
