"""Jobs as the queue sees them: write and queue one, start, finish, fail, cancel or retry it,
and paint its picture with its model version. What a painted job becomes (an artwork of the
gallery) is written by `gallery.jobs.services`, which calls these."""
import hashlib
import json
import time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from generation import errors, queue
from generation.models import Job, WorkerSeen
from generation.selectors import job_stale_q

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


class JobNotSentError(Exception):
    """The broker could not be reached: the job is kept, queued and unsent, and the recovery loop
    (generation.services.recovery) sends it once the broker is back."""

    def __init__(self, job_id: int):
        super().__init__(errors.JOB_NOT_SENT.format(job_id=job_id))
        self.job_id = job_id


def request_key(*, kind: str, model_sha256: str, inputs: dict, seed: int, upsampler_sha256: str = "") -> str:
    """The sha256 of what makes a picture; the upsampler counts only when there is one, so a
    request without one keeps the key it always had."""
    request = {"kind": kind, "model": model_sha256, "inputs": inputs, "seed": seed}
    if upsampler_sha256:
        request["upsampler"] = upsampler_sha256
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def job_add(
    *, kind: str, inputs: dict, seed: int, model_version, request_key: str, purpose: str = Job.Purpose.GENERATE,
    parent=None, session_key: str = "", user=None, artwork=None, region=None, upsampler=None,
) -> Job:
    """Write a job and queue it once the row is committed; given the `artwork` (and `region`)
    that an identical request already made, the job is written done and nothing is queued.
    `parent` is the artwork the job starts from; `session_key` and `user` say who asked;
    `upsampler` is the model version that enlarges what it paints, if any."""
    fields = dict(kind=kind, inputs=inputs, seed=seed, model_version=model_version, request_key=request_key,
                  purpose=purpose, parent=parent, session_key=session_key, user=user, upsampler=upsampler)
    if artwork is not None:
        return Job.objects.create(**fields, status=Job.Status.DONE, progress=100, artwork=artwork, region=region,
                                  finished=timezone.now())
    job = Job.objects.create(**fields)
    transaction.on_commit(partial(job_send, job_id=job.pk))
    return job


def job_send(*, job_id: int) -> None:
    """Hand the job's message to the broker now and record when; JobNotSentError when the broker
    cannot be reached (the job stays queued and unsent)."""
    try:
        queue.send(queue.RUN_JOB, job_id)
    except queue.QueueUnavailableError as error:
        raise JobNotSentError(job_id) from error
    Job.objects.filter(pk=job_id).update(sent_at=timezone.now(), sends=F("sends") + 1)


def job_cancel(*, job_id: int, stale_too: bool = False) -> Job:
    """Cancel a queued job (and with `stale_too`, as staff may, a running one whose worker stopped
    beating); a message still in the broker is skipped by the worker."""
    cancellable = Q(status=Job.Status.QUEUED) | (job_stale_q() if stale_too else Q(pk__in=[]))
    cancelled = Job.objects.filter(cancellable, pk=job_id).update(
        status=Job.Status.CANCELLED, finished=timezone.now()
    )
    job = Job.objects.get(pk=job_id)
    if not cancelled:
        refusal = errors.JOB_NOT_CANCELLABLE_BY_STAFF if stale_too else errors.JOB_NOT_CANCELLABLE
        raise JobStateError(refusal.format(status=job.status))
    return job


def job_retry(*, job_id: int) -> Job:
    """Queue a failed job, or a running one whose worker stopped beating, again at the back of the queue."""
    with transaction.atomic():
        retried = Job.objects.filter(Q(status=Job.Status.FAILED) | job_stale_q(), pk=job_id).update(**queued_again())
        job = Job.objects.get(pk=job_id)
        if not retried:
            raise JobStateError(errors.JOB_NOT_RETRYABLE.format(status=job.status))
        transaction.on_commit(partial(job_send, job_id=job.pk))
    return job


