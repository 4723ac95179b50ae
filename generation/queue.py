"""Sending Celery tasks by name, once the current transaction commits.

Services queue work through here and never import the task modules (which import the
services). A task is sent only after its rows are committed, so a worker never looks for a
row it cannot see yet. Where each task goes (the `gpu` queue) is `CELERY_TASK_ROUTES`.
"""
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError

from config.celery import app
from generation import errors

RUN_JOB = "generation.tasks.run_job"  # declared in gallery.tasks: a job's picture becomes an artwork
VALIDATE_MODEL_VERSION = "generation.tasks.validate_model_version"


class QueueUnavailableError(Exception):
    """The broker could not be reached (after Celery's own publish retries)."""


def send(task: str, *args) -> None:
    """Send the task named `task` with `args` now; QueueUnavailableError when the broker is down."""
    try:
        app.send_task(task, args=args)
    except (KombuError, OSError) as error:
        raise QueueUnavailableError(errors.QUEUE_UNREACHABLE.format(error=error)) from error


def enqueue(task: str, *args) -> None:
    """Send the task named `task` with `args` once the transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send(task, *args))


def waiting(task: str) -> int | None:
    """How many messages wait in the broker's queue of `task` (ready ones: not those a worker
    holds); None when the broker cannot be asked."""
    name = settings.CELERY_TASK_ROUTES.get(task, {}).get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)  # kombu's default is to retry for ever
            return connection.default_channel.queue_declare(queue=name, passive=False, durable=True,
                                                            auto_delete=False).message_count
    except (KombuError, OSError):
        return None
