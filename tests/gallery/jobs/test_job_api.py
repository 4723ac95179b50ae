import json
import math
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from config import api as api_errors
from gallery.jobs import errors
from gallery.jobs.inputs import INPUT_SERIALIZERS, SEED_MAX
from generation import errors as generation_errors
from generation.models import Job
from tests.loopback import free_port


def post(client, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/jobs/", data=data, content_type="application/json", **extra)


def test_a_point_request_is_written_then_queued_on_commit(client, place_model, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, {"kind": "place", "inputs": {"lat": 51.752, "lon": -1.258}, "seed": 7})
        assert enqueued == []  # nothing reaches a worker before the row is committed
    assert response.status_code == 202
    body = response.json()
    job = Job.objects.get()
    assert response["Location"] == body["url"] == f"http://testserver/api/jobs/{job.public_id}/"
    assert (body["id"], body["status"], body["progress"], body["artwork"]) == (str(job.public_id), "queued", 0, None)
    assert (job.kind, job.inputs, job.seed, job.model_version) == ("place", {"lat": 51.752, "lon": -1.258}, 7, place_model)
    for callback in callbacks:
        callback()
    assert enqueued == [job.pk]


def test_a_city_request_stores_the_city_and_its_coordinates(client, place_model, cities, enqueued):
    response = post(client, {"kind": "place", "inputs": {"city": 2640729}})
    assert response.status_code == 202
    job = Job.objects.get()
    assert job.inputs == {"city": 2640729, "lat": 51.75222, "lon": -1.25596}
    assert 0 <= job.seed < 2**53  # drawn when not given, stored, and exact in a browser


def test_an_identical_request_gets_the_same_job(client, place_model, enqueued):
    body = {"kind": "place", "inputs": {"lat": 10, "lon": 20}, "seed": 3}
    first, second = post(client, body).json(), post(client, body).json()
    assert first["id"] == second["id"]
    assert Job.objects.count() == 1
    assert post(client, {**body, "seed": 4}).json()["id"] != first["id"]


def test_job_detail_and_unknown_job(client, place_model, enqueued):
    job_id = post(client, {"kind": "place", "inputs": {"lat": 0, "lon": 0}}).json()["id"]
    body = client.get(f"/api/jobs/{job_id}/").json()
    assert {"id", "kind", "status", "progress", "error", "artwork"} <= set(body)
    assert body["model"]["sha256"] == place_model.sha256
    unknown = client.get(f"/api/jobs/{uuid.uuid4()}/")
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("No job has the id")


def test_a_job_is_addressed_by_a_random_id_not_its_pk(client, place_model, enqueued):
    bodies = [post(client, {"kind": "place", "inputs": {"lat": 0, "lon": 0}, "seed": seed}).json() for seed in (1, 2)]
    jobs = [Job.objects.get(public_id=body["id"]) for body in bodies]
    assert [uuid.UUID(body["id"]).version for body in bodies] == [4, 4]
    assert client.get(f"/api/jobs/{jobs[0].pk}/").status_code == 404  # counting finds nothing
    assert client.get(f"/api/jobs/{bodies[1]['id']}/").json()["seed"] == 2


def test_a_jobs_inputs_are_shown_to_its_visitor_and_staff_only(client, place_model, enqueued, django_user_model):
    ask = {"kind": "place", "inputs": {"lat": 48.85, "lon": 2.35}, "seed": 1}
    url = post(client, ask).json()["url"]
    assert client.get(url).json()["inputs"] == ask["inputs"]
    other = Client()
    seen = other.get(url).json()
    assert "inputs" not in seen and seen["seed"] == 1
    other.force_login(django_user_model.objects.create_user("someone", password="x"))
    assert "inputs" not in other.get(url).json()
    staff = Client()
    staff.force_login(django_user_model.objects.create_user("keeper", password="x", is_staff=True))
    assert staff.get(url).json()["inputs"] == ask["inputs"]


def test_without_an_active_model_nothing_is_written(client, db):
    response = post(client, {"kind": "place", "inputs": {"lat": 0, "lon": 0}})
    assert response.status_code == 503
    assert response.json()["kind"] == [generation_errors.NO_ACTIVE_MODEL.format(kind="place")]
    assert Job.objects.count() == 0


def _inputs(**values):
    return {"kind": "place", "inputs": values}


BIG = json.dumps({"kind": "place", "inputs": {"lat": 0, "lon": 0}, "padding": "x" * 70_000})


@pytest.mark.parametrize(
    "body, expected",
    [
        (_inputs(lat=90.5, lon=0), {"inputs": {"lat": [errors.LAT_RANGE]}}),
        (_inputs(lat=-91, lon=0), {"inputs": {"lat": [errors.LAT_RANGE]}}),
        (_inputs(lat=0, lon=180.01), {"inputs": {"lon": [errors.LON_RANGE]}}),
        (_inputs(lat=0, lon=-181), {"inputs": {"lon": [errors.LON_RANGE]}}),
        ('{"kind": "place", "inputs": {"lat": NaN, "lon": 0}}', {"inputs": {"lat": [api_errors.NUMBER_NOT_FINITE]}}),
        ('{"kind": "place", "inputs": {"lat": 0, "lon": Infinity}}', {"inputs": {"lon": [api_errors.NUMBER_NOT_FINITE]}}),
        ('{"kind": "place", "inputs": {"lat": -Infinity, "lon": 0}}', {"inputs": {"lat": [api_errors.NUMBER_NOT_FINITE]}}),
        (_inputs(lat="51.7", lon=0), {"inputs": {"lat": [api_errors.NUMBER_REQUIRED.format(type="a string")]}}),
        (_inputs(lat=True, lon=0), {"inputs": {"lat": [api_errors.NUMBER_REQUIRED.format(type="a boolean")]}}),
        (_inputs(lat=None, lon=0), {"inputs": {"lat": ["This field may not be null."]}}),
        (_inputs(lat=1), {"inputs": {"lon": [errors.PLACE_NEEDS_LOCATION]}}),
        (_inputs(), {"inputs": {"lat": [errors.PLACE_NEEDS_LOCATION], "lon": [errors.PLACE_NEEDS_LOCATION]}}),
        (_inputs(city=999999999), {"inputs": {"city": [errors.CITY_UNKNOWN.format(value=999999999)]}}),
        (_inputs(city="2640729"), {"inputs": {"city": [api_errors.INTEGER_REQUIRED.format(type="a string")]}}),
        (_inputs(city=2640729, lat=1, lon=1), {"inputs": {"city": [errors.PLACE_CITY_OR_POINT]}}),
        (_inputs(lat=0, lon=0, altitude=3), {"inputs": {"altitude": [api_errors.FIELD_UNKNOWN]}}),
        ({"kind": "teleport", "inputs": {}}, {"kind": [errors.KIND_UNKNOWN.format(kind="teleport", kinds=", ".join(INPUT_SERIALIZERS))]}),
        ({"inputs": {"lat": 0, "lon": 0}}, {"kind": ["This field is required."]}),
        ({"kind": "place", "inputs": [1, 2]}, {"inputs": [api_errors.OBJECT_REQUIRED.format(type="a list")]}),
        ({**_inputs(lat=0, lon=0), "seed": -1}, {"seed": [errors.SEED_RANGE.format(max=SEED_MAX)]}),
        ({**_inputs(lat=0, lon=0), "seed": 2**63}, {"seed": [errors.SEED_RANGE.format(max=SEED_MAX)]}),
        ({**_inputs(lat=0, lon=0), "seed": 2**64 + 5}, {"seed": [errors.SEED_RANGE.format(max=SEED_MAX)]}),
        ({**_inputs(lat=0, lon=0), "seed": 1.5}, {"seed": [api_errors.INTEGER_REQUIRED.format(type="a fraction")]}),
        ({**_inputs(lat=0, lon=0), "seed": "7"}, {"seed": [api_errors.INTEGER_REQUIRED.format(type="a string")]}),
        ({**_inputs(lat=0, lon=0), "priority": 1}, {"priority": [api_errors.FIELD_UNKNOWN]}),
        ("", {"body": [api_errors.BODY_MISSING]}),
        ("{not json", {"body": [api_errors.BODY_NOT_JSON]}),
        (b"\xff\xfe{}", {"body": [api_errors.BODY_NOT_JSON]}),
        ("[1, 2]", {"body": [api_errors.BODY_NOT_OBJECT]}),
        (BIG, {"body": [api_errors.BODY_TOO_LARGE.format(limit=64 * 1024)]}),
        # Found by tests/test_api_fuzz.py (each was a 500): an integer too large for a float, nesting
        # deeper than the interpreter's stack, and a field name that is not UTF-8.
        (_inputs(lat=10**400, lon=0), {"inputs": {"lat": [errors.LAT_RANGE]}}),
        ({"kind": "ground", "inputs": {"region": {"type": "Polygon", "coordinates": [[[10**400, 1], [2, 2], [3, 1]]]}}},
         {"inputs": {"region": [generation_errors.REGION_COORDINATES_RANGE.format(lon=math.inf, lat=1.0)]}}),
        ('{"kind": "place", "inputs": ' + '{"a": ' * 5000 + "1" + "}" * 5001, {"body": [api_errors.BODY_TOO_DEEP.format(limit=32)]}),
        ('{"kind": "place", "inputs": ' + "[" * 40 + "]" * 40 + "}", {"body": [api_errors.BODY_TOO_DEEP.format(limit=32)]}),
        (b'{"kind": "place", "inputs": {"lat": 0, "lon": 0}, "se\xffed": 1}', {"se\udcffed": [api_errors.FIELD_UNKNOWN]}),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_write_nothing(client, place_model, cities, enqueued, body, expected):
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert response.json() == expected
    assert Job.objects.count() == 0
    assert enqueued == []


def test_a_body_that_is_not_json_by_content_type_is_refused(client, place_model):
    response = client.post("/api/jobs/", data="kind=place", content_type="text/plain")
    assert response.status_code == 400
    assert "body" in response.json()
    assert Job.objects.count() == 0


@pytest.fixture
def broker_down(transactional_db):
    """This process's Celery app on a Redis address where nothing listens, and no test
    transaction around the request: the job's message is sent as the row commits, and fails."""
    from tests.conftest import app_broker

    with app_broker(f"redis://127.0.0.1:{free_port()}/0", {"max_retries": 1}):
        yield


def test_a_request_while_the_broker_is_down_is_a_json_503_and_the_job_is_kept_for_later(
    client, place_model, broker_down, request
):
    from generation import services

    response = post(client, {"kind": "place", "inputs": {"lat": 51.752, "lon": -1.258}, "seed": 7})
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    job = Job.objects.get()
    body = response.json()
    assert body["detail"] == generation_errors.JOB_NOT_SENT.format(job_id=job.pk)
    assert body["code"] == "queue_unreachable"
    assert (body["job"]["id"], body["job"]["status"]) == (str(job.public_id), "queued")
    assert (job.status, job.sent_at, job.sends) == ("queued", None, 0)

    enqueued = request.getfixturevalue("enqueued")  # the broker is back
    Job.objects.filter(pk=job.pk).update(queued_at=job.queued_at - timedelta(minutes=5))
    assert services.jobs_recover().sent == [job.pk]  # the recovery loop sends it
    assert enqueued == [job.pk]


def test_an_unexpected_error_of_the_api_is_a_json_500(client, place_model, enqueued, monkeypatch):
    from gallery.jobs import services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "jobs_create", broken)
    client.raise_request_exception = False
    response = post(client, {"kind": "place", "inputs": {"lat": 51.752, "lon": -1.258}})
    assert response.status_code == 500 and response.json() == {"detail": api_errors.SERVER_ERROR}


def test_an_identical_request_is_painted_again_when_the_earlier_job_failed_or_was_abandoned(
    client, place_model, enqueued
):
    ask = {"kind": "place", "inputs": {"lat": 51.752, "lon": -1.258}, "seed": 7}
    failed = post(client, ask).json()
    Job.objects.filter(public_id=failed["id"]).update(status="failed")
    abandoned = post(client, ask).json()
    assert abandoned["id"] != failed["id"]
    Job.objects.filter(public_id=abandoned["id"]).update(status="running", heartbeat=timezone.now() - timedelta(hours=1))
    again = post(client, ask)
    assert again.status_code == 202 and again.json()["id"] not in (failed["id"], abandoned["id"])
    Job.objects.filter(public_id=again.json()["id"]).update(status="running", heartbeat=timezone.now())  # alive
    assert post(client, ask).json()["id"] == again.json()["id"]
