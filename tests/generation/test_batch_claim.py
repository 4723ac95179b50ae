"""Two workers claiming batches at the same moment (generation.services.job_batch_claim): every
waiting job goes to exactly one of them. Marked `integration` so that `./run.sh test` runs it on
PostgreSQL too (`python -m tests.postgres`), where the claim's row locks keep the workers apart, as
SQLite's write lock does here."""
import threading

import pytest
from django.db import connection

from gallery.jobs import services as job_services
from generation import services
from generation.models import Job

pytestmark = pytest.mark.integration

WORKERS = ("celery@gpu-1", "celery@gpu-2")
WAITING = 12
BATCH = 8  # each worker wants more than half of the waiting jobs: they compete for the oldest


def place_job(seed: int) -> Job:
    return job_services.job_create(kind="place", inputs={"lat": 10.0 + seed, "lon": 20.0}, seed=seed).job


def test_two_workers_claiming_the_same_waiting_jobs_at_once_claim_each_exactly_once(
    transactional_db, place_model, enqueued
):
    leads = [place_job(seed) for seed in range(len(WORKERS))]
    waiting = [place_job(seed) for seed in range(len(WORKERS), len(WORKERS) + WAITING)]
    for lead, worker in zip(leads, WORKERS):
        assert services.job_start(job_id=lead.pk, worker=worker) is not None
    both_read = threading.Barrier(len(WORKERS))
    claimed, failures = {}, []

    def claim(lead: Job, worker: str) -> None:
        read = []

        def wait_for_the_other_read(execute, sql, params, many, context):
            """After this claim's read of the waiting jobs, wait until the other claim has read them
            too, unless the database makes it wait for this one (SQLite's write lock)."""
            result = execute(sql, params, many, context)
            if not read and sql.lstrip().upper().startswith("SELECT"):
                read.append(sql)
                try:
                    both_read.wait(timeout=2)
                except threading.BrokenBarrierError:
                    pass
            return result

        try:
            with connection.execute_wrapper(wait_for_the_other_read):
                claimed[worker] = services.job_batch_claim(lead=lead, worker=worker, limit=BATCH)
        except Exception as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(lead, worker)) for lead, worker in zip(leads, WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []

    first, second = ([job.pk for job in claimed[worker]] for worker in WORKERS)
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == [job.pk for job in waiting]  # 8 + 4: every waiting job, once
    for lead, worker in zip(leads, WORKERS):
        for job in claimed[worker]:
            stored = Job.objects.get(pk=job.pk)
            assert (stored.status, stored.worker, stored.batched_with_id, stored.attempts) == (
                "running", worker, lead.pk, 1)
