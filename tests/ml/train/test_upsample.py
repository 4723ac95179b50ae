"""The upsampler's training, export and pipeline on tiny GeoScenes pairs rendered at two sizes."""
import json
from pathlib import Path

import pytest
from PIL import Image

from ml.cli import main
from ml.data.geoscenes import select_cities, write_dataset
from ml.pipelines import load

TINY = ["--width", "8", "--layers", "2", "--resolution", "16", "--scale", "2", "--batch-size", "4",
        "--tick-kimg", "0.004", "--sample-kimg", "0.008", "--snapshot-kimg", "0.008"]


@pytest.fixture(scope="session")
def sizes(tmp_path_factory) -> dict[int, Path]:
    """The same scenes of 3 cities at 16x16 and at 32x32."""
    root, cities = tmp_path_factory.mktemp("pairs"), select_cities(3)
    for size in (16, 32):
        write_dataset(root / f"s{size}", cities=cities, per_city=4, size=size, seed=0, args={}, progress=False)
    return {size: root / f"s{size}" for size in (16, 32)}


@pytest.fixture(scope="session")
def upsample_data(sizes) -> Path:
    return sizes[16]


@pytest.fixture(scope="session")
def upsample_run(sizes, tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("upsample-runs")
    assert main(["train", "upsample", "--data", str(sizes[16]), "--target", str(sizes[32]), "--out", str(runs),
                 *TINY, "--max-kimg", "0.016"]) == 0
    (run,) = runs.iterdir()
    return run


def test_a_run_trains_resumes_exports_and_serves(upsample_run, sizes, tmp_path):
    run = upsample_run
    assert run.name == "00000-upsample-s16-x2"
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 4 and all(row["l1"] > 0 for row in stats)
    assert {"checkpoint-000000.008", "checkpoint-000000.016", "samples-000000.016.png"} <= {p.name for p in run.iterdir()}
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["target"] == str(sizes[32].resolve()) and "--target " in options["command"]
    # resumed without --target: the run's own
    assert main(["train", "upsample", "--data", str(sizes[16]), "--out", str(tmp_path / "more"), "--resume",
                 str(run), "--max-kimg", "0.024"]) == 0
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["kind"] == "upsample" and config["training"]["checkpoint"] == "checkpoint-000000.016"
    pipeline = load(tmp_path / "model")
    pictures = [Image.new("RGB", (16, 16), (200, 30, 30)), Image.new("RGB", (8, 8), (10, 90, 200))]
    first = pipeline.upsample(pictures)
    assert [picture.size for picture in first] == [(32, 32), (16, 16)]
    again = pipeline.generate([{"image": pictures[0]}], [123])[0]
    assert again.tobytes() == first[0].tobytes()  # deterministic, whatever else is in the batch


def test_the_critic_is_trained_beside_the_network_and_left_out_of_the_model(sizes, tmp_path):
    assert main(["train", "upsample", "--data", str(sizes[16]), "--target", str(sizes[32]), "--out",
                 str(tmp_path / "runs"), *TINY, "--max-kimg", "0.008", "--adversarial-weight", "0.1",
                 "--r1-interval", "1", "--critic-width", "4"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert all(row["loss_d"] > 0 and row["r1_penalty"] >= 0 and row["adversarial"] > 0 and row["consistency"] > 0
               for row in stats)
    assert (run / "checkpoint-000000.008" / "D.safetensors").is_file()
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    assert {path.name for path in (tmp_path / "model").iterdir()} == {"config.json", "weights.safetensors"}
    assert load(tmp_path / "model").upsample([Image.new("RGB", (16, 16))])[0].size == (32, 32)


def test_pairs_that_are_not_the_same_scenes_are_refused(sizes, tmp_path, capsys):
    other = tmp_path / "other"
    write_dataset(other, cities=select_cities(5)[3:], per_city=4, size=32, seed=0, args={}, progress=False)
    assert main(["train", "upsample", "--data", str(sizes[16]), "--target", str(other), "--out",
                 str(tmp_path / "runs"), *TINY]) == 2
    assert "are not renders of the same scenes" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_missing_target_is_refused(sizes, tmp_path, capsys):
    assert main(["train", "upsample", "--data", str(sizes[16]), "--out", str(tmp_path / "runs"), *TINY]) == 2
    assert "--target None is not a folder" in capsys.readouterr().err



def test_a_critic_added_on_resume_starts_afresh_beside_the_trained_network(upsample_run, sizes, tmp_path):
    assert not (upsample_run / "checkpoint-000000.016" / "D.safetensors").exists()
    assert main(["train", "upsample", "--data", str(sizes[16]), "--resume", str(upsample_run), "--out",
                 str(tmp_path / "runs"), "--max-kimg", "0.024", "--adversarial-weight", "0.1", "--critic-width", "4",
                 "--render-consistency-weight", "1"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats[0]["kimg"] > 0.016 and all(row["loss_d"] > 0 and row["adversarial"] > 0 for row in stats)
    assert (run / "checkpoint-000000.024" / "D.safetensors").is_file()


def test_the_render_consistency_term_measures_the_large_render_shrunk(sizes, tmp_path):
    """Both consistency terms are recorded; the render one is the distance of the enlargement,
    shrunk back, to the large render shrunk alike: for a network that starts as bicubic, not 0,
    and not the distance to the small render."""
    assert main(["train", "upsample", "--data", str(sizes[16]), "--target", str(sizes[32]), "--out",
                 str(tmp_path / "runs"), *TINY, "--max-kimg", "0.004", "--no-degrade", "--tick-kimg", "0.004",
                 "--render-consistency-weight", "0.5"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    (row,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert row["render_consistency"] > 0 and row["consistency"] > 0
    assert abs(row["render_consistency"] - row["consistency"]) > 1e-4
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["render_consistency_weight"] == 0.5
