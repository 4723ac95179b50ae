"""A composed scene through POST /api/jobs: canonical inputs found again by an identical request,
every bad input of the issue refused with a 400 naming its field and nothing written, and 503
without an active compose model. The categories are those of the active version's config.json."""
import json

import pytest

from config import api
from gallery.jobs import errors
from gallery.jobs.compose_inputs import OBJECTS_MAX
from gallery.models import Artwork
from generation.models import Job, ModelVersion

CATEGORIES = ["tree", "house", "boat"]


def post(client, body):
    return client.post("/api/jobs/", data=json.dumps(body), content_type="application/json")


@pytest.fixture
def compose_version(db):
    """An active compose version as the registry records it: what validation reads (its
    config.json's categories); nothing here paints."""
    return ModelVersion.objects.create(
        kind="compose", name="compose-for-validation", folder="/nonexistent", sha256="c" * 64, is_active=True,
        validation_status=ModelVersion.Validation.PASSED, config={"kind": "compose", "architecture": {"categories": CATEGORIES}},
    )


def scene(**changes) -> dict:
    inputs = {"background": {"lat": 48.857, "lon": 2.352},
              "objects": [{"category": "tree", "box": [0.55, 0.5, 0.68, 0.8], "shape": "ellipse", "colour": [46, 120, 44]}]}
    inputs.update(changes)
    return {"kind": "compose", "seed": 7, "inputs": inputs}


def with_object(**changes) -> dict:
    return scene(objects=[{"category": "tree", "box": [0.55, 0.5, 0.68, 0.8], **changes}])


def test_a_scene_is_stored_canonical_and_an_identical_request_finds_its_job(client, compose_version, cities, enqueued,
                                                                            django_capture_on_commit_callbacks):
    body = scene(background={"city": cities["Oxford"].pk},
                 objects=[{"category": "house", "box": [0.100004, 0.2, 0.400001, 0.6]},
                          {"category": "tree", "box": [0.5, 0.5, 0.7, 0.9], "shape": "rect", "colour": [1, 2, 3]}])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, body)
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    oxford = cities["Oxford"]
    assert job.inputs == {
        "background": {"city": oxford.pk, "lat": oxford.lat, "lon": oxford.lon},
        "objects": [{"category": "house", "box": [0.1, 0.2, 0.4, 0.6], "shape": "mask", "colour": None},
                    {"category": "tree", "box": [0.5, 0.5, 0.7, 0.9], "shape": "rect", "colour": [1, 2, 3]}],
    }
    assert job.model_version == compose_version and enqueued == [job.pk]
    body["inputs"]["objects"][0]["box"] = [0.1, 0.2, 0.4, 0.6]  # the same request once rounded
    body["inputs"]["objects"][0].update(shape="mask", colour=None)
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, body)
    assert again.status_code == 202 and again.json()["id"] == response.json()["id"] and Job.objects.count() == 1 and enqueued == [job.pk]


def test_a_point_background_is_rounded_to_four_decimals_and_the_background_alone_is_a_scene(client, compose_version,
                                                                                           enqueued):
    response = post(client, {"kind": "compose", "seed": 1, "inputs": {"background": {"lat": 48.8566123, "lon": 2.35229}}})
    assert response.status_code == 202, response.json()
    assert Job.objects.get().inputs == {"background": {"lat": 48.8566, "lon": 2.3523}, "objects": []}


def test_no_active_compose_model_is_a_503_naming_the_kind(client, db):
    response = post(client, scene())
    assert response.status_code == 503
    assert response.json()["code"] == "no_active_model" and "compose" in response.json()["kind"][0]
    assert not Job.objects.exists()


BOX = "box"
CATEGORY_MESSAGE = errors.COMPOSE_CATEGORY_UNKNOWN.format(category="dragon", categories=", ".join(CATEGORIES))


