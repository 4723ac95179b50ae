"""Jobs from request to artwork: create, run, cancel, retry; variations and regenerations of an artwork."""
import hashlib
import io
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from generation import errors
from generation.models import Job, WorkerSeen
from generation.selectors import job_find_reusable, model_version_active

logger = logging.getLogger(__name__)

# Drawn seeds stay below 2**53 so that browsers read them exactly (JSON numbers are doubles in
# JavaScript); a client may still ask for any seed up to 2**63 - 1.
DRAWN_SEED_LIMIT = 2**53
SEED_LIMIT = 2**63 - 1


class NoActiveModelError(Exception):
    def __init__(self, kind: str):
        super().__init__(errors.NO_ACTIVE_MODEL.format(kind=kind))
        self.kind = kind


class JobStateError(Exception):
    """The job is not in a state that allows what was asked (cancel, retry)."""


class ModelFolderGoneError(Exception):
    pass


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


def _canonical_ground_inputs(inputs: dict) -> dict:
    """A region is stored with the spots to paint, so the worker needs no geometry code. An
    artwork's own inputs {"lat", "lon"} (a variation of one view) are a point."""
    from generation import regions

    if "region" in inputs:
        region = regions.region_parse(inputs["region"])
        return {"region": region.geometry, "area_km2": round(region.area_km2, 3), "spots": regions.region_spots(region)}
    point = inputs.get("point", inputs)
    spot = {"lat": round(point["lat"], 6), "lon": round(point["lon"], 6)}
    return {"point": spot, "spots": [spot]}


def _canonical_edit_inputs(inputs: dict) -> dict:
    """One job paints one picture: `n` becomes n jobs (see `jobs_create`), not part of a job."""
    return {key: inputs[key] for key in ("artwork", "text", "text_to", "frames") if key in inputs}


CANONICAL_INPUTS = {"place": _canonical_place_inputs, "ground": _canonical_ground_inputs,
                    "edit": _canonical_edit_inputs}


def jobs_create(*, kind: str, inputs: dict, seed: int | None = None, session_key: str = "", user=None
                ) -> list[JobRequest]:
    """The jobs of one request: one, or for an edit `n` jobs whose artworks become the source
    artwork's children (seeds seed, seed + 1, ... when a seed is given, else drawn)."""
    if kind != "edit":
        return [job_create(kind=kind, inputs=inputs, seed=seed, session_key=session_key, user=user)]
    from gallery.models import Artwork

    source = Artwork.objects.get(pk=inputs["artwork"])
    count = inputs.get("n", 1)
    with transaction.atomic():
        return [
            job_create(kind=kind, inputs=inputs, seed=None if seed is None else (seed + index) % (SEED_LIMIT + 1),
                       parent=source, session_key=session_key, user=user)
            for index in range(count)
        ]


