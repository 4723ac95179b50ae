"""Reads of the generation app: the active model of a kind, jobs."""
from generation.models import Job, ModelVersion


def model_version_active(*, kind: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(kind=kind, is_active=True).first()


def job_get(*, job_id: int) -> Job | None:
    return Job.objects.select_related("artwork", "artwork__city", "model_version").filter(pk=job_id).first()


def job_find_reusable(*, request_key: str) -> Job | None:
    """A job for the same request that is waiting, running or done: no need to compute again."""
    reusable = [Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.DONE]
    return Job.objects.filter(request_key=request_key, status__in=reusable).order_by("-created").first()
