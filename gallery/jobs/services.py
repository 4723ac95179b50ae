"""Jobs from request to artwork: ask for one (or n edits), for variations or an exact
regeneration of an artwork, and run one on a worker, storing what it paints as artworks."""
import hashlib
import io
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from PIL import Image

from gallery.jobs import errors
from gallery.models import Artwork, City, Region
from gallery.jobs.composition import composition_generate, composition_paint
from gallery.selectors import artwork_find, city_nearest, city_of_place, region_find
from gallery.services import (EARLIER_PNG_COMPRESS_LEVEL, PROVENANCE_KEY, artwork_create, provenance_png,
                              region_create)
from generation import errors as generation_errors
from generation import regions
from generation.models import Job, Kind
from generation.selectors import job_find_reusable, model_versions_active
from generation.services import (
    DRAWN_SEED_LIMIT, SEED_LIMIT, NoActiveModelError, job_add, job_batch_claim, job_batchable, job_fail, job_finish,
    job_paint, job_start, job_upsample, job_views_paint, jobs_paint, request_key, view_seed,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ModelFolderGoneError(Exception):
    pass


@dataclass(frozen=True)
class JobRequest:
    job: Job
    reused: bool  # an identical request was already queued, running or done


def _canonical_place_inputs(inputs: dict, digits: int = 6) -> dict:
    """A city request is stored with the city's coordinates, so the worker needs no lookup."""
    if "city" in inputs:
        city = City.objects.get(pk=inputs["city"])
        return {"city": city.pk, "lat": city.lat, "lon": city.lon}
    return {"lat": round(inputs["lat"], digits), "lon": round(inputs["lon"], digits)}


def compose_background_canonical(background: dict) -> dict:
    """A composed scene's background: a place, its point rounded to 4 decimals as the boxes are."""
    return _canonical_place_inputs(background, digits=4)


def _canonical_ground_inputs(inputs: dict) -> dict:
    """A region is stored with the spots to paint, so the worker needs no geometry code. An
    artwork's own inputs {"lat", "lon"} (a variation of one view) are a point."""
    if "region" in inputs:
        region = regions.region_parse(inputs["region"])
        return {"region": region.geometry, "area_km2": round(region.area_km2, 3), "spots": regions.region_spots(region)}
    point = inputs.get("point", inputs)
    spot = {"lat": round(point["lat"], 6), "lon": round(point["lon"], 6)}
    return {"point": spot, "spots": [spot]}


def _canonical_edit_inputs(inputs: dict) -> dict:
    """One job paints one picture: `n` becomes n jobs (see `jobs_create`), not part of a job."""
    return {key: inputs[key] for key in ("artwork", "text", "text_to", "frames") if key in inputs}


def _canonical_compose_inputs(inputs: dict) -> dict:
    """Validation made the objects canonical (`gallery.jobs.compose_inputs`); the background too,
    so stored inputs (a variation's) come back unchanged."""
    canonical = {"background": compose_background_canonical(inputs["background"]), "objects": inputs["objects"]}
    if "base" in inputs:
        canonical["base"] = {"artwork": inputs["base"]["artwork"], "object": inputs["base"]["object"]}
    return canonical


CANONICAL_INPUTS = {"place": _canonical_place_inputs, "ground": _canonical_ground_inputs,
                    "edit": _canonical_edit_inputs, "compose": _canonical_compose_inputs}


def jobs_create(*, kind: str, inputs: dict, seed: int | None = None, session_key: str = "", user=None
                ) -> list[JobRequest]:
    """The jobs of one request: one, or for an edit `n` jobs whose artworks become the source
    artwork's children (seeds seed, seed + 1, ... when a seed is given, else drawn)."""
    if kind == "compose" and "base" in inputs:  # a change of one object: the base's model and seed
        base = Artwork.objects.select_related("model_version").get(pk=inputs["base"]["artwork"])
        return [job_create(kind=kind, inputs=inputs, seed=base.seed, parent=base, model_version=base.model_version,
                           session_key=session_key, user=user)]
    if kind != "edit":
        return [job_create(kind=kind, inputs=inputs, seed=seed, session_key=session_key, user=user)]
    source = Artwork.objects.get(pk=inputs["artwork"])
    count = inputs.get("n", 1)
    with transaction.atomic():
        return [
            job_create(kind=kind, inputs=inputs, seed=None if seed is None else (seed + index) % (SEED_LIMIT + 1),
                       parent=source, session_key=session_key, user=user)
            for index in range(count)
        ]


def job_create(
    *, kind: str, inputs: dict, seed: int | None = None, parent: Artwork | None = None, session_key: str = "",
    user=None, model_version=None,
) -> JobRequest:
    """Write a job for validated inputs and queue it once the row is committed.

    An identical request (same active model and upsampler, inputs and seed) gets the existing job
    back, or a job done at once with the artwork (or region) it already made.
    `parent` is the artwork a variation derives from; `session_key` and `user` say who asked;
    `model_version` paints it instead of the active one (a change of one object of an artwork).
    """
    active = model_versions_active(kinds=[kind, Kind.UPSAMPLE])
    model_version = model_version or active.get(kind)
    if model_version is None:
        raise NoActiveModelError(kind)
    upsampler = active.get(Kind.UPSAMPLE)
    if seed is None:
        seed = secrets.randbelow(DRAWN_SEED_LIMIT)
    inputs = CANONICAL_INPUTS[kind](inputs)
    key = request_key(kind=kind, model_sha256=model_version.sha256, inputs=inputs, seed=seed,
                      upsampler_sha256=upsampler.sha256 if upsampler else "")
    if existing := job_find_reusable(request_key=key):
        return JobRequest(job=existing, reused=True)
    artwork = artwork_find(request_key=key)
    region = None if artwork else region_find(request_key=key)
    if region is not None:
        artwork = region.artworks.order_by("pk").first()
    job = job_add(kind=kind, inputs=inputs, seed=seed, model_version=model_version, request_key=key, parent=parent,
                  session_key=session_key, user=user, artwork=artwork, region=region, upsampler=upsampler)
    return JobRequest(job=job, reused=artwork is not None)


def artwork_variations_create(*, artwork: Artwork, count: int, session_key: str = "", user=None) -> list[Job]:
    """`count` jobs with the artwork's kind and inputs and new drawn seeds, painted by the active
    model of that kind; their artworks become its children."""
    with transaction.atomic():
        return [
            job_create(kind=artwork.kind, inputs=_variation_inputs(artwork), parent=artwork, session_key=session_key,
                       user=user).job
            for _ in range(count)
        ]


def _variation_inputs(artwork: Artwork) -> dict:
    """A variation paints the artwork's inputs anew: a changed composition as a whole scene, since
    another seed keeps nothing of its base."""
    return {key: value for key, value in artwork.inputs.items() if key != "base"}


def artwork_regenerate(*, artwork: Artwork, session_key: str = "", user=None) -> Job:
    """A job that paints the artwork's exact request again (same model version and upsampler,
    inputs and seed) and records whether the bytes match; it makes no second artwork."""
    for version in filter(None, (artwork.model_version, artwork.upsampler)):
        if not Path(version.folder).is_dir():
            raise ModelFolderGoneError(errors.MODEL_FOLDER_GONE.format(name=version.name, folder=version.folder))
    return job_add(
        kind=artwork.kind, inputs=artwork.inputs, seed=artwork.seed, model_version=artwork.model_version,
        request_key=artwork.request_key, purpose=Job.Purpose.REGENERATE, parent=artwork,
        session_key=session_key, user=user, upsampler=artwork.upsampler,
    )


def job_run(*, job_id: int, worker: str = "") -> None:
    """Run a job on this worker (`worker`: its host name), with the other jobs waiting for the
    same model when it can be batched (`_run_batch`). Safe to run twice: a request makes at most
    one artwork, and a job running on a live worker is not started a second time."""
    job = job_start(job_id=job_id, worker=worker)
    if job is None:
        return
    if job_batchable(job=job):
        _run_batch(job, worker)
    elif (result := _attempt([job], lambda: _run_alone(job))) is not None:
        job_finish(job=job, **result)


def _run_alone(job: Job) -> dict:
    """What one job that is not batched becomes: job_finish's artwork, verification and region."""
    if job.purpose == Job.Purpose.REGENERATE:
        artwork, verification = _regenerate(job)
        return {"artwork": artwork, "verification": verification}
    if job.kind == "ground":
        region = _generate_region(job)
        return {"artwork": region.artworks.order_by("pk").first(), "region": region}
    if job.kind == "compose":
        return {"artwork": composition_generate(job=job)}
    return {"artwork": _generate(job)}


def _run_batch(lead: Job, worker: str) -> None:
    """Paint `lead` with up to GENERATION_BATCH_SIZE - 1 other waiting jobs of its kind, model and
    upsampler in one batch (waiting GENERATION_BATCH_WAIT_MS once for more when it is not full),
    then store and finish each job as its artwork is stored. A job whose artwork is already stored
    (an earlier delivery) is finished with it and not painted again. Whatever fails, fails only the
    jobs it concerns: an edit whose source cannot be read, a job the batch cannot paint (`_paint_jobs`),
    an artwork that cannot be stored."""
    size = settings.GENERATION_BATCH_SIZE
    jobs = [lead, *job_batch_claim(lead=lead, worker=worker, limit=size - 1)]
    if len(jobs) < size and settings.GENERATION_BATCH_WAIT_MS > 0:
        time.sleep(settings.GENERATION_BATCH_WAIT_MS / 1000)
        jobs += job_batch_claim(lead=lead, worker=worker, limit=size - len(jobs))
    to_paint = []
    for job in jobs:
        if artwork := artwork_find(request_key=job.request_key):
            job_finish(job=job, artwork=artwork)
        elif job.kind != "edit":
            to_paint.append((job, None))
        elif (source := _attempt([job], lambda: _source_picture(job))) is not None:
            to_paint.append((job, source))
    for job, (image, upsampled) in _paint_jobs(to_paint):
        if (artwork := _attempt([job], lambda: _store(job, image, upsampled))) is not None:
            job_finish(job=job, artwork=artwork)


def _paint_jobs(to_paint: list[tuple[Job, Image.Image | None]]) -> list[tuple[Job, tuple]]:
    """Each job painted from its source (an edit's) by `_paint_batch`: all in one batch, or when
    that raises, one by one, so that a job the model cannot paint fails alone and the others are
    painted all the same (with the same bytes: a picture does not depend on its batch). Running
    out of time fails every job not yet painted."""
    if len(to_paint) > 1:
        jobs = [job for job, _ in to_paint]
        try:
            return list(zip(jobs, _paint_batch(jobs, [source for _, source in to_paint])))
        except SoftTimeLimitExceeded as exc:
            _jobs_fail(jobs, exc)
            return []
        except Exception:  # noqa: BLE001 - which job it was is found by painting them one by one
            logger.exception("the batch of jobs %s failed; painting them one by one", [job.pk for job in jobs])
    painted = []
    for index, (job, source) in enumerate(to_paint):
        try:
            (picture,) = _paint_batch([job], [source])
        except SoftTimeLimitExceeded as exc:
            _jobs_fail([job for job, _ in to_paint[index:]], exc)
            break
        except Exception as exc:  # noqa: BLE001
            _jobs_fail([job], exc)
        else:
            painted.append((job, picture))
    return painted


def _attempt(jobs: list[Job], work: Callable[[], T]) -> T | None:
    """What `work()` returns; when it raises, None, with each of `jobs` failed with the reason
    (any failure of the model is the job's, shown to the visitor)."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001
        _jobs_fail(jobs, exc)
        return None


def _jobs_fail(jobs: list[Job], exc: Exception) -> None:
    """Fail each of `jobs` with the reason `exc` gives: its time limit, or what went wrong."""
    if isinstance(exc, SoftTimeLimitExceeded):
        error = generation_errors.JOB_TIMED_OUT
    else:
        logger.error("jobs %s failed", [job.pk for job in jobs], exc_info=exc)
        error = generation_errors.JOB_FAILED.format(error=exc)
    for job in jobs:
        job_fail(job_id=job.pk, error=error)


def _source_picture(job: Job) -> Image.Image:
    """The native picture of the artwork an edit starts from (the size the model works at)."""
    source = Artwork.objects.filter(pk=job.inputs["artwork"]).first()
    if source is None:
        raise ValueError(errors.EDIT_SOURCE_GONE)
    with source.native_picture.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def _paint_batch(jobs: list[Job], sources: list[Image.Image | None]) -> list[tuple[Image.Image, Image.Image | None]]:
    """Each job's picture, painted in one batch (an edit's from its source, in order), with its
    enlargement by the jobs' upsampler."""
    pictures = jobs_paint(jobs=jobs, sources=sources if jobs[0].kind == "edit" else None)
    return list(zip(pictures, _enlarged(jobs[0], pictures)))


