"""Celery tasks: each takes an id and calls a service.

Delivery is at least once (late ack, redelivery when a worker dies mid-job), so the
services they call are idempotent.
"""
from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from generation import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT + 60,
    # A database that is briefly locked or unreachable is worth retrying; a failing model is not
    # (job_run records that failure on the job).
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def run_job(job_id: int) -> None:
    services.job_run(job_id=job_id)
