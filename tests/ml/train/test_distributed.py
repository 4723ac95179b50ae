"""Two processes on CPU (gloo), as torchrun starts them on GPUs: both ranks finish with the same
weights, the one checkpoint rank 0 writes holds them, and the run resumes under torchrun."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from .conftest import TINY_ARCHITECTURE, TINY_SCHEDULE

ROOT = Path(__file__).resolve().parents[3]
PROBE = Path(__file__).with_name("ddp_probe.py")


def torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not torch.distributed.is_available(), reason="this torch has no torch.distributed")
def test_two_ranks_train_the_same_weights_write_them_once_and_resume(tiny_dataset, tmp_path):
    runs = tmp_path / "runs"
    first = torchrun(str(PROBE), str(tmp_path), "train", "place", "--data", str(tiny_dataset), "--out", str(runs),
                     *TINY_ARCHITECTURE, *TINY_SCHEDULE, "--max-kimg", "0.008")
    assert first.returncode == 0, first.stderr[-2000:]
    (run,) = runs.iterdir()
    ranks = [load_file(tmp_path / f"rank{rank}.safetensors") for rank in (0, 1)]
    written = load_file(sorted(run.glob("checkpoint-*"))[-1] / "G.safetensors")
    for name, tensor in ranks[0].items():
        assert torch.equal(tensor, ranks[1][name]), name
        assert torch.equal(tensor, written[name]), name
    assert '"world_size": 2' in (run / "options.json").read_text()

    resumed = torchrun("-m", "ml", "train", "place", "--data", str(tiny_dataset), "--out", str(tmp_path / "more"),
                       "--resume", str(run), "--max-kimg", "0.012")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    (more,) = (tmp_path / "more").iterdir()
    assert [c.name for c in sorted(more.glob("checkpoint-*"))] == ["checkpoint-000000.012"]
