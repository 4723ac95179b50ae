"""A job travels for real: HTTP → Django → Redis → a celery worker process → storage."""
import io
import json
import urllib.request

import pytest
from PIL import Image

from gallery.services import PROVENANCE_KEY
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def http_json(url: str, body: dict | None = None, *, opener=None, method: str | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def visitor():
    """A client that keeps its session cookie, as a browser does."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor())


def wait_until_finished(url: str, timeout: float = 60) -> dict:
    def finished() -> dict | None:
        _, _, job = http_json(url)
        return job if job["status"] in ("done", "failed", "cancelled") else None

    return wait_until(finished, timeout=timeout, message=f"the job at {url} did not finish")


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
    job = Job.objects.get(public_id=body["id"])
    wait_until(lambda: Job.objects.filter(pk=job.pk, status="running").exists(), timeout=60, interval=0.02,
               message="the job did not start")
    job.refresh_from_db()
    first.kill()
    job.refresh_from_db()
    assert job.status == "running" and job.artwork is None  # it really died mid-job

    worker_factory(CELERY_BROKER_TRANSPORT_OPTIONS=redeliver)
    finished = wait_until_finished(body["url"], timeout=90)
    assert finished["status"] == "done", finished["error"]
    job.refresh_from_db()
    assert job.attempts == 2
    assert Artwork.objects.count() == 1


def test_a_cancelled_job_is_skipped_while_the_next_one_runs(live_server, place_model, worker_factory):
    from generation.models import Job

    browser = visitor()
    ask = {"kind": "place", "inputs": {"lat": 48.85, "lon": 2.35}}
    _, _, cancelled = http_json(f"{live_server.url}/api/jobs/", {**ask, "seed": 1}, opener=browser)
    _, _, kept = http_json(f"{live_server.url}/api/jobs/", {**ask, "seed": 2}, opener=browser)
    status, _, body = http_json(f"{cancelled['url']}cancel/", opener=browser, method="POST")
    assert status == 200 and body["status"] == "cancelled"

    worker_factory()  # both messages are in the broker; the first is taken first
    assert wait_until_finished(kept["url"])["status"] == "done"
    job = Job.objects.get(public_id=cancelled["id"])
    assert (job.status, job.attempts, job.artwork) == ("cancelled", 0, None)


def test_variations_become_children_and_a_regeneration_gives_the_same_bytes(live_server, place_model, worker_factory):
    from gallery.models import Artwork

    worker_factory()
    browser = visitor()
    _, _, body = http_json(f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": 35.68, "lon": 139.69}}, opener=browser)
    original = wait_until_finished(body["url"])["artwork"]

    status, _, variations = http_json(f"{live_server.url}/api/artworks/{original['id']}/variations", {"count": 2}, opener=browser)
    assert status == 202
    status, _, regeneration = http_json(f"{live_server.url}/api/artworks/{original['id']}/regenerate", opener=browser, method="POST")
    assert status == 202

    children = [wait_until_finished(job["url"]) for job in variations["jobs"]]
    assert all(job["status"] == "done" for job in children)
    assert set(Artwork.objects.filter(parent_id=original["id"]).values_list("pk", flat=True)) == {
        job["artwork"]["id"] for job in children
    }
    repainted = wait_until_finished(regeneration["job"]["url"])
    assert repainted["status"] == "done", repainted["error"]
    assert repainted["verification"]["identical"] is True
    assert repainted["artwork"]["id"] == original["id"]
    assert Artwork.objects.count() == 3


def test_an_uploaded_model_is_validated_by_a_worker(transactional_db, worker_factory, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from generation.models import ModelVersion
    from generation.services import model_version_upload
    from tests.conftest import write_tiny_place_model

    settings.GENERATION_MODELS_DIR = tmp_path / "uploaded"
    folder = write_tiny_place_model(tmp_path / "m", seed=8)
    worker_factory()
    version = model_version_upload(
        config=(folder / "config.json").read_bytes(),
        weights=SimpleUploadedFile("weights.safetensors", (folder / "weights.safetensors").read_bytes()),
    )
    wait_until(lambda: ModelVersion.objects.get(pk=version.pk).validation_status not in ("pending", "running"),
               timeout=60, message="the model version was not validated")
    version.refresh_from_db()
    assert version.validation_status == "passed", version.validation_error
    with version.sample_grid.open("rb") as handle:
        assert Image.open(handle).size == (86, 69)  # 5 places x 4 seeds of 16 pixels, with 1-pixel gaps
    assert ModelVersion.objects.get(pk=version.pk).is_active is False


def test_files_in_the_embedded_queue_that_are_not_messages_do_not_stop_the_worker(
    live_server, place_model, embedded_broker, embedded_worker_factory
):
    from config.broker import MESSAGE_MALFORMED

    queue = embedded_broker / "broker" / "queue"
    worker = embedded_worker_factory()
    (queue / "0_empty.gpu.msg").touch()  # what `touch` leaves; read before any real message
    (queue / "1_half-written.gpu.msg").write_bytes(b'{"body": "eyJ0YXNrIjog')
    (queue / "2_not-a-message.gpu.msg").write_text("[]")
    browser = visitor()
    posted = [http_json(f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": 40.4, "lon": -3.7}, "seed": seed},
                        opener=browser)[2] for seed in (1, 2)]
    for body in posted:
        job = wait_until_finished(body["url"])
        assert job["status"] == "done", job["error"]
    assert worker.process.poll() is None, worker.log.read_text()[-3000:]
    assert worker.log.read_text().count(MESSAGE_MALFORMED.split("%r")[0]) == 3
    assert list(queue.iterdir()) == []


def test_a_job_whose_worker_dies_on_the_embedded_broker_is_recovered_and_painted_once(
    live_server, place_model, embedded_worker_factory
):
    """The filesystem broker never hands a message back: the recovery loop of the next worker
    sees the dead worker's stale heartbeat and sends the job again."""
    from gallery.models import Artwork
    from generation.models import Job

    quick = {"GENIUS_LOCI_WORKER_HEARTBEAT_S": "0.5", "GENIUS_LOCI_JOB_STALE_S": "3"}
    first = embedded_worker_factory(**quick)
    _, _, body = http_json(f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": 59.33, "lon": 18.07}})
    wait_until(lambda: Job.objects.filter(public_id=body["id"], status="running").exists(), timeout=60, interval=0.02,
               message="the job did not start")
    first.kill()
    job = Job.objects.get(public_id=body["id"])
    assert job.status == "running" and job.artwork is None and job.heartbeat is not None

    embedded_worker_factory(**quick)
    finished = wait_until_finished(body["url"], timeout=90)
    assert finished["status"] == "done", finished["error"]
    job.refresh_from_db()
    assert job.attempts == 2 and job.worker != ""
    assert Artwork.objects.count() == 1


BATCH_PLACES = [(51.75, -1.26), (69.65, 18.96), (31.63, -8.0), (-36.85, 174.76), (-18.14, 178.44), (47.37, 8.55)]


def post_places(live_server) -> list[dict]:
    browser = visitor()
    return [http_json(f"{live_server.url}/api/jobs/", {"kind": "place", "inputs": {"lat": lat, "lon": lon}, "seed": 4},
                      opener=browser)[2] for lat, lon in BATCH_PLACES]


def test_jobs_waiting_for_the_same_model_are_painted_as_one_batch(
    live_server, place_model, embedded_broker, embedded_worker_factory
):
    from gallery.models import Artwork
    from generation.models import Job

    posted = post_places(live_server)  # all waiting before the worker starts
    embedded_worker_factory(GENIUS_LOCI_BATCH_SIZE="8")
    for body in posted:
        assert wait_until_finished(body["url"])["status"] == "done"
    lead = Job.objects.get(public_id=posted[0]["id"])
    jobs = Job.objects.exclude(pk=lead.pk)
    assert [job.batched_with_id for job in jobs] == [lead.pk] * (len(posted) - 1)
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}
    assert Artwork.objects.count() == len(posted)
    # The other jobs' messages found them done and returned; nothing is left in the queue.
    wait_until(lambda: not list((embedded_broker / "broker" / "queue").iterdir()), timeout=20,
               message="messages left in the queue")


def test_a_batch_whose_worker_dies_mid_batch_loses_no_job_and_paints_each_once(
    live_server, place_model, embedded_worker_factory
):
    from gallery.models import Artwork
    from generation.models import Job

    quick = {"GENIUS_LOCI_WORKER_HEARTBEAT_S": "0.5", "GENIUS_LOCI_JOB_STALE_S": "3", "GENIUS_LOCI_BATCH_SIZE": "8"}
    posted = post_places(live_server)
    first = embedded_worker_factory(**quick)
    # The batch is claimed before the fresh worker loads PyTorch and the model: killed there, every
    # job of it is running and none is painted.
    wait_until(lambda: Job.objects.filter(status="running").count() == len(posted), timeout=60, interval=0.02,
               message="the batch was not claimed")
    first.kill()
    assert Artwork.objects.count() == 0

    embedded_worker_factory(**quick)
    for body in posted:
        finished = wait_until_finished(body["url"], timeout=90)
        assert finished["status"] == "done", finished["error"]
    assert set(Job.objects.values_list("attempts", flat=True)) == {2}
    assert Artwork.objects.count() == len(posted)
    assert len(set(Artwork.objects.values_list("request_key", flat=True))) == len(posted)
