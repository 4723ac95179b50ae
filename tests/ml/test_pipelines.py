import dataclasses
import json

import pytest
import torch
from PIL import Image

from ml import pipelines
from ml.modelfolder import ModelFolderError, weights_sha256, write_model_folder
from ml.models.place import PlaceGenerator

from tests.conftest import write_tiny_place_model

TROMSO = {"lat": 69.65, "lon": 18.96, "city": "Tromsø"}
SUVA = {"lat": -18.14, "lon": 178.44}


def test_load_builds_the_place_pipeline(place_folder, tiny_config, no_unpickling):
    pipeline = pipelines.load(place_folder)

    assert isinstance(pipeline, pipelines.PlacePipeline)
    assert (pipeline.kind, pipeline.resolution) == ("place", 16)
    assert pipeline.sha256 == weights_sha256(place_folder)
    assert pipeline.config["architecture"] == tiny_config.to_dict()


def test_generate_returns_rgb_pictures_and_reports_progress(place_folder):
    fractions = []
    pictures = pipelines.load(place_folder).generate([TROMSO, SUVA], [1, 2], progress=fractions.append)

    assert [(picture.mode, picture.size) for picture in pictures] == [("RGB", (16, 16))] * 2
    assert all(isinstance(picture, Image.Image) for picture in pictures)
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] == 1.0


def test_a_picture_depends_only_on_its_inputs_and_seed(place_folder):
    pipeline = pipelines.load(place_folder)
    alone = pipeline.generate([TROMSO], [2**63 - 1])[0].tobytes()

    in_four = pipeline.generate([SUVA, TROMSO, SUVA, SUVA], [5, 2**63 - 1, 6, 7])
    in_five = pipeline.generate([SUVA] * 4 + [TROMSO], [8, 9, 10, 11, 2**63 - 1])

    assert in_four[1].tobytes() == alone
    assert in_five[4].tobytes() == alone
    assert in_four[0].tobytes() != in_four[2].tobytes()  # another seed, another picture
    assert pipeline.generate([SUVA], [2**63 - 1])[0].tobytes() != alone  # another place too


def test_loading_twice_paints_the_same_picture(place_folder):
    first = pipelines.load(place_folder).generate([TROMSO], [3])[0]
    assert pipelines.load(place_folder).generate([TROMSO], [3])[0].tobytes() == first.tobytes()


@pytest.mark.parametrize("inputs, seeds, message", [
    ([TROMSO], [1, 2], "1 inputs but 2 seeds"),
    ([TROMSO], [-1], r"seeds\[0\] must be an integer"),
    ([TROMSO], [2**63], r"seeds\[0\] must be an integer"),
    ([TROMSO], [1.5], r"seeds\[0\] must be an integer"),
    ([{"lat": 91, "lon": 0}], [1], "off the globe"),
    ([{"lat": float("nan"), "lon": 0}], [1], "off the globe"),
    ([{"lon": 0}], [1], r"inputs\[0\] needs numeric"),
])
def test_bad_inputs_are_refused(place_folder, inputs, seeds, message):
    with pytest.raises(ValueError, match=message):
        pipelines.load(place_folder).generate(inputs, seeds)


def test_load_never_unpickles(place_folder, no_unpickling):
    pipelines.load(place_folder).generate([TROMSO], [1])


def test_a_missing_config_is_refused(place_folder):
    (place_folder / "config.json").unlink()
    with pytest.raises(ModelFolderError, match="config.json is missing"):
        pipelines.load(place_folder)


def test_missing_weights_are_refused(place_folder):
    (place_folder / "weights.safetensors").unlink()
    with pytest.raises(ModelFolderError, match="weights.safetensors is missing"):
        pipelines.load(place_folder)


def test_a_pickle_checkpoint_is_refused_unopened(tmp_path, tiny_config, no_unpickling):
    torch.save(PlaceGenerator(tiny_config).state_dict(), tmp_path / "weights.pt")
    (tmp_path / "config.json").write_text(json.dumps({"kind": "place", "architecture": tiny_config.to_dict()}))
    with pytest.raises(ModelFolderError, match="weights.pt is a pickle checkpoint"):
        pipelines.load(tmp_path)
    with pytest.raises(ModelFolderError, match="weights.pt is a pickle checkpoint"):
        pipelines.load(tmp_path / "weights.pt")


def test_tensors_of_another_width_are_refused(tmp_path, tiny_config):
    wider = dataclasses.replace(tiny_config, fmap_base=256)
    write_model_folder(tmp_path, kind="place", architecture=tiny_config.to_dict(),
                       state_dict=PlaceGenerator(wider).state_dict())
    with pytest.raises(ModelFolderError, match=r"does not match config.json \(wrong shape: blocks.0.conv_up.weight \(32, 32, 3, 3\)"):
        pipelines.load(tmp_path)


def test_missing_and_unexpected_tensors_are_refused(tmp_path, tiny_config):
    state = PlaceGenerator(tiny_config).state_dict()
    del state["to_rgb.0.bias"]
    state["discriminator.weight"] = torch.zeros(1)
    write_model_folder(tmp_path, kind="place", architecture=tiny_config.to_dict(), state_dict=state)
    with pytest.raises(ModelFolderError, match="missing: to_rgb.0.bias; unexpected: discriminator.weight"):
        pipelines.load(tmp_path)


def test_weights_that_do_not_match_the_recorded_sha256_are_refused(place_folder, tmp_path, tiny_config):
    other = write_tiny_place_model(tmp_path / "other", config=tiny_config, seed=1)
    (place_folder / "weights.safetensors").write_bytes((other / "weights.safetensors").read_bytes())
    with pytest.raises(ModelFolderError, match="sha256"):
        pipelines.load(place_folder)


def test_an_unknown_architecture_field_is_refused(place_folder):
    config = json.loads((place_folder / "config.json").read_text())
    config["architecture"]["colour"] = "blue"
    (place_folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="architecture is invalid: unknown PlaceConfig field"):
        pipelines.load(place_folder)


def test_a_kind_without_a_pipeline_yet_is_refused(place_folder):
    config = json.loads((place_folder / "config.json").read_text())
    (place_folder / "config.json").write_text(json.dumps({**config, "kind": "oracle"}))
    with pytest.raises(ModelFolderError, match="no pipeline for kind 'oracle'"):
        pipelines.load(place_folder)
