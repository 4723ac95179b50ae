"""A job travels for real: HTTP → Django → Redis → a celery worker process → storage."""
import io
import json
import time
import urllib.request

import pytest
from PIL import Image

from gallery.services import PROVENANCE_KEY

pytestmark = pytest.mark.integration


def http_json(url: str, body: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def wait_until_finished(url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, job = http_json(url)
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job['status']} after {timeout} s")


def test_a_place_job_posted_over_http_is_painted_by_a_worker(live_server, place_model, worker_factory):
    worker_factory()
    status, headers, body = http_json(
        f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": 51.752, "lon": -1.258}, "seed": 7}
    )
    assert status == 202 and headers["Location"] == body["url"]

    job = wait_until_finished(body["url"])
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 100

    with urllib.request.urlopen(job["artwork"]["image"], timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.read()))
        image.load()
    provenance = json.loads(image.text[PROVENANCE_KEY])
    assert provenance["seed"] == 7
    assert provenance["inputs"] == {"lat": 51.752, "lon": -1.258}
    assert provenance["model"]["sha256"] == place_model.sha256

    from gallery.models import Artwork

    artwork = Artwork.objects.get()
    assert artwork.image.storage.exists(artwork.image.name)


def test_a_job_whose_worker_dies_mid_job_is_finished_by_another(live_server, place_model, worker_factory):
    from gallery.models import Artwork
    from generation.models import Job

    # Deliver again after 3 s, checked every second (production: 12 hours, checked every 100 s).
    redeliver = json.dumps({"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1})
    # A fresh worker spends its first job's first seconds loading PyTorch and the model: the
    # kill below lands there, after the job was marked running and before any picture exists.
    first = worker_factory(CELERY_BROKER_TRANSPORT_OPTIONS=redeliver)

    _, _, body = http_json(f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": -33.9, "lon": 18.4}})
    job = Job.objects.get(pk=body["id"])
    deadline = time.monotonic() + 60
    while job.status != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        job.refresh_from_db()
    assert job.status == "running"
    first.kill()
    job.refresh_from_db()
    assert job.status == "running" and job.artwork is None  # it really died mid-job

    worker_factory(CELERY_BROKER_TRANSPORT_OPTIONS=redeliver)
    finished = wait_until_finished(body["url"], timeout=90)
    assert finished["status"] == "done", finished["error"]
    job.refresh_from_db()
    assert job.attempts == 2
    assert Artwork.objects.count() == 1
