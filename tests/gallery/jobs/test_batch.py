"""A worker paints the jobs waiting for the same model as one batch (gallery.jobs.services.job_run):
each picture is the bytes it would be alone, each job is claimed once, progresses, finishes and
fails on its own, and a batch whose worker dies is recovered job by job."""
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from PIL import Image

from gallery.jobs import errors
from gallery.jobs import services as job_services
from gallery.models import Artwork
from generation import errors as generation_errors
from generation import pipeline_cache, services
from generation.models import Job
from tests.gallery.factories import artwork_paint

PLACES = [(51.75, -1.26), (69.65, 18.96), (31.63, -8.0), (-36.85, 174.76), (-18.14, 178.44), (47.37, 8.55)]


@pytest.fixture(autouse=True)
def no_broker(enqueued):
    """These tests run jobs here, by calling the service."""


def place_job(lat: float, lon: float, seed: int = 3) -> Job:
    return job_services.job_create(kind="place", inputs={"lat": lat, "lon": lon}, seed=seed).job


def stored_bytes(job: Job) -> bytes:
    job.refresh_from_db()
    with job.artwork.image.open("rb") as handle:
        return handle.read()


def test_a_job_painted_in_a_batch_is_the_same_bytes_as_painted_alone(place_model, settings):
    settings.GENERATION_BATCH_SIZE = 1
    alone = place_job(40.42, -3.7, seed=99)
    job_services.job_run(job_id=alone.pk)
    expected = stored_bytes(alone)
    Artwork.objects.all().delete()
    alone.delete()

    settings.GENERATION_BATCH_SIZE = 8
    others = [place_job(lat, lon, seed=index) for index, (lat, lon) in enumerate(PLACES)]
    again = place_job(40.42, -3.7, seed=99)  # fourth of seven in the batch: not a multiple of 4
    others.insert(3, again)
    job_services.job_run(job_id=others[0].pk)

    again.refresh_from_db()
    assert again.batched_with_id == others[0].pk
    assert stored_bytes(again) == expected


def test_a_batch_claims_only_waiting_jobs_of_the_same_model_oldest_first(place_model, tmp_path, settings):
    from tests.conftest import write_tiny_place_model

    settings.GENERATION_BATCH_SIZE = 4
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:5]]
    other_model = services.model_version_register(folder=write_tiny_place_model(tmp_path / "other", seed=5),
                                                  name="other", activate=True)
    foreign = place_job(*PLACES[5])
    services.job_cancel(job_id=jobs[1].pk)

    job_services.job_run(job_id=jobs[0].pk, worker="celery@gpu-1")

    statuses = {job.pk: Job.objects.get(pk=job.pk) for job in [*jobs, foreign]}
    batch = [jobs[0], jobs[2], jobs[3], jobs[4]]  # the cancelled one skipped, then the oldest three
    assert [statuses[job.pk].status for job in batch] == ["done"] * 4
    assert [statuses[job.pk].batched_with_id for job in batch] == [None, *[jobs[0].pk] * 3]
    assert {statuses[job.pk].worker for job in batch} == {"celery@gpu-1"}
    assert statuses[jobs[1].pk].status == "cancelled"
    foreign_job = statuses[foreign.pk]
    assert (foreign_job.status, foreign_job.model_version_id) == ("queued", other_model.pk)
    assert Artwork.objects.count() == 4


def test_the_messages_of_batched_jobs_find_them_done_and_paint_nothing(place_model, settings):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    job_services.job_run(job_id=jobs[0].pk, worker="celery@gpu-1")
    for job in jobs[1:]:  # their own messages, delivered after the batch
        job_services.job_run(job_id=job.pk, worker="celery@gpu-1")
    assert list(Job.objects.order_by("pk").values_list("status", "attempts")) == [("done", 1)] * 3
    assert Artwork.objects.count() == 3


def test_every_job_of_a_batch_shows_its_progress_while_it_paints(place_model, settings, monkeypatch):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    pipeline = pipeline_cache.pipeline_for(place_model)
    seen = []

    def generate(inputs, seeds, progress=None):
        seen.append(list(Job.objects.order_by("pk").values_list("status", "progress")))
        return original(inputs, seeds, progress=progress)

    original = pipeline.generate
    monkeypatch.setattr(pipeline, "generate", generate)
    job_services.job_run(job_id=jobs[0].pk)
    assert seen == [[("running", 10)] * 3]  # one batch, every job of it under way
    assert list(Job.objects.values_list("progress", flat=True)) == [100] * 3


def test_a_batch_that_fails_to_paint_fails_each_job_with_the_reason(place_model, settings, monkeypatch):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    pipeline = pipeline_cache.pipeline_for(place_model)
    monkeypatch.setattr(pipeline, "generate", lambda *args, **kwargs: 1 / 0)
    job_services.job_run(job_id=jobs[0].pk)
    reason = generation_errors.JOB_FAILED.format(error="division by zero")
    assert list(Job.objects.values_list("status", "error")) == [("failed", reason)] * 3


def test_a_job_the_model_cannot_paint_fails_alone_and_the_others_are_painted_as_they_would_be_alone(
    place_model, settings, monkeypatch
):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon, seed=index) for index, (lat, lon) in enumerate(PLACES[:4])]
    pipeline = pipeline_cache.pipeline_for(place_model)
    original = pipeline.generate
    expected = {job.pk: original([job.inputs], [job.seed])[0].tobytes() for job in jobs}
    rejected = jobs[2]

    def generate(inputs, seeds, progress=None):
        if rejected.seed in seeds:
            raise ValueError("an input this model cannot paint")
        return original(inputs, seeds, progress=progress)

    monkeypatch.setattr(pipeline, "generate", generate)
    job_services.job_run(job_id=jobs[0].pk)

    assert [Job.objects.get(pk=job.pk).status for job in jobs] == ["done", "done", "failed", "done"]
    reason = generation_errors.JOB_FAILED.format(error="an input this model cannot paint")
    assert Job.objects.get(pk=rejected.pk).error == reason
    for job in jobs[:2] + jobs[3:]:
        job.refresh_from_db()
        with job.artwork.image.open("rb") as handle:
            assert Image.open(handle).convert("RGB").tobytes() == expected[job.pk]


