"""compare-budget: runs measured at equal CPU time, each at its latest checkpoint within the budget."""
import json

from ml.cli import main
from ml.eval.budget import checkpoint_within


def test_the_checkpoint_within_a_budget_is_the_latest_full_resolution_one_it_affords(tiny_run):
    states = {path.name: json.loads((path / "state.json").read_text())
              for path in sorted(tiny_run.glob("checkpoint-*"))}
    last = max(states)
    assert states[last]["full_resolution"] and states[last]["cpu_seconds"] > 0
    assert checkpoint_within(tiny_run, states[last]["cpu_seconds"]).name == last
    assert checkpoint_within(tiny_run, 1e9).name == last
    assert checkpoint_within(tiny_run, 0.0) is None  # nothing is free


def test_compare_budget_prints_one_row_per_run_and_budget(tiny_run, scenes, oracle_folder, tmp_path, capsys):
    assert main(["compare-budget", str(tiny_run), "--data", str(scenes), "--oracle", str(oracle_folder),
                 "--cpu-hours", "0.000001", "100", "--images", "20", "--grids", str(tmp_path / "grids"),
                 "--cache", str(tmp_path / "cache")]) == 0
    table = capsys.readouterr().out.split("| CPU hours |")[-1].splitlines()
    assert "none at full resolution yet" in table[2] and table[3].startswith("| 100 | ")
    assert [path.name for path in (tmp_path / "grids").iterdir()] == [f"{tiny_run.parent.name}-100h.png"]


def test_a_budget_must_be_positive(tiny_run, scenes, oracle_folder, capsys):
    assert main(["compare-budget", str(tiny_run), "--data", str(scenes), "--oracle", str(oracle_folder),
                 "--cpu-hours", "0"]) == 2
    assert "--cpu-hours must be positive" in capsys.readouterr().err
