"""Writes of the generation app: jobs (`jobs`) and the model registry (`registry`)."""
from generation.services.jobs import (
    DRAWN_SEED_LIMIT,
    JobRequest,
    JobStateError,
    ModelFolderGoneError,
    NoActiveModelError,
    artwork_regenerate,
    artwork_variations_create,
    job_cancel,
    job_create,
    job_fail,
    job_retry,
    job_run,
    jobs_create,
    request_key,
    worker_seen_record,
)
from generation.services.registry import (
    ModelActivationError,
    ModelDeletionError,
    ModelRegistrationError,
    config_kind,
    model_version_activate,
    model_version_delete,
    model_version_register,
    model_version_rollback,
    model_version_upload,
    model_version_validate,
)

__all__ = [
    "DRAWN_SEED_LIMIT", "JobRequest", "JobStateError", "ModelActivationError", "ModelDeletionError",
    "ModelFolderGoneError", "ModelRegistrationError", "NoActiveModelError", "artwork_regenerate",
    "artwork_variations_create", "config_kind", "job_cancel", "job_create", "job_fail", "job_retry", "job_run",
    "model_version_activate", "model_version_delete", "model_version_register", "model_version_rollback",
    "model_version_upload", "model_version_validate", "request_key", "worker_seen_record",
]