def test_a_batch_out_of_time_fails_each_job_and_paints_none_again(place_model, settings, monkeypatch):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    pipeline = pipeline_cache.pipeline_for(place_model)
    calls = []

    def generate(inputs, seeds, progress=None):
        calls.append(seeds)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(pipeline, "generate", generate)
    job_services.job_run(job_id=jobs[0].pk)
    assert len(calls) == 1  # the worker must stop: nothing is painted one by one past the time limit
    assert list(Job.objects.values_list("status", "error")) == [("failed", generation_errors.JOB_TIMED_OUT)] * 3


@pytest.fixture
def sources(place_model, edit_model, cities):
    """Three artworks to edit: one that will be deleted, one whose file will be lost, one intact."""
    return [artwork_paint(seed=seed, city=cities[name]) for seed, name in enumerate(["Oxford", "Suva", "Apia"])]


def test_an_edit_whose_source_is_gone_fails_alone_and_the_rest_of_its_batch_is_painted(sources, settings):
    settings.GENERATION_BATCH_SIZE = 8
    deleted, lost, intact = sources
    jobs = [job_services.jobs_create(kind="edit", inputs={"artwork": source.pk, "text": "snowy"}, seed=5)[0].job
            for source in sources]
    deleted.delete()
    lost.native_picture.storage.delete(lost.native_picture.name)

    job_services.job_run(job_id=jobs[0].pk)  # the edit of the deleted artwork leads the batch

    statuses = [Job.objects.get(pk=job.pk) for job in jobs]
    assert [job.status for job in statuses] == ["failed", "failed", "done"]
    assert statuses[0].error == generation_errors.JOB_FAILED.format(error=errors.EDIT_SOURCE_GONE)
    assert statuses[1].error.startswith(generation_errors.JOB_FAILED.format(error="[Errno 2]"))
    assert statuses[2].batched_with_id == jobs[0].pk and statuses[2].artwork.parent == intact


def test_a_job_whose_artwork_cannot_be_stored_fails_alone(place_model, settings, monkeypatch):
    settings.GENERATION_BATCH_SIZE = 8
    jobs = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    create = job_services.artwork_create

    def artwork_create(**fields):
        if fields["request_key"] == jobs[1].request_key:
            raise OSError("disk full")
        return create(**fields)

    monkeypatch.setattr(job_services, "artwork_create", artwork_create)
    job_services.job_run(job_id=jobs[0].pk)
    assert [Job.objects.get(pk=job.pk).status for job in jobs] == ["done", "failed", "done"]
    assert Job.objects.get(pk=jobs[1].pk).error == generation_errors.JOB_FAILED.format(error="disk full")


def test_the_heartbeat_of_a_batch_keeps_every_job_of_it_alive_and_a_dead_batch_is_recovered(place_model, settings):
    settings.GENERATION_BATCH_SIZE = 8
    lead, *others = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    lonely = place_job(*PLACES[3])
    assert services.job_start(job_id=lead.pk, worker="celery@gpu-1") is not None
    assert services.job_batch_claim(lead=lead, worker="celery@gpu-1", limit=2) == others
    services.job_start(job_id=lonely.pk, worker="celery@gpu-2")
    long_ago = timezone.now() - timedelta(seconds=settings.GENERATION_JOB_STALE_S + 1)
    Job.objects.update(heartbeat=long_ago)

    services.worker_heartbeat(hostname="celery@gpu-1", job_ids=[lead.pk])
    assert Job.objects.filter(heartbeat__gt=long_ago).count() == 3  # the lead and the two it claimed
    assert services.jobs_recover().sent == [lonely.pk]

    Job.objects.update(heartbeat=long_ago)  # the worker of the batch died
    recovery = services.jobs_recover()
    assert sorted(recovery.sent) == sorted(job.pk for job in [lead, *others])
    assert set(Job.objects.values_list("status", flat=True)) == {"queued"}


def test_the_jobs_a_dead_worker_claimed_are_recovered_while_their_lead_runs_again_elsewhere(place_model, settings):
    settings.GENERATION_BATCH_SIZE = 8
    lead, *others = [place_job(lat, lon) for lat, lon in PLACES[:3]]
    services.job_start(job_id=lead.pk, worker="celery@gpu-1")
    services.job_batch_claim(lead=lead, worker="celery@gpu-1", limit=2)
    long_ago = timezone.now() - timedelta(seconds=settings.GENERATION_JOB_STALE_S + 1)
    Job.objects.update(heartbeat=long_ago)  # celery@gpu-1 died with its batch
    services.job_retry(job_id=lead.pk)  # an admin retries the lead: celery@gpu-2 runs it
    assert services.job_start(job_id=lead.pk, worker="celery@gpu-2") is not None

    services.worker_heartbeat(hostname="celery@gpu-2", job_ids=[lead.pk])
    assert list(Job.objects.filter(heartbeat__gt=long_ago).values_list("pk", flat=True)) == [lead.pk]
    assert sorted(services.jobs_recover().sent) == sorted(job.pk for job in others)
    assert set(Job.objects.filter(pk__in=[job.pk for job in others]).values_list("status", "batched_with")) == {
        ("queued", None)}
