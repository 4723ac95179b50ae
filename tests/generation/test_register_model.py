import pytest
import torch
from django.core.management import CommandError, call_command

from generation.models import ModelVersion
from tests.conftest import write_tiny_place_model


def test_register_and_activate(db, tiny_place_model, capsys):
    call_command("register_model", str(tiny_place_model), "--activate")
    version = ModelVersion.objects.get()
    assert (version.kind, version.name, version.is_active) == ("place", "tiny-place", True)
    assert len(version.sha256) == 64
    assert version.config["architecture"]["resolution"] == 16
    assert "active" in capsys.readouterr().out


def test_registering_the_same_weights_twice_keeps_one_version(db, tiny_place_model):
    call_command("register_model", str(tiny_place_model))
    call_command("register_model", str(tiny_place_model), "--name", "renamed")
    assert list(ModelVersion.objects.values_list("name", flat=True)) == ["renamed"]


def test_activating_a_version_deactivates_the_other_of_its_kind(db, tmp_path):
    call_command("register_model", str(write_tiny_place_model(tmp_path / "a", seed=1)), "--activate")
    call_command("register_model", str(write_tiny_place_model(tmp_path / "b", seed=2)), "--activate")
    assert list(ModelVersion.objects.filter(is_active=True).values_list("name", flat=True)) == ["b"]
    assert ModelVersion.objects.count() == 2


def test_a_pickle_is_refused_without_being_opened(db, tmp_path, monkeypatch):
    checkpoint = tmp_path / "model.pt"
    torch.save({"weights": torch.zeros(2)}, checkpoint)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle was opened"))
    with pytest.raises(CommandError, match="pickle"):
        call_command("register_model", str(checkpoint), "--activate")
    assert ModelVersion.objects.count() == 0


def test_tensors_that_do_not_match_the_config_are_refused(db, tmp_path):
    folder = write_tiny_place_model(tmp_path / "m")
    config_path = folder / "config.json"
    config_path.write_text(config_path.read_text().replace('"fmap_max": 32', '"fmap_max": 16'))
    with pytest.raises(CommandError):
        call_command("register_model", str(folder))
    assert ModelVersion.objects.count() == 0


def test_a_missing_folder_is_refused(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("register_model", str(tmp_path / "nowhere"))
    assert ModelVersion.objects.count() == 0
