"""The model registry: register or upload a model folder, validate it, activate, roll back, delete."""
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from generation import errors, queue
from generation.models import Kind, ModelVersion
from generation.selectors import model_version_active, model_version_deletion_refusal

logger = logging.getLogger(__name__)

CONFIG_MAX_BYTES = 256 * 1024
# The sample grid: one row per seed, one column per place, chosen to look as unlike as the world
# does (arctic coast, desert, tropics, alps, southern hemisphere).
SAMPLE_SEEDS = (0, 1, 2, 3)
SAMPLE_INPUTS = {
    "place": [
        {"lat": 69.6489, "lon": 18.95508},  # Tromsø
        {"lat": 31.63416, "lon": -7.99994},  # Marrakesh
        {"lat": 1.28967, "lon": 103.85007},  # Singapore
        {"lat": 47.36667, "lon": 8.55},  # Zürich
        {"lat": -36.84853, "lon": 174.76349},  # Auckland
    ],
}
SAMPLE_INPUTS["ground"] = SAMPLE_INPUTS["place"]  # the same spots, seen from the ground


class ModelRegistrationError(Exception):
    pass


class ModelActivationError(Exception):
    pass


class ModelDeletionError(Exception):
    pass


def config_kind(raw: bytes) -> str:
    """The kind an uploaded config.json declares; ModelRegistrationError says what is wrong with it."""
    if len(raw) > CONFIG_MAX_BYTES:
        raise ModelRegistrationError(errors.UPLOAD_CONFIG_TOO_LARGE.format(limit_kb=CONFIG_MAX_BYTES // 1024))
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ModelRegistrationError(errors.UPLOAD_CONFIG_INVALID.format(error=error)) from None
    if not isinstance(config, dict):
        raise ModelRegistrationError(errors.UPLOAD_CONFIG_INVALID.format(error=f"it holds {type(config).__name__}"))
    if config.get("kind") not in Kind.values:
        raise ModelRegistrationError(errors.UPLOAD_CONFIG_KIND.format(kind=config.get("kind"), kinds=", ".join(Kind.values)))
    return config["kind"]


def model_version_register(
    *, folder: str | Path, name: str | None = None, activate: bool = False, metrics: bool = False
) -> ModelVersion:
    """Validate a model folder by loading it and painting its sample grid, then record it (once
    per weights) in the registry. `metrics` also computes the oracle's metrics when available."""
    from ml import modelfolder, pipelines

    folder = Path(folder).resolve()
    try:
        pipeline = pipelines.load(folder)
        grid = _sample_grid(pipeline)
    except modelfolder.ModelFolderError as error:
        raise ModelRegistrationError(str(error)) from error
    version, _ = ModelVersion.objects.update_or_create(
        kind=pipeline.kind,
        sha256=pipeline.sha256,
        defaults={"name": name or folder.name, "folder": str(folder), "config": pipeline.config},
    )
    if version.validation_status != ModelVersion.Validation.PASSED:
        _validation_pass(version, grid=grid, metrics=_oracle_metrics(folder) if metrics else None)
    if activate:
        model_version_activate(model_version=version)
    return version


def model_version_upload(*, config: bytes, weights: File, name: str = "") -> ModelVersion:
    """Store an uploaded folder as <models dir>/<weights sha256>/ and record an inactive version
    whose validation runs on a worker once the row is committed."""
    kind = config_kind(config)
    root = Path(settings.GENERATION_MODELS_DIR).resolve()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    try:
        digest = hashlib.sha256()
        with open(staging / "weights.safetensors", "wb") as out:
            for chunk in weights.chunks():
                digest.update(chunk)
                out.write(chunk)
        (staging / "config.json").write_bytes(config)
        sha256 = digest.hexdigest()
        if existing := ModelVersion.objects.filter(sha256=sha256).first():
            raise ModelRegistrationError(errors.UPLOAD_ALREADY_REGISTERED.format(version=existing))
        folder = root / sha256
        if folder.exists():  # left by a deleted version or an interrupted upload; no version uses it
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with transaction.atomic():
        version = ModelVersion.objects.create(
            kind=kind, name=name or sha256[:12], folder=str(folder), sha256=sha256, config=json.loads(config)
        )
        queue.enqueue(queue.VALIDATE_MODEL_VERSION, version.pk)
    return version


def model_version_validate(*, model_version_id: int) -> None:
    """On a worker: load the version, paint its sample grid, compute the oracle's metrics when
    available, and store all of it. A refusal is stored as the validation error. Safe to run twice."""
    from generation.pipeline_cache import pipeline_for

    version = ModelVersion.objects.filter(pk=model_version_id).first()
    if version is None or version.validation_status == ModelVersion.Validation.PASSED:
        return
    ModelVersion.objects.filter(pk=version.pk).update(validation_status=ModelVersion.Validation.RUNNING)
    try:
        pipeline = pipeline_for(version)
        if pipeline.kind != version.kind:
            raise ValueError(errors.VALIDATION_WRONG_KIND.format(actual=pipeline.kind, expected=version.kind))
        grid = _sample_grid(pipeline)
    except SoftTimeLimitExceeded:
        _validation_fail(version, errors.VALIDATION_TIMED_OUT)
    except Exception as error:  # noqa: BLE001 - whatever stops the model is what the admin must read
        logger.info("model version %s refused: %s", version.pk, error)
        _validation_fail(version, errors.VALIDATION_FAILED.format(error=error))
    else:
        _validation_pass(version, grid=grid, metrics=_oracle_metrics(version.folder))


def _sample_columns(pipeline) -> list[dict] | None:
    if pipeline.kind == "edit":  # a rendered source picture edited by each sample text
        from ml.eval.edit_samples import registry_sample_inputs

        return registry_sample_inputs(pipeline.resolution)
    if pipeline.kind == "upsample":  # rendered pictures of the size it was trained on, enlarged
        from ml.eval.edit_samples import source_pictures

        return [{"image": picture} for picture in source_pictures(pipeline.resolution)]
    if pipeline.kind == "compose":  # the sample places, each with the same three objects
        return [{**place, "objects": pipeline.sample_objects()} for place in SAMPLE_INPUTS["place"]]
    return SAMPLE_INPUTS.get(pipeline.kind)


def _sample_grid(pipeline) -> bytes:
    """PNG bytes of a grid: one row per sample seed, one column per sample input (one row for an
    upsampler, which the seed does not change)."""
    from PIL import Image

    from ml.modelfolder import ModelFolderError

    columns = _sample_columns(pipeline)
    if not columns:
        raise ModelFolderError(errors.VALIDATION_NO_SAMPLES.format(kind=pipeline.kind))
    seeds = SAMPLE_SEEDS[:1] if pipeline.kind == Kind.UPSAMPLE else SAMPLE_SEEDS
    images = pipeline.generate([inputs for _ in seeds for inputs in columns], [seed for seed in seeds for _ in columns])
    size = images[0].width
    gap = max(1, size // 16)
    step = size + gap
    grid = Image.new("RGB", (gap + step * len(columns), gap + step * len(seeds)), "white")
    for index, image in enumerate(images):
        row, column = divmod(index, len(columns))
        grid.paste(image, (gap + column * step, gap + row * step))
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG")
    return buffer.getvalue()


def _oracle_metrics(folder: str | Path) -> dict | None:
    """ml.eval's validation metrics of a model folder; None when the oracle is not available."""
    from ml.eval.validate import validation_metrics

    try:
        return validation_metrics(folder)
    except Exception:  # noqa: BLE001 - the model passed; only its scores are missing
        logger.exception("metrics of %s could not be computed", folder)
        return None


def _validation_pass(version: ModelVersion, *, grid: bytes, metrics: dict | None) -> None:
    if version.sample_grid:
        version.sample_grid.delete(save=False)
    version.sample_grid.save(f"{version.sha256[:16]}.png", ContentFile(grid), save=False)
    version.validation_status = ModelVersion.Validation.PASSED
    version.validation_error, version.metrics, version.validated_at = "", metrics, timezone.now()
    version.save(update_fields=["sample_grid", "validation_status", "validation_error", "metrics", "validated_at"])


def _validation_fail(version: ModelVersion, message: str) -> None:
    ModelVersion.objects.filter(pk=version.pk).update(
        validation_status=ModelVersion.Validation.FAILED, validation_error=message[:2000], validated_at=timezone.now()
    )


def model_version_activate(*, model_version: ModelVersion) -> ModelVersion:
    """Make this version the one that serves its kind; the previous one stays registered."""
    if model_version.validation_status != ModelVersion.Validation.PASSED:
        detail = f" ({model_version.validation_error})" if model_version.validation_error else ""
        raise ModelActivationError(errors.ACTIVATE_NOT_VALIDATED.format(
            version=model_version, status=model_version.validation_status, detail=detail
        ))
    with transaction.atomic():
        ModelVersion.objects.filter(kind=model_version.kind, is_active=True).exclude(pk=model_version.pk).update(
            is_active=False
        )
        ModelVersion.objects.filter(pk=model_version.pk).update(is_active=True, activated_at=timezone.now())
    model_version.refresh_from_db()
    return model_version


def model_version_deactivate(*, model_version: ModelVersion) -> ModelVersion:
    """Stop serving its kind with this version, leaving none active: for an upsampler, pictures
    are then stored as their model paints them."""
    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=False)
    model_version.refresh_from_db()
    return model_version


def model_version_rollback(*, kind: str) -> ModelVersion:
    """Activate the version of `kind` that was active before the current one."""
    current = model_version_active(kind=kind)
    previous = (
        ModelVersion.objects.filter(
            kind=kind, activated_at__isnull=False, validation_status=ModelVersion.Validation.PASSED
        )
        .exclude(pk=current.pk if current else None)
        .order_by("-activated_at")
        .first()
    )
    if previous is None:
        raise ModelActivationError(errors.ROLLBACK_NOTHING.format(kind=kind))
    return model_version_activate(model_version=previous)


def model_version_delete(*, model_version: ModelVersion) -> None:
    """Delete a version that made no artwork and is not serving, with its finished jobs, its grid
    and, for an uploaded version, its folder."""
    if refusal := model_version_deletion_refusal(model_version=model_version):
        raise ModelDeletionError(refusal)
    folder, grid = Path(model_version.folder), model_version.sample_grid
    with transaction.atomic():
        model_version.jobs.all().delete()
        model_version.delete()

        def remove_files():
            if grid:
                grid.delete(save=False)
            if folder.parent == Path(settings.GENERATION_MODELS_DIR).resolve():
                shutil.rmtree(folder, ignore_errors=True)

        transaction.on_commit(remove_files)
