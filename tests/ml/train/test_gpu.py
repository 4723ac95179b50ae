"""The GPU paths of the training skeleton: bf16 autocast, channels-last and a run on CUDA; DDP
over NCCL with two GPUs. Each test skips without what it needs."""
import pytest
import torch

from ml.cli import main
from ml.train import run_dir

from .conftest import TINY_ARCHITECTURE, TINY_SCHEDULE
from .test_distributed import PROBE

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
CUDA = run_dir.Distributed(device=torch.device("cuda")) if torch.cuda.is_available() else None


@cuda
def test_autocast_computes_in_bf16_and_networks_are_channels_last_on_cuda():
    with run_dir.autocast(CUDA):
        product = torch.ones(4, 4, device="cuda") @ torch.ones(4, 4, device="cuda")
    assert product.dtype == torch.bfloat16
    assert run_dir.memory_format(CUDA) == torch.channels_last
    conv = torch.nn.Conv2d(3, 8, 3).to("cuda", memory_format=run_dir.memory_format(CUDA))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


@cuda
def test_a_place_run_trains_on_cuda_and_writes_finite_weights(tiny_dataset, tmp_path):
    from safetensors.torch import load_file

    assert main(["train", "place", "--data", str(tiny_dataset), "--out", str(tmp_path), *TINY_ARCHITECTURE,
                 *TINY_SCHEDULE, "--max-kimg", "0.008"]) == 0
    (run,) = tmp_path.iterdir()
    weights = load_file(sorted(run.glob("checkpoint-*"))[-1] / "G.safetensors")
    assert all(torch.isfinite(tensor).all() for tensor in weights.values())


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_two_ranks_over_nccl_train_the_same_weights(tiny_dataset, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from safetensors.torch import load_file

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(PROBE), str(tmp_path), "train", "place", "--data", str(tiny_dataset), "--out",
                           str(tmp_path / "runs"), *TINY_ARCHITECTURE, *TINY_SCHEDULE, "--max-kimg", "0.008"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = (load_file(tmp_path / f"rank{rank}.safetensors") for rank in (0, 1))
    assert all(torch.equal(first[name], second[name]) for name in first)
