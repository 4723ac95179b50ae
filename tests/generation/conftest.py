"""Fixtures of the generation tests: uploaded-model storage, recorded validations, admin users."""
import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def models_dir(settings, tmp_path):
    settings.GENERATION_MODELS_DIR = tmp_path / "uploaded-models"
    return settings.GENERATION_MODELS_DIR


@pytest.fixture
def validations(sent_tasks):
    """Ids of the model versions handed to Celery for validation."""
    from generation import queue

    return sent_tasks[queue.VALIDATE_MODEL_VERSION]


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-pass-phrase")
    client.force_login(user)
    return client


def model_files(folder) -> tuple[bytes, bytes]:
    """(config.json, weights.safetensors) of a model folder."""
    return (folder / "config.json").read_bytes(), (folder / "weights.safetensors").read_bytes()