def _paint(job: Job) -> Image.Image:
    """The job's picture as its model paints it; an edit's starts from its source artwork's
    native picture."""
    if job.kind == "compose":
        return composition_paint(job=job).steps[-1]
    return job_paint(job=job, source=_source_picture(job) if job.kind == "edit" else None)


def _enlarged(job: Job, pictures: list[Image.Image]) -> list[Image.Image | None]:
    """Each painted picture enlarged by the job's upsampler; Nones when it has none."""
    return job_upsample(job=job, pictures=pictures) or [None] * len(pictures)


def _generate(job: Job) -> Artwork:
    if artwork := artwork_find(request_key=job.request_key):
        return artwork
    image = _paint(job)
    (upsampled,) = _enlarged(job, [image])
    return _store(job, image, upsampled)


def _store(job: Job, image: Image.Image, upsampled: Image.Image | None) -> Artwork:
    """The job's painted picture stored as its artwork, at the place it shows."""
    lat, lon = job.inputs.get("lat"), job.inputs.get("lon")
    if job.kind == "edit":  # an edit shows the place its source shows
        source = Artwork.objects.select_related("city").get(pk=job.inputs["artwork"])
        city, lat, lon = source.city, source.lat, source.lon
    else:
        city = city_of_place(place=job.inputs)
    return artwork_create(
        kind=job.kind, image=image, inputs=job.inputs, seed=job.seed, model_version=job.model_version,
        request_key=job.request_key, city=city, lat=lat, lon=lon, parent=job.parent,
        thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE, upsampled=upsampled, upsampler=job.upsampler,
    )


