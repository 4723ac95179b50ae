"""Reads of the generation app: the active model of a kind, jobs and the queue, workers seen."""
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from generation import errors
from generation.models import Job, ModelVersion, WorkerSeen

PENDING = (Job.Status.QUEUED, Job.Status.RUNNING)
RECENT = timedelta(days=1)  # finished jobs a visitor still sees in their queue
VISITOR_JOBS_SHOWN = 50
WORKER_RECENT = timedelta(minutes=10)
# An edit text is suggested when the oracle found what it asks for in this share of the held-out
# edits that had to change (of at least EDIT_SUGGESTION_MIN_EDITS), one text per value at most.
EDIT_SUGGESTION_ACCURACY = 0.9
EDIT_SUGGESTION_MIN_EDITS = 30
EDIT_SUGGESTIONS = 6


def model_versions_active(*, kinds: list[str]) -> dict[str, ModelVersion]:
    """The active version of each of `kinds` that has one (at most one per kind), in one query."""
    return {version.kind: version for version in ModelVersion.objects.filter(kind__in=kinds, is_active=True)}


def model_version_active(*, kind: str) -> ModelVersion | None:
    return model_versions_active(kinds=[kind]).get(kind)


def edit_suggestions(*, model_version: ModelVersion | None) -> list[str]:
    """The texts an edit version was measured to edit best, best first: from its validation
    metrics (`ml.eval.edit_metrics`, captions' and visitor's wordings alike), the best text of each
    attribute value that reaches EDIT_SUGGESTION_ACCURACY; none without metrics."""
    metrics = (model_version.metrics if model_version else None) or {}
    measured = {**(metrics.get("accuracy_by_task") or {}), **(metrics.get("visitor_accuracy_by_task") or {})}
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for text, task in measured.items():
        accuracy = task.get("accuracy")
        if accuracy is None or accuracy < EDIT_SUGGESTION_ACCURACY or task.get("edits", 0) < EDIT_SUGGESTION_MIN_EDITS:
            continue
        value = (task.get("attribute"), task.get("value"))
        best[value] = max(best.get(value, (accuracy, text)), (accuracy, text))
    return [text for _, text in sorted(best.values(), reverse=True)[:EDIT_SUGGESTIONS]]


def model_version_list() -> QuerySet[ModelVersion]:
    """Versions with `artwork_count`, the number of artworks each made."""
    return ModelVersion.objects.annotate(
        artwork_count=Count("artworks", distinct=True) + Count("upsampled_artworks", distinct=True)
    )


def model_version_deletion_refusal(*, model_version: ModelVersion) -> str | None:
    """Why the version may not be deleted (it made artworks, serves its kind, or has jobs in
    flight), or None."""
    if count := model_version.artworks.count() + model_version.upsampled_artworks.count():
        return errors.DELETE_HAS_ARTWORKS.format(version=model_version, count=count)
    if model_version.is_active:
        return errors.DELETE_ACTIVE.format(version=model_version, kind=model_version.kind)
    waiting = Job.objects.filter(Q(model_version=model_version) | Q(upsampler=model_version), status__in=PENDING)
    if pending := waiting.count():
        return errors.DELETE_HAS_PENDING_JOBS.format(version=model_version, count=pending)
    return None


def worker_ping(*, timeout: float) -> list[str] | None:
    """Host names of the workers that answer a ping now; None when the broker cannot be reached."""
    from config.celery import app

    try:
        replies = app.control.ping(timeout=timeout)
    except Exception:  # noqa: BLE001 - any broker failure means the same to the admin
        return None
    return sorted(hostname for reply in replies for hostname in reply)


def _jobs_shown() -> QuerySet[Job]:
    return Job.objects.select_related("artwork", "artwork__city", "model_version", "region")


def job_get(*, job_id: int) -> Job | None:
    return _jobs_shown().filter(pk=job_id).first()


def job_get_public(*, public_id: str) -> Job | None:
    """The job the API calls `public_id`; None for an unknown or malformed one."""
    try:
        public_id = uuid.UUID(public_id)
    except ValueError:
        return None
    return _jobs_shown().filter(public_id=public_id).first()


def job_stale_q() -> Q:
    """Running jobs whose worker stopped beating (generation.worker): it died, or never beat."""
    stale = timezone.now() - timedelta(seconds=settings.GENERATION_JOB_STALE_S)
    return Q(status=Job.Status.RUNNING) & (Q(heartbeat__isnull=True) | Q(heartbeat__lt=stale))


def job_unsent_q() -> Q:
    """Queued jobs whose message never reached the broker (it was down), past the moment it
    takes to send one: nothing will run them until the recovery loop sends them."""
    grace = timezone.now() - timedelta(seconds=settings.GENERATION_JOB_RESEND_AFTER_S)
    return Q(status=Job.Status.QUEUED, sent_at__isnull=True, queued_at__lt=grace)


def job_live_q() -> Q:
    """Jobs on their way to a picture: queued with a message (or about to be sent), or running
    on a worker that still beats."""
    queued = Q(status=Job.Status.QUEUED) & ~job_unsent_q()
    return queued | (Q(status=Job.Status.RUNNING) & ~job_stale_q())


def job_find_reusable(*, request_key: str) -> Job | None:
    """A job for the same request that is live or done: no need to compute again. A failed,
    cancelled or abandoned one is not: the request is painted again."""
    return (
        Job.objects.filter(job_live_q() | Q(status=Job.Status.DONE), request_key=request_key,
                           purpose=Job.Purpose.GENERATE)
        .order_by("-created")
        .first()
    )


def _visitor_q(*, session_key: str, user_id: int | None) -> Q:
    """The jobs a visitor asked for: in this session, or as this logged-in user."""
    mine = Q(session_key=session_key) if session_key else Q(pk__in=[])
    return (mine | Q(user_id=user_id)) if user_id else mine


def job_belongs_to(*, job: Job, session_key: str, user_id: int | None) -> bool:
    """Whether the visitor asked for the job: in this session, or as this logged-in user (as `_visitor_q`)."""
    return bool(session_key) and job.session_key == session_key or user_id is not None and job.user_id == user_id


def job_list_for_visitor(*, session_key: str, user_id: int | None) -> QuerySet[Job]:
    """The visitor's waiting and running jobs, and those finished in the last day, newest first."""
    recent = Q(status__in=PENDING) | Q(created__gte=timezone.now() - RECENT)
    return (
        Job.objects.filter(_visitor_q(session_key=session_key, user_id=user_id))
        .filter(recent)
        .select_related("artwork", "artwork__city", "model_version")
        .order_by("-created")[:VISITOR_JOBS_SHOWN]
    )


def job_queue_position(*, job: Job) -> int | None:
    """How many live queued jobs, of any visitor, are ahead of this one; None unless it is queued.
    An unsent job is not ahead: once sent, its message joins the back of the queue."""
    if job.status != Job.Status.QUEUED:
        return None
    ahead = Q(queued_at__lt=job.queued_at) | Q(queued_at=job.queued_at, pk__lt=job.pk)
    return Job.objects.filter(ahead, job_live_q(), status=Job.Status.QUEUED).count()


def job_status_counts() -> dict[str, int]:
    counts = dict(Job.objects.values_list("status").annotate(count=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in Job.Status.values}


def worker_seen_list() -> list[tuple[WorkerSeen, bool]]:
    """Every worker seen, latest first, each with whether it was seen in the last minutes."""
    since = timezone.now() - WORKER_RECENT
    return [(worker, worker.last_seen >= since) for worker in WorkerSeen.objects.all()]
