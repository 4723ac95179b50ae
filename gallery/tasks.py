"""The Celery task that runs a job: it takes the job's id and calls the service that paints it
and stores the picture as an artwork. It is sent by name (`generation.queue.RUN_JOB`) and
runs on the `gpu` queue (`CELERY_TASK_ROUTES`); see `generation.tasks` for the delivery rules."""
from celery import shared_task
from django.conf import settings

from gallery.jobs import services
from generation import queue
from generation.tasks import RETRY_POLICY


@shared_task(
    name=queue.RUN_JOB,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.GENERATION_JOB_SOFT_TIME_LIMIT + 60,
    **RETRY_POLICY,
)
def run_job(self, job_id: int) -> None:
    # No heartbeat write here: the worker's heartbeat thread records it (generation.worker), and
    # the messages of jobs that a batch already painted cost one conditional UPDATE each.
    services.job_run(job_id=job_id, worker=self.request.hostname or "")
