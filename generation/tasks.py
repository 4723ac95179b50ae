"""Celery tasks: each takes an id and calls a service.

Delivery is at least once (late ack, redelivery when a worker dies mid-job), so the
services they call are idempotent. Validating a model records the worker's heartbeat as it
starts and finishes, for the admin's "workers seen recently" (a job's task leaves that to the
worker's heartbeat thread, generation.worker). Services send these by name
(`generation.queue`); the task that runs a job is `gallery.tasks.run_job`, since what a job
paints becomes an artwork of the gallery.
"""
from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from generation import queue, services
from generation import worker  # noqa: F401 - its heartbeat and recovery thread starts with the worker

# A database that is briefly locked or unreachable is worth retrying; a failing model is not
# (the services record that failure on the job or the model version).
RETRY_POLICY = dict(autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60, max_retries=5)


@shared_task(
    name=queue.VALIDATE_MODEL_VERSION,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Loading, a sample grid and the oracle's metrics: longer than one picture.
    soft_time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT * 4,
    time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT * 4 + 60,
    **RETRY_POLICY,
)
def validate_model_version(self, model_version_id: int) -> None:
    heartbeat(self)
    services.model_version_validate(model_version_id=model_version_id)
    heartbeat(self)


def heartbeat(task) -> None:
    """Record that the worker running `task` is alive."""
    if task.request.hostname:  # None when the task is called in this process, not by a worker
        services.worker_seen_record(hostname=task.request.hostname)
