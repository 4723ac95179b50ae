"""The composer's page: a place from the query string, the palette of the active compose model's
categories, a 400 saying what is wrong with a bad place, and a plain notice without a model."""
import json
import re

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
    assert composer_data(page) == {"background": {"city": cities["Oxford"].pk}, "categories": CATEGORIES}
    assert 'src="/static/js/composer.js"' in page


def test_the_composer_of_a_point(client, db):
    activate_compose_version()
    page = client.get("/compose/", {"lat": "48.857", "lon": "2.352"}).content.decode()
    assert "A scene of 48.857, 2.352" in page and composer_data(page)["background"] == {"lat": 48.857, "lon": 2.352}


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
