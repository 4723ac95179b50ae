"""Model management in the admin: upload, validation shown, activate, roll back, delete refused."""
import io

import pytest
import torch
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from gallery.jobs import services as job_services
from gallery.models import Artwork
from generation import errors, services
from generation.forms import UploadLimitHandler
from generation.models import ModelVersion
from generation.selectors import model_version_active
from tests.conftest import EDIT_SUGGESTED, write_tiny_place_model, write_tiny_upsample_model
from tests.generation.conftest import model_files

UPLOAD = "/admin/generation/modelversion/upload/"
CHANGELIST = "/admin/generation/modelversion/"


def upload_form(folder, *, config_name="config.json", weights_name="weights.safetensors", name="uploaded") -> dict:
    config, weights = model_files(folder)
    return {"name": name, "config": SimpleUploadedFile(config_name, config), "weights": SimpleUploadedFile(weights_name, weights)}


def test_an_uploaded_folder_becomes_an_inactive_version_under_validation(
    admin_client, place_model, tmp_path, validations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD, upload_form(write_tiny_place_model(tmp_path / "m", seed=3)))
    version = ModelVersion.objects.get(name="uploaded")
    assert response.status_code == 302 and response["Location"] == f"{CHANGELIST}{version.pk}/change/"
    assert (version.is_active, version.validation_status) == (False, "pending")
    assert validations == [version.pk]
    assert list(ModelVersion.objects.filter(is_active=True)) == [place_model]


def test_the_add_button_leads_to_the_upload_form(admin_client, db):
    assert admin_client.get(f"{CHANGELIST}add/")["Location"] == UPLOAD
    page = admin_client.get(UPLOAD)
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content and b"weights.safetensors" in page.content


def _pickle_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2)}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"weights": SimpleUploadedFile("model.pt", _pickle_bytes())}, "weights", errors.UPLOAD_PICKLE.format(name="model.pt")),
        ({"weights": SimpleUploadedFile("model.pth", _pickle_bytes())}, "weights", errors.UPLOAD_PICKLE.format(name="model.pth")),
        ({"weights": SimpleUploadedFile("weights.npz", b"x")}, "weights", errors.UPLOAD_NOT_SAFETENSORS.format(name="weights.npz")),
        ({"config": SimpleUploadedFile("config.yaml", b"kind: place")}, "config", errors.UPLOAD_CONFIG_NOT_JSON.format(name="config.yaml")),
        ({"config": SimpleUploadedFile("config.json", b'{"kind": "poem"}')}, "config",
         errors.UPLOAD_CONFIG_KIND.format(kind="poem", kinds="place, ground, edit, compose, upsample")),
        ({"config": SimpleUploadedFile("config.json", b"[1]")}, "config",
         errors.UPLOAD_CONFIG_INVALID.format(error="it holds list")),
    ],
)
def test_bad_files_are_refused_at_the_form_and_nothing_is_stored(
    admin_client, place_model, tmp_path, models_dir, validations, change, field, message
):
    response = admin_client.post(UPLOAD, {**upload_form(write_tiny_place_model(tmp_path / "m", seed=3)), **change})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert ModelVersion.objects.count() == 1 and not models_dir.exists()
    assert validations == []


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(
    admin_client, place_model, tmp_path, models_dir, settings, monkeypatch
):
    settings.GENERATION_MODEL_UPLOAD_MAX_BYTES = 4 * 1024 * 1024
    form = upload_form(write_tiny_place_model(tmp_path / "m", seed=3))
    form["weights"] = SimpleUploadedFile("weights.safetensors", bytes(5 * 1024 * 1024))
    monkeypatch.setattr(MultiPartParser, "parse", lambda self: pytest.fail("the upload was read"))
    response = admin_client.post(UPLOAD, form)
    assert response.status_code == 413
    assert response.context["refusal"] == errors.UPLOAD_TOO_LARGE.format(limit_mb=4)
    assert ModelVersion.objects.count() == 1 and not models_dir.exists()


def test_an_upload_that_grows_past_the_limit_stops_being_read():
    body = encode_multipart(BOUNDARY, {"weights": SimpleUploadedFile("weights.safetensors", bytes(300_000))})
    request = RequestFactory().generic("POST", UPLOAD, body, content_type=MULTIPART_CONTENT)
    request.META["CONTENT_LENGTH"] = str(len(body))
    handler = UploadLimitHandler(request, limit=100_000)
    request.upload_handlers = [handler, MemoryFileUploadHandler(request)]
    assert "weights" not in request.FILES
    assert handler.exceeded and handler.received <= 100_000 + 2 * 65536


def test_the_change_page_shows_grid_metrics_validation_and_artworks(admin_client, place_model, enqueued):
    job_services.job_run(job_id=job_services.job_create(kind="place", inputs={"lat": 1, "lon": 2}, seed=1).job.pk)
    page = admin_client.get(f"{CHANGELIST}{place_model.pk}/change/").content.decode()
    place_model.refresh_from_db()
    assert f'<img class="sample-grid" src="{place_model.sample_grid.url}"' in page
    assert "oracle not available" in page
    assert '<div class="readonly">1</div>' in page  # artworks made
    listing = admin_client.get(CHANGELIST).content.decode()
    assert '<td class="field-artworks">1</td>' in listing


