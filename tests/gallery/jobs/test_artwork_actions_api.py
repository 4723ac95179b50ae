"""An artwork's actions: "more like this" (variations) and "regenerate exactly"."""
import hashlib
import io
import json
import shutil

import pytest
from PIL import Image

from config import api
from gallery.errors import ARTWORK_UNKNOWN
from gallery.jobs import errors
from gallery.jobs import services as job_services
from gallery.jobs.inputs import VARIATIONS_MAX
from gallery.models import Artwork
from gallery.services import EARLIER_PNG_COMPRESS_LEVEL, PROVENANCE_KEY, provenance_png
from generation import errors as generation_errors
from generation import services as generation_services
from generation.models import Job
from tests.conftest import write_tiny_place_model
from tests.gallery.factories import job_pk


@pytest.fixture
def artwork(place_model, cities, enqueued):
    job = job_services.job_create(kind="place", inputs={"city": 2640729}, seed=5).job
    job_services.job_run(job_id=job.pk)
    return Artwork.objects.get()


def post(client, url, body=None):
    return client.post(url, json.dumps(body) if body is not None else "", content_type="application/json")


def test_variations_repeat_the_inputs_with_new_seeds(client, artwork):
    response = post(client, f"/api/artworks/{artwork.pk}/variations", {"count": 3})
    assert response.status_code == 202
    jobs = response.json()["jobs"]
    assert len(jobs) == 3 and all(entry["url"].endswith(f"/api/jobs/{entry['id']}/") for entry in jobs)
    made = Job.objects.filter(public_id__in=[entry["id"] for entry in jobs])
    assert {(job.kind, json.dumps(job.inputs, sort_keys=True), job.parent_id) for job in made} == {
        ("place", json.dumps(artwork.inputs, sort_keys=True), artwork.pk)
    }
    assert len({job.seed for job in made} | {artwork.seed}) == 4
    assert all(job.session_key == client.session.session_key for job in made)


def test_variations_become_children_of_the_artwork(client, artwork):
    jobs = post(client, f"/api/artworks/{artwork.pk}/variations", {"count": 2}).json()["jobs"]
    for entry in jobs:
        job_services.job_run(job_id=job_pk(entry["id"]))
    children = Artwork.objects.filter(parent=artwork)
    assert children.count() == 2
    assert client.get(jobs[0]["url"]).json()["artwork"]["id"] in set(children.values_list("pk", flat=True))


def test_variations_default_to_four(client, artwork):
    without_body = client.generic("POST", f"/api/artworks/{artwork.pk}/variations/")  # as fetch() sends it
    assert without_body.status_code == 202
    assert len(without_body.json()["jobs"]) == 4
    assert len(post(client, f"/api/artworks/{artwork.pk}/variations", {}).json()["jobs"]) == 4


def test_variations_use_the_model_active_now(client, artwork, tmp_path):
    newer = generation_services.model_version_register(folder=write_tiny_place_model(tmp_path / "newer", seed=3), activate=True)
    jobs = post(client, f"/api/artworks/{artwork.pk}/variations", {"count": 1}).json()["jobs"]
    assert jobs[0]["model"]["sha256"] == newer.sha256


COUNT_RANGE = errors.VARIATIONS_COUNT_RANGE.format(max=VARIATIONS_MAX)


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"count": 0}, {"count": [COUNT_RANGE]}),
        ({"count": 9}, {"count": [COUNT_RANGE]}),
        ({"count": "2"}, {"count": [api.INTEGER_REQUIRED.format(type="a string")]}),
        ({"count": 2.5}, {"count": [api.INTEGER_REQUIRED.format(type="a fraction")]}),
        ({"count": 2, "seed": 1}, {"seed": [api.FIELD_UNKNOWN]}),
    ],
)
def test_a_bad_count_is_refused_and_nothing_is_written(client, artwork, body, expected):
    before = Job.objects.count()
    response = post(client, f"/api/artworks/{artwork.pk}/variations", body)
    assert response.status_code == 400
    assert response.json() == expected
    assert Job.objects.count() == before