def job_create(
    *, kind: str, inputs: dict, seed: int | None = None, parent=None, session_key: str = "", user=None
) -> JobRequest:
    """Write a job for validated inputs and queue it once the row is committed.

    An identical request (same active model, inputs and seed) gets the existing job back.
    `parent` is the artwork a variation derives from; `session_key` and `user` say who asked.
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

    from gallery.selectors import artwork_find, region_find

    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, inputs=inputs, seed=seed, model_version=model_version, request_key=key, parent=parent,
            session_key=session_key, user=user,
        )
        if artwork := artwork_find(request_key=key):
            _job_finish(job, artwork=artwork)
            return JobRequest(job=job, reused=True)
        if region := region_find(request_key=key):
            _job_finish(job, artwork=region.artworks.order_by("pk").first(), region=region)
            return JobRequest(job=job, reused=True)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return JobRequest(job=job, reused=False)


def artwork_variations_create(*, artwork, count: int, session_key: str = "", user=None) -> list[Job]:
    """`count` jobs with the artwork's kind and inputs and new drawn seeds, painted by the active
    model of that kind; their artworks become its children."""
    with transaction.atomic():
        return [
            job_create(kind=artwork.kind, inputs=artwork.inputs, parent=artwork, session_key=session_key, user=user).job
            for _ in range(count)
        ]


def artwork_regenerate(*, artwork, session_key: str = "", user=None) -> Job:
    """A job that paints the artwork's exact request again (same model version, inputs and seed)
    and records whether the bytes match; it makes no second artwork."""
    version = artwork.model_version
    if not Path(version.folder).is_dir():
        raise ModelFolderGoneError(errors.MODEL_FOLDER_GONE.format(name=version.name, folder=version.folder))
    with transaction.atomic():
        job = Job.objects.create(
            kind=artwork.kind, inputs=artwork.inputs, seed=artwork.seed, model_version=version,
            request_key=artwork.request_key, purpose=Job.Purpose.REGENERATE, parent=artwork,
            session_key=session_key, user=user,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def job_cancel(*, job_id: int) -> Job:
    """Cancel a queued job; its broker message, if still there, is skipped by the worker."""
    cancelled = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished=timezone.now()
    )
    job = Job.objects.get(pk=job_id)
    if not cancelled:
        raise JobStateError(errors.JOB_NOT_CANCELLABLE.format(status=job.status))
    return job


def job_retry(*, job_id: int) -> Job:
    """Queue a failed job again, at the back of the queue."""
    with transaction.atomic():
        retried = Job.objects.filter(pk=job_id, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED, progress=0, error="", started=None, finished=None, queued_at=timezone.now()
        )
        job = Job.objects.get(pk=job_id)
        if not retried:
            raise JobStateError(errors.JOB_NOT_RETRYABLE.format(status=job.status))
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from generation.tasks import run_job

    run_job.delay(job_id)


def job_run(*, job_id: int) -> None:
    """Run a job on this worker. Safe to run twice: a request makes at most one artwork."""
    # Only a queued job starts, or a running one delivered again after its worker died; a
    # cancelled job whose message was still in the broker is skipped here.
    started = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.RUNNING, started=timezone.now(), attempts=F("attempts") + 1, progress=5
    )
    if not started:
        return
    job = Job.objects.select_related("model_version", "parent").get(pk=job_id)
    verification = region = None
    try:
        if job.purpose == Job.Purpose.REGENERATE:
            artwork, verification = _regenerate(job)
        elif job.kind == "ground":
            region = _generate_region(job)
            artwork = region.artworks.order_by("pk").first()
        else:
            artwork = _generate(job)
    except SoftTimeLimitExceeded:
        job_fail(job_id=job.pk, error=errors.JOB_TIMED_OUT)
    except Exception as error:  # noqa: BLE001 - any failure of the model is the job's, shown to the user
        logger.exception("job %s failed", job.pk)
        job_fail(job_id=job.pk, error=errors.JOB_FAILED.format(error=error))
    else:
        _job_finish(job, artwork=artwork, verification=verification, region=region)


def _paint(job: Job):
    from generation.pipeline_cache import pipeline_for

    progress = _ProgressWriter(job.pk, start=10, end=90)
    pipeline = pipeline_for(job.model_version)
    progress(0.0)
    if job.kind == "edit":
        image = _paint_edit(pipeline, job, progress)
    else:
        (image,) = pipeline.generate([job.inputs], [job.seed], progress=progress)
    progress(1.0)
    return image


def _paint_edit(pipeline, job: Job, progress):
    """The source artwork's picture edited by the text; for two texts, the frames between them
    side by side in one strip (every frame with the job's seed, so they differ by the text only)."""
    from PIL import Image

    from gallery.models import Artwork

    source = Artwork.objects.get(pk=job.inputs["artwork"])
    with source.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read())).convert("RGB")
    item = {"image": picture, "text": job.inputs["text"]}
    if "text_to" not in job.inputs:
        (image,) = pipeline.generate([item], [job.seed], progress=progress)
        return image
    frames = job.inputs["frames"]
    items = [{**item, "text_to": job.inputs["text_to"], "mix": index / (frames - 1)} for index in range(frames)]
    pictures = pipeline.generate(items, [job.seed] * frames, progress=progress)
    strip = Image.new("RGB", (sum(p.width for p in pictures), pictures[0].height))
    for index, frame in enumerate(pictures):
        strip.paste(frame, (index * frame.width, 0))
    return strip


def _generate(job: Job):
    from gallery.models import Artwork, City
    from gallery.selectors import artwork_find, city_nearest
    from gallery.services import artwork_create

    if artwork := artwork_find(request_key=job.request_key):
        return artwork
    image = _paint(job)
    lat, lon = job.inputs.get("lat"), job.inputs.get("lon")
    if job.kind == "edit":  # an edit shows the place its source shows
        source = Artwork.objects.select_related("city").get(pk=job.inputs["artwork"])
        city, lat, lon = source.city, source.lat, source.lon
    elif "city" in job.inputs:
        city = City.objects.filter(pk=job.inputs["city"]).first()
    else:
        city = city_nearest(lat=lat, lon=lon) if lat is not None else None
    return artwork_create(
        kind=job.kind, image=image, inputs=job.inputs, seed=job.seed, model_version=job.model_version,
        request_key=job.request_key, city=city, lat=lat, lon=lon, parent=job.parent,
        thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE,
    )