def queued_again() -> dict:
    """The fields of a job put back at the end of the queue, unsent: nothing of its last run is
    kept (worker, heartbeat, progress, stage, error, its batch) but its `attempts` and `sends`,
    which bound how often it is tried."""
    return dict(status=Job.Status.QUEUED, progress=0, stage="", error="", started=None, finished=None, worker="",
                heartbeat=None, batched_with=None, sent_at=None, queued_at=timezone.now())


def job_start(*, job_id: int, worker: str = "") -> Job | None:
    """Mark the job running on `worker` (its host name) and return it; None when it is not to be run.

    A queued job starts; so does a running one whose worker stopped beating, or that this very
    worker had started before it was restarted (delivered again); a job that is running
    elsewhere, done, failed or cancelled is skipped, so a message sent twice paints once."""
    again = job_stale_q() & Q(attempts__lt=settings.GENERATION_JOB_MAX_ATTEMPTS)
    claimable = Q(status=Job.Status.QUEUED) | again | Q(status=Job.Status.RUNNING, worker=worker)
    started = Job.objects.filter(claimable, pk=job_id).update(**_running_on(worker), batched_with=None)
    if not started:
        return None
    return _jobs_run().get(pk=job_id)


def _running_on(worker: str) -> dict:
    """The fields of a job that `worker` starts now."""
    now = timezone.now()
    return dict(status=Job.Status.RUNNING, started=now, heartbeat=now, worker=worker[:255],
                attempts=F("attempts") + 1, progress=5, stage="")


def _jobs_run():
    return Job.objects.select_related("model_version", "upsampler", "parent")


# Kinds whose jobs paint one picture each with `pipeline.generate`, so that several jobs of the
# same model can share one batch (a ground job is already a batch of views; an edit between two
# texts, a strip of frames).
BATCHED_KINDS = ("place", "edit")


def job_batchable(*, job: Job) -> bool:
    """Whether the job may be painted in one batch with others of its model: a new picture of a
    batched kind (a regeneration compares its bytes alone)."""
    return job.purpose == Job.Purpose.GENERATE and job.kind in BATCHED_KINDS and "text_to" not in job.inputs


def job_batch_claim(*, lead: Job, worker: str, limit: int) -> list[Job]:
    """Up to `limit` other queued jobs that paint as `lead` does (same kind, model version and
    upsampler; one picture each), oldest first, claimed as running on `worker` in `lead`'s batch.

    One transaction reads and claims them: on PostgreSQL the rows are locked and those another
    worker has locked are skipped; on SQLite the transaction holds the write lock from its start
    (`transaction_mode` IMMEDIATE). So two workers never claim the same job, and the messages of
    the jobs claimed here find them running (or done) and return (`job_start`). The claim itself
    takes only jobs still queued, so a database that let two workers read the same jobs would
    still give each job to one of them: the jobs returned are those this claim took."""
    if limit < 1 or not job_batchable(job=lead):
        return []
    waiting = Job.objects.filter(
        status=Job.Status.QUEUED, kind=lead.kind, purpose=Job.Purpose.GENERATE, model_version_id=lead.model_version_id,
        upsampler_id=lead.upsampler_id,
    ).exclude(inputs__has_key="text_to").order_by("queued_at", "pk")
    with transaction.atomic():
        ids = list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        Job.objects.filter(pk__in=ids, status=Job.Status.QUEUED).update(**_running_on(worker), batched_with=lead)
    claimed = _jobs_run().filter(pk__in=ids, status=Job.Status.RUNNING, worker=worker[:255], batched_with=lead)
    return list(claimed.order_by("queued_at", "pk"))


def job_paint(*, job: Job, source=None):
    """The job's picture, painted by its model version. `source` is the picture an edit starts
    from; for two texts, the result is the frames between them side by side in one strip (every
    frame with the job's seed, so they differ by the text only)."""
    from generation.pipeline_cache import pipeline_for

    if "text_to" not in job.inputs:
        (image,) = jobs_paint(jobs=[job], sources=[source])
        return image
    progress = ProgressWriter([job.pk], start=10, end=90)
    progress(0.0)
    image = _frames_strip(pipeline_for(job.model_version), job, source, progress)
    progress(1.0)
    return image


