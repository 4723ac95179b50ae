"""The composer's page: a place from the query string, the palette of the active compose model's
categories, a 400 saying what is wrong with a bad place, and a plain notice without a model."""
import json
import re

from gallery.jobs.services import compose_background_canonical
from gallery.models import Artwork
from generation.models import ModelVersion

CATEGORIES = ["tree", "house", "boat"]


def activate_compose_version(categories=CATEGORIES) -> ModelVersion:
    return ModelVersion.objects.create(
        kind="compose", name="compose-page", folder="/nonexistent", sha256="d" * 64, is_active=True,
        validation_status=ModelVersion.Validation.PASSED, config={"architecture": {"categories": categories}},
    )


def composer_data(page: str) -> dict:
    return json.loads(re.search(r'<script id="composer-data" type="application/json">(.*?)</script>', page).group(1))


def test_the_composer_of_a_city_offers_the_models_categories(client, cities):
    activate_compose_version()
    response = client.get("/compose/", {"city": cities["Oxford"].pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "A scene of Oxford, GB" in page
    assert re.findall(r'data-category="([^"]+)"', page) == CATEGORIES
    assert composer_data(page) == {"background": {"city": cities["Oxford"].pk}, "background_seed": None,
                                   "categories": CATEGORIES}
    assert 'src="/static/js/composer.js"' in page


def test_the_composer_of_a_point(client, db):
    activate_compose_version()
    page = client.get("/compose/", {"lat": "48.857", "lon": "2.352"}).content.decode()
    assert "A scene of 48.857, 2.352" in page and composer_data(page)["background"] == {"lat": 48.857, "lon": 2.352}


def compose_artwork(version: ModelVersion, background: dict, seed: int, objects=(), **fields) -> Artwork:
    return Artwork.objects.create(
        kind="compose", image="a.png", thumbnail="t.png",
        inputs={"background": compose_background_canonical(background), "objects": list(objects)},
        seed=seed, model_version=version, model_sha256=version.sha256, request_key=f"key-{seed}", **fields)


def test_the_composer_shows_a_places_earlier_background_again(client, cities):
    # Its seed, asked for again with the same inputs, finds that artwork: a visit paints no new one.
    version = activate_compose_version()
    oxford, point = {"city": cities["Oxford"].pk}, {"lat": 48.857, "lon": 2.352}
    compose_artwork(version, oxford, seed=11)
    compose_artwork(version, oxford, seed=12)
    compose_artwork(version, oxford, seed=13, hidden=True)
    compose_artwork(version, oxford, seed=14, objects=[{"category": "tree", "box": [0.1, 0.1, 0.3, 0.3],
                                                         "shape": "mask", "colour": None}])
    compose_artwork(version, point, seed=15)

    def seed_of(query):
        return composer_data(client.get("/compose/", query).content.decode())["background_seed"]

    assert seed_of(oxford) == 12
    assert seed_of({"lat": "48.85700001", "lon": "2.352"}) == 15
    assert seed_of({"lat": "48.86", "lon": "2.352"}) is None
    ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
    ModelVersion.objects.create(kind="compose", name="another", folder="/nonexistent", sha256="e" * 64, is_active=True,
                                validation_status=ModelVersion.Validation.PASSED, config=version.config)
    assert seed_of(oxford) is None  # another model paints another background


def test_a_bad_place_is_a_400_saying_what_is_wrong(client, db):
    activate_compose_version()
    for query, words in [({"city": "99"}, "No city has the id 99."), ({"lat": "91", "lon": "0"}, "lat:"),
                         ({"lat": "10"}, "Give either a city id or both lat and lon."), ({"city": "x"}, "city:")]:
        response = client.get("/compose/", query)
        assert response.status_code == 400 and words in response.content.decode(), query
        assert "composer-data" not in response.content.decode()


def test_without_a_compose_model_the_page_says_so_and_paints_nothing(client, cities):
    page = client.get("/compose/", {"city": cities["Oxford"].pk}).content.decode()
    assert 'id="no-model"' in page and "composer.js" not in page


def test_the_map_offers_compose_beside_the_place_picture_only_with_a_compose_model(client, db):
    assert 'id="job-compose"' not in client.get("/").content.decode()
    activate_compose_version()
    assert 'id="job-compose"' in client.get("/").content.decode()