def test_variations_of_an_unknown_artwork(client, db):
    response = post(client, "/api/artworks/999/variations", {"count": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": ARTWORK_UNKNOWN.format(artwork_id=999)}


def test_variations_without_an_active_model(client, artwork, place_model):
    place_model.__class__.objects.update(is_active=False)
    response = post(client, f"/api/artworks/{artwork.pk}/variations", {"count": 1})
    assert response.status_code == 503
    assert response.json()["kind"] == [generation_errors.NO_ACTIVE_MODEL.format(kind="place")]


def test_regenerate_paints_the_same_bytes_without_a_second_artwork(client, artwork):
    response = client.post(f"/api/artworks/{artwork.pk}/regenerate")
    assert response.status_code == 202
    entry = response.json()["job"]
    job = Job.objects.get(public_id=entry["id"])
    assert (job.purpose, job.seed, job.inputs, job.model_version_id) == (
        "regenerate", artwork.seed, artwork.inputs, artwork.model_version_id
    )
    assert entry["verification"] is None
    job_services.job_run(job_id=job.pk)
    body = client.get(entry["url"]).json()
    assert body["status"] == "done"
    assert body["verification"]["identical"] is True
    assert body["verification"]["sha256_stored"] == body["verification"]["sha256_new"]
    assert (body["artwork"]["id"], body["artwork"]["url"]) == (artwork.pk, f"http://testserver/artworks/{artwork.pk}/")
    assert body["artwork"]["image"].endswith(artwork.image.url)
    assert Artwork.objects.count() == 1


def test_regenerate_finds_the_same_bytes_in_a_png_stored_at_the_earlier_compression_level(client, artwork):
    with artwork.image.open("rb") as handle:
        current = handle.read()
    stored = Image.open(io.BytesIO(current))
    provenance = json.loads(stored.text[PROVENANCE_KEY])
    earlier = provenance_png(stored.convert("RGB"), provenance, compress_level=EARLIER_PNG_COMPRESS_LEVEL)
    assert earlier != current  # the same pixels and provenance, other bytes
    with artwork.image.storage.open(artwork.image.name, "wb") as handle:  # as the site wrote it before
        handle.write(earlier)
    job_id = client.post(f"/api/artworks/{artwork.pk}/regenerate").json()["job"]["id"]
    job_services.job_run(job_id=job_pk(job_id))
    verification = Job.objects.get(public_id=job_id).verification
    assert verification["identical"] is True
    assert verification["sha256_stored"] == verification["sha256_new"] == hashlib.sha256(earlier).hexdigest()


def test_regenerate_reports_different_bytes(client, artwork):
    with artwork.image.open("rb") as handle:
        stored = handle.read()
    with artwork.image.storage.open(artwork.image.name, "wb") as handle:  # as if the file had been altered
        handle.write(stored[:-12] + bytes(12))
    job_id = client.post(f"/api/artworks/{artwork.pk}/regenerate").json()["job"]["id"]
    job_services.job_run(job_id=job_pk(job_id))
    verification = Job.objects.get(public_id=job_id).verification
    assert verification["identical"] is False
    assert verification["sha256_stored"] != verification["sha256_new"]


def test_a_regeneration_is_never_reused_for_a_new_request(client, artwork):
    client.post(f"/api/artworks/{artwork.pk}/regenerate")
    again = job_services.job_create(kind="place", inputs={"city": 2640729}, seed=5)
    assert again.job.purpose == "generate" and again.job.artwork == artwork


def test_regenerate_is_refused_when_the_model_folder_is_gone(client, artwork, place_model):
    shutil.move(place_model.folder, place_model.folder + ".gone")
    try:
        response = client.post(f"/api/artworks/{artwork.pk}/regenerate/")
    finally:
        shutil.move(place_model.folder + ".gone", place_model.folder)
    assert response.status_code == 409
    assert response.json() == {
        "detail": errors.MODEL_FOLDER_GONE.format(name=place_model.name, folder=place_model.folder)
    }
    assert not Job.objects.filter(purpose="regenerate").exists()


def test_regenerate_an_unknown_artwork(client, db):
    response = client.post("/api/artworks/999/regenerate")
    assert response.status_code == 404
