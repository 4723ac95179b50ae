"""Writes of the generation app: jobs (`jobs`) and the model registry (`registry`)."""
from generation.services.jobs import (
    DRAWN_SEED_LIMIT,
    SEED_LIMIT,
    JobNotSentError,
    JobStateError,
    NoActiveModelError,
    job_add,
    job_batch_claim,
    job_batchable,
    job_cancel,
    job_fail,
    job_finish,
    job_paint,
    job_retry,
    job_send,
    job_start,
    job_upsample,
    job_views_paint,
    jobs_paint,
    request_key,
    view_seed,
    worker_seen_record,
)
from generation.services.compose import Composition, job_compose
from generation.services.recovery import Recovery, jobs_recover, worker_heartbeat
from generation.services.registry import (
    ModelActivationError,
    ModelDeletionError,
    ModelRegistrationError,
    config_kind,
    model_version_activate,
    model_version_deactivate,
    model_version_delete,
    model_version_register,
    model_version_rollback,
    model_version_upload,
    model_version_validate,
)

__all__ = [
    "DRAWN_SEED_LIMIT", "SEED_LIMIT", "Composition", "JobNotSentError", "JobStateError", "ModelActivationError",
    "ModelDeletionError", "ModelRegistrationError", "NoActiveModelError", "Recovery", "config_kind", "job_add",
    "job_batch_claim", "job_batchable", "job_cancel", "job_compose", "job_fail", "job_finish", "job_paint",
    "job_retry", "job_send", "job_start", "job_upsample", "jobs_recover", "job_views_paint", "jobs_paint",
    "model_version_activate", "model_version_deactivate", "model_version_delete",
    "model_version_register", "model_version_rollback", "model_version_upload", "model_version_validate",
    "request_key", "view_seed", "worker_heartbeat", "worker_seen_record",
]
