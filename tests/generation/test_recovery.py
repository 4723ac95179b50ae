"""Recovery: the database is the source of truth; jobs that lost their message or their worker
are sent again, a bounded number of times, then failed with the reason."""
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.jobs import services as job_services
from generation import errors, queue, services
from generation.models import Job, WorkerSeen

LONG_AGO = timedelta(minutes=10)


@pytest.fixture
def broker_queue(monkeypatch):
    """How many messages the broker's gpu queue says it holds (settable by the test)."""
    holding = {"count": 0}
    monkeypatch.setattr(queue, "waiting", lambda task: holding["count"])
    return holding


@pytest.fixture
def make_job(django_capture_on_commit_callbacks):
    """A job posted and sent (the `enqueued` fixture records its message), then given `fields`."""

    def make(seed: int, **fields) -> Job:
        with django_capture_on_commit_callbacks(execute=True):
            job = job_services.job_create(kind="place", inputs={"lat": 10.0, "lon": 20.0}, seed=seed).job
        Job.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
        return job

    return make


def test_a_running_job_whose_worker_stopped_beating_is_sent_again(make_job, place_model, enqueued, broker_queue):
    stale = make_job(1, status="running", attempts=1, worker="celery@gone", heartbeat=timezone.now() - LONG_AGO)
    alive = make_job(2, status="running", attempts=1, worker="celery@gpu", heartbeat=timezone.now())
    enqueued.clear()
    assert services.jobs_recover() == services.Recovery(sent=[stale.pk], failed=[])
    assert enqueued == [stale.pk]
    stale.refresh_from_db()
    assert (stale.status, stale.worker, stale.heartbeat, stale.progress) == ("queued", "", None, 0)
    assert stale.sent_at is not None and stale.sends == 2
    assert Job.objects.get(pk=alive.pk).status == "running"
    job_services.job_run(job_id=stale.pk, worker="celery@gpu")
    assert Job.objects.get(pk=stale.pk).status == "done"


def test_a_job_that_lost_its_worker_too_often_is_failed_with_the_reason(make_job, place_model, enqueued, broker_queue, settings):
    settings.GENERATION_JOB_MAX_ATTEMPTS = 3
    job = make_job(1, status="running", attempts=3, heartbeat=None)
    enqueued.clear()
    assert services.jobs_recover() == services.Recovery(sent=[], failed=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", errors.JOB_ABANDONED.format(attempts=3))
    assert enqueued == []


def test_a_queued_job_whose_message_never_reached_the_broker_is_sent_after_a_while(make_job, place_model, enqueued, broker_queue):
    broker_queue["count"] = 5  # other jobs wait there: this one is missing all the same
    unsent = make_job(1, sent_at=None, sends=0, queued_at=timezone.now() - LONG_AGO)
    just_posted = make_job(2, sent_at=None, sends=0)  # its message is on its way
    enqueued.clear()
    assert services.jobs_recover().sent == [unsent.pk]
    unsent.refresh_from_db()
    assert (unsent.status, unsent.sends) == ("queued", 1) and unsent.queued_at > timezone.now() - LONG_AGO
    assert Job.objects.get(pk=just_posted.pk).sent_at is None


def test_a_sent_job_is_sent_again_only_when_the_broker_queue_is_empty(make_job, place_model, enqueued, broker_queue):
    lost = make_job(1, sent_at=timezone.now() - LONG_AGO, queued_at=timezone.now() - LONG_AGO)
    recent = make_job(2)
    enqueued.clear()
    broker_queue["count"] = 1  # its message may be waiting behind others
    assert services.jobs_recover() == services.Recovery()
    broker_queue["count"] = 0  # nothing waits: its message is gone (Redis restarted without persistence)
    assert services.jobs_recover().sent == [lost.pk]
    assert enqueued == [lost.pk] and Job.objects.get(pk=recent.pk).sends == 1


def test_a_job_sent_too_often_and_never_taken_is_failed_with_the_reason(make_job, place_model, enqueued, broker_queue, settings):
    settings.GENERATION_JOB_MAX_ATTEMPTS = 2
    job = make_job(1, sent_at=timezone.now() - LONG_AGO, sends=2)
    assert services.jobs_recover().failed == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", errors.JOB_NEVER_TAKEN.format(sends=2))


def test_a_broker_still_down_leaves_the_job_unsent_for_the_next_round(make_job, place_model, enqueued, broker_queue, monkeypatch):
    job = make_job(1, sent_at=None, sends=0, queued_at=timezone.now() - LONG_AGO)

    def down(task, *args):
        raise queue.QueueUnavailableError("down")

    monkeypatch.setattr(queue, "send", down)
    assert services.jobs_recover() == services.Recovery()
    job.refresh_from_db()
    assert (job.status, job.sent_at, job.sends) == ("queued", None, 0)


def test_the_heartbeat_marks_the_worker_seen_and_its_running_jobs_alive(make_job, place_model, enqueued):
    running = make_job(1, status="running", heartbeat=timezone.now() - LONG_AGO)
    done = make_job(2, status="done", heartbeat=None)
    services.worker_heartbeat(hostname="celery@gpu-1", job_ids=[running.pk, done.pk])
    assert Job.objects.get(pk=running.pk).heartbeat > timezone.now() - timedelta(seconds=5)
    assert Job.objects.get(pk=done.pk).heartbeat is None
    assert WorkerSeen.objects.get().hostname == "celery@gpu-1"


def test_a_job_sent_twice_paints_one_artwork(make_job, place_model, enqueued):
    from gallery.models import Artwork

    job = make_job(1)
    job_services.job_run(job_id=job.pk, worker="celery@gpu-1")
    job_services.job_run(job_id=job.pk, worker="celery@gpu-2")  # the second message: the job is done
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == ("done", 1, "celery@gpu-1")
    assert Artwork.objects.count() == 1


def test_a_job_running_on_a_live_worker_is_not_started_by_another(make_job, place_model, enqueued):
    from gallery.models import Artwork

    job = make_job(1, status="running", attempts=1, worker="celery@gpu-1", heartbeat=timezone.now())
    job_services.job_run(job_id=job.pk, worker="celery@gpu-2")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == ("running", 1, "celery@gpu-1")
    assert Artwork.objects.count() == 0
    job_services.job_run(job_id=job.pk, worker="celery@gpu-1")  # the same worker, restarted: delivered again
    assert Job.objects.get(pk=job.pk).status == "done"


@pytest.mark.parametrize("requeue", ["recovered", "retried by staff"])
def test_a_job_queued_again_keeps_nothing_of_its_last_run(make_job, place_model, enqueued, broker_queue, requeue):
    lead = make_job(1, status="running", worker="celery@gone", heartbeat=timezone.now() - LONG_AGO)
    job = make_job(2, status="running", attempts=1, worker="celery@gone", heartbeat=timezone.now() - LONG_AGO,
                   progress=40, stage="painting", batched_with=lead)
    if requeue == "recovered":
        services.jobs_recover()
    else:
        services.job_retry(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.stage, job.batched_with, job.worker, job.heartbeat, job.started) == (
        "queued", 0, "", None, "", None, None)
    assert job.attempts == 1  # what bounds its tries is kept
