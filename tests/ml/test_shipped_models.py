"""The models shipped in models/ are what the demo serves: each must load and paint."""
from pathlib import Path

import pytest
from PIL import Image

from ml import pipelines

SHIPPED = Path(__file__).resolve().parents[2] / "models"
MODELS = sorted(path.parent for path in SHIPPED.glob("*/config.json"))  # generators: the demo registers them
ORACLES = sorted(path.parent for path in SHIPPED.glob("oracles/*/config.json"))
WEIGHTS_LIMIT = 15 * 1024 * 1024
ALL_WEIGHTS_LIMIT = 30 * 1024 * 1024
# What each kind's check paints: one request of that kind.
SAMPLE_INPUT = {
    "place": lambda: {"lat": 69.65, "lon": 18.96},
    "ground": lambda: {"lat": 69.65, "lon": 18.96},
    "edit": lambda: {"image": Image.new("RGB", (64, 64), (90, 120, 160)), "text": "the same place at night"},
    "compose": lambda: {"lat": 69.65, "lon": 18.96, "objects": [
        {"category": "tree", "box": [0.1, 0.4, 0.4, 0.95], "shape": "mask", "colour": None}]},
    "upsample": lambda: {"image": Image.new("RGB", (32, 32), (90, 120, 160))},
}


@pytest.mark.parametrize("folder", MODELS, ids=[path.name for path in MODELS])
def test_a_shipped_model_loads_paints_and_says_how_it_was_made(folder):
    assert (folder / "weights.safetensors").stat().st_size <= WEIGHTS_LIMIT
    assert "python -m ml" in (folder / "README.md").read_text(), "the README gives the command that made it"
    pipeline = pipelines.load(folder)
    assert pipeline.config["training"], "a shipped model is a trained one"
    (image,) = pipeline.generate([SAMPLE_INPUT[pipeline.kind]()], [0])
    side = pipeline.resolution * getattr(pipeline, "scale", 1)  # an upsampler paints `scale` times its input
    assert image.size == (side, side)


@pytest.mark.parametrize("folder", ORACLES, ids=[path.name for path in ORACLES])
def test_a_shipped_oracle_loads_and_reports_its_heldout_accuracy(folder):
    import torch

    from ml.eval.oracle import load_oracle
    from ml.modelfolder import read_config

    assert (folder / "weights.safetensors").stat().st_size <= WEIGHTS_LIMIT
    assert "python -m ml oracle" in (folder / "README.md").read_text()
    accuracy = read_config(folder)["metrics"]["heldout_accuracy"]
    assert min(accuracy["biome"], accuracy["density"]) > 0.5
    oracle, _ = load_oracle(folder)
    features, logits = oracle(torch.zeros(2, 3, 64, 64))
    assert features.shape[0] == 2 and set(logits) == set(accuracy)


def test_all_shipped_weights_fit_the_budget():
    assert ORACLES, "the metrics need the shipped oracle"
    assert sum(path.stat().st_size for path in SHIPPED.rglob("weights.safetensors")) <= ALL_WEIGHTS_LIMIT
