"""What every loop shares: a run ends when its minutes are up (with a final snapshot) and resumes
from there; snapshots every few minutes; fp32 instead of bf16 + channels-last on request; the
losses beside the progress bar."""
import json

import pytest
import torch

from ml.train import run_dir
from ml.train.skeleton import TrainerSkeleton

from .conftest import train

NO_KIMG_SNAPSHOTS = ["--snapshot-kimg", "100", "--sample-kimg", "100", "--tick-kimg", "100"]


def checkpoint_kimgs(run) -> list[float]:
    return [run_dir.read_checkpoint_state(folder)["kimg"] for folder in run_dir.list_checkpoints(run)]


def test_a_run_out_of_minutes_stops_with_a_snapshot_and_resumes_to_its_end(tiny_dataset, tmp_path):
    # 0.00001 minutes are up after the first step: 4 of the 12 images, then a checkpoint.
    assert train(tiny_dataset, tmp_path / "first", "--max-kimg", "0.012", "--max-minutes", "0.00001",
                 *NO_KIMG_SNAPSHOTS) == 0
    (first,) = (tmp_path / "first").iterdir()
    assert checkpoint_kimgs(first) == [0.004]
    assert "done at kimg 0.004 (its 1e-05 minutes are up)" in (first / "log.txt").read_text()
    assert json.loads((first / "options.json").read_text())["train"]["max_minutes"] == 0.00001

    # Resumed, the run keeps its limit unless the command turns it off (0).
    assert train(tiny_dataset, tmp_path / "again", "--resume", str(first), *NO_KIMG_SNAPSHOTS) == 0
    assert checkpoint_kimgs(next((tmp_path / "again").iterdir())) == [0.008]
    assert train(tiny_dataset, tmp_path / "last", "--resume", str(first), "--max-minutes", "0",
                 *NO_KIMG_SNAPSHOTS) == 0
    (last,) = (tmp_path / "last").iterdir()
    assert checkpoint_kimgs(last) == [0.012]
    options = json.loads((last / "options.json").read_text())
    assert options["train"]["max_minutes"] is None and "--max-minutes 0 " in options["command"]


def test_snapshot_minutes_write_checkpoints_between_the_kimg_ones(tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path, "--max-kimg", "0.012", "--snapshot-minutes", "0.00001",
                 *NO_KIMG_SNAPSHOTS) == 0
    (run,) = tmp_path.iterdir()
    assert checkpoint_kimgs(run) == [0.004, 0.008, 0.012]


@pytest.mark.parametrize("option, value", [("--max-minutes", "-1"), ("--snapshot-minutes", "-0.5")])
def test_negative_minutes_are_refused(tiny_dataset, tmp_path, capsys, option, value):
    assert train(tiny_dataset, tmp_path, option, value) == 2
    assert capsys.readouterr().err == f"error: {option} must be >= 0, got {float(value)}\n"


def test_fp32_turns_off_bf16_and_channels_last_only_where_they_apply():
    cuda_fp32 = run_dir.Distributed(device=torch.device("cuda"), mixed_precision=False)
    assert not cuda_fp32.is_mixed and run_dir.memory_format(cuda_fp32) == torch.contiguous_format
    assert run_dir.Distributed(device=torch.device("cuda")).is_mixed
    assert not run_dir.Distributed().is_mixed  # a CPU run is fp32 either way


def test_the_progress_bar_shows_a_loss_not_computed_yet_as_a_dash():
    trainer = TrainerSkeleton.__new__(TrainerSkeleton)  # only the recorded losses matter here
    trainer.tick_stats = {"loss_d": [torch.tensor(0.25), torch.tensor(-1.5)]}
    assert trainer.latest("+.3f", D="loss_d", G="loss_g") == "D -1.500 G –"  # the critic warming up alone


def test_a_ramp_down_takes_the_lr_linearly_to_zero_at_the_end_and_a_resume_goes_on_with_it(tiny_dataset, tmp_path):
    def lrs(run):  # the lr each checkpoint's next step takes, of G and of D
        return [{name: groups[0]["lr"] for name, groups in run_dir.read_checkpoint_state(folder)
                 ["optimizer_param_groups"].items()} for folder in run_dir.list_checkpoints(run)]

    # 4 steps of 4 images, the last 8 images ramped: full lr up to kimg 0.008, half at 0.012, 0 at the end.
    assert train(tiny_dataset, tmp_path / "first", "--max-kimg", "0.016", "--lr", "0.002", "--lr-rampdown-kimg",
                 "0.008", "--snapshot-minutes", "0.00001", *NO_KIMG_SNAPSHOTS) == 0
    (first,) = (tmp_path / "first").iterdir()
    assert lrs(first) == [{"G": lr, "D": lr} for lr in (0.002, 0.002, 0.001, 0.0)]
    # Resumed halfway down, with the ramp taken from the run's options.
    halfway = run_dir.list_checkpoints(first)[2]
    assert train(tiny_dataset, tmp_path / "again", "--resume", str(halfway), *NO_KIMG_SNAPSHOTS) == 0
    (again,) = (tmp_path / "again").iterdir()
    assert lrs(again) == [{"G": 0.0, "D": 0.0}]
