"""Fixtures of the generation tests: uploaded-model storage, recorded validations, admin users."""
import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with the job rate limit unspent (it counts in the default cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def models_dir(settings, tmp_path):
    settings.GENERATION_MODELS_DIR = tmp_path / "uploaded-models"
    return settings.GENERATION_MODELS_DIR


@pytest.fixture
def validations(monkeypatch):
    """Model version ids handed to Celery for validation, recorded instead of sent."""
    from generation import tasks

    ids = []
    monkeypatch.setattr(tasks.validate_model_version, "delay", ids.append)
    return ids


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-pass-phrase")
    client.force_login(user)
    return client


def model_files(folder) -> tuple[bytes, bytes]:
    """(config.json, weights.safetensors) of a model folder."""
    return (folder / "config.json").read_bytes(), (folder / "weights.safetensors").read_bytes()
