"""The model registry's services: upload, validation on a worker, activation, rollback, deletion."""
import io
from pathlib import Path

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.jobs import services as job_services
from gallery.models import Artwork
from generation import errors, services
from generation.models import Job, ModelVersion
from generation.services.registry import SAMPLE_INPUTS, SAMPLE_SEEDS
from tests.conftest import write_tiny_ground_model, write_tiny_place_model
from tests.generation.conftest import model_files


def upload(folder, *, name: str = "") -> ModelVersion:
    config, weights = model_files(folder)
    return services.model_version_upload(config=config, weights=SimpleUploadedFile("weights.safetensors", weights), name=name)


@pytest.fixture
def no_oracle(monkeypatch, tmp_path):
    """No oracle is installed."""
    monkeypatch.setattr("ml.eval.validate.DEFAULT_ORACLE", tmp_path / "no-oracle")


@pytest.fixture
def oracle(monkeypatch, tmp_path):
    """The shipped oracle, against fewer reference photos than the default, rendered afresh."""
    from ml.eval.cli import DEFAULT_ORACLE

    monkeypatch.setattr("ml.eval.validate.DEFAULT_CACHE", tmp_path / "eval-cache")
    monkeypatch.setattr("ml.eval.validate.REFERENCE_CITIES", 400)
    return DEFAULT_ORACLE


def test_an_upload_is_stored_by_sha256_inactive_and_validated_after_commit(
    db, tmp_path, models_dir, validations, django_capture_on_commit_callbacks
):
    folder = write_tiny_place_model(tmp_path / "m", seed=4)
    with django_capture_on_commit_callbacks(execute=True):
        version = upload(folder, name="alps")
        assert validations == []  # nothing reaches a worker before the row is committed
    assert validations == [version.pk]
    assert (version.kind, version.name, version.is_active, version.validation_status) == ("place", "alps", False, "pending")
    stored = models_dir.resolve() / version.sha256
    assert version.folder == str(stored)
    assert model_files(stored) == model_files(folder)
    assert sorted(path.name for path in models_dir.iterdir()) == [version.sha256]  # no staging left behind


def test_the_same_weights_cannot_be_uploaded_twice(db, tmp_path, models_dir, validations):
    folder = write_tiny_place_model(tmp_path / "m")
    first = upload(folder)
    with pytest.raises(services.ModelRegistrationError) as refusal:
        upload(folder)
    assert str(refusal.value) == errors.UPLOAD_ALREADY_REGISTERED.format(version=first)
    assert ModelVersion.objects.count() == 1
    assert [path.name for path in models_dir.iterdir()] == [first.sha256]


def test_validation_paints_a_grid_and_records_that_the_oracle_is_absent(db, tmp_path, validations, no_oracle):
    version = upload(write_tiny_place_model(tmp_path / "m"))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    assert (version.validation_status, version.validation_error, version.metrics) == ("passed", "", None)
    assert version.validated_at is not None
    with version.sample_grid.open("rb") as handle:
        grid = Image.open(io.BytesIO(handle.read()))
    columns, rows = len(SAMPLE_INPUTS["place"]), len(SAMPLE_SEEDS)
    assert grid.size == (1 + 17 * columns, 1 + 17 * rows)  # 16-pixel pictures, 1-pixel gaps
    services.model_version_activate(model_version=version)
    assert version.is_active


def test_validation_stores_the_oracles_metrics(db, tmp_path, validations, oracle):
    version = upload(write_tiny_place_model(tmp_path / "m"))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    from ml.modelfolder import weights_sha256

    metrics = version.metrics
    assert metrics["oracle_sha256"] == weights_sha256(oracle) and metrics["split"] == "heldout"
    assert metrics["images"] > 0 and metrics["fid"] > 0 and metrics["kid_std"] >= 0
    assert set(metrics["conditional_accuracy"]) == {"biome", "density"}


def test_validation_stores_a_ground_models_land_use_target(db, tmp_path, validations, oracle):
    version = upload(write_tiny_ground_model(tmp_path / "g"))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    figures = version.metrics["land_use_accuracy"]
    assert version.validation_status == "passed" and version.metrics["images"] > 0
    assert set(figures) == {"generated", "real", "ratio", "target"} and 0 <= figures["generated"] <= 1


def _mismatched(folder):
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"fmap_max": 32', '"fmap_max": 16'))
    return folder


def _truncated(folder):
    weights = folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"weights_sha256"', '"recorded_sha256"'))
    return folder


@pytest.mark.parametrize(
    "spoil, expected",
    [(_mismatched, "does not match config.json"), (_truncated, "weights.safetensors cannot be read")],
)
def test_a_model_that_cannot_load_is_refused_and_the_active_model_stays(place_model, tmp_path, validations, spoil, expected):
    version = upload(spoil(write_tiny_place_model(tmp_path / "m", seed=6)))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    assert version.validation_status == "failed"
    assert version.validation_error.startswith(errors.VALIDATION_FAILED.format(error=""))
    assert expected in version.validation_error
    assert not version.sample_grid
    with pytest.raises(services.ModelActivationError, match="its validation is failed"):
        services.model_version_activate(model_version=version)
    assert list(ModelVersion.objects.filter(is_active=True)) == [place_model]


def test_a_pending_version_cannot_be_activated(db, tmp_path, validations):
    version = upload(write_tiny_place_model(tmp_path / "m"))
    with pytest.raises(services.ModelActivationError) as refusal:
        services.model_version_activate(model_version=version)
    assert str(refusal.value) == errors.ACTIVATE_NOT_VALIDATED.format(version=version, status="pending", detail="")


