"""Writes of the generation app: jobs from request to artwork, and the model registry."""
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from generation import errors
from generation.models import Job, ModelVersion
from generation.selectors import job_find_reusable, model_version_active

logger = logging.getLogger(__name__)

# Drawn seeds stay below 2**53 so that browsers read them exactly (JSON numbers are doubles in
# JavaScript); a client may still ask for any seed up to 2**63 - 1.
DRAWN_SEED_LIMIT = 2**53


class NoActiveModelError(Exception):
    def __init__(self, kind: str):
        super().__init__(errors.NO_ACTIVE_MODEL.format(kind=kind))
        self.kind = kind


@dataclass(frozen=True)
class JobRequest:
    job: Job
    reused: bool  # an identical request was already queued, running or done


def request_key(*, kind: str, model_sha256: str, inputs: dict, seed: int) -> str:
    canonical = json.dumps(
        {"kind": kind, "model": model_sha256, "inputs": inputs, "seed": seed}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_place_inputs(inputs: dict) -> dict:
    """A city request is stored with the city's coordinates, so the worker needs no lookup."""
    if "city" in inputs:
        from gallery.models import City

        city = City.objects.get(pk=inputs["city"])
        return {"city": city.pk, "lat": city.lat, "lon": city.lon}
    return {"lat": round(inputs["lat"], 6), "lon": round(inputs["lon"], 6)}


CANONICAL_INPUTS = {"place": _canonical_place_inputs}


def job_create(*, kind: str, inputs: dict, seed: int | None = None) -> JobRequest:
    """Write a job for validated inputs and queue it once the row is committed.

    An identical request (same active model, inputs and seed) gets the existing job back.
    """
    model_version = model_version_active(kind=kind)
    if model_version is None:
        raise NoActiveModelError(kind)
    if seed is None:
        seed = secrets.randbelow(DRAWN_SEED_LIMIT)
    inputs = CANONICAL_INPUTS[kind](inputs)
    key = request_key(kind=kind, model_sha256=model_version.sha256, inputs=inputs, seed=seed)
    if existing := job_find_reusable(request_key=key):
        return JobRequest(job=existing, reused=True)

    from gallery.selectors import artwork_find

    with transaction.atomic():
        job = Job.objects.create(kind=kind, inputs=inputs, seed=seed, model_version=model_version, request_key=key)
        if artwork := artwork_find(request_key=key):
            _job_finish(job, artwork=artwork)
            return JobRequest(job=job, reused=True)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return JobRequest(job=job, reused=False)


def _enqueue(job_id: int) -> None:
    from generation.tasks import run_job

    run_job.delay(job_id)


def job_run(*, job_id: int) -> None:
    """Run a job on this worker. Safe to run twice: a request makes at most one artwork."""
    job = Job.objects.select_related("model_version").get(pk=job_id)
    if job.status in (Job.Status.DONE, Job.Status.CANCELLED, Job.Status.FAILED):
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started=timezone.now(), attempts=job.attempts + 1, progress=5
    )
    try:
        artwork = _generate(job)
    except SoftTimeLimitExceeded:
        job_fail(job_id=job.pk, error=errors.JOB_TIMED_OUT)
    except Exception as error:  # noqa: BLE001 - any failure of the model is the job's, shown to the user
        logger.exception("job %s failed", job.pk)
        job_fail(job_id=job.pk, error=errors.JOB_FAILED.format(error=error))
    else:
        _job_finish(job, artwork=artwork)


def _generate(job: Job):
    from gallery.models import City
    from gallery.selectors import artwork_find, city_nearest
    from gallery.services import artwork_create
    from generation.pipeline_cache import pipeline_for

    if artwork := artwork_find(request_key=job.request_key):
        return artwork
    progress = _ProgressWriter(job.pk, start=10, end=90)
    pipeline = pipeline_for(job.model_version)
    progress(0.0)
    (image,) = pipeline.generate([job.inputs], [job.seed], progress=progress)
    progress(1.0)
    lat, lon = job.inputs.get("lat"), job.inputs.get("lon")
    if "city" in job.inputs:
        city = City.objects.filter(pk=job.inputs["city"]).first()
    else:
        city = city_nearest(lat=lat, lon=lon) if lat is not None else None
    return artwork_create(
        kind=job.kind, image=image, inputs=job.inputs, seed=job.seed, model_version=job.model_version,
        request_key=job.request_key, city=city, lat=lat, lon=lon,
        thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE,
    )


class _ProgressWriter:
    """Maps a pipeline's 0..1 progress to the job's percent range, writing at most twice a second."""

    def __init__(self, job_id: int, *, start: int, end: int):
        self.job_id, self.start, self.end, self.last_write = job_id, start, end, 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last_write < 0.5 and fraction < 1.0:
            return
        self.last_write = now
        percent = int(self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0))
        Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(progress=percent)


def _job_finish(job: Job, *, artwork) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, progress=100, artwork=artwork, error="", finished=timezone.now()
    )
    job.refresh_from_db()


def job_fail(*, job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.DONE).update(
        status=Job.Status.FAILED, error=error[:2000], finished=timezone.now()
    )


class ModelRegistrationError(Exception):
    pass


def model_version_register(*, folder: str | Path, name: str | None = None, activate: bool = False) -> ModelVersion:
    """Validate a model folder by loading it, then record it (once per weights) in the registry."""
    from ml import modelfolder, pipelines

    folder = Path(folder).resolve()
    try:
        pipeline = pipelines.load(folder)
    except modelfolder.ModelFolderError as error:
        raise ModelRegistrationError(str(error)) from error
    kind = pipeline.kind
    version, _ = ModelVersion.objects.update_or_create(
        kind=kind,
        sha256=pipeline.sha256,
        defaults={"name": name or folder.name, "folder": str(folder), "config": pipeline.config},
    )
    if activate:
        model_version_activate(model_version=version)
    return version


def model_version_activate(*, model_version: ModelVersion) -> ModelVersion:
    """Make this version the one that serves its kind; the previous one stays registered."""
    with transaction.atomic():
        ModelVersion.objects.filter(kind=model_version.kind, is_active=True).exclude(pk=model_version.pk).update(
            is_active=False
        )
        ModelVersion.objects.filter(pk=model_version.pk).update(is_active=True)
    model_version.refresh_from_db()
    return model_version
