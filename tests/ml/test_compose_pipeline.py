"""The compose pipeline on a real (tiny, briefly trained) model: each step depends only on
(weights, canvas, object, seed, step), compositing keeps the canvas where the mask is 0, and
changing one object leaves the earlier steps and everything outside its masks untouched."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.cli import main
from ml.models.compose import composite
from ml.pipelines import ComposePipeline, load, step_seed

from .train.test_compose import compose_data, compose_run, place_start  # noqa: F401  (fixtures)

PARIS = {"lat": 48.857, "lon": 2.352}
OBJECTS = [
    {"category": "tree", "box": [0.05, 0.30, 0.40, 0.95], "shape": "mask", "colour": None},
    {"category": "building", "box": [0.45, 0.10, 0.85, 0.80], "shape": "rect", "colour": [200, 40, 30]},
    {"category": "person", "box": [0.30, 0.55, 0.55, 0.95], "shape": "ellipse", "colour": None},
]


@pytest.fixture(scope="module")
def compose_model(compose_run, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compose-model") / "model"
    assert main(["export", str(compose_run), "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def pipeline(compose_model) -> ComposePipeline:
    return load(compose_model)


def _bytes(pictures):
    return [picture.tobytes() for picture in pictures]


def _alpha(layer: Image.Image) -> np.ndarray:
    return np.asarray(layer)[..., 3]


def test_a_scene_is_its_background_then_one_layer_per_object(pipeline):
    steps, layers = pipeline.compose_layers(PARIS, OBJECTS, seed=7)
    assert len(steps) == 4 and len(layers) == 3
    assert all(step.mode == "RGB" and step.size == (16, 16) for step in steps)
    assert all(layer.mode == "RGBA" and layer.size == (16, 16) for layer in layers)
    assert steps[0].tobytes() == pipeline.background(PARIS, 7).tobytes()
    for number, obj in enumerate(OBJECTS, start=1):
        # each layer is what `layer` paints on the step before, and adds exactly its mask
        assert layers[number - 1].tobytes() == pipeline.layer(steps[number - 1], obj, 7, number).tobytes()
        assert steps[number].tobytes() == pipeline.apply(steps[number - 1], layers[number - 1]).tobytes()
        untouched = _alpha(layers[number - 1]) == 0
        assert np.array_equal(np.asarray(steps[number])[untouched], np.asarray(steps[number - 1])[untouched])
        assert not untouched.all()


def test_the_same_seed_paints_the_same_scene_and_another_seed_another(pipeline):
    first = pipeline.compose(PARIS, OBJECTS, seed=7)
    assert _bytes(first) == _bytes(pipeline.compose(PARIS, OBJECTS, seed=7))
    assert _bytes(first) != _bytes(pipeline.compose(PARIS, OBJECTS, seed=8))


def test_a_layer_depends_on_its_step_number_only_through_the_noise(pipeline):
    canvas = pipeline.background(PARIS, 7)
    obj = OBJECTS[0]
    assert pipeline.layer(canvas, obj, 7, 1).tobytes() == pipeline.layer(canvas, obj, 7, 1).tobytes()
    assert pipeline.layer(canvas, obj, 7, 1).tobytes() != pipeline.layer(canvas, obj, 7, 2).tobytes()
    assert step_seed(7, 1) != step_seed(7, 2) and step_seed(7, 1) != step_seed(8, 1)
    assert 0 <= step_seed(2**63 - 1, 10**6) <= 2**63 - 1


def test_analytic_and_generated_masks_stay_in_their_box(pipeline):
    canvas = pipeline.background(PARIS, 1)
    box = [0.25, 0.25, 0.75, 0.5]  # pixels 4..11 across, 4..7 down at 16x16
    for shape in ("mask", "rect", "ellipse"):
        alpha = _alpha(pipeline.layer(canvas, {"category": "tree", "box": box, "shape": shape, "colour": None}, 1, 1))
        outside = np.ones_like(alpha, dtype=bool)
        outside[4:8, 4:12] = False
        assert alpha[outside].max() == 0, shape
    rect = _alpha(pipeline.layer(canvas, {"category": "tree", "box": box, "shape": "rect"}, 1, 1))
    assert (rect[4:8, 4:12] == 255).all()


def test_apply_with_alpha_zero_returns_the_canvas_exactly(pipeline):
    rng = np.random.default_rng(0)
    canvas = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    painted = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    clear = Image.fromarray(np.dstack([painted, np.zeros((16, 16), np.uint8)]), "RGBA")
    assert pipeline.apply(canvas, clear).tobytes() == canvas.tobytes()
    opaque = Image.fromarray(np.dstack([painted, np.full((16, 16), 255, np.uint8)]), "RGBA")
    assert np.array_equal(np.asarray(pipeline.apply(canvas, opaque)), painted)
    half = composite(np.zeros((1, 1, 3), np.uint8), np.full((1, 1, 3), 255, np.uint8), np.full((1, 1), 128, np.uint8))
    assert half.tolist() == [[[128, 128, 128]]]  # (255 * 128 + 127) // 255


@pytest.mark.parametrize("change", [
    {"box": [0.50, 0.20, 0.95, 0.70]},  # moved and resized
    {"colour": [20, 60, 220]},  # recoloured
    {"shape": "ellipse"},
])
def test_changing_one_object_leaves_earlier_steps_and_everything_outside_its_masks(pipeline, change):
    steps, layers = pipeline.compose_layers(PARIS, OBJECTS, seed=11)
    changed = {**OBJECTS[1], **change}
    new_steps, new_layers = pipeline.repaint(steps, layers, 1, changed, seed=11)
    assert _bytes(new_steps[:2]) == _bytes(steps[:2])  # x0 and x1: byte-identical
    assert _bytes(new_layers[2:]) == _bytes(layers[2:])  # later objects are not painted again
    # what a scene painted from scratch with the changed list gives for the changed step
    fresh_steps, _ = pipeline.compose_layers(PARIS, [OBJECTS[0], changed, OBJECTS[2]], seed=11)
    assert _bytes(fresh_steps[:3]) == _bytes(new_steps[:3])
    outside = (_alpha(layers[1]) == 0) & (_alpha(new_layers[1]) == 0)
    assert outside.any() and not outside.all()
    for old, new in zip(steps[2:], new_steps[2:]):
        assert np.array_equal(np.asarray(old)[outside], np.asarray(new)[outside])
    assert new_steps[-1].tobytes() != steps[-1].tobytes()


def test_removing_an_object_reapplies_the_later_layers(pipeline):
    steps, layers = pipeline.compose_layers(PARIS, OBJECTS, seed=3)
    new_steps, new_layers = pipeline.repaint(steps, layers, 0, None, seed=3)
    assert len(new_steps) == 3 and _bytes(new_layers) == _bytes(layers[1:])
    outside = _alpha(layers[0]) == 0
    assert np.array_equal(np.asarray(new_steps[-1])[outside], np.asarray(steps[-1])[outside])


def test_generate_paints_the_last_step_whatever_else_is_in_the_batch(pipeline):
    reported = []
    alone = pipeline.generate([{**PARIS, "objects": OBJECTS}], [5])
    both = pipeline.generate([{**PARIS, "objects": OBJECTS}, {"lat": -33.9, "lon": 18.4, "objects": []}], [5, 6],
                             progress=reported.append)
    assert alone[0].tobytes() == both[0].tobytes() == pipeline.compose(PARIS, OBJECTS, 5)[-1].tobytes()
    assert both[1].tobytes() == pipeline.background({"lat": -33.9, "lon": 18.4}, 6).tobytes()
    assert reported == sorted(reported) and reported[-1] == 1.0 and len(reported) == 5


@pytest.mark.parametrize("obj, message", [
    ({"category": "dragon", "box": [0, 0, 0.5, 0.5]}, "category 'dragon' is not one of boat, building"),
    ({"category": "tree", "box": [0.5, 0, 0.4, 0.5]}, "box must be 4 fractions"),
    ({"category": "tree", "box": [0, 0, 0.5, float("nan")]}, "box must be 4 fractions"),
    ({"category": "tree", "box": [0, 0, 0.5, 0.5], "shape": "star"}, "shape must be one of mask, rect, ellipse"),
    ({"category": "tree", "box": [0, 0, 0.5, 0.5], "colour": [1, 2, 300]}, "colour must be 3 integers"),
])
def test_bad_objects_are_refused(pipeline, obj, message):
    with pytest.raises(ValueError, match=message):
        pipeline.layer(pipeline.background(PARIS, 0), obj, 0, 1)


def test_compose_grid_draws_the_steps_and_counts_what_one_change_touched(compose_model, tmp_path, capsys):
    from ml.eval.compose_grid import LAYOUT, PLACES, SCALES, SEEDS

    assert main(["compose-grid", str(compose_model), "--out", str(tmp_path / "steps.png"),
                 "--out-scaled", str(tmp_path / "scaled.png")]) == 0
    side, rows = 16 + 2, len(PLACES) * len(SEEDS)
    assert Image.open(tmp_path / "steps.png").size == (4 * (side * (len(LAYOUT) + 1) - 2), 4 * (side * rows - 2))
    assert Image.open(tmp_path / "scaled.png").size == (4 * (side * len(SCALES) - 2), 4 * (side * rows - 2))
    out = capsys.readouterr().out
    changes = rows * (len(SCALES) - 1)  # scale 1 is the layout itself
    assert f"{changes} changes of one object: 0 of " in out
    assert "and 0 bytes of earlier steps differ, 0 pixels outside the object's old and new masks differ" in out


def test_compose_grid_refuses_a_model_of_another_kind(tmp_path, capsys):
    from tests.conftest import write_tiny_place_model

    place = write_tiny_place_model(tmp_path / "place")
    assert main(["compose-grid", str(place), "--out", str(tmp_path / "g.png")]) == 2
    assert "is a place model, not a compose one" in capsys.readouterr().err


@pytest.fixture(scope="module")
def heldout_data(tmp_path_factory) -> Path:
    """16x16 steps of 30 cities, two scenes each, some of the cities held out."""
    from ml.data.geoscenes import select_cities, write_dataset

    out = tmp_path_factory.mktemp("compose-heldout") / "steps"
    write_dataset(out, cities=select_cities(30), per_city=2, size=16, seed=0, args={}, progress=False, compose="steps")
    return out


def test_eval_compose_measures_objects_backgrounds_and_scenes_against_real(compose_model, heldout_data, tmp_path):
    import json

    assert main(["eval-compose", str(compose_model), "--data", str(heldout_data), "--images", "8",
                 "--cache", str(tmp_path / "cache")]) == 0
    record = json.loads((compose_model / "metrics.jsonl").read_text().splitlines()[-1])
    for part in ("background", "scene"):
        assert record[part]["images"] > 0 and record[part]["fid"] >= 0, part
        assert set(record[part]["conditional_accuracy"]) == {"biome", "density"}, part
    accuracy = record["object_accuracy"]
    assert record["split"] == "heldout" and accuracy["steps"] > 0
    for key in ("real", "before_read_as_none", "generated_mask", "generated_rect"):
        assert 0 <= accuracy[key] <= 1, key
    real = accuracy["real"]
    assert accuracy["ratio_mask"] == (pytest.approx(accuracy["generated_mask"] / real, abs=1e-3) if real else None)
    spread = record["diversity"]
    assert spread["seeds"] == 4 and spread["layouts"] > 0 and spread["real_cities"] > 0
    assert spread["generated"] > 0 and spread["real_same_city"] > 0
    assert spread["ratio"] == pytest.approx(spread["generated"] / spread["real_same_city"], abs=1e-3)


class OneSeed:
    """A compose pipeline that paints every request with seed 0, whatever seed it is asked for."""

    def __init__(self, pipeline):
        self.pipeline, self.resolution = pipeline, pipeline.resolution

    def generate(self, inputs, seeds, progress=None):
        return self.pipeline.generate(inputs, [0] * len(seeds), progress)


def test_diversity_is_zero_when_the_seed_changes_nothing_and_positive_when_it_does(pipeline, heldout_data, tmp_path):
    from ml.eval.cli import DEFAULT_ORACLE
    from ml.eval.compose_metrics import diversity
    from ml.eval.oracle import load_oracle

    oracle, sha256 = load_oracle(DEFAULT_ORACLE)
    common = dict(max_images=8, cache=tmp_path, layouts=3, seeds=3)
    seeded = diversity(pipeline, oracle, sha256, heldout_data, **common)
    unseeded = diversity(OneSeed(pipeline), oracle, sha256, heldout_data, **common)
    assert seeded["layouts"] == unseeded["layouts"] == 3
    assert unseeded["generated"] == 0 and seeded["generated"] > 0
    assert seeded["real_same_city"] == unseeded["real_same_city"] > 0  # the real figure is the pipeline's no matter


def test_eval_compose_refuses_data_without_heldout_steps(compose_model, compose_data, capsys):
    assert main(["eval-compose", str(compose_model), "--data", str(compose_data)]) == 2
    assert "none of its heldout cities has steps" in capsys.readouterr().err


@pytest.fixture(scope="module")
def single_shot_model(compose_data, place_start, tmp_path_factory) -> Path:
    """The baseline: a tiny single-shot model trained for a few steps and exported."""
    from .train.test_compose import TINY

    runs = tmp_path_factory.mktemp("single-shot-runs")
    assert main(["train", "compose", "--data", str(compose_data), "--out", str(runs), *TINY, "--single-shot",
                 "--background-from", str(place_start), "--max-kimg", "0.008"]) == 0
    (run,) = runs.iterdir()
    assert "training compose on 9 single-shot scenes and 9 backgrounds" in (run / "log.txt").read_text()
    folder = tmp_path_factory.mktemp("single-shot") / "model"
    assert main(["export", str(run), "--out", str(folder)]) == 0
    return folder


def test_the_single_shot_baseline_paints_a_whole_layout_in_one_pass(single_shot_model, tmp_path, capsys):
    baseline = load(single_shot_model)
    assert baseline.model.config.single_shot
    scene = baseline.paint_scene(PARIS, OBJECTS, 7)
    assert scene.size == (16, 16) and scene.tobytes() == baseline.paint_scene(PARIS, OBJECTS, 7).tobytes()
    assert baseline.generate([{**PARIS, "objects": OBJECTS}], [7])[0].tobytes() == scene.tobytes()
    with pytest.raises(ValueError, match="paints whole scenes in one pass: use paint_scene"):
        baseline.compose_layers(PARIS, OBJECTS, 7)
    assert main(["compose-grid", str(single_shot_model), "--out", str(tmp_path / "steps.png")]) == 0
    out = capsys.readouterr().out
    assert "(each prefix of the layout painted in one pass)" in out and "changes of one object: " in out
    assert "bytes of earlier steps" not in out


def test_a_layered_model_has_no_single_shot_scene(pipeline):
    with pytest.raises(ValueError, match="paints a scene step by step: use compose_layers"):
        pipeline.paint_scene(PARIS, OBJECTS, 7)


def test_eval_compose_measures_a_single_shot_model_on_backgrounds_and_scenes(single_shot_model, heldout_data,
                                                                             tmp_path):
    import json

    assert main(["eval-compose", str(single_shot_model), "--data", str(heldout_data), "--images", "8",
                 "--cache", str(tmp_path / "cache")]) == 0
    record = json.loads((single_shot_model / "metrics.jsonl").read_text().splitlines()[-1])
    assert "object_accuracy" not in record and record["scene"]["images"] > 0 and record["background"]["fid"] >= 0
