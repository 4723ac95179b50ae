"""The database is the source of truth for jobs, the broker only a doorbell.

A message can be lost (Redis restarted without persistence, the broker down when the job was
posted) and a worker can die mid-job (SIGKILL, the OOM killer, a redeploy) without handing its
message back: the filesystem broker never redelivers, Redis only after its visibility timeout
(12 hours). So every worker beats (`worker_heartbeat`, every GENERATION_HEARTBEAT_S, from
generation.worker), refreshing the heartbeat of the jobs it runs (and of those it claimed into
their batches), and `jobs_recover` sends again what nothing else will run:

- a running job whose heartbeat is older than GENERATION_JOB_STALE_S: queued again and sent,
  or failed with JOB_ABANDONED once it was started GENERATION_JOB_MAX_ATTEMPTS times;
- a queued job whose message never reached the broker, once GENERATION_JOB_RESEND_AFTER_S has
  passed; and one whose message was sent that long ago while the broker's queue is empty (so
  its message is gone): sent again, or failed with JOB_NEVER_TAKEN after as many sends.

Workers run this side by side: each change is an update conditional on what was read, so only
one of them sends a job again, and `job_start` runs a job sent twice only once.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from generation import errors, queue
from generation.models import Job
from generation.selectors import job_stale_q, job_unsent_q
from generation.services.jobs import JobNotSentError, job_send, queued_again, worker_seen_record


@dataclass
class Recovery:
    """What one round of `jobs_recover` did, by job id."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def worker_heartbeat(*, hostname: str, job_ids: list[int]) -> None:
    """The worker `hostname` is alive and still running the jobs `job_ids`, and the jobs it
    claimed into their batches (`job_batch_claim`)."""
    worker_seen_record(hostname=hostname)
    # Only the jobs it claimed itself: a lead run again by another worker (an admin's retry, a
    # redelivery) must not keep alive what a dead worker had claimed into the lead's first batch.
    claimed = Q(batched_with__in=job_ids, worker=hostname[:255])
    Job.objects.filter(Q(pk__in=job_ids) | claimed, status=Job.Status.RUNNING).update(heartbeat=timezone.now())


def jobs_recover() -> Recovery:
    """Send again, or fail with the reason, every job that lost its message or its worker."""
    recovery = Recovery()
    limit = settings.GENERATION_JOB_MAX_ATTEMPTS
    for job in Job.objects.filter(job_stale_q()).only("pk", "attempts", "heartbeat"):
        same = Q(pk=job.pk, status=Job.Status.RUNNING, heartbeat=job.heartbeat)  # no other worker got to it
        if job.attempts >= limit:
            _fail(same, errors.JOB_ABANDONED.format(attempts=job.attempts), job.pk, recovery)
        elif Job.objects.filter(same).update(**queued_again()):
            _send(job.pk, recovery)

    lost = job_unsent_q()
    if queue.waiting(queue.RUN_JOB) == 0:  # nothing waits in the broker: no queued job has a message there
        sent_before = timezone.now() - timedelta(seconds=settings.GENERATION_JOB_RESEND_AFTER_S)
        lost |= Q(status=Job.Status.QUEUED, sent_at__lt=sent_before)
    for job in Job.objects.filter(lost).only("pk", "sends", "sent_at"):
        same = Q(pk=job.pk, status=Job.Status.QUEUED, sent_at=job.sent_at)
        if job.sends >= limit:
            _fail(same, errors.JOB_NEVER_TAKEN.format(sends=job.sends), job.pk, recovery)
        elif Job.objects.filter(same).update(sent_at=None, queued_at=timezone.now()):  # to the back of the queue
            _send(job.pk, recovery)
    return recovery


def _send(job_id: int, recovery: Recovery) -> None:
    try:
        job_send(job_id=job_id)
    except JobNotSentError:
        return  # still unsent: the next round tries again
    recovery.sent.append(job_id)


def _fail(same: Q, error: str, job_id: int, recovery: Recovery) -> None:
    if Job.objects.filter(same).update(status=Job.Status.FAILED, error=error, finished=timezone.now()):
        recovery.failed.append(job_id)