def jobs_paint(*, jobs: list[Job], sources: list | None = None) -> list:
    """The pictures of `jobs` (of one kind and model version, one picture each: `job_batchable`),
    painted as one batch; `sources` are the pictures edits start from, in order. The pipelines pad
    every batch, so each picture is the same bytes whatever else is in its batch. The batch's
    progress is each job's progress."""
    from generation.pipeline_cache import pipeline_for

    progress = ProgressWriter([job.pk for job in jobs], start=10, end=90)
    pipeline = pipeline_for(jobs[0].model_version)
    progress(0.0)
    if jobs[0].kind == "edit":
        items = [{"image": source, "text": job.inputs["text"]} for job, source in zip(jobs, sources, strict=True)]
    else:
        items = [job.inputs for job in jobs]
    pictures = pipeline.generate(items, [job.seed for job in jobs], progress=progress)
    progress(1.0)
    return pictures


def _frames_strip(pipeline, job: Job, source, progress):
    from PIL import Image

    frames = job.inputs["frames"]
    items = [{"image": source, "text": job.inputs["text"], "text_to": job.inputs["text_to"], "mix": index / (frames - 1)}
             for index in range(frames)]
    pictures = pipeline.generate(items, [job.seed] * frames, progress=progress)
    strip = Image.new("RGB", (sum(p.width for p in pictures), pictures[0].height))
    for index, frame in enumerate(pictures):
        strip.paste(frame, (index * frame.width, 0))
    return strip


def job_upsample(*, job: Job, pictures: list) -> list | None:
    """The job's painted pictures enlarged by its upsampler, in order; None when it has none."""
    if job.upsampler is None:
        return None
    from generation.pipeline_cache import pipeline_for

    return pipeline_for(job.upsampler).upsample(pictures)


def view_seed(seed: int, index: int) -> int:
    """The seed of a region's index-th view: the job's seed, then the next ones (wrapping)."""
    return (seed + index) % (2**63)


def job_views_paint(*, job: Job) -> list:
    """The ground views of each spot of the job, one after the other (seeds by `view_seed`),
    reporting progress per view."""
    from generation.pipeline_cache import pipeline_for

    pipeline = pipeline_for(job.model_version)
    spots = job.inputs["spots"]
    progress = ProgressWriter([job.pk], start=10, end=90, interval=0.0)
    views = []
    for index, spot in enumerate(spots):
        (view,) = pipeline.views([spot], [view_seed(job.seed, index)])
        views.append(view)
        progress((index + 1) / len(spots))
    return views


class ProgressWriter:
    """Maps a pipeline's 0..1 progress to the percent range of the jobs it paints, writing at most
    twice a second; a `stage` given (what is being done, in words) is always written, with the
    percentage."""

    def __init__(self, job_ids: list[int], *, start: int, end: int, interval: float = 0.5):
        self.job_ids, self.start, self.end, self.last_write = job_ids, start, end, 0.0
        self.interval = interval

    def __call__(self, fraction: float, stage: str | None = None) -> None:
        now = time.monotonic()
        if now - self.last_write < self.interval and fraction < 1.0 and stage is None:
            return
        self.last_write = now
        percent = int(self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0))
        fields = {"progress": percent} if stage is None else {"progress": percent, "stage": stage[:200]}
        Job.objects.filter(pk__in=self.job_ids, status=Job.Status.RUNNING).update(**fields)


def job_finish(*, job: Job, artwork, verification: dict | None = None, region=None) -> None:
    Job.objects.filter(pk=job.pk).exclude(status=Job.Status.CANCELLED).update(
        status=Job.Status.DONE, progress=100, stage="", artwork=artwork, error="", verification=verification,
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
