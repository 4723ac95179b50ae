"""`python -m ml handoff`: a run's checkpoint in files small enough to commit, which another
machine resumes like the checkpoint itself."""
import json

import pytest
import torch
from safetensors.torch import load_file

from ml.cli import main
from ml.train import handoff, run_dir

from .conftest import train


def test_a_handoff_keeps_the_networks_exactly_and_the_moments_in_bf16(trained_run, tmp_path, capsys):
    out = tmp_path / "handoff"
    assert main(["handoff", str(trained_run), "--out", str(out)]) == 0
    assert "continue it with python -m ml train place --resume" in capsys.readouterr().out
    checkpoint = run_dir.list_checkpoints(trained_run)[-1]
    assert sorted(path.name for path in out.iterdir()) == [
        "D.safetensors", "G.safetensors", "G_ema.safetensors", "optimizer-D.safetensors", "optimizer-G.safetensors",
        "state.json"]
    for name in ("G", "G_ema", "D"):
        assert (out / f"{name}.safetensors").read_bytes() == (checkpoint / f"{name}.safetensors").read_bytes()
    original = load_file(str(checkpoint / run_dir.OPTIMIZERS_FILE))
    moments = {**load_file(str(out / "optimizer-G.safetensors")), **load_file(str(out / "optimizer-D.safetensors"))}
    # The run's Adam has beta1 = 0: its first moment is the last gradient, overwritten before it is read.
    assert moments.keys() == {key for key in original if not key.endswith(".exp_avg")}
    for key, value in moments.items():
        if key.endswith(".step"):
            assert torch.equal(value, original[key])
        else:
            assert value.dtype == torch.bfloat16
            torch.testing.assert_close(value.float(), original[key], rtol=1 / 128, atol=0)


def test_training_resumes_from_a_handoff_where_the_checkpoint_stopped(trained_run, tiny_dataset, tmp_path):
    out = tmp_path / "handoff"
    assert main(["handoff", str(trained_run), "--out", str(out)]) == 0
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(out), "--max-kimg", "0.016") == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "options.json").read_text())["resumed_from"]["kimg"] == 0.012
    assert [json.loads(line)["kimg"] for line in (run / "stats.jsonl").read_text().splitlines()] == [0.016]
    # The step from the handoff is the step from the checkpoint, but for the moments' bf16 rounding.
    assert train(tiny_dataset, tmp_path / "direct", "--resume", str(run_dir.list_checkpoints(trained_run)[-1]),
                 "--max-kimg", "0.016") == 0
    (direct,) = (tmp_path / "direct").glob("*/checkpoint-000000.016")
    (handed,) = run.glob("checkpoint-000000.016")
    for name in ("G", "D"):
        expected = load_file(str(direct / f"{name}.safetensors"))
        for key, value in load_file(str(handed / f"{name}.safetensors")).items():
            torch.testing.assert_close(value, expected[key], rtol=0, atol=1e-4)


def test_a_handoff_with_a_file_over_the_limit_is_refused_and_leaves_nothing(trained_run, tmp_path, capsys,
                                                                             monkeypatch):
    monkeypatch.setattr(handoff, "MAX_FILE_BYTES", 1000)
    out = tmp_path / "handoff"
    assert main(["handoff", str(trained_run), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "over the 0.001 MB a committed file may weigh" in error
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("arguments, message", [
    (["--checkpoint", "000009.999"], "no such checkpoint"),
])
def test_a_handoff_of_a_missing_checkpoint_names_the_ones_there(trained_run, tmp_path, capsys, arguments, message):
    assert main(["handoff", str(trained_run), "--out", str(tmp_path / "handoff"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
