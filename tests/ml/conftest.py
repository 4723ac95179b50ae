"""Fixtures of the ml tests: a tiny `place` configuration and a model folder built from it."""
from pathlib import Path

import pytest
import torch

from ml.models.place import PlaceConfig
from tests.conftest import write_tiny_place_model

TINY = dict(resolution=16, latent_dim=16, fmap_base=128, fmap_max=32, fmap_min=8,
            context_frequencies=2, context_embed_dim=8)


@pytest.fixture
def tiny_config() -> PlaceConfig:
    return PlaceConfig(**TINY)


@pytest.fixture
def place_folder(tmp_path, tiny_config) -> Path:
    return write_tiny_place_model(tmp_path / "tiny-place", config=tiny_config)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail the test if anything tries to unpickle a file."""
    import pickle

    def refuse(*args, **kwargs):
        pytest.fail("a pickle was opened")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


@pytest.fixture
def tiny_ground_folder(tmp_path) -> Path:
    from tests.conftest import write_tiny_ground_model

    return write_tiny_ground_model(tmp_path / "tiny-ground")
