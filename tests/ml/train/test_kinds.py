"""Every kind in the registry: its `train --help` comes from the registry, `train --dry-run`
checks and writes nothing, and `export` writes a model folder of that kind from a tiny run."""
import json

import pytest

from ml.cli import main
from ml.modelfolder import read_config
from ml.train.kinds import KINDS
from ml.train.run_config import option_fields

from .test_compose import TINY as COMPOSE_TINY
from .test_compose import compose_data, compose_run, place_start  # noqa: F401  (fixtures)
from .conftest import TINY_ARCHITECTURE as PLACE_TINY, TINY_SCHEDULE as PLACE_SCHEDULE
from .test_edit import TINY_ARCHITECTURE as EDIT_TINY, TINY_SCHEDULE as EDIT_SCHEDULE
from .test_edit import captioned_dataset, edit_run  # noqa: F401  (fixtures)
from .test_ground import TINY as GROUND_TINY
from .test_ground import ground_run, pairs  # noqa: F401  (fixtures)
from .test_upsample import TINY as UPSAMPLE_TINY
from .test_upsample import sizes, upsample_data, upsample_run  # noqa: F401  (fixtures)

RUNS = {"place": "trained_run", "ground": "ground_run", "edit": "edit_run", "upsample": "upsample_run",
        "compose": "compose_run"}
DATA = {"place": "tiny_dataset", "ground": "pairs", "edit": "captioned_dataset", "upsample": "upsample_data",
        "compose": "compose_data"}
OPTIONS = {"place": [*PLACE_TINY, *PLACE_SCHEDULE], "ground": GROUND_TINY, "edit": [*EDIT_TINY, *EDIT_SCHEDULE],
           "upsample": UPSAMPLE_TINY, "compose": COMPOSE_TINY}


def kind_options(name: str, request, tmp_path) -> list[str]:
    """What a kind's command line needs beyond its data: edit a text cache, upsample its targets."""
    if name == "edit":
        return ["--text-cache", str(tmp_path / "text")]
    if name == "upsample":
        return ["--target", str(request.getfixturevalue("sizes")[32])]
    return []


def test_every_kind_in_the_registry_has_a_train_command():
    assert set(KINDS) == set(RUNS) and all(name == kind.name for name, kind in KINDS.items())


@pytest.mark.parametrize("name", KINDS)
def test_the_help_of_train_kind_lists_every_option_of_its_run_config_and_architecture(name, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["train", name, "--help"])
    assert exit.value.code == 0
    text = capsys.readouterr().out
    kind = KINDS[name]
    flags = [field.name for field in option_fields(kind.config)] + list(kind.architecture)
    for option in flags:
        assert "--" + option.replace("_", "-") in text
    assert kind.description.split()[0] in text


@pytest.mark.parametrize("name", KINDS)
def test_a_dry_run_of_every_kind_prints_its_options_and_writes_nothing(name, request, tmp_path, capsys):
    data = request.getfixturevalue(DATA[name])
    assert main(["train", name, "--data", str(data), "--out", str(tmp_path / "runs"), *OPTIONS[name],
                 *kind_options(name, request, tmp_path),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    options = json.loads(out[:out.rindex("}") + 1])
    assert options["kind"] == name and options["train"]["dry_run"] is True
    assert options["command"].startswith(f"python -m ml train {name} --data ")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name", KINDS)
def test_export_writes_a_model_folder_of_the_runs_kind(name, request, tmp_path):
    run = request.getfixturevalue(RUNS[name])
    assert main(["export", str(run), "--out", str(tmp_path / "model"), "--checkpoint", "latest",
                 "--gap-steps", "1", "--gap-batch", "4"]) == 0
    config = read_config(tmp_path / "model")
    assert config["kind"] == name and config["training"]["run"] == run.name


def test_export_of_a_run_of_an_unknown_kind_is_refused(trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    options = json.loads((trained_run / "options.json").read_text())
    (run / "options.json").write_text(json.dumps({**options, "kind": "oracle"}))
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 2
    assert capsys.readouterr().err == (f"error: {run} is a run of kind 'oracle', which no registered kind exports "
                                       "(they are: place, ground, edit, upsample, compose)\n")
