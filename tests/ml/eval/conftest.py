"""Fixtures of the metric tests: a small GeoScenes dataset and an oracle trained on it briefly."""
import pytest

from ml.cli import main


@pytest.fixture(scope="session")
def scenes(tmp_path_factory):
    """40 cities x 4 photos at 16x16; a few of the cities are held out."""
    out = tmp_path_factory.mktemp("eval") / "scenes"
    assert main(["geoscenes", "--cities", "40", "--per-city", "4", "--size", "16", "--seed", "5",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def oracle_folder(scenes, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "oracle"
    assert main(["oracle", "--data", str(scenes), "--out", str(out), "--resolution", "16", "--width", "4",
                 "--epochs", "2", "--batch-size", "32"]) == 0
    return out


@pytest.fixture(scope="session")
def tiny_run(scenes, tmp_path_factory):
    """A three-step place run at 8x8 on the scenes (see tests/ml/train/conftest.py)."""
    from tests.ml.train.conftest import TINY_ARCHITECTURE, TINY_SCHEDULE

    runs = tmp_path_factory.mktemp("eval") / "runs"
    assert main(["train", "place", "--data", str(scenes), "--out", str(runs), *TINY_ARCHITECTURE,
                 *TINY_SCHEDULE]) == 0
    run, = runs.iterdir()
    return run
