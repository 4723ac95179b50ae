"""The admin's queue: jobs by status with age, cancel and retry, workers seen; staff only."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gallery.jobs import services as job_services
from generation import errors, services
from generation.models import Job, ModelVersion, WorkerSeen
from tests.conftest import write_tiny_place_model

QUEUE = "/admin/generation/job/"


def make_jobs(*statuses: str) -> list[Job]:
    jobs = [job_services.job_create(kind="place", inputs={"lat": float(i), "lon": 0.0}, seed=i).job for i, _ in enumerate(statuses)]
    for job, status in zip(jobs, statuses):
        Job.objects.filter(pk=job.pk).update(status=status)
    return jobs


def test_the_queue_counts_jobs_by_status_and_shows_their_age(admin_client, place_model, enqueued):
    queued, _, _ = make_jobs("queued", "queued", "failed")
    Job.objects.filter(pk=queued.pk).update(created=timezone.now() - timedelta(hours=3))
    page = admin_client.get(QUEUE).content.decode()
    assert "queued: <strong>2</strong>" in page and "failed: <strong>1</strong>" in page
    assert "3\xa0hours" in page  # the age of the oldest job
    filtered = admin_client.get(QUEUE, {"status__exact": "failed"})
    assert [job.status for job in filtered.context["cl"].result_list] == ["failed"]


def test_cancel_action_cancels_only_queued_jobs(admin_client, place_model, enqueued):
    queued, running, other = make_jobs("queued", "running", "queued")
    Job.objects.filter(pk=running.pk).update(heartbeat=timezone.now())  # its worker is alive
    response = admin_client.post(
        QUEUE, {"action": "cancel_queued", "_selected_action": [queued.pk, running.pk]}, follow=True
    )
    page = response.content.decode()
    assert f"1 job(s) cancelled: {queued.pk}." in page
    assert errors.JOB_NOT_CANCELLABLE_BY_STAFF.format(status="running") in page
    assert dict(Job.objects.values_list("pk", "status")) == {queued.pk: "cancelled", running.pk: "running", other.pk: "queued"}


def test_retry_action_queues_failed_jobs_again(
    admin_client, place_model, enqueued, django_capture_on_commit_callbacks
):
    failed, done = make_jobs("failed", "done")
    Job.objects.filter(pk=failed.pk).update(error="out of memory", progress=40, finished=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(QUEUE, {"action": "retry_failed", "_selected_action": [failed.pk, done.pk]}, follow=True)
    assert errors.JOB_NOT_RETRYABLE.format(status="done") in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.progress, failed.finished) == ("queued", "", 0, None)
    assert failed.queued_at > failed.created
    assert enqueued == [failed.pk]
    job_services.job_run(job_id=failed.pk)
    assert Job.objects.get(pk=failed.pk).status == "done"


def test_workers_seen_recently_are_listed_with_when(admin_client, db):
    services.worker_seen_record(hostname="celery@gpu-1")
    WorkerSeen.objects.create(hostname="celery@gpu-0", last_seen=timezone.now() - timedelta(hours=2))
    page = admin_client.get(QUEUE).content.decode()
    assert '<tr class="recent">\n          <td>celery@gpu-1</td>' in page
    assert '<tr class="stale">\n          <td>celery@gpu-0</td>' in page and "2\xa0hours ago" in page


def test_asking_the_workers_now_reports_who_answers(admin_client, db, monkeypatch):
    from config.celery import app

    monkeypatch.setattr(app.control, "ping", lambda timeout: [{"celery@gpu-1": {"ok": "pong"}}])
    page = admin_client.get(QUEUE, {"ping": "1"})
    assert page.status_code == 200
    assert "Answering now: celery@gpu-1." in page.content.decode()


@pytest.fixture
def curator(db):
    """A curator: in the curators group, even holding every generation permission, but not staff."""
    group, _ = Group.objects.get_or_create(name="curators")  # made by a data migration
    group.permissions.set(Permission.objects.filter(content_type__app_label="generation"))
    user = get_user_model().objects.create_user("curator", password="a-long-pass-phrase")
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    ["/admin/generation/modelversion/", "/admin/generation/modelversion/upload/", QUEUE],
)
def test_curators_cannot_reach_model_management_or_the_queue(curator, url):
    response = curator.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_curators_cannot_activate_or_upload(curator, tmp_path, validations):
    version = services.model_version_register(folder=write_tiny_place_model(tmp_path / "m"))
    curator.post("/admin/generation/modelversion/", {"action": "activate", "_selected_action": [version.pk]})
    assert not ModelVersion.objects.get(pk=version.pk).is_active
    config, weights = (tmp_path / "m" / "config.json").read_bytes(), (tmp_path / "m" / "weights.safetensors").read_bytes()
    curator.post("/admin/generation/modelversion/upload/", {
        "config": SimpleUploadedFile("config.json", config), "weights": SimpleUploadedFile("weights.safetensors", weights),
    })
    assert ModelVersion.objects.count() == 1 and validations == []


def test_staff_without_the_permission_cannot_upload(client, db):
    user = get_user_model().objects.create_user("clerk", password="a-long-pass-phrase", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/generation/modelversion/upload/").status_code == 403


def test_a_running_job_whose_worker_stopped_answering_can_be_retried_or_cancelled(
    admin_client, place_model, enqueued, django_capture_on_commit_callbacks
):
    stale, cancelled, alive = make_jobs("running", "running", "running")
    Job.objects.filter(pk__in=[stale.pk, cancelled.pk]).update(heartbeat=timezone.now() - timedelta(hours=1), worker="celery@gone")
    Job.objects.filter(pk=alive.pk).update(heartbeat=timezone.now(), worker="celery@gpu")
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(QUEUE, {"action": "retry_failed", "_selected_action": [stale.pk, alive.pk]},
                                 follow=True).content.decode()
    assert f"1 job(s) queued again: {stale.pk}." in page
    assert errors.JOB_NOT_RETRYABLE.format(status="running") in page
    assert enqueued == [stale.pk]
    stale.refresh_from_db()
    assert (stale.status, stale.worker, stale.heartbeat) == ("queued", "", None)

    page = admin_client.post(QUEUE, {"action": "cancel_queued", "_selected_action": [cancelled.pk, alive.pk]},
                             follow=True).content.decode()
    assert f"1 job(s) cancelled: {cancelled.pk}." in page
    assert errors.JOB_NOT_CANCELLABLE_BY_STAFF.format(status="running") in page
    assert dict(Job.objects.values_list("pk", "status")) == {stale.pk: "queued", cancelled.pk: "cancelled", alive.pk: "running"}