def _generate_region(job: Job) -> Region:
    """Paint the ground view of each spot of the job and store them as artworks of one Region
    with the land use they were read as. Idempotent: views and the region already stored by an
    earlier delivery are kept."""
    if region := region_find(request_key=job.request_key):
        return region
    spots = job.inputs["spots"]
    views = job_views_paint(job=job)
    enlarged = _enlarged(job, [view.image for view in views])
    artworks = []
    for index, (spot, view, upsampled) in enumerate(zip(spots, views, enlarged)):
        key = hashlib.sha256(f"{job.request_key}:view:{index}".encode()).hexdigest()
        artworks.append(artwork_find(request_key=key) or artwork_create(
            kind=job.kind, image=view.image, inputs=spot, seed=view_seed(job.seed, index),
            model_version=job.model_version, request_key=key, city=city_nearest(lat=spot["lat"], lon=spot["lon"]),
            lat=spot["lat"], lon=spot["lon"], parent=job.parent, thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE,
            upsampled=upsampled, upsampler=job.upsampler,
        ))
    geometry = job.inputs.get("region") or {"type": "Point", "coordinates": [spots[0]["lon"], spots[0]["lat"]]}
    return region_create(
        geometry=geometry, spots=spots, area_km2=job.inputs.get("area_km2"),
        land_use=land_use_reading([view.land_use_probabilities for view in views]),
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
    """Paint the parent artwork again (and enlarge it with the same upsampler) and compare the
    shown PNG's bytes, encoded with its stored provenance."""
    artwork = job.parent
    if artwork is None:
        raise ValueError(errors.REGENERATE_SOURCE_GONE)
    image = _paint(job)
    (upsampled,) = _enlarged(job, [image])
    with artwork.image.open("rb") as handle:
        stored = handle.read()
    provenance = json.loads(Image.open(io.BytesIO(stored)).text[PROVENANCE_KEY])
    picture = image if upsampled is None else upsampled
    fresh = provenance_png(picture, provenance)
    if fresh != stored:  # stored before PNGs were written at zlib level 1?
        earlier = provenance_png(picture, provenance, compress_level=EARLIER_PNG_COMPRESS_LEVEL)
        fresh = earlier if earlier == stored else fresh
    stored_sha256, new_sha256 = hashlib.sha256(stored).hexdigest(), hashlib.sha256(fresh).hexdigest()
    return artwork, {"identical": stored_sha256 == new_sha256, "sha256_stored": stored_sha256, "sha256_new": new_sha256}