def view_seed(seed: int, index: int) -> int:
    """The seed of a region's index-th view: the job's seed, then the next ones (wrapping)."""
    return (seed + index) % (2**63)


def _generate_region(job: Job):
    """Paint the ground view of each spot of the job, one after the other, reporting progress
    per view; store them as artworks of one Region with the land use they were read as.
    Idempotent: views and the region already stored by an earlier delivery are kept."""
    from gallery.selectors import artwork_find, city_nearest, region_find
    from gallery.services import artwork_create, region_create
    from generation.pipeline_cache import pipeline_for

    if region := region_find(request_key=job.request_key):
        return region
    pipeline = pipeline_for(job.model_version)
    spots = job.inputs["spots"]
    progress = _ProgressWriter(job.pk, start=10, end=90, interval=0.0)
    artworks, readings = [], []
    for index, spot in enumerate(spots):
        seed = view_seed(job.seed, index)
        key = hashlib.sha256(f"{job.request_key}:view:{index}".encode()).hexdigest()
        (view,) = pipeline.views([spot], [seed])
        readings.append(view.land_use_probabilities)
        artwork = artwork_find(request_key=key) or artwork_create(
            kind=job.kind, image=view.image, inputs=spot, seed=seed, model_version=job.model_version,
            request_key=key, city=city_nearest(lat=spot["lat"], lon=spot["lon"]), lat=spot["lat"], lon=spot["lon"],
            parent=job.parent, thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE,
        )
        artworks.append(artwork)
        progress((index + 1) / len(spots))
    geometry = job.inputs.get("region") or {"type": "Point", "coordinates": [spots[0]["lon"], spots[0]["lat"]]}
    return region_create(
        geometry=geometry, spots=spots, area_km2=job.inputs.get("area_km2"), land_use=land_use_reading(readings),
        seed=job.seed, model_version=job.model_version, request_key=job.request_key, artworks=artworks,
    )


RURAL_LAND_USES = ("village",)  # as ml.models.ground says: the rest of GeoScenes' densities are urban


def land_use_reading(readings: list[dict[str, float]]) -> dict:
    """The region's land use from its views' land-use probabilities: their mean, its most likely
    class, and urban / rural by the share of views read as urban."""
    names = list(readings[0])
    shares = {name: round(sum(r[name] for r in readings) / len(readings), 4) for name in names}
    views = [max(r, key=r.get) for r in readings]
    urban = sum(view not in RURAL_LAND_USES for view in views) / len(views)
    return {"land_use": max(shares, key=shares.get), "urban_rural": "urban" if urban >= 0.5 else "rural",
            "urban_share": round(urban, 4), "shares": shares, "views": views}


def _regenerate(job: Job) -> tuple:
    """Paint the parent artwork again and compare PNG bytes, encoded with its stored provenance."""
    from PIL import Image

    from gallery.services import PROVENANCE_KEY, provenance_png

    artwork = job.parent
    if artwork is None:
        raise ValueError(errors.REGENERATE_SOURCE_GONE)
    image = _paint(job)
    with artwork.image.open("rb") as handle:
        stored = handle.read()
    provenance = json.loads(Image.open(io.BytesIO(stored)).text[PROVENANCE_KEY])
    fresh = provenance_png(image, provenance)
    stored_sha256, new_sha256 = hashlib.sha256(stored).hexdigest(), hashlib.sha256(fresh).hexdigest()
    return artwork, {"identical": stored_sha256 == new_sha256, "sha256_stored": stored_sha256, "sha256_new": new_sha256}


class _ProgressWriter:
    """Maps a pipeline's 0..1 progress to the job's percent range, writing at most twice a second."""

    def __init__(self, job_id: int, *, start: int, end: int, interval: float = 0.5):
        self.job_id, self.start, self.end, self.last_write = job_id, start, end, 0.0
        self.interval = interval

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last_write < self.interval and fraction < 1.0:
            return
        self.last_write = now
        percent = int(self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0))
        Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(progress=percent)


def _job_finish(job: Job, *, artwork, verification: dict | None = None, region=None) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, progress=100, artwork=artwork, error="", verification=verification,
        finished=timezone.now(), region=region,
    )
    job.refresh_from_db()


def job_fail(*, job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status__in=[Job.Status.DONE, Job.Status.CANCELLED]).update(
        status=Job.Status.FAILED, error=error[:2000], finished=timezone.now()
    )


def worker_seen_record(*, hostname: str) -> None:
    """A worker's heartbeat: it was alive just now."""
    WorkerSeen.objects.update_or_create(hostname=hostname[:255], defaults={"last_seen": timezone.now()})