def test_the_change_page_states_a_ground_models_land_use_target(admin_client, ground_model):
    figures = {"generated": 0.2921, "real": 0.9354, "ratio": 0.3122, "target": 0.85}
    ModelVersion.objects.filter(pk=ground_model.pk).update(metrics={"images": 743, "land_use_accuracy": figures})
    page = admin_client.get(f"{CHANGELIST}{ground_model.pk}/change/").content.decode()
    assert "land use of 743 held-out places in 29.2% of the views" in page and "in 93.5% of their real" in page
    assert "<strong>ratio 0.31</strong> (target 0.85: missed)" in page
    assert "&quot;ratio&quot;: 0.3122" in page  # and every figure, as for a place model


def test_the_change_page_states_an_edit_models_figures_and_what_the_artwork_page_suggests(
        admin_client, measured_edit_model):
    page = admin_client.get(f"{CHANGELIST}{measured_edit_model.pk}/change/").content.decode()
    assert "what the text asks for in <strong>73.9%</strong> of the edits of 300 held-out photos" in page
    assert "<strong>30.8%</strong> worded as a visitor might" in page and "keep their value in 52.2%" in page
    assert "suggests: " + "; ".join(f"“{text}”" for text in EDIT_SUGGESTED) + ".</p>" in page


def test_a_refused_version_shows_why(admin_client, db, tmp_path, validations):
    folder = write_tiny_place_model(tmp_path / "m")
    (folder / "weights.safetensors").write_bytes(b"\x00" * 10)
    version = services.model_version_upload(config=model_files(folder)[0], weights=SimpleUploadedFile("w.safetensors", b"\x00" * 10))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    page = admin_client.get(f"{CHANGELIST}{version.pk}/change/").content.decode()
    assert version.validation_error and version.validation_error[:60] in page
    response = admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": [version.pk]}, follow=True)
    assert "its validation is failed" in response.content.decode()
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_roll_back_action(admin_client, db, tmp_path):
    first = services.model_version_register(folder=write_tiny_place_model(tmp_path / "a", seed=1), activate=True)
    second = services.model_version_register(folder=write_tiny_place_model(tmp_path / "b", seed=2), activate=True)
    response = admin_client.post(CHANGELIST, {"action": "roll_back", "_selected_action": [second.pk]}, follow=True)
    assert f"Rolled back: {first} serves place again." in response.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]


@pytest.fixture
def used_version(place_model, tmp_path, enqueued):
    """place_model, with one artwork, no longer active."""
    job_services.job_run(job_id=job_services.job_create(kind="place", inputs={"lat": 1, "lon": 2}, seed=1).job.pk)
    services.model_version_register(folder=write_tiny_place_model(tmp_path / "b", seed=2), activate=True)
    place_model.refresh_from_db()
    return place_model


def test_deleting_a_version_with_artworks_is_refused_plainly(admin_client, used_version):
    refusal = errors.DELETE_HAS_ARTWORKS.format(version=used_version, count=1)
    response = admin_client.get(f"{CHANGELIST}{used_version.pk}/delete/", follow=True)
    assert refusal in response.content.decode()
    admin_client.post(f"{CHANGELIST}{used_version.pk}/delete/", {"post": "yes"})
    response = admin_client.post(CHANGELIST, {"action": "delete_versions", "_selected_action": [used_version.pk]}, follow=True)
    assert refusal in response.content.decode()
    assert ModelVersion.objects.filter(pk=used_version.pk).exists() and Artwork.objects.count() == 1


def test_the_bulk_delete_deletes_unused_versions_and_refuses_the_rest(admin_client, used_version, tmp_path):
    unused = services.model_version_register(folder=write_tiny_place_model(tmp_path / "c", seed=3))
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()
    response = admin_client.post(
        CHANGELIST, {"action": "delete_versions", "_selected_action": [used_version.pk, unused.pk]}, follow=True
    )
    assert f"Deleted {unused}." in response.content.decode()
    assert not ModelVersion.objects.filter(pk=unused.pk).exists()
    assert ModelVersion.objects.filter(pk=used_version.pk).exists()


def test_deleting_an_unused_version_asks_first(admin_client, db, tmp_path):
    unused = services.model_version_register(folder=write_tiny_place_model(tmp_path / "c", seed=3))
    assert b"Yes, delete it" in admin_client.get(f"{CHANGELIST}{unused.pk}/delete/").content
    assert ModelVersion.objects.filter(pk=unused.pk).exists()
    response = admin_client.post(f"{CHANGELIST}{unused.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ModelVersion.objects.filter(pk=unused.pk).exists()


def test_an_uploaded_upsampler_is_validated_then_activated_and_deactivated(admin_client, tmp_path, validations):
    admin_client.post(UPLOAD, upload_form(write_tiny_upsample_model(tmp_path / "m"), name="sharper"))
    version = ModelVersion.objects.get(kind="upsample")
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    assert version.validation_status == "passed", version.validation_error
    with version.sample_grid.open("rb") as handle:  # one row: each sample picture enlarged 4x
        assert Image.open(io.BytesIO(handle.read())).size == (4 + 3 * (64 + 4), 4 + 64 + 4)

    response = admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": [version.pk]}, follow=True)
    assert f"Activated {version}: it now serves upsample." in response.content.decode()
    assert model_version_active(kind="upsample") == version

    response = admin_client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [version.pk]}, follow=True)
    assert f"Deactivated {version}: no upsample model is active now." in response.content.decode()
    assert model_version_active(kind="upsample") is None
