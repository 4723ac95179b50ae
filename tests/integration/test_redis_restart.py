"""Jobs queued in Redis while no worker runs, and Redis restarted under them: with the append-only
file (README.md, several machines) every message comes back; without persistence every message
is gone and the workers' recovery loop sends the jobs again. Either way each job is painted once."""
import signal

import pytest
import redis

from tests.conftest import APPEND_ONLY, NO_PERSISTENCE
from tests.integration.test_worker import http_json, wait_until_finished

pytestmark = pytest.mark.integration

PLACES = [(51.752, -1.258), (-33.9, 18.4), (35.68, 139.69), (64.14, -21.94)]


def post_jobs(url: str) -> list[dict]:
    """One place job for each of PLACES, posted over HTTP: 202 each, with a message in Redis."""
    bodies = []
    for seed, (lat, lon) in enumerate(PLACES):
        status, _, body = http_json(f"{url}/api/jobs/", {"kind": "place", "inputs": {"lat": lat, "lon": lon}, "seed": seed})
        assert status == 202, body
        bodies.append(body)
    return bodies


def messages_waiting(server) -> int:
    """Messages in Redis's `gpu` queue (a list named after it)."""
    return redis.Redis.from_url(server.url).llen("gpu")


def assert_each_painted_once(posted: list[dict]):
    """Every job done, started once, with an artwork of its own and no other artwork; the jobs."""
    from gallery.models import Artwork
    from generation.models import Job

    for body in posted:
        finished = wait_until_finished(body["url"], timeout=120)
        assert finished["status"] == "done", finished["error"]
    jobs = list(Job.objects.filter(public_id__in=[body["id"] for body in posted]))
    assert [job.attempts for job in jobs] == [1] * len(posted)
    assert len({job.artwork_id for job in jobs}) == len(posted) == Artwork.objects.count()
    return jobs


@pytest.mark.parametrize("redis_server", [APPEND_ONLY], indirect=True)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_jobs_queued_in_a_redis_with_its_append_only_file_outlive_a_restart(
    live_server, place_model, redis_server, redis_server_worker_factory, stop
):
    posted = post_jobs(live_server.url)
    assert messages_waiting(redis_server) == len(PLACES)

    redis_server.stop(stop)  # SIGKILL: no shutdown, only what the append-only file already holds
    redis_server.start()
    assert messages_waiting(redis_server) == len(PLACES)

    # Recovery could not be what saves them: it would send nothing again for ten minutes.
    redis_server_worker_factory(GENIUS_LOCI_JOB_RESEND_AFTER_S="600")
    jobs = assert_each_painted_once(posted)
    assert [job.sends for job in jobs] == [1] * len(PLACES)  # the messages posted, and no others


@pytest.mark.parametrize("redis_server", [NO_PERSISTENCE], indirect=True)
def test_jobs_lost_by_a_redis_without_persistence_are_sent_again_by_the_recovery_loop(
    live_server, place_model, redis_server, redis_server_worker_factory
):
    posted = post_jobs(live_server.url)
    assert messages_waiting(redis_server) == len(PLACES)

    redis_server.stop(signal.SIGTERM)
    redis_server.start()
    assert messages_waiting(redis_server) == 0  # every message is gone; the jobs are still queued

    # Batches of one: a batch would paint the other waiting jobs with the first one sent again,
    # before the loop had to send them (each job is still painted once, but not proven sent again).
    worker = redis_server_worker_factory(GENIUS_LOCI_WORKER_HEARTBEAT_S="0.5", GENIUS_LOCI_JOB_RESEND_AFTER_S="1",
                                         GENIUS_LOCI_BATCH_SIZE="1")
    jobs = assert_each_painted_once(posted)
    assert all(job.sends >= 2 for job in jobs), [job.sends for job in jobs]  # posted, then sent again
    assert "recovered jobs: sent again" in worker.log.read_text()
