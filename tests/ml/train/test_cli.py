"""Options are checked once, at the command line: a bad one is one line on stderr, exit 2."""
import pytest

from ml.cli import main

from .conftest import train, write_tiny_dataset


@pytest.mark.parametrize("extra, message", [
    (["--resolution", "48"], "error: --resolution must be a power of two from 4 to 1024, got 48"),
    (["--start-resolution", "16"], "error: --start-resolution 16 is above --resolution 8"),
    (["--batch-size", "0"], "error: --batch-size must be positive, got 0"),
    (["--cities", "many"], "error: --cities must be a positive integer or 'all', got 'many'"),
    (["--cities", "5"], "error: --cities 5 asks for more cities than the dataset's 2 training cities"),
    (["--context-head", "biome,weather"], "error: --context-head: {data} lists no attribute 'weather' in its "
                                          "dataset.json (it lists: outlier, biome, density)"),
])
def test_bad_training_options_are_one_line_errors(tiny_dataset, tmp_path, capsys, extra, message):
    assert train(tiny_dataset, tmp_path, *extra) == 2
    assert capsys.readouterr().err == message.format(data=tiny_dataset) + "\n"
    assert list(tmp_path.iterdir()) == []


def test_a_context_head_on_rows_without_its_classes_is_refused(tmp_path, capsys):
    unlabelled = write_tiny_dataset(tmp_path / "unlabelled", place_classes=False)
    assert train(unlabelled, tmp_path / "runs", "--context-head", "biome,density") == 2
    assert capsys.readouterr().err == (f"error: --context-head: no training row of {unlabelled} carries a biome "
                                       "class, so the head would learn nothing\n")
    assert not (tmp_path / "runs").exists()


def test_a_dataset_folder_without_images_is_refused(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "manifest.jsonl").write_text("")
    assert train(empty, tmp_path / "runs") == 2
    error = capsys.readouterr().err
    assert error.startswith("error: --data: ") and "no readable images" in error and error.count("\n") == 1
    assert not (tmp_path / "runs").exists()


def test_export_of_a_folder_that_is_not_a_run_is_refused(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "model")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path} is not a run folder (it has no options.json)\n"


@pytest.mark.parametrize("given, resumed, expected", [(0.0, 0.05, None), (0.1, None, 0.1), (None, None, None),
                                                      (None, 0.05, 0.05)])
def test_an_ema_rampup_of_zero_turns_the_rampup_off_for_every_kind(given, resumed, expected):
    from argparse import Namespace

    from ml.train.launch import option_values

    values = option_values(Namespace(ema_rampup=given, seed=None), ["ema_rampup", "seed"],
                           {"ema_rampup": 0.05, "seed": 0}, {"train": {"ema_rampup": resumed}})
    assert values == {"ema_rampup": expected, "seed": 0}
