"""Edits of an artwork by a text through POST /api/jobs: n edits, frames between two texts,
every bad input refused with a 400 naming its field and nothing written, and the worker side."""
import io
import json

import pytest
from PIL import Image

from config import api
from gallery.errors import ARTWORK_UNKNOWN
from gallery.jobs import errors
from gallery.jobs import services as job_services
from gallery.jobs.inputs import EDIT_COUNT_MAX, EDIT_FRAMES_MAX, EDIT_FRAMES_MIN, EDIT_TEXT_MAX
from gallery.models import Artwork
from generation import errors as generation_errors
from generation.models import Job
from tests.gallery.factories import artwork_paint, job_pk


def post(client, body):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/api/jobs/", data=data, content_type="application/json")


@pytest.fixture
def source(place_model, edit_model, cities, enqueued):
    return artwork_paint(seed=1, city=cities["Tromsø"])


def edits():
    return Job.objects.filter(kind="edit")


def run(job_id: int) -> Job:
    job_services.job_run(job_id=job_id)
    job = Job.objects.select_related("artwork").get(pk=job_id)
    assert job.status == "done", job.error
    return job


def test_n_edits_become_n_jobs_whose_artworks_are_children_of_the_source(client, source):
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "  the same place at night ",
                                                        "n": 3}, "seed": 40})
    assert response.status_code == 202
    body = response.json()
    assert [job["seed"] for job in body["jobs"]] == [40, 41, 42] and body["id"] == body["jobs"][0]["id"]
    jobs = list(Job.objects.filter(kind="edit").order_by("pk"))
    assert [job.inputs for job in jobs] == [{"artwork": source.pk, "text": "the same place at night"}] * 3
    assert all(job.parent == source and job.kind == "edit" for job in jobs)
    artworks = [run(job.pk).artwork for job in jobs]
    assert all(artwork.parent == source and artwork.city == source.city for artwork in artworks)
    assert len({artwork.image.read() for artwork in artworks}) == 3  # one text, three different edits


def test_one_edit_is_the_default_and_a_repeated_request_is_reused(client, source):
    body = {"kind": "edit", "inputs": {"artwork": source.pk, "text": "snowy"}, "seed": 5}
    first = post(client, body)
    assert first.status_code == 202 and "jobs" not in first.json()
    assert post(client, body).json()["id"] == first.json()["id"] and edits().count() == 1


def test_an_edit_of_an_edit_of_an_edit_keeps_the_whole_lineage(client, source):
    artwork = source
    for depth, text in enumerate(["snowy", "at night", "by the water"], start=1):
        job_id = post(client, {"kind": "edit", "inputs": {"artwork": artwork.pk, "text": text}}).json()["id"]
        child = run(job_pk(job_id)).artwork
        assert child.parent == artwork and child.pk > artwork.pk  # a parent is always older: no cycle
        artwork = child
    chain, node = [], artwork
    while node is not None:
        chain.append(node.inputs.get("text"))
        node = node.parent
    assert chain == ["by the water", "at night", "snowy", None]
    page = client.get(artwork.get_absolute_url()).content.decode()
    assert '<q class="lineage-text">at night</q>' in page and '<q class="lineage-text">by the water</q>' in page


def test_frames_between_two_texts_make_one_strip(client, source):
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "a sunny day",
                                                        "text_to": "at night", "frames": 5}, "seed": 3})
    assert response.status_code == 202
    job = edits().get()
    assert job.inputs == {"artwork": source.pk, "text": "a sunny day", "text_to": "at night", "frames": 5}
    artwork = run(job.pk).artwork
    strip = Image.open(io.BytesIO(artwork.image.read()))
    assert strip.size == (5 * 16, 16) and artwork.parent == source
    frames = [strip.crop((16 * i, 0, 16 * i + 16, 16)).tobytes() for i in range(5)]
    assert len(set(frames)) > 1


def test_frames_default_to_eight(client, source):
    post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "day", "text_to": "night"}})
    assert edits().get().inputs["frames"] == 8


TOO_LONG = "x" * (EDIT_TEXT_MAX + 1)


