"""The ground training loop and export on a tiny GeoScenes dataset with overhead tiles."""
import json
import shutil
from pathlib import Path

import pytest
import torch

from ml.cli import main
from ml.data.dataset import is_heldout_city
from ml.data.geoscenes import select_cities, write_dataset
from ml.modelfolder import read_config

TINY = ["--resolution", "16", "--latent-dim", "8", "--width", "16", "--overhead-dim", "8", "--batch-size", "4",
        "--tick-kimg", "0.004", "--sample-kimg", "0.004", "--snapshot-kimg", "0.004"]


def tiny_pairs(root: Path, train_cities: int = 3, heldout_cities: int = 2, per_city: int = 4) -> Path:
    """GeoScenes (view, tile) pairs of a few training cities and a few held-out ones, at 16x16."""
    pool = select_cities(80)
    cities = ([c for c in pool if not is_heldout_city(c.geonameid)][:train_cities]
              + [c for c in pool if is_heldout_city(c.geonameid)][:heldout_cities])
    write_dataset(root, cities=cities, per_city=per_city, size=16, seed=0, args={}, progress=False)
    return root


@pytest.fixture(scope="session")
def pairs(tmp_path_factory) -> Path:
    return tiny_pairs(tmp_path_factory.mktemp("pairs") / "pairs")


@pytest.fixture(scope="session")
def ground_run(pairs, tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("ground-runs")
    assert main(["train", "ground", "--data", str(pairs), "--out", str(runs), *TINY, "--max-kimg", "0.008"]) == 0
    (run,) = runs.iterdir()
    return run


def test_a_two_step_run_writes_its_folder(ground_run):
    assert ground_run.name == "00000-ground-pairs"
    names = {path.name for path in ground_run.iterdir()}
    assert {"options.json", "log.txt", "stats.jsonl", "samples-000000.000.png", "checkpoint-000000.004",
            "checkpoint-000000.008"} <= names
    options = json.loads((ground_run / "options.json").read_text())
    assert options["kind"] == "ground" and options["train"]["model"]["width"] == 16
    assert options["command"].startswith("python -m ml train ground --data ")
    stats = [json.loads(line) for line in (ground_run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 2 and all(row["loss_d"] == row["loss_d"] for row in stats)
    assert all(row["l1"] == 0 for row in stats)  # the research's plain cGAN by default,
    # trained with the recipe that measured better at equal CPU time: logistic loss, R1 on reals, translation
    assert (options["train"]["loss"], options["train"]["augment"]) == ("logistic", "translation")
    assert "r1_penalty" in stats[0] and "gradient_penalty" not in stats[0]
    assert sorted(p.name for p in (ground_run / "checkpoint-000000.008").iterdir()) == [
        "D.safetensors", "G.safetensors", "G_ema.safetensors", "optimizers.safetensors", "state.json"]


def test_resume_continues_and_export_writes_a_ground_folder(ground_run, pairs, tmp_path):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path / "runs"), "--resume",
                 str(ground_run), "--max-kimg", "0.012"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert [p.name for p in run.glob("checkpoint-*")] == ["checkpoint-000000.012"]
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    config = read_config(tmp_path / "model")
    assert config["kind"] == "ground" and config["training"]["checkpoint"] == "checkpoint-000000.012"
    assert 0 <= config["metrics"]["land_use_train_accuracy"] <= 1


def test_export_picks_the_checkpoint_with_the_smallest_duality_gap(ground_run, tmp_path, capsys):
    assert main(["export", str(ground_run), "--out", str(tmp_path / "model"), "--gap-steps", "2"]) == 0
    printed = capsys.readouterr().out
    gaps = {line.split()[0]: float(line.split()[-1]) for line in printed.splitlines()
            if line.startswith("  checkpoint-")}
    assert set(gaps) == {"checkpoint-000000.004", "checkpoint-000000.008"}  # measured on held-out places
    best = min(gaps, key=gaps.get)
    config = read_config(tmp_path / "model")
    assert f"picked {best}" in printed and config["training"]["checkpoint"] == best
    assert config["metrics"]["duality_gap"] == pytest.approx(gaps[best], abs=1e-5)
    assert config["metrics"]["duality_gap_detail"]["split"] == "heldout"


def test_the_pix2pix_l1_term_is_trained_and_recorded(pairs, tmp_path):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY, "--max-kimg", "0.004",
                 "--l1-weight", "10"]) == 0
    (run,) = tmp_path.iterdir()
    (stats,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats["l1"] > 0 and json.loads((run / "options.json").read_text())["train"]["l1_weight"] == 10
    assert "--l1-weight 10.0" in json.loads((run / "options.json").read_text())["command"]


def test_the_mode_seeking_term_pairs_each_tile_with_two_latents_and_is_recorded(pairs, tmp_path, monkeypatch):
    from ml.models.ground import GroundGenerator

    calls = []
    forward = GroundGenerator.forward

    def watched(self, z, overhead):
        calls.append((z.detach().clone(), overhead.detach().clone()))
        return forward(self, z, overhead)

    monkeypatch.setattr(GroundGenerator, "forward", watched)
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY, "--max-kimg", "0.004",
                 "--mode-seeking-weight", "0.5"]) == 0
    (run,) = tmp_path.iterdir()
    (stats,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats["mode_seeking"] > 0
    assert "--mode-seeking-weight 0.5" in json.loads((run / "options.json").read_text())["command"]
    # the generator's step (the second batch painted, after the critic's): the first half's tiles
    # again, with other latents
    z, tiles = [(z, tiles) for z, tiles in calls if z.shape[0] == 4][1]
    assert torch.equal(tiles[:2], tiles[2:]) and not torch.equal(z[:2], z[2:])


def test_the_patch_critic_is_trained_checkpointed_and_added_on_resume(ground_run, pairs, tmp_path):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path / "runs"), *TINY,
                 "--max-kimg", "0.008", "--patch-critic-weight", "0.5"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert all(row["loss_d_patch"] > 0 and row["patch_g"] > 0 for row in stats)
    assert "r1_penalty_patch" in stats[0]  # lazy R1, as the global critic's
    checkpoint = run / "checkpoint-000000.008"
    assert (checkpoint / "D_patch.safetensors").is_file()
    state = json.loads((checkpoint / "state.json").read_text())
    assert set(state["optimizer_param_groups"]) == {"G", "D", "D_patch"}
    # a run without one gains a fresh patch critic on resume; the rest continues from the checkpoint
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path / "more"), "--resume",
                 str(ground_run), "--max-kimg", "0.012", "--patch-critic-weight", "0.5"]) == 0
    (more,) = (tmp_path / "more").iterdir()
    resumed = more / "checkpoint-000000.012"
    assert (resumed / "D_patch.safetensors").is_file()
    assert json.loads((more / "stats.jsonl").read_text().splitlines()[0])["kimg"] == pytest.approx(0.012)


