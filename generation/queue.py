"""Sending Celery tasks by name, once the current transaction commits.

Services queue work through here and never import the task modules (which import the
services). A task is sent only after its rows are committed, so a worker never looks for a
row it cannot see yet. Where each task goes (the `gpu` queue) is `CELERY_TASK_ROUTES`.
"""
from django.db import transaction

from config.celery import app

RUN_JOB = "generation.tasks.run_job"  # declared in gallery.tasks: a job's picture becomes an artwork
VALIDATE_MODEL_VERSION = "generation.tasks.validate_model_version"


def enqueue(task: str, *args) -> None:
    """Send the task named `task` with `args` once the transaction commits (at once outside one)."""
    transaction.on_commit(lambda: app.send_task(task, args=args))
