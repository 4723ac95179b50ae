"""A visitor's queue: their jobs with place and progress, and cancel for a queued one."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gallery.jobs import errors
from gallery.jobs import services as job_services
from generation import errors as generation_errors
from generation.models import Job
from tests.gallery.factories import job_pk


def ask(client, lat: float, seed: int = 1) -> dict:
    response = client.post(
        "/api/jobs/", json.dumps({"kind": "place", "inputs": {"lat": lat, "lon": 10.0}, "seed": seed}),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    return response.json()


def queue_of(client) -> list[dict]:
    response = client.get("/api/queue/")
    assert response.status_code == 200
    return response.json()["jobs"]


@pytest.fixture
def other_visitor():
    return Client()


def test_a_job_belongs_to_the_session_that_asked_for_it(client, place_model, enqueued):
    body = ask(client, 10.0)
    job = Job.objects.get(public_id=body["id"])
    assert job.session_key and job.session_key == client.session.session_key
    assert job.user is None
    assert [entry["id"] for entry in queue_of(client)] == [str(job.public_id)]


def test_a_logged_in_user_is_recorded_and_sees_their_jobs_from_another_session(client, place_model, enqueued):
    user = get_user_model().objects.create_user("ada", password="a-long-pass-phrase")
    client.force_login(user)
    body = ask(client, 10.0)
    assert Job.objects.get(public_id=body["id"]).user == user
    elsewhere = Client()
    elsewhere.force_login(user)
    assert [entry["id"] for entry in queue_of(elsewhere)] == [body["id"]]


def test_positions_count_the_queued_jobs_of_every_visitor_ahead(client, other_visitor, place_model, enqueued):
    theirs = ask(other_visitor, 1.0)
    first, second = ask(client, 2.0), ask(client, 3.0)
    assert theirs["position"] == 0
    mine = {entry["id"]: entry for entry in queue_of(client)}
    assert set(mine) == {first["id"], second["id"]}  # never another visitor's job
    assert (mine[first["id"]]["position"], mine[second["id"]]["position"]) == (1, 2)
    assert mine[first["id"]]["progress"] == 0

    Job.objects.filter(public_id=theirs["id"]).update(status=Job.Status.RUNNING, progress=40)
    mine = {entry["id"]: entry for entry in queue_of(client)}
    assert (mine[first["id"]]["position"], mine[second["id"]]["position"]) == (0, 1)
    assert client.get(theirs["url"]).json()["position"] is None  # running: no longer waiting


def test_a_new_visitor_has_an_empty_queue_and_a_session_for_what_they_ask_next(client, place_model, enqueued):
    assert queue_of(client) == []
    session_key = client.session.session_key
    assert session_key
    assert Job.objects.get(public_id=ask(client, 10.0)["id"]).session_key == session_key


def test_cancelling_a_queued_job_touches_no_other(client, other_visitor, place_model, enqueued):
    theirs = ask(other_visitor, 1.0)
    first, second = ask(client, 2.0), ask(client, 3.0)
    response = client.post(f"/api/jobs/{first['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    statuses = {str(public_id): status for public_id, status in Job.objects.values_list("public_id", "status")}
    assert statuses == {theirs["id"]: "queued", first["id"]: "cancelled", second["id"]: "queued"}
    assert {entry["id"]: entry["position"] for entry in queue_of(client)}[second["id"]] == 1


def test_another_visitors_job_cannot_be_cancelled(client, other_visitor, place_model, enqueued):
    theirs = ask(other_visitor, 1.0)
    response = client.post(f"/api/jobs/{theirs['id']}/cancel/")
    assert response.status_code == 403
    assert response.json() == {"detail": errors.JOB_NOT_YOURS}
    assert Job.objects.get(public_id=theirs["id"]).status == "queued"


def test_an_unknown_job_cannot_be_cancelled(client, db):
    response = client.post("/api/jobs/424242/cancel")
    assert response.status_code == 404
    assert response.json() == {"detail": errors.JOB_UNKNOWN.format(job_id=424242)}


@pytest.mark.parametrize("status", ["running", "done", "failed", "cancelled"])
def test_only_a_queued_job_can_be_cancelled(client, place_model, enqueued, status):
    job_id = ask(client, 5.0)["id"]
    Job.objects.filter(public_id=job_id).update(status=status)
    response = client.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 409
    assert response.json() == {"detail": generation_errors.JOB_NOT_CANCELLABLE.format(status=status)}
    assert Job.objects.get(public_id=job_id).status == status


def test_a_cancelled_job_is_skipped_by_the_worker_even_if_its_message_arrives(client, place_model, enqueued):
    cancelled, kept = ask(client, 2.0), ask(client, 3.0)
    client.post(f"/api/jobs/{cancelled['id']}/cancel")
    for job in (cancelled, kept):  # both messages are still in the broker
        job_services.job_run(job_id=job_pk(job["id"]))
    skipped, painted = Job.objects.get(public_id=cancelled["id"]), Job.objects.get(public_id=kept["id"])
    assert (skipped.status, skipped.attempts, skipped.artwork) == ("cancelled", 0, None)
    assert painted.status == "done" and painted.artwork is not None


def test_positions_count_only_live_jobs_ahead(client, other_visitor, place_model, enqueued):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(minutes=10)
    lost = [ask(other_visitor, float(lat)) for lat in range(5)]
    Job.objects.filter(public_id__in=[job["id"] for job in lost]).update(queued_at=long_ago)  # never sent: the broker was down
    mine = ask(client, 10.0)
    assert mine["position"] == 0  # an idle queue, whatever was lost before
    Job.objects.filter(public_id=lost[0]["id"]).update(sent_at=long_ago)  # sent: waiting in the broker, ahead
    assert client.get(mine["url"]).json()["position"] == 1