@pytest.mark.parametrize("body, path, message", [
    (scene(objects="tree"), ["objects"], errors.COMPOSE_OBJECTS_LIST.format(type="a string")),
    (scene(objects={"category": "tree"}), ["objects"], errors.COMPOSE_OBJECTS_LIST.format(type="an object")),
    (scene(objects=[{"category": "tree", "box": [0.1, 0.1, 0.2, 0.2]}] * (OBJECTS_MAX + 1)), ["objects"],
     errors.COMPOSE_TOO_MANY_OBJECTS.format(count=OBJECTS_MAX + 1, max=OBJECTS_MAX)),
    (scene(objects=[7]), ["objects", "0"], errors.COMPOSE_OBJECT_NOT_OBJECT.format(type="an integer")),
    (scene(layers=[]), ["layers"], api.FIELD_UNKNOWN),
    (with_object(size=3), ["objects", "0", "size"], api.FIELD_UNKNOWN),
    (with_object(category="dragon"), ["objects", "0", "category"], CATEGORY_MESSAGE),
    (with_object(category=3), ["objects", "0", "category"], errors.COMPOSE_CATEGORY_TEXT.format(type="an integer")),
    (with_object(box=[0.1, 0.1, 0.3]), ["objects", "0", BOX], errors.COMPOSE_BOX_FORMAT),
    (with_object(box=[0.1, 0.1, 0.3, float("nan")]), ["objects", "0", BOX], errors.COMPOSE_BOX_FORMAT),
    (with_object(box=[0.1, 0.1, "0.3", 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_FORMAT),
    (with_object(box=[0.1, 0.1, True, 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_FORMAT),
    (with_object(box="0.1,0.1,0.3,0.4"), ["objects", "0", BOX], errors.COMPOSE_BOX_FORMAT),
    (with_object(box=[-0.1, 0.1, 0.3, 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_RANGE),
    (with_object(box=[0.1, 0.1, 0.3, 1.2]), ["objects", "0", BOX], errors.COMPOSE_BOX_RANGE),
    (with_object(box=[10**400, 0, 1, 1]), ["objects", "0", BOX], errors.COMPOSE_BOX_RANGE),
    (with_object(box=[0.3, 0.1, 0.1, 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_ORDER),
    (with_object(box=[0.1, 0.4, 0.3, 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_ORDER),
    (with_object(box=[0.1, 0.1, 0.13, 0.4]), ["objects", "0", BOX], errors.COMPOSE_BOX_TOO_SMALL.format(min=0.04)),
    (with_object(box=[0.0, 0.0, 0.8, 0.7]), ["objects", "0", BOX],
     errors.COMPOSE_BOX_TOO_LARGE.format(share=0.56, max=0.5)),
    (with_object(shape="star"), ["objects", "0", "shape"], errors.COMPOSE_SHAPE_UNKNOWN.format(shapes="mask, rect, ellipse")),
    (with_object(shape=["mask"]), ["objects", "0", "shape"], errors.COMPOSE_SHAPE_UNKNOWN.format(shapes="mask, rect, ellipse")),
    (with_object(colour=[1, 2]), ["objects", "0", "colour"], errors.COMPOSE_COLOUR_FORMAT),
    (with_object(colour=[1, 2, 256]), ["objects", "0", "colour"], errors.COMPOSE_COLOUR_FORMAT),
    (with_object(colour=[1, 2, 3.5]), ["objects", "0", "colour"], errors.COMPOSE_COLOUR_FORMAT),
    (with_object(colour=[True, 2, 3]), ["objects", "0", "colour"], errors.COMPOSE_COLOUR_FORMAT),
    (with_object(colour="#ff0000"), ["objects", "0", "colour"], errors.COMPOSE_COLOUR_FORMAT),
    (scene(background={"city": 2640729, "lat": 48.8, "lon": 2.3}), ["background", "city"], errors.PLACE_CITY_OR_POINT),
    (scene(background={}), ["background", "lat"], errors.PLACE_NEEDS_LOCATION),
    (scene(background={"lat": 91, "lon": 2.3}), ["background", "lat"], errors.LAT_RANGE),
    (scene(background={"lat": 48.8, "lon": -180.5}), ["background", "lon"], errors.LON_RANGE),
    (scene(background={"lat": "48.8", "lon": 2.3}), ["background", "lat"], api.NUMBER_REQUIRED.format(type="a string")),
    (scene(background={"lat": True, "lon": 2.3}), ["background", "lat"], api.NUMBER_REQUIRED.format(type="a boolean")),
    (scene(background=None), ["background"], None),
    ({"kind": "compose", "seed": 1, "inputs": {"objects": []}}, ["background"], errors.COMPOSE_BACKGROUND_REQUIRED),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(client, compose_version, cities, enqueued, body,
                                                                     path, message):
    response = post(client, body)
    assert response.status_code == 400, response.json()
    found = response.json()["inputs"]
    for key in path:
        found = found[key]
    if message is not None:
        assert found == [message]
    assert not Job.objects.exists() and not Artwork.objects.exists() and enqueued == []


def test_the_category_message_lists_what_the_active_model_paints(client, compose_version, enqueued):
    ModelVersion.objects.filter(pk=compose_version.pk).update(
        config={"kind": "compose", "architecture": {"categories": ["lamp", "dragon"]}})
    assert post(client, with_object(category="dragon")).status_code == 202
    response = post(client, with_object(category="tree"))
    assert response.json()["inputs"]["objects"]["0"]["category"] == [
        errors.COMPOSE_CATEGORY_UNKNOWN.format(category="tree", categories="lamp, dragon")]
