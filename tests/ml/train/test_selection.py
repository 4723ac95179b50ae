"""Model selection by the duality gap, and `python -m ml export`."""
import json

import torch

import ml.pipelines
import ml.train.selection
from ml.cli import main
from ml.models.place import PlaceConfig, PlaceDiscriminator, PlaceGenerator, location_context
from ml.train.image_cache import load_image_cache
from ml.train.selection import GapConfig, HeldOutGame, duality_gap


def test_duality_gap_is_finite_and_leaves_the_networks_unchanged(tiny_dataset):
    config = PlaceConfig(resolution=8, latent_dim=8, fmap_base=64, fmap_max=16, fmap_min=8,
                         context_frequencies=2, context_embed_dim=8)
    torch.manual_seed(0)
    G, D = PlaceGenerator(config), PlaceDiscriminator(config)
    before = [p.clone() for p in [*G.parameters(), *D.parameters()]]
    data = load_image_cache(tiny_dataset, resolution=8, split="heldout", progress=False)
    game = HeldOutGame(data, location_context(data.lat, data.lon, 2), 8, GapConfig(steps=3, batch_size=4),
                       torch.device("cpu"))
    first, second = duality_gap(G, D, game), duality_gap(G, D, game)
    assert torch.isfinite(torch.tensor(first.gap))
    assert first == second  # the same latents and batches every time
    assert first.gap == first.worst_critic_value - first.worst_generator_value
    assert all(torch.equal(a, b) for a, b in zip(before, [*G.parameters(), *D.parameters()]))


def test_export_best_picks_the_smallest_gap_and_loads(trained_run, tmp_path, capsys, monkeypatch):
    gaps = iter([0.1, 0.5])  # the two full-resolution checkpoints, oldest first
    real_gap = ml.train.selection.duality_gap

    def fake_gap(G, D, game):
        estimate = real_gap(G, D, game)
        estimate.gap = next(gaps)
        return estimate

    monkeypatch.setattr(ml.train.selection, "duality_gap", fake_gap)
    out = tmp_path / "model"
    assert main(["export", str(trained_run), "--out", str(out), "--gap-steps", "2", "--gap-batch", "4"]) == 0
    printed = capsys.readouterr().out
    assert "checkpoint-000000.008" in printed and "checkpoint-000000.012" in printed
    assert "checkpoint-000000.004" not in printed  # 4x4: not a full-resolution candidate
    assert "picked checkpoint-000000.008 (gap 0.10000)" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "place" and config["metrics"]["duality_gap"] == 0.1
    assert config["training"]["checkpoint"] == "checkpoint-000000.008" and config["training"]["kimg"] == 0.008
    assert config["training"]["cities"] == 2 and config["training"]["seed"] == 0
    pipeline = ml.pipelines.load(out)
    (image,) = pipeline.generate([{"lat": 69.65, "lon": 18.96}], [7])
    assert image.size == (8, 8)


def test_export_latest_with_the_real_gap(trained_run, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["export", str(trained_run), "--out", str(out), "--checkpoint", "latest", "--gap-steps", "2",
                 "--gap-batch", "4"]) == 0
    assert "picked checkpoint-000000.012" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert isinstance(config["metrics"]["duality_gap"], float)
    assert main(["export", str(trained_run), "--out", str(out)]) == 2  # never overwrites
    assert "exists and is not empty" in capsys.readouterr().err


def test_export_average_writes_the_mean_of_the_last_checkpoints_generators(trained_run, tmp_path, capsys):
    from safetensors.torch import load_file

    out = tmp_path / "model"
    assert main(["export", str(trained_run), "--out", str(out), "--checkpoint", "latest", "--average", "2",
                 "--gap-steps", "2", "--gap-batch", "4"]) == 0
    averaged = ["checkpoint-000000.008", "checkpoint-000000.012"]
    assert json.loads((out / "config.json").read_text())["training"]["averaged"] == averaged
    exported = load_file(str(out / "weights.safetensors"))
    checkpoints = [load_file(str(trained_run / name / "G_ema.safetensors")) for name in averaged]
    assert not torch.equal(checkpoints[0]["input_dense.weight"], checkpoints[1]["input_dense.weight"])
    for name, value in exported.items():
        torch.testing.assert_close(value, (checkpoints[0][name] + checkpoints[1][name]) / 2)
    (image,) = ml.pipelines.load(out).generate([{"lat": 69.65, "lon": 18.96}], [7])
    assert image.size == (8, 8)


def test_export_average_refuses_too_many_or_unfinished_checkpoints_and_writes_nothing(trained_run, tmp_path, capsys):
    out = tmp_path / "model"
    common = ["export", str(trained_run), "--out", str(out), "--gap-steps", "2", "--gap-batch", "4"]
    assert main([*common, "--checkpoint", "000000.008", "--average", "3"]) == 2
    err = capsys.readouterr().err
    assert "--average 3: " in err and "only 2 checkpoint(s) up to checkpoint-000000.008" in err
    assert main([*common, "--checkpoint", "latest", "--average", "3"]) == 2
    assert "checkpoint-000000.004 is not at full resolution" in capsys.readouterr().err
    assert main([*common, "--average", "0"]) == 2
    assert "--average" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
