"""The edit metrics on pipelines whose answers are known, and the eval-edit / report-edit commands."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from ml.cli import main
from ml.eval.edit_metrics import EDIT_TASKS, VISITOR_TASKS, evaluate_edits
from ml.eval.oracle import load_oracle
from tests.conftest import write_tiny_edit_model


class Identity:
    """Gives every source back unchanged."""

    kind, resolution = "edit", 16

    def generate(self, inputs, seeds):
        return [item["image"].copy() for item in inputs]


class Blur(Identity):
    def generate(self, inputs, seeds):
        return [item["image"].filter(ImageFilter.GaussianBlur(2)) for item in inputs]


class Noisy(Identity):
    """Adds noise drawn from the seed: different seeds, different pictures."""

    def generate(self, inputs, seeds):
        out = []
        for item, seed in zip(inputs, seeds):
            noise = np.random.default_rng(seed).integers(-40, 40, (16, 16, 3))
            out.append(Image.fromarray((np.asarray(item["image"], dtype=np.int64) + noise).clip(0, 255).astype(np.uint8)))
        return out


@pytest.fixture(scope="module")
def oracle(oracle_folder):
    return load_oracle(oracle_folder)


def measure(pipeline, oracle, scenes):
    return evaluate_edits(pipeline, *oracle, scenes, split="train", images=24, progress=False)


def test_an_edit_that_changes_nothing_is_consistent_sharp_and_not_diverse(oracle, scenes):
    results = measure(Identity(), oracle, scenes)
    assert results["consistency"] == 1.0 and results["feature_distance"] == 0.0
    assert set(results["consistency_by_attribute"].values()) == {1.0}
    assert results["sharpness"] == 1.0 and results["diversity"] == 0.0
    assert set(results["accuracy_by_task"]) == {text for _, _, text in EDIT_TASKS}
    assert set(results["visitor_accuracy_by_task"]) == {text for _, _, text in VISITOR_TASKS}
    assert results["visitor_accuracy"] is None or results["visitor_accuracy"] < 0.5
    assert results["images"] == 24 and results["tasks"] == len(EDIT_TASKS)
    # An edit that changes nothing paints the real photos: the fidelity of a perfect generator.
    assert abs(results["fid"]) < 1e-6 and results["precision"] == results["recall"] == 1.0
    assert results["edge_strength"]["ratio"] == {"laplacian_variance": 1.0, "mean_gradient": 1.0,
                                                 "checkerboard": 1.0}
    assert sum(results["floor"]["halves"]) == 24
    # Unchanged sources keep whatever the oracle saw in them: accuracy is its error rate on them.
    assert results["accuracy"] is None or results["accuracy"] < 0.5


def test_the_visitor_texts_use_no_caption_wording_and_ask_for_the_values_the_caption_texts_do():
    from ml.data.geoscenes.captions import KEYWORDS

    wordings = [wording for values in KEYWORDS.values() for words in values.values() for wording in words]
    assert not [(text, w) for _, _, text in VISITOR_TASKS for w in wordings if w in text.lower()]
    assert {(a, v) for a, v, _ in VISITOR_TASKS} == {(a, v) for a, v, _ in EDIT_TASKS} - {("biome", "polar")}


def test_blur_lowers_sharpness_and_seeded_noise_is_diverse(oracle, scenes):
    blurred = measure(Blur(), oracle, scenes)
    assert blurred["sharpness"] < 0.5 and blurred["edge_strength"]["ratio"]["laplacian_variance"] < 0.5
    noisy = measure(Noisy(), oracle, scenes)
    assert noisy["diversity"] > 0.05 and noisy["feature_distance"] > 0


def test_eval_edit_and_report_edit_write_figures_and_pictures(scenes, oracle_folder, tmp_path):
    model = write_tiny_edit_model(tmp_path / "tiny-edit")
    assert main(["eval-edit", str(model), "--data", str(scenes), "--oracle", str(oracle_folder), "--images", "16",
                 "--split", "train"]) == 0
    (record,) = [json.loads(line) for line in (model / "metrics.jsonl").read_text().splitlines()]
    assert record["kind"] == "edit" and 0 <= record["consistency"] <= 1 and record["sharpness"] > 0
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n\nkept\n")
    assert main(["report-edit", str(model), "--data", str(scenes), "--out", str(page),
                 "--images", str(tmp_path / "img")]) == 0
    text = page.read_text()
    assert text.startswith("# Results\n\nkept\n") and "<!-- edit -->" in text and "| `tiny-edit` | SIMGAN |" in text
    assert "| in a visitor's words |" in text and "| real vs real: FID, KID, precision / recall |" in text and "“the same place in winter” | weather = snow |" in text
    assert "![interpolation strips](img/edit-interpolation-tiny-edit.png)" in text
    grid = Image.open(tmp_path / "img" / "edit-tiny-edit.png")
    assert grid.size == (64 * (len(EDIT_TASKS) + 1), 64 * 4)


def _seeded_copy(measured: Path, folder: Path, seed: int, shift: float, **training) -> Path:
    """A tiny edit model 'trained' with `seed`, whose latest figures are those of `measured`
    with accuracy and consistency raised by `shift`."""
    write_tiny_edit_model(folder, seed=seed, training={"seed": seed, "cycle_weight": 10.0, "kimg": 2.0, **training})
    record = json.loads((measured / "metrics.jsonl").read_text().splitlines()[-1])
    record.update(accuracy=0.5 + shift, visitor_accuracy=0.25 + shift, consistency=0.5 - shift)
    (folder / "metrics.jsonl").write_text(json.dumps(record) + "\n")
    return folder


def test_report_edit_shows_the_mean_over_seeds_and_compares_seed_by_seed(scenes, oracle_folder, tmp_path):
    measured = write_tiny_edit_model(tmp_path / "measured")
    assert main(["eval-edit", str(measured), "--data", str(scenes), "--oracle", str(oracle_folder), "--images", "8",
                 "--split", "train"]) == 0
    simgan = [_seeded_copy(measured, tmp_path / f"simgan-{seed}", seed, shift) for seed, shift in
              ((0, 0.2), (1, 0.1), (2, 0.0))]
    baseline = [_seeded_copy(measured, tmp_path / f"baseline-{seed}", seed, 0.05, cycle_weight=0.0)
                for seed in (1, 0)]
    page = tmp_path / "RESULTS.md"
    args = ["report-edit", str(simgan[0]), str(baseline[0]), "--data", str(scenes), "--out", str(page),
            "--images", str(tmp_path / "img")]
    assert main([*args, "--seeds", *map(str, simgan), "--seeds", *map(str, baseline)]) == 0
    text = page.read_text()
    # SIMGAN: accuracy 0.7, 0.6, 0.5 (mean 0.6, sd 0.1); consistency 0.3, 0.4, 0.5.
    assert "| `simgan-0` | SIMGAN | 2 | 0, 1, 2 | 0.600 ± 0.100 | 0.350 ± 0.100 | 0.400 ± 0.100 |" in text
    assert "| `baseline-1` | SIMGAN without cycle loss | 2 | 1, 0 | 0.550 ± 0.000 |" in text
    # Seeds 0 and 1 in common: accuracy +0.15 and +0.05, consistency -0.15 and -0.05.
    assert ("`simgan-0` against `baseline-1`, seed by seed (seeds 0, 1; mean difference, and on how many seeds it "
            "is ahead): accuracy +0.100 (ahead on 2 of 2); accuracy in a visitor's words +0.100 (ahead on 2 of 2); "
            "consistency -0.100 (ahead on 0 of 2).") in text
    assert "Accuracy of `simgan-0` (seed 0) per text" in text


def test_report_edit_refuses_seed_folders_of_another_recipe_or_a_seed_twice(scenes, tmp_path, capsys):
    measured = write_tiny_edit_model(tmp_path / "measured", training={"seed": 0, "cycle_weight": 10.0})
    (measured / "metrics.jsonl").write_text(json.dumps({"kind": "edit", "accuracy": 0.5}) + "\n")
    other_recipe = _seeded_copy(measured, tmp_path / "no-cycle", 1, 0.0, cycle_weight=0.0)
    same_seed = _seeded_copy(measured, tmp_path / "again", 0, 0.0)
    page = tmp_path / "RESULTS.md"
    args = ["report-edit", str(measured), "--data", str(scenes), "--out", str(page), "--images", str(tmp_path / "img")]
    for seeds, message in (([measured, other_recipe], "differs in training.cycle_weight"),
                           ([measured, same_seed], "seed 0 comes twice"),
                           ([other_recipe, measured], "must be one of the MODEL_DIRs"),
                           ([measured], "name the folders of the same recipe")):
        assert main([*args, "--seeds", *map(str, seeds)]) == 2
        assert message in capsys.readouterr().err
    assert not page.exists()


def test_eval_edit_refuses_a_place_model(scenes, oracle_folder, place_folder, capsys):
    assert main(["eval-edit", str(place_folder), "--data", str(scenes), "--oracle", str(oracle_folder)]) == 2
    assert "is not an edit model folder" in capsys.readouterr().err


@pytest.mark.parametrize("architecture, training, described", [
    ({"residual_units": 16, "augmentation": True}, {"cycle_weight": 10}, "SIMGAN"),
    ({"residual_units": 16, "augmentation": False}, {"cycle_weight": 0},
     "SIMGAN without cycle loss and conditioning augmentation"),
    ({"residual_units": 0, "augmentation": True, "attribute_head": {"weather": ["snow", "fog"], "biome": ["a", "b"]}},
     {"cycle_weight": 0, "attribute_weight": 5, "phrase_edits": 0.5},
     "SISGAN-like: encoder-decoder, no residual units, no cycle loss; attribute head on weather, biome (weight 5), "
     "50% phrase edits"),
    ({"residual_units": 16, "augmentation": True, "standardize_text": True}, {"cycle_weight": 10},
     "SIMGAN; standardised texts"),
    ({"residual_units": 16, "augmentation": False}, {"cycle_weight": 10, "identity_weight": 2},
     "SIMGAN without conditioning augmentation; identity loss (weight 2)"),
    ({"residual_units": 16, "augmentation": True}, {"cycle_weight": 10, "ema_kimg": 10, "kl_weight": 1},
     "SIMGAN; moving average of the weights (half-life 10 kimg)"),
    ({"residual_units": 16, "augmentation": True}, {"cycle_weight": 10, "kl_weight": 0.1},
     "SIMGAN; augmentation's KL weight 0.1"),
    ({"residual_units": 16, "augmentation": False}, {"cycle_weight": 10, "kl_weight": 1.0},
     "SIMGAN without conditioning augmentation"),
])
def test_the_results_table_says_what_sets_each_model_apart(architecture, training, described):
    from ml.eval.edit_report import describe

    assert describe({"architecture": architecture, "training": training}) == described
