"""Fixtures of the ml tests: a tiny `place` configuration and a model folder built from it."""
from pathlib import Path

import pytest
import torch

from ml.modelfolder import write_model_folder
from ml.models.place import PlaceConfig, PlaceGenerator

TINY = dict(resolution=16, latent_dim=16, fmap_base=128, fmap_max=32, fmap_min=8,
            context_frequencies=2, context_embed_dim=8)


@pytest.fixture
def tiny_config() -> PlaceConfig:
    return PlaceConfig(**TINY)


def write_place_folder(folder: Path, config: PlaceConfig, *, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    generator = PlaceGenerator(config)
    write_model_folder(folder, kind="place", architecture=config.to_dict(), state_dict=generator.state_dict(),
                       training={"images": 0}, metrics={"kid": None})
    return folder


@pytest.fixture
def place_folder(tmp_path, tiny_config) -> Path:
    return write_place_folder(tmp_path / "tiny-place", tiny_config)


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