@pytest.mark.parametrize("inputs, field, message", [
    ({"text": ""}, "text", errors.TEXT_EMPTY),
    ({"text": " \t "}, "text", errors.TEXT_CONTROL_CHARACTERS),
    ({"text": "   "}, "text", errors.TEXT_EMPTY),
    ({"text": TOO_LONG}, "text", errors.TEXT_TOO_LONG.format(length=EDIT_TEXT_MAX + 1, max=EDIT_TEXT_MAX)),
    ({"text": "snow\udc80"}, "text", errors.TEXT_NOT_UTF8),
    ({"text": "bell\x07"}, "text", errors.TEXT_CONTROL_CHARACTERS),
    ({"text": "two\nlines"}, "text", errors.TEXT_CONTROL_CHARACTERS),
    ({"text": 7}, "text", errors.TEXT_REQUIRED.format(type="an integer")),
    ({"n": 0}, "n", errors.EDIT_COUNT_RANGE.format(max=EDIT_COUNT_MAX)),
    ({"n": EDIT_COUNT_MAX + 1}, "n", errors.EDIT_COUNT_RANGE.format(max=EDIT_COUNT_MAX)),
    ({"n": "2"}, "n", api.INTEGER_REQUIRED.format(type="a string")),
    ({"text_to": "night", "frames": EDIT_FRAMES_MIN - 1}, "frames",
     errors.EDIT_FRAMES_RANGE.format(min=EDIT_FRAMES_MIN, max=EDIT_FRAMES_MAX)),
    ({"text_to": "night", "frames": EDIT_FRAMES_MAX + 1}, "frames",
     errors.EDIT_FRAMES_RANGE.format(min=EDIT_FRAMES_MIN, max=EDIT_FRAMES_MAX)),
    ({"frames": 4}, "frames", errors.EDIT_FRAMES_NEED_TWO_TEXTS),
    ({"text_to": "night", "n": 2}, "n", errors.EDIT_ONE_INTERPOLATION),
    ({"text_to": ""}, "text_to", errors.TEXT_EMPTY),
    ({"artwork": 999999}, "artwork", ARTWORK_UNKNOWN.format(artwork_id=999999)),
    ({"artwork": 0}, "artwork", ARTWORK_UNKNOWN.format(artwork_id=0)),
    ({"seed_": 1}, "seed_", api.FIELD_UNKNOWN),
])
def test_bad_inputs_are_refused_naming_the_field_and_nothing_is_written(client, source, inputs, field, message):
    artworks = Artwork.objects.count()
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "snowy", **inputs}})
    assert response.status_code == 400
    assert response.json() == {"inputs": {field: [message]}}
    assert edits().count() == 0 and Artwork.objects.count() == artworks


def test_text_bytes_that_are_not_utf8_are_refused_naming_the_field(client, source):
    body = b'{"kind": "edit", "inputs": {"artwork": %d, "text": "caf\xe9 at night"}}' % source.pk
    response = post(client, body)
    assert response.status_code == 400 and response.json() == {"inputs": {"text": [errors.TEXT_NOT_UTF8]}}
    assert edits().count() == 0


def test_a_hidden_artwork_cannot_be_edited(client, source):
    Artwork.objects.filter(pk=source.pk).update(hidden=True)
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "snowy"}})
    assert response.status_code == 400
    assert response.json() == {"inputs": {"artwork": [ARTWORK_UNKNOWN.format(artwork_id=source.pk)]}}
    assert edits().count() == 0


def test_a_text_of_exactly_the_limit_is_accepted(client, source):
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "y" * EDIT_TEXT_MAX, "n": 8}})
    assert response.status_code == 202 and len(response.json()["jobs"]) == 8


def test_without_an_active_edit_model_nothing_is_written(client, place_model, cities, enqueued):
    source = artwork_paint(seed=1, city=cities["Tromsø"])
    response = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "snowy"}})
    assert response.status_code == 503
    assert response.json()["kind"] == [generation_errors.NO_ACTIVE_MODEL.format(kind="edit")]
    assert edits().count() == 0


def test_an_edit_model_registers_with_a_grid_of_a_rendered_source_edited_by_each_sample_text(edit_model):
    from ml.train.edit import SAMPLE_TEXTS

    grid = Image.open(edit_model.sample_grid)
    gap = 1  # 16 // 16
    assert grid.size == (gap + (16 + gap) * len(SAMPLE_TEXTS), gap + (16 + gap) * 4)  # 4 seeds, one row each
    assert edit_model.validation_status == "passed"


def test_an_edit_is_painted_again_to_the_same_bytes_from_its_source(client, source):
    job_id = post(client, {"kind": "edit", "inputs": {"artwork": source.pk, "text": "foggy"}, "seed": 9}).json()["id"]
    edit = run(job_pk(job_id)).artwork
    again = run(job_services.artwork_regenerate(artwork=edit).pk)
    assert again.verification["identical"] and again.artwork == edit
    assert Artwork.objects.filter(kind="edit").count() == 1  # painting again makes no second artwork
