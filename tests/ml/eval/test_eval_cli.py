import json

import pytest

from ml.cli import main
from tests.conftest import write_tiny_place_model
from ml.models.place import PlaceConfig


@pytest.fixture
def model_folder(tmp_path):
    return write_tiny_place_model(tmp_path / "place", config=PlaceConfig(resolution=16, latent_dim=16, fmap_base=128,
                                                              fmap_max=32, fmap_min=8, context_frequencies=2,
                                                              context_embed_dim=8))


def test_eval_prints_the_metrics_and_appends_them_to_the_model_folder(scenes, oracle_folder, model_folder,
                                                                       tmp_path, capsys):
    args = ["eval", str(model_folder), "--data", str(scenes), "--oracle", str(oracle_folder),
            "--cache", str(tmp_path / "cache"), "--images", "60"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "FID (oracle features)" in out and "conditional accuracy, biome" in out
    assert out.count("floor (real vs real)") == 3 and "precision / recall" in out
    assert "variance of the Laplacian" in out and "mean gradient" in out and "edge strength at 16 px:" in out
    assert "edge strength at 8 px, both shrunk alike (2x2 means):" in out
    assert "decades of a class bound" not in out and "  biome " not in out  # on request only
    assert main(args + ["--metrics", "fid"]) == 0
    assert main(args + ["--metrics", "density_bounds,class_accuracy"]) == 0
    out = capsys.readouterr().out
    assert "density, within 0.1 decades of a class bound (" in out and "density, beyond 0.1 decades" in out
    per_class = [line for line in out.splitlines() if line.startswith("  biome ")]
    assert per_class and all(" places): generated " in line for line in per_class)
    lines = (model_folder / "metrics.jsonl").read_text().splitlines()
    first, second, third = (json.loads(line) for line in lines)
    assert third["density_bounds"]["near"]["places"] + third["density_bounds"]["far"]["places"] <= 60
    assert first["fid"] == second["fid"] and "kid" in first and "kid" not in second
    assert set(first["conditional_accuracy"]) == {"biome", "density"}
    assert {"precision", "recall", "floor", "edge_strength"} <= set(first) and "floor" not in second
    assert {"fid", "kid", "precision", "recall"} <= set(first["floor"])
    assert first["target"].startswith("place (") and first["images"] <= 60


def test_eval_measures_a_training_runs_checkpoint(scenes, oracle_folder, tiny_run, tmp_path):
    assert main(["eval", str(tiny_run), "--data", str(scenes), "--oracle", str(oracle_folder), "--images", "40",
                 "--cache", str(tmp_path / "cache"), "--checkpoint", "000000.008"]) == 0
    record = json.loads((tiny_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["target"] == f"{tiny_run.name}/checkpoint-000000.008"


@pytest.mark.parametrize("extra, message", [
    (["--metrics", "fid,sharpness"], "unknown metric 'sharpness'"),
    (["--images", "1"], "--images must be a positive integer"),
    (["--oracle", "/nonexistent/oracle"], "no oracle at /nonexistent/oracle"),
])
def test_eval_refuses_bad_options_in_one_line(scenes, model_folder, oracle_folder, extra, message, capsys):
    args = ["eval", str(model_folder), "--data", str(scenes), "--oracle", str(oracle_folder), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (model_folder / "metrics.jsonl").exists()


def test_eval_refuses_a_folder_that_is_no_model_and_no_run(scenes, oracle_folder, tmp_path, capsys):
    assert main(["eval", str(tmp_path), "--data", str(scenes), "--oracle", str(oracle_folder)]) == 2
    assert "is neither a model folder" in capsys.readouterr().err


def test_oracle_refuses_a_folder_without_a_dataset(tmp_path, capsys):
    assert main(["oracle", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no manifest.jsonl" in capsys.readouterr().err
