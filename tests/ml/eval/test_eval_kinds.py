"""`python -m ml eval RUN_DIR` finds a run's kind in the registry: place and ground runs are
measured from their checkpoint's generator, an edit run is sent to its own command."""
import json

import pytest

from ml.cli import main
from tests.ml.train.test_edit import TINY_ARCHITECTURE as EDIT_TINY, TINY_SCHEDULE as EDIT_SCHEDULE
from tests.ml.train.test_ground import TINY as GROUND_TINY


@pytest.fixture(scope="module")
def ground_run(scenes, tmp_path_factory):
    runs = tmp_path_factory.mktemp("ground-eval") / "runs"
    assert main(["train", "ground", "--data", str(scenes), "--out", str(runs), *GROUND_TINY, "--max-kimg",
                 "0.004"]) == 0
    (run,) = runs.iterdir()
    return run


@pytest.mark.parametrize("run_fixture", ["tiny_run", "ground_run"])
def test_eval_measures_the_latest_checkpoint_of_a_place_or_ground_run(run_fixture, request, scenes, oracle_folder,
                                                                       tmp_path):
    run = request.getfixturevalue(run_fixture)
    assert main(["eval", str(run), "--data", str(scenes), "--oracle", str(oracle_folder), "--images", "20",
                 "--cache", str(tmp_path / "cache"), "--metrics", "fid"]) == 0
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    checkpoint = sorted(run.glob("checkpoint-*"))[-1].name
    assert record["target"] == f"{run.name}/{checkpoint}" and "fid" in record


def test_eval_sends_an_edit_run_to_eval_edit(scenes, oracle_folder, tmp_path, capsys):
    data = tmp_path / "captioned"
    assert main(["geoscenes", "--cities", "3", "--per-city", "2", "--size", "16", "--out", str(data)]) == 0
    runs = tmp_path / "runs"
    assert main(["train", "edit", "--data", str(data), "--out", str(runs), "--text-cache", str(tmp_path / "text"),
                 *EDIT_TINY, *EDIT_SCHEDULE, "--max-kimg", "0.004"]) == 0
    (run,) = runs.glob("0*")
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(scenes), "--oracle", str(oracle_folder)]) == 2
    assert capsys.readouterr().err == (f"error: {run} is a run of a kind this command does not measure "
                                       "(its measure: eval-edit)\n")
