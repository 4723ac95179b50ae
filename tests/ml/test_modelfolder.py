import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ml.modelfolder import ModelFolderError, read_config, weights_sha256, write_model_folder

REPO = Path(__file__).resolve().parents[2]


def _write(folder, **tensors):
    return write_model_folder(folder, kind="place", architecture={"resolution": 16},
                              state_dict=tensors or {"w": torch.arange(6.0).reshape(2, 3)})


def test_a_folder_round_trips(tmp_path):
    weight = torch.arange(12.0).reshape(3, 4)
    sha256 = write_model_folder(tmp_path / "m", kind="place", architecture={"resolution": 16},
                                state_dict={"w": weight.t(), "b": torch.ones(2)},  # w is not contiguous
                                training={"images": 10}, metrics={"kid": 0.1})

    config = read_config(tmp_path / "m")

    assert sorted(path.name for path in (tmp_path / "m").iterdir()) == ["config.json", "weights.safetensors"]
    assert config == {"kind": "place", "architecture": {"resolution": 16}, "resolution": 16,
                      "training": {"images": 10}, "metrics": {"kid": 0.1}, "weights_sha256": sha256}
    assert sha256 == weights_sha256(tmp_path / "m")
    assert sha256 == hashlib.sha256((tmp_path / "m" / "weights.safetensors").read_bytes()).hexdigest()
    assert torch.equal(load_file(tmp_path / "m" / "weights.safetensors")["w"], weight.t())


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ModelFolderError, match="model folder .*nowhere not found"):
        read_config(tmp_path / "nowhere")


def test_a_missing_config_is_refused(tmp_path):
    _write(tmp_path)
    (tmp_path / "config.json").unlink()
    with pytest.raises(ModelFolderError, match="config.json is missing"):
        read_config(tmp_path)


def test_missing_weights_are_refused(tmp_path):
    _write(tmp_path)
    (tmp_path / "weights.safetensors").unlink()
    with pytest.raises(ModelFolderError, match="weights.safetensors is missing"):
        read_config(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must hold a JSON object, not list"),
    ('{"kind": "poem", "architecture": {}}', "unknown kind 'poem'"),
    ('{"kind": "place"}', "no \"architecture\" object"),
])
def test_a_bad_config_is_refused(tmp_path, text, message):
    _write(tmp_path)
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(ModelFolderError, match=message):
        read_config(tmp_path)


@pytest.mark.parametrize("name", ["weights.pt", "model.pth", "last.ckpt", "pytorch_model.bin", "state.pkl"])
def test_a_pickle_in_the_folder_is_refused_unopened(tmp_path, name, no_unpickling):
    torch.save({"w": torch.zeros(2)}, tmp_path / name)
    (tmp_path / "config.json").write_text('{"kind": "place", "architecture": {}}')
    with pytest.raises(ModelFolderError) as error:
        read_config(tmp_path)
    assert str(error.value) == f"{name} is a pickle checkpoint; a model folder holds weights.safetensors + config.json only"


def test_a_pickle_file_passed_as_the_folder_is_refused_unopened(tmp_path, no_unpickling):
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pt")
    with pytest.raises(ModelFolderError, match="model.pt is a pickle checkpoint"):
        read_config(tmp_path / "model.pt")


def test_the_weights_file_passed_as_the_folder_is_refused(tmp_path):
    _write(tmp_path)
    with pytest.raises(ModelFolderError, match="pass the model folder that holds it"):
        read_config(tmp_path / "weights.safetensors")


def test_weights_that_do_not_match_the_recorded_sha256_are_refused(tmp_path):
    _write(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    _write(tmp_path / "other", w=torch.zeros(2, 3))
    (tmp_path / "weights.safetensors").write_bytes((tmp_path / "other" / "weights.safetensors").read_bytes())
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="does not match config.json: sha256"):
        read_config(tmp_path)


def test_reading_a_folder_does_not_import_torch(tmp_path):
    _write(tmp_path)
    code = f"import sys; from ml.modelfolder import read_config; read_config({str(tmp_path)!r}); " \
           "assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
