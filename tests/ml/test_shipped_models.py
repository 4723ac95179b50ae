"""The models shipped in models/ are what the demo serves: each must load and paint."""
from pathlib import Path

import pytest

from ml import pipelines

MODELS = sorted(path for path in (Path(__file__).resolve().parents[2] / "models").glob("*") if path.is_dir())
WEIGHTS_LIMIT = 15 * 1024 * 1024


@pytest.mark.parametrize("folder", MODELS, ids=[path.name for path in MODELS])
def test_a_shipped_model_loads_paints_and_says_how_it_was_made(folder):
    assert (folder / "weights.safetensors").stat().st_size <= WEIGHTS_LIMIT
    assert "python -m ml" in (folder / "README.md").read_text(), "the README gives the command that made it"
    pipeline = pipelines.load(folder)
    assert pipeline.config["training"], "a shipped model is a trained one"
    (image,) = pipeline.generate([{"lat": 69.65, "lon": 18.96}], [0])
    assert image.size == (pipeline.resolution, pipeline.resolution)
