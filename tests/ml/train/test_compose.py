"""The compose kind's training on tiny GeoScenes steps: a run trains, resumes and exports; the
background generator can start from a place model; bad data is refused."""
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ml.cli import main
from ml.data.geoscenes import select_cities, write_dataset
from ml.models.place import PlaceConfig, PlaceGenerator
from ml.modelfolder import read_config, write_model_folder
from ml.pipelines import load

TINY = ["--resolution", "16", "--latent-dim", "8", "--width", "8", "--mask-width", "8", "--d-width", "8",
        "--batch-size", "4", "--tick-kimg", "0.004", "--sample-kimg", "0.008", "--snapshot-kimg", "0.008",
        "--threads", "1"]
TINY_PLACE = PlaceConfig(resolution=16, latent_dim=8, fmap_base=64, fmap_max=16, fmap_min=8, context_frequencies=2,
                         context_embed_dim=8)


@pytest.fixture(scope="session")
def compose_data(tmp_path_factory) -> Path:
    """16x16 scenes of 3 cities with their backgrounds and steps."""
    out = tmp_path_factory.mktemp("compose-data") / "steps16"
    write_dataset(out, cities=select_cities(3), per_city=3, size=16, seed=0, args={}, progress=False,
                  compose="steps")
    return out


@pytest.fixture(scope="session")
def place_start(tmp_path_factory) -> Path:
    """A place model folder at 16x16 for G_bg to start from."""
    torch.manual_seed(3)
    folder = tmp_path_factory.mktemp("place-start") / "place"
    write_model_folder(folder, kind="place", architecture=TINY_PLACE.to_dict(),
                       state_dict=PlaceGenerator(TINY_PLACE).state_dict())
    return folder


@pytest.fixture(scope="session")
def compose_run(compose_data, place_start, tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("compose-runs")
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(runs), *TINY,
                 "--background-from", str(place_start), "--max-kimg", "0.016"]) == 0
    (run,) = runs.iterdir()
    return run


def test_a_run_trains_resumes_and_exports(compose_run, compose_data, place_start, tmp_path):
    run = compose_run
    assert run.name == "00000-compose-steps16"
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 4 and all(row["content"] > 0 and row["loss_d_layer"] > 0 for row in stats)
    written = {path.name for path in run.iterdir()}
    assert {"checkpoint-000000.008", "checkpoint-000000.016", "samples-000000.016.png"} <= written
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["background_from"] == str(place_start.resolve())
    assert "--background-from " in options["command"]
    # resumed: on from kimg 0.016, with the run's own G_bg origin
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path / "more"), "--resume",
                 str(run), "--max-kimg", "0.024"]) == 0
    (resumed,) = (tmp_path / "more").iterdir()
    assert "from kimg 0.016 to 0.024" in (resumed / "log.txt").read_text()
    assert main(["export", str(resumed), "--out", str(tmp_path / "model")]) == 0
    config = read_config(tmp_path / "model")
    architecture = config["architecture"]
    assert config["kind"] == "compose" and config["training"]["checkpoint"] == "checkpoint-000000.024"
    info = json.loads((compose_data / "dataset.json").read_text())
    assert architecture["categories"] == info["compose"]["foreground"]
    assert {**architecture["background"], "resolution": 16} == TINY_PLACE.to_dict()
    pipeline = load(tmp_path / "model")
    assert pipeline.kind == "compose" and pipeline.categories == architecture["categories"]


def test_the_background_generator_starts_from_the_place_model(compose_run, place_start):
    """Six Adam steps move a weight by a few thousandths at most: G_bg is the place generator's,
    not a fresh draw (whose weights are N(0, 1))."""
    place = load_file(str(place_start / "weights.safetensors"))
    trained = load_file(str(compose_run / "checkpoint-000000.008" / "G_ema.safetensors"))
    for name, tensor in place.items():
        assert (trained[f"G_bg.{name}"] - tensor).abs().max() < 0.05, name


def test_a_fresh_run_trains_its_own_background_generator(compose_data, tmp_path):
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path), *TINY,
                 "--max-kimg", "0.004", "--background-interval", "1"]) == 0
    (run,) = tmp_path.iterdir()
    stats = json.loads((run / "stats.jsonl").read_text().splitlines()[-1])
    assert stats["loss_d_bg"] > 0 and stats["loss_g_bg"] > 0


@pytest.mark.parametrize("extra, message", [
    (["--resolution", "32"], "holds 16x16 pictures, but --resolution is 32"),
    (["--generated-masks", "1.5"], "--generated-masks must be a share from 0 to 1, not 1.5"),
])
def test_bad_options_are_refused_before_anything_is_written(compose_data, tmp_path, capsys, extra, message):
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path / "runs"),
                 *TINY, *extra]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "runs").exists()


def test_data_without_steps_is_refused(tmp_path, capsys):
    plain = tmp_path / "plain"
    write_dataset(plain, cities=select_cities(1), per_city=2, size=16, seed=0, args={}, progress=False)
    assert main(["train", "compose", "--data", str(plain), "--out", str(tmp_path / "runs"), *TINY]) == 2
    assert "not a dataset with compose steps" in capsys.readouterr().err


def test_a_background_from_a_model_of_another_kind_or_side_is_refused(compose_data, tmp_path, capsys):
    wide = PlaceConfig(**{**TINY_PLACE.to_dict(), "resolution": 32})
    write_model_folder(tmp_path / "p32", kind="place", architecture=wide.to_dict(),
                       state_dict=PlaceGenerator(wide).state_dict())
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path / "runs"), *TINY,
                 "--background-from", str(tmp_path / "p32")]) == 2
    assert "not a place model at 16" in capsys.readouterr().err


@pytest.mark.parametrize("weight", ["1", "0"])
def test_a_background_generator_with_a_class_head_learns_its_places_classes(compose_data, tmp_path, weight):
    """G_bg started from a place model with a biome head: its critic learns the real backgrounds'
    biomes and G_bg is asked to paint its places' (the place-class loss, --context-weight); at
    weight 0 neither happens."""
    biomes = json.loads((compose_data / "dataset.json").read_text())["attributes"]["biome"]
    headed = PlaceConfig(**{**TINY_PLACE.to_dict(), "context_head": {"biome": biomes}})
    write_model_folder(tmp_path / "place", kind="place", architecture=headed.to_dict(),
                       state_dict=PlaceGenerator(headed).state_dict())
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path / "runs"), *TINY,
                 "--background-from", str(tmp_path / "place"), "--max-kimg", "0.004", "--background-interval", "1",
                 "--context-weight", weight]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    stats = json.loads((run / "stats.jsonl").read_text().splitlines()[-1])
    learnt = {"bg_context_loss_d", "bg_biome_accuracy_d", "bg_context_loss_g", "bg_biome_accuracy_g"}
    if weight == "0":
        assert not learnt & set(stats)
    else:
        assert learnt <= set(stats) and stats["bg_context_loss_d"] > 0 and stats["bg_context_loss_g"] > 0


def test_a_class_head_the_data_cannot_train_is_refused(compose_data, tmp_path, capsys):
    headed = PlaceConfig(**{**TINY_PLACE.to_dict(), "context_head": {"biome": ["moon", "mars"]}})
    write_model_folder(tmp_path / "place", kind="place", architecture=headed.to_dict(),
                       state_dict=PlaceGenerator(headed).state_dict())
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(tmp_path / "runs"), *TINY,
                 "--background-from", str(tmp_path / "place")]) == 2
    assert "--background-from: the biome classes of" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
