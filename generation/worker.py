"""What every worker process runs beside its tasks: its heartbeat and the recovery of lost jobs.

A thread started when the worker is ready beats every GENERATION_HEARTBEAT_S: it records the
worker as seen, refreshes the heartbeat of the jobs the worker is running (so a job whose
worker died is known by its stale heartbeat), then calls `jobs_recover`, which sends again
what lost its message or its worker (generation.services.recovery).

Why a thread in each worker rather than Celery beat: beat is one more process that has to run
exactly once, somewhere; when it is not running (the demo, a deploy that forgot it), nothing
recovers and nobody notices. Here recovery runs wherever and whenever a worker runs, which is
exactly when sending a job again can help (with no worker, nothing would paint it anyway),
with the embedded broker as with Redis, and a worker that starts again after a crash recovers
at once what it left behind. Several workers doing it side by side is safe: every change is
conditional on what was read, so one of them wins each job.
"""
import logging
import threading

from celery import signals
from celery.worker import state
from django.conf import settings
from django.db import connection

from generation import queue, services

logger = logging.getLogger(__name__)


class Watch(threading.Thread):
    def __init__(self, hostname: str):
        super().__init__(name="genius-loci-watch", daemon=True)
        self.hostname = hostname
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - a failed round (database locked, broker down) is retried next round
                logger.exception("heartbeat and recovery round failed")
            finally:
                connection.close()  # this thread's own connection: never left open between rounds
            if self.stopping.wait(settings.GENERATION_HEARTBEAT_S):
                return

    def beat(self) -> None:
        services.worker_heartbeat(hostname=self.hostname, job_ids=running_job_ids())
        recovery = services.jobs_recover()
        if recovery.sent or recovery.failed:
            logger.warning("recovered jobs: sent again %s, given up %s", recovery.sent, recovery.failed)


def running_job_ids() -> list[int]:
    """The jobs this worker is running now (in this process, or in its pool's children)."""
    return [request.args[0] for request in list(state.active_requests)
            if request.task_name == queue.RUN_JOB and request.args]


_watch: Watch | None = None


@signals.worker_ready.connect
def watch_start(sender, **kwargs) -> None:
    global _watch
    _watch = Watch(sender.hostname)
    _watch.start()


@signals.worker_shutdown.connect
def watch_stop(**kwargs) -> None:
    if _watch is not None:
        _watch.stopping.set()
