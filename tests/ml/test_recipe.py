"""`python -m ml recipe gpu --tiny`: the GPU recipe's plumbing, rehearsed on a CPU in seconds."""
import json
from pathlib import Path

import pytest

from ml import pipelines
from ml.cli import main
from ml.recipe import RECIPE_FILE, REPORT_FILE, TRAIN_STEPS
from ml.train import run_dir


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("recipe") / "out"
    assert main(["recipe", "gpu", "--out", str(out), "--tiny", "--minutes", "0.2"]) == 0
    return out


def test_every_step_ran_and_recorded_its_minutes_and_images_per_second(recipe):
    record = json.loads((recipe / RECIPE_FILE).read_text())
    names = [step.name for step in TRAIN_STEPS]
    expected = ["data"] + [f"{name}{part}" for name in names for part in ("", " probe", " export + eval")]
    assert list(record["steps"]) == expected
    assert all(step["minutes"] > 0 for step in record["steps"].values())
    for name in names:
        assert record["steps"][name]["images_per_second"] > 0
        assert record["steps"][name]["budget_minutes"] > 0
        probe = record["steps"][f"{name} probe"]
        assert set(probe["images_per_second"]) == {"bf16 + channels-last", "fp32"}
        assert all(rate > 0 for rate in probe["images_per_second"].values())
        assert probe["note"].startswith("no CUDA")
    assert record["device"] == "cpu" and record["minutes_used"] > 0


def test_every_model_folder_loads_and_carries_its_eval_figures(recipe):
    record = json.loads((recipe / RECIPE_FILE).read_text())
    assert list(record["models"]) == [step.name for step in TRAIN_STEPS]
    for step in TRAIN_STEPS:
        folder = recipe / "models" / step.name
        assert pipelines.load(folder).kind == step.kind
        assert record["models"][step.name]["eval"] == json.loads((folder / "metrics.jsonl").read_text())
    assert record["models"]["place"]["eval"]["fid"] > 0
    assert record["models"]["place-large"]["eval"]["resolution"] == 32
    assert 0 <= record["models"]["edit"]["eval"]["accuracy"] <= 1
    assert record["models"]["upsample"]["eval"]["side"] == 64


def test_the_report_shows_every_step_and_model(recipe):
    report = (recipe / REPORT_FILE).read_text()
    for step in TRAIN_STEPS:
        assert f"| {step.name} probe |" in report and f"- **{step.name}** (" in report
    assert "bf16 + channels-last" in report and "fp32" in report and "upsampler.psnr" in report


def test_a_run_the_clock_stopped_resumes(recipe, tmp_path):
    (run,) = (recipe / "runs" / "ground").iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["max_minutes"] > 0 and options["train"]["snapshot_minutes"] == 1
    stopped = run_dir.read_checkpoint_state(run_dir.list_checkpoints(run)[-1])
    assert stopped["kimg"] < options["train"]["max_kimg"]
    more = f"{stopped['kimg'] + 0.008:g}"
    assert main(["train", "ground", "--data", options["train"]["data"], "--out", str(tmp_path), "--resume", str(run),
                 "--max-kimg", more, "--max-minutes", "0"]) == 0
    (resumed,) = tmp_path.iterdir()
    assert run_dir.read_checkpoint_state(run_dir.list_checkpoints(resumed)[-1])["kimg"] == pytest.approx(float(more))


@pytest.mark.parametrize("extra, message", [(["--minutes", "0"], "error: --minutes must be positive, got 0.0"),
                                            (["--minutes", "nan"], "error: --minutes must be positive, got nan")])
def test_bad_minutes_are_one_line_errors(tmp_path, capsys, extra, message):
    assert main(["recipe", "gpu", "--out", str(tmp_path / "out"), "--tiny", *extra]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_empty_is_refused(tmp_path, capsys):
    (tmp_path / "kept.txt").write_text("")
    assert main(["recipe", "gpu", "--out", str(tmp_path), "--tiny"]) == 2
    assert capsys.readouterr().err == f"error: --out {tmp_path} exists and is not empty; choose a new folder\n"
