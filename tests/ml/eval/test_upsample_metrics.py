"""eval-upsample: the learned upsampler against bicubic on rendered pairs and on a generator's pictures."""
import json
import math

import pytest
import torch
from PIL import Image

from ml.cli import main
from ml.eval.upsample_metrics import bicubic, psnr

TINY = ["--width", "8", "--layers", "2", "--resolution", "16", "--scale", "2", "--batch-size", "8",
        "--tick-kimg", "0.016", "--sample-kimg", "0.016", "--snapshot-kimg", "0.016", "--max-kimg", "0.016"]


def test_psnr_of_a_known_error():
    reference = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    off_by_ten = reference + 10
    assert psnr(off_by_ten, reference) == pytest.approx(10 * math.log10(255 ** 2 / 100), abs=1e-3)
    assert psnr(reference, reference) > 100


def test_bicubic_enlarges_by_the_scale_and_keeps_a_flat_picture_flat():
    flat = torch.full((1, 3, 8, 8), 77, dtype=torch.uint8)
    assert torch.equal(bicubic(flat, 4), torch.full((1, 3, 32, 32), 77, dtype=torch.uint8))


@pytest.fixture(scope="session")
def upsample_model(scenes, tmp_path_factory):
    """A tiny x2 upsampler trained briefly on `scenes` (16x16) and the same scenes at 32x32."""
    root = tmp_path_factory.mktemp("upsample")
    assert main(["geoscenes", "--cities", "40", "--per-city", "4", "--size", "32", "--seed", "5",
                 "--out", str(root / "scenes32")]) == 0
    assert main(["train", "upsample", "--data", str(scenes), "--target", str(root / "scenes32"),
                 "--out", str(root / "runs"), *TINY]) == 0
    (run,) = (root / "runs").iterdir()
    assert main(["export", str(run), "--out", str(root / "model")]) == 0
    return root / "model", root / "scenes32"


def test_eval_upsample_measures_both_enlargements_and_a_generators_pictures(upsample_model, scenes, oracle_folder,
                                                                            tiny_run, tmp_path, capsys):
    model, scenes32 = upsample_model
    assert main(["export", str(tiny_run), "--checkpoint", "latest", "--out", str(tmp_path / "place")]) == 0
    assert main(["eval-upsample", str(model), "--data", str(scenes), "--target", str(scenes32), "--oracle",
                 str(oracle_folder), "--images", "20", "--generator", str(tmp_path / "place"),
                 "--grid", str(tmp_path / "grid.png")]) == 0
    out = capsys.readouterr().out
    with Image.open(tmp_path / "grid.png") as grid:  # 6 columns of 32 px pictures, a row per scene
        assert grid.width == 6 * 36 - 4 and grid.height % 36 == 32
    assert "upsampler" in out and "bicubic" in out and "drop after the upsampler" in out
    record = json.loads((model / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["side"] == 32 and record["split"] == "heldout" and 2 <= record["images"] <= 20
    for name in ("upsampler", "bicubic"):
        assert 5 < record[name]["psnr"] < 60 and record[name]["edge_strength"]["resolution"] == 32
    result = record["generated"]
    assert result["native_side"] == 8
    for attribute, drop in result["accuracy_drop"].items():
        assert drop == pytest.approx(result["native"]["conditional_accuracy"][attribute]
                                     - result["upsampler"]["conditional_accuracy"][attribute], abs=1e-6)


def test_eval_upsample_on_training_cities_measures_other_scenes(upsample_model, scenes, oracle_folder, capsys):
    """--split train: a run's checkpoints are compared there, so the held-out cities choose nothing."""
    model, scenes32 = upsample_model
    common = ["eval-upsample", str(model), "--data", str(scenes), "--target", str(scenes32), "--oracle",
              str(oracle_folder), "--images", "20"]
    assert main([*common, "--split", "train"]) == 0 and main(common) == 0
    assert "training-city scenes" in capsys.readouterr().out
    train, heldout = [json.loads(line) for line in (model / "metrics.jsonl").read_text().splitlines()[-2:]]
    assert (train["split"], heldout["split"]) == ("train", "heldout")
    assert train["upsampler"]["psnr"] != heldout["upsampler"]["psnr"]


def test_eval_upsample_refuses_a_model_of_another_kind(tiny_run, scenes, oracle_folder, tmp_path, capsys):
    assert main(["export", str(tiny_run), "--checkpoint", "latest", "--out", str(tmp_path / "place")]) == 0
    assert main(["eval-upsample", str(tmp_path / "place"), "--data", str(scenes), "--target", str(scenes),
                 "--oracle", str(oracle_folder)]) == 2
    assert "is a model of kind 'place'; eval-upsample measures an upsample model" in capsys.readouterr().err
