"""The run folder skeleton: numbering, checkpoints of tensors + JSON, and their round trip."""
import torch
from torch import nn

from ml.train import run_dir


def test_run_folders_are_numbered_after_the_highest(tmp_path):
    assert run_dir.next_run_dir(tmp_path / "none", "x").name == "00000-x"
    (tmp_path / "00003-old").mkdir()
    (tmp_path / "notes").mkdir()
    assert run_dir.next_run_dir(tmp_path, "place-a-b").name == "00004-place-a-b"


def test_kimg_labels_sort_like_the_numbers():
    labels = [run_dir.kimg_label(n) for n in (4, 12, 1000, 250_500)]
    assert labels == ["000000.004", "000000.012", "000001.000", "000250.500"] == sorted(labels)


def test_checkpoint_round_trip_restores_networks_and_adam_without_pickles(tmp_path):
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1, betas=(0.0, 0.99))
    net(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    folder = run_dir.save_checkpoint(tmp_path / "checkpoint-000000.004", networks={"G": net},
                                     optimizers={"G": optimizer}, state={"kind": "place", "nimg": 4})
    assert sorted(p.name for p in folder.iterdir()) == ["G.safetensors", "optimizers.safetensors", "state.json"]
    copy = nn.Linear(3, 2)
    copy_optimizer = torch.optim.Adam(copy.parameters(), lr=0.5)
    run_dir.load_network(folder, "G", copy)
    state = run_dir.read_checkpoint_state(folder)
    run_dir.load_optimizers(folder, {"G": copy_optimizer}, state)
    assert torch.equal(copy.weight, net.weight)
    assert copy_optimizer.param_groups[0]["lr"] == 0.1
    assert torch.equal(copy_optimizer.state[copy.weight]["exp_avg_sq"], optimizer.state[net.weight]["exp_avg_sq"])
    assert run_dir.list_checkpoints(tmp_path) == [folder]
