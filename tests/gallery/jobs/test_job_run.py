import io
import json
import shutil

import pytest
from PIL import Image

from gallery.jobs import services as job_services
from gallery.models import Artwork
from gallery.services import PROVENANCE_KEY
from generation import errors as generation_errors
from generation.models import Job


def make_job(**inputs):
    return job_services.job_create(kind="place", inputs=inputs or {"lat": 69.65, "lon": 18.96}, seed=11).job


def provenance_of(artwork):
    with artwork.image.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image, json.loads(image.text[PROVENANCE_KEY])


@pytest.fixture(autouse=True)
def no_broker(enqueued):
    """These tests run jobs here, by calling the service."""


def test_a_job_stores_its_picture_with_provenance(place_model, cities):
    job = make_job(city=3133880)
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("done", 100, "")
    artwork = job.artwork
    assert (artwork.city.name, artwork.seed, artwork.model_sha256) == ("Tromsø", 11, place_model.sha256)
    image, provenance = provenance_of(artwork)
    assert image.size == (16, 16) and image.mode == "RGB"
    assert provenance == {
        "kind": "place",
        "inputs": {"city": 3133880, "lat": 69.6489, "lon": 18.95508},
        "seed": 11,
        "model": {"name": "tiny-place", "id": place_model.pk, "sha256": place_model.sha256},
        "parent": None,
    }
    assert artwork.thumbnail.storage.exists(artwork.thumbnail.name)


def test_a_point_gets_its_nearest_city(place_model, cities):
    job = make_job(lat=51.76, lon=-1.26)
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.artwork.city.name == "Oxford"


def test_provenance_is_enough_to_paint_the_same_picture_again(place_model, tiny_place_model):
    from ml import pipelines

    job = make_job()
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    stored, provenance = provenance_of(job.artwork)
    pipeline = pipelines.load(tiny_place_model)
    assert pipeline.sha256 == provenance["model"]["sha256"]
    (again,) = pipeline.generate([provenance["inputs"]], [provenance["seed"]])
    assert again.tobytes() == stored.convert("RGB").tobytes()


def test_running_a_job_twice_makes_one_artwork(place_model):
    job = make_job()
    job_services.job_run(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)  # as if redelivered after a crash
    job_services.job_run(job_id=job.pk)
    assert Artwork.objects.count() == 1
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2


def test_a_redelivered_job_that_died_while_running_is_finished(place_model):
    job = make_job()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=40)
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.artwork is not None


def test_an_identical_request_after_completion_returns_the_artwork(place_model):
    job = make_job()
    job_services.job_run(job_id=job.pk)
    again = job_services.job_create(kind="place", inputs={"lat": 69.65, "lon": 18.96}, seed=11)
    assert again.reused and again.job.artwork_id == Job.objects.get(pk=job.pk).artwork_id


def test_a_model_that_cannot_load_fails_the_job_in_words(place_model):
    shutil.move(place_model.folder, place_model.folder + ".moved")
    try:
        job = make_job()
        job_services.job_run(job_id=job.pk)
    finally:
        shutil.move(place_model.folder + ".moved", place_model.folder)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith(generation_errors.JOB_FAILED.format(error=""))
    assert "config.json" in job.error or "not found" in job.error.lower() or "missing" in job.error.lower()
    assert Artwork.objects.count() == 0


def test_places_where_cities_share_their_coordinates_are_painted_with_one_city(place_model, tied_cities):
    for group in tied_cities:
        job = make_job(lat=group[0].lat, lon=group[0].lon)
        job_services.job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "done", job.error
        assert job.artwork.city == min(group, key=lambda city: (-city.population, city.pk))