def test_the_patch_critic_scores_each_patch_and_r1_takes_their_mean():
    from ml.models.ground import GroundConfig, PatchDiscriminator
    from ml.train.losses import R1Penalty

    critic = PatchDiscriminator(GroundConfig(resolution=32, width=16, conditional=False))
    assert critic.patch_scores(torch.randn(2, 3, 32, 32), None).shape == (2, 16)  # 4x4 patches
    images = torch.randn(2, 3, 4, 4)
    penalty = R1Penalty(gamma=2.0, interval=1)(lambda x: torch.stack([x.sum((1, 2, 3)), 3 * x.sum((1, 2, 3))], 1),
                                               images)
    assert penalty == pytest.approx(192.0)  # d(mean score)/dx = 2 at each of 48 values: 2 / 2 * 4 * 48


def test_the_land_use_head_is_trained_on_both_sides_and_recorded(pairs, tmp_path):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY, "--max-kimg", "0.004",
                 "--land-use-head", "--land-use-weight", "2"]) == 0
    (run,) = tmp_path.iterdir()
    assert run.name == "00000-ground-pairs-landuse"
    (stats,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats["land_use_loss_d"] > 0 and stats["land_use_loss_g"] > 0  # cross-entropies, weighted
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["land_use_head"] is True and options["train"]["land_use_weight"] == 2
    assert "--land-use-head" in options["command"]


def test_the_pix2pix_variant_trains_resumes_and_exports(pairs, tmp_path):
    from ml import pipelines

    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path / "runs"), *TINY,
                 "--max-kimg", "0.004", "--variant", "pix2pix", "--l1-weight", "100"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name == "00000-ground-pairs-pix2pix"
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path / "more"), "--resume", str(run),
                 "--max-kimg", "0.008"]) == 0  # the variant comes from the checkpoint
    (more,) = (tmp_path / "more").iterdir()
    assert main(["export", str(more), "--out", str(tmp_path / "model"), "--gap-steps", "1"]) == 0
    assert read_config(tmp_path / "model")["architecture"]["variant"] == "pix2pix"
    views = pipelines.load(tmp_path / "model").model(torch.randn(2, 8), torch.zeros(2, 3, 16, 16))[0]
    assert views.shape == (2, 3, 16, 16) and torch.isfinite(views).all()


def test_the_land_use_head_needs_rows_that_name_a_land_use(pairs, tmp_path, capsys):
    data = tmp_path / "no-density"
    shutil.copytree(pairs, data)
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    for row in rows:
        del row["attributes"]["density"]
    (data / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["train", "ground", "--data", str(data), "--out", str(tmp_path / "runs"), *TINY,
                 "--land-use-head"]) == 2
    assert "--land-use-head needs rows whose attributes name a land use" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_data_without_overhead_tiles_is_refused(tmp_path, capsys):
    from tests.ml.train.conftest import write_tiny_dataset

    data = write_tiny_dataset(tmp_path / "no-tiles")
    assert main(["train", "ground", "--data", str(data), "--out", str(tmp_path / "runs"), *TINY]) == 2
    assert "rows without an overhead tile: 16" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_bad_options_are_refused_before_writing(pairs, tmp_path, capsys):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY, "--lr", "0"]) == 2
    assert "--lr must be positive" in capsys.readouterr().err
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY[:-6], "--width", "4"]) == 2
    assert "GroundConfig.width" in capsys.readouterr().err
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *TINY, "--variant", "unet"]) == 2
    assert "GroundConfig.variant must be one of cgan, pix2pix" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