def test_validating_twice_changes_nothing(db, tmp_path, validations, no_oracle):
    version = upload(write_tiny_place_model(tmp_path / "m"))
    services.model_version_validate(model_version_id=version.pk)
    first = ModelVersion.objects.get(pk=version.pk)
    services.model_version_validate(model_version_id=version.pk)  # delivered again
    again = ModelVersion.objects.get(pk=version.pk)
    assert (again.sample_grid.name, again.validated_at) == (first.sample_grid.name, first.validated_at)


def test_register_model_validates_in_place(db, tiny_place_model):
    version = services.model_version_register(folder=tiny_place_model)
    assert version.validation_status == "passed" and version.sample_grid


def test_rollback_returns_to_the_previously_active_version(db, tmp_path):
    first = services.model_version_register(folder=write_tiny_place_model(tmp_path / "a", seed=1), activate=True)
    second = services.model_version_register(folder=write_tiny_place_model(tmp_path / "b", seed=2), activate=True)
    services.model_version_register(folder=write_tiny_place_model(tmp_path / "c", seed=3))  # never active
    assert services.model_version_rollback(kind="place") == first
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]
    assert services.model_version_rollback(kind="place") == second  # and forward again


def test_rollback_with_no_earlier_version(db, tiny_place_model):
    services.model_version_register(folder=tiny_place_model, activate=True)
    with pytest.raises(services.ModelActivationError) as refusal:
        services.model_version_rollback(kind="place")
    assert str(refusal.value) == errors.ROLLBACK_NOTHING.format(kind="place")


def test_a_version_with_artworks_cannot_be_deleted(place_model, tmp_path, enqueued):
    job_services.job_run(job_id=job_services.job_create(kind="place", inputs={"lat": 1, "lon": 2}, seed=1).job.pk)
    newer = services.model_version_register(folder=write_tiny_place_model(tmp_path / "b", seed=2), activate=True)
    place_model.refresh_from_db()
    with pytest.raises(services.ModelDeletionError) as refusal:
        services.model_version_delete(model_version=place_model)
    assert str(refusal.value) == errors.DELETE_HAS_ARTWORKS.format(version=place_model, count=1)
    assert ModelVersion.objects.count() == 2 and Artwork.objects.count() == 1
    with pytest.raises(services.ModelDeletionError, match="it is the active place model"):
        services.model_version_delete(model_version=newer)


def test_a_version_with_waiting_jobs_cannot_be_deleted(place_model, tmp_path, enqueued):
    job = job_services.job_create(kind="place", inputs={"lat": 1, "lon": 2}, seed=1).job
    services.model_version_register(folder=write_tiny_place_model(tmp_path / "b", seed=2), activate=True)
    place_model.refresh_from_db()
    with pytest.raises(services.ModelDeletionError) as refusal:
        services.model_version_delete(model_version=place_model)
    assert str(refusal.value) == errors.DELETE_HAS_PENDING_JOBS.format(version=place_model, count=1)
    assert Job.objects.filter(pk=job.pk).exists()


def test_deleting_an_unused_upload_removes_its_folder_and_grid(
    db, tmp_path, models_dir, validations, no_oracle, django_capture_on_commit_callbacks
):
    version = upload(write_tiny_place_model(tmp_path / "m"))
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    grid = version.sample_grid.path
    with django_capture_on_commit_callbacks(execute=True):
        services.model_version_delete(model_version=version)
    assert not ModelVersion.objects.exists()
    assert list(models_dir.iterdir()) == []
    assert not Path(grid).exists()


def test_a_pickle_is_never_opened_by_validation(db, tmp_path, validations, monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    config = model_files(write_tiny_place_model(tmp_path / "ok"))[0]
    (folder / "config.json").write_bytes(config.replace(b'"weights_sha256"', b'"recorded_sha256"'))
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2)}, buffer)  # a pickle, under the name of safetensors
    (folder / "weights.safetensors").write_bytes(buffer.getvalue())
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle was opened"))
    version = upload(folder)
    services.model_version_validate(model_version_id=version.pk)
    version.refresh_from_db()
    assert version.validation_status == "failed"
    assert "weights.safetensors cannot be read" in version.validation_error


def test_a_compose_model_registers_with_a_grid_of_composed_scenes(db, tmp_path, no_oracle):
    """What the demo does with models/compose-demo: the grid composes the sample layout at each sample place."""
    from ml.models.compose import ComposeModel
    from ml.models.configs import ComposeConfig
    from ml.modelfolder import write_model_folder

    config = ComposeConfig(resolution=16, latent_dim=4, width=4, mask_width=4, d_width=4,
                           background=dict(latent_dim=8, fmap_base=64, fmap_max=16, fmap_min=8,
                                           context_frequencies=2, context_embed_dim=8))
    write_model_folder(tmp_path / "compose", kind="compose", architecture=config.to_dict(),
                       state_dict=ComposeModel(config).state_dict())
    version = services.model_version_register(folder=tmp_path / "compose", activate=True)
    assert (version.kind, version.is_active, version.validation_status) == ("compose", True, "passed")
    assert version.config["architecture"]["categories"] == config.categories
    with version.sample_grid.open("rb") as handle:
        grid = Image.open(io.BytesIO(handle.read()))
    assert grid.size == (1 + 17 * len(SAMPLE_INPUTS["place"]), 1 + 17 * len(SAMPLE_SEEDS))
