from ml.eval.validate import validation_metrics
from tests.ml.conftest import write_place_folder
from ml.models.place import PlaceConfig


def test_validation_measures_a_place_model_against_heldout_references(oracle_folder, tmp_path):
    folder = write_place_folder(tmp_path / "place", PlaceConfig(resolution=16, latent_dim=16, fmap_base=128,
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
