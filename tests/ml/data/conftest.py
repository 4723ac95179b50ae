"""Shared fixtures: one small GeoScenes dataset rendered once per test session."""
import pytest

from ml.cli import main


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("geoscenes") / "small"
    assert main(["geoscenes", "--cities", "8", "--per-city", "4", "--size", "32", "--seed", "3",
                 "--out", str(out)]) == 0
    return out
