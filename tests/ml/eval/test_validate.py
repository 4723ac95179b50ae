import json

from ml.eval.cli import DEFAULT_ORACLE
from ml.eval.edit_metrics import EDIT_TASKS, VISITOR_TASKS
from ml.eval.validate import validation_metrics
from ml.models.place import PlaceConfig
from tests.conftest import write_tiny_edit_model, write_tiny_ground_model, write_tiny_place_model


def test_validation_measures_a_place_model_against_heldout_references(oracle_folder, tmp_path):
    folder = write_tiny_place_model(tmp_path / "place", config=PlaceConfig(resolution=16, latent_dim=16, fmap_base=128,
                                                                fmap_max=32, context_frequencies=2))
    metrics = validation_metrics(folder, oracle_folder=oracle_folder, cache=tmp_path / "cache", images=100)
    assert metrics["split"] == "heldout" and 0 < metrics["images"] <= 100
    assert metrics["fid"] > 0 and set(metrics["conditional_accuracy"]) == {"biome", "density"}
    references = [p for p in (tmp_path / "cache").iterdir() if p.name.startswith("reference-")]
    assert len(references) == 1 and not references[0].name.endswith(".partial")
    # a second model is measured against the same references, rendered once
    again = validation_metrics(folder, oracle_folder=oracle_folder, cache=tmp_path / "cache", images=100)
    assert again["fid"] == metrics["fid"]


def test_without_an_oracle_there_are_no_metrics(place_folder, tmp_path):
    assert validation_metrics(place_folder, oracle_folder=tmp_path / "none", cache=tmp_path) is None


def test_validation_measures_a_ground_models_land_use_target_against_real_views(monkeypatch, tmp_path):
    monkeypatch.setattr("ml.eval.validate.REFERENCE_CITIES", 400)  # fewer reference photos, rendered fast
    folder = write_tiny_ground_model(tmp_path / "ground")
    metrics = validation_metrics(folder, oracle_folder=DEFAULT_ORACLE, cache=tmp_path / "cache", images=64)
    assert metrics["split"] == "heldout" and 0 < metrics["images"] <= 64 and metrics["resolution"] == 16
    figures = metrics["land_use_accuracy"]
    assert all(0 <= figures[name] <= 1 for name in ("generated", "real"))
    assert figures["real"] > 0 and abs(figures["ratio"] - figures["generated"] / figures["real"]) < 1e-3
    assert figures["target"] == 0.85
    json.dumps(metrics)  # stored on the ModelVersion as it is
    again = validation_metrics(folder, oracle_folder=DEFAULT_ORACLE, cache=tmp_path / "cache", images=64)
    assert again == metrics  # the same views of the same places


def test_validation_measures_an_edit_model_with_every_text_of_eval_edit(monkeypatch, tmp_path):
    monkeypatch.setattr("ml.eval.validate.REFERENCE_CITIES", 400)  # fewer reference photos, rendered fast
    folder = write_tiny_edit_model(tmp_path / "edit")
    metrics = validation_metrics(folder, oracle_folder=DEFAULT_ORACLE, cache=tmp_path / "cache", images=40)
    assert metrics["split"] == "heldout" and 0 < metrics["images"] <= 40
    assert set(metrics["accuracy_by_task"]) == {text for *_, text in EDIT_TASKS}
    assert set(metrics["visitor_accuracy_by_task"]) == {text for *_, text in VISITOR_TASKS}
    assert 0 <= metrics["consistency"] <= 1 and metrics["diversity"] >= 0
    assert json.loads(json.dumps(metrics)) == metrics  # stored on the ModelVersion as it is


def test_kinds_without_oracle_metrics_have_none(tmp_path):
    folder = tmp_path / "compose"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"kind": "compose"}))
    assert validation_metrics(folder, oracle_folder=DEFAULT_ORACLE, cache=tmp_path / "cache") is None
