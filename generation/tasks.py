"""Celery tasks: each takes an id and calls a service.

Delivery is at least once (late ack, redelivery when a worker dies mid-job), so the
services they call are idempotent. Each task records the worker's heartbeat as it starts
and finishes, for the admin's "workers seen recently".
"""
from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from generation import services

# A database that is briefly locked or unreachable is worth retrying; a failing model is not
# (the services record that failure on the job or the model version).
RETRY_POLICY = dict(autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60, max_retries=5)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT + 60,
    **RETRY_POLICY,
)
def run_job(self, job_id: int) -> None:
    _heartbeat(self)
    services.job_run(job_id=job_id)
    _heartbeat(self)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Loading, a sample grid and the oracle's metrics: longer than one picture.
    soft_time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT * 4,
    time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT * 4 + 60,
    **RETRY_POLICY,
)
def validate_model_version(self, model_version_id: int) -> None:
    _heartbeat(self)
    services.model_version_validate(model_version_id=model_version_id)
    _heartbeat(self)


def _heartbeat(task) -> None:
    if task.request.hostname:  # None when the task is called in this process, not by a worker
        services.worker_seen_record(hostname=task.request.hostname)
