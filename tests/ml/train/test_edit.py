"""The edit training loop: a 3-step run on captioned pictures, its files, resume, export, bad options."""
import json
import shutil

import pytest
import torch

from ml.cli import main
from ml.modelfolder import read_config
from ml.train.launch import ERROR_RESUME_ARCHITECTURE, ERROR_RESUME_DONE, ERROR_RESUME_KIND

from .conftest import CLASSES

TINY_ARCHITECTURE = ["--resolution", "16", "--width", "4", "--residual-units", "2", "--condition-dim", "8",
                     "--d-width", "4", "--d-text-dim", "8"]
TINY_SCHEDULE = ["--batch-size", "4", "--tick-kimg", "0.004", "--sample-kimg", "0.008", "--snapshot-kimg", "0.004"]
CAPTIONS = ["a snowy polar village at night", "a green town by day", "a sandy desert city at sunset"]


@pytest.fixture(scope="session")
def captioned_dataset(tiny_dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("captioned") / "tiny-captioned"
    shutil.copytree(tiny_dataset, root)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    for index, row in enumerate(rows):
        row["caption"] = CAPTIONS[index % len(CAPTIONS)]
    (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root


def train(data, runs, *extra):
    return main(["train", "edit", "--data", str(data), "--out", str(runs), "--text-cache", str(runs / "text"),
                 *TINY_ARCHITECTURE, *TINY_SCHEDULE, *extra])


def resume(data, runs, checkpoint, *extra):
    """A resumed run: every option left unset but --data, --out and `extra`."""
    return main(["train", "edit", "--data", str(data), "--out", str(runs), "--resume", str(checkpoint), *extra])


def tree(folder):
    return sorted(path.relative_to(folder) for path in folder.rglob("*"))


@pytest.fixture(scope="session")
def edit_run(captioned_dataset, tmp_path_factory):
    runs = tmp_path_factory.mktemp("edit-runs")
    assert train(captioned_dataset, runs, "--max-kimg", "0.012") == 0
    (run,) = runs.glob("0*")
    return run


def test_a_three_step_run_writes_its_folder(edit_run):
    assert edit_run.name == "00000-edit-tiny-captioned-16"
    names = {path.name for path in edit_run.iterdir()}
    assert {"options.json", "log.txt", "stats.jsonl", "samples-000000.000.png", "samples-000000.008.png",
            "samples-000000.012.png", "checkpoint-000000.004", "checkpoint-000000.012"} <= names
    options = json.loads((edit_run / "options.json").read_text())
    assert options["kind"] == "edit" and options["train"]["cycle_weight"] == 10 and options["train"]["lr"] == 2e-4
    assert options["dataset"]["images"] == 16  # the outlier left out
    assert options["command"].startswith("python -m ml train edit --data ")
    stats = [json.loads(line) for line in (edit_run / "stats.jsonl").read_text().splitlines()]
    assert [row["kimg"] for row in stats] == [0.004, 0.008, 0.012]
    assert all({"loss_d", "loss_g", "g_cycle", "g_kl", "g_adversarial"} <= set(row) for row in stats)
    assert all(row["loss_g"] == row["loss_g"] for row in stats)  # finite
    assert sorted(p.name for p in (edit_run / "checkpoint-000000.012").iterdir()) == [
        "D.safetensors", "G.safetensors", "optimizers.safetensors", "state.json"]


def test_the_ablations_leave_out_their_terms(captioned_dataset, tmp_path):
    assert train(captioned_dataset, tmp_path, "--max-kimg", "0.004", "--cycle-weight", "0", "--no-augmentation") == 0
    (run,) = tmp_path.glob("0*")
    (row,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert "g_cycle" not in row and "g_kl" not in row and row["loss_g"] == row["g_adversarial"]


def test_the_learning_rate_halves_every_lr_halve_epochs(captioned_dataset, tmp_path):
    # 16 pictures, batch 8: two steps an epoch; halving every epoch gives 2e-4, 2e-4, 1e-4, 1e-4, 5e-5.
    assert train(captioned_dataset, tmp_path, "--batch-size", "8", "--tick-kimg", "0.008", "--max-kimg", "0.040",
                 "--lr-halve-epochs", "1") == 0
    (run,) = tmp_path.glob("0*")
    rates = [json.loads(line)["lr"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert rates == [2e-4, 2e-4, 1e-4, 1e-4, 5e-5]


def test_the_attribute_head_phrase_edits_and_identity_loss_train_and_are_recorded(captioned_dataset, tmp_path):
    assert train(captioned_dataset, tmp_path, "--max-kimg", "0.008", "--attribute-head", "biome,density",
                 "--attribute-weight", "2", "--phrase-edits", "1", "--identity-weight", "3") == 0
    (run,) = tmp_path.glob("0*")
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["attribute_head"] == {"biome": CLASSES["biome"], "density": CLASSES["density"]}
    assert options["train"]["attribute_weight"] == 2 and options["train"]["phrase_edits"] == 1
    assert options["command"].endswith(" --attribute-head biome,density")
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 2 and all(row["attribute_loss_d"] > 0 and row["g_attributes"] > 0 for row in stats)
    assert all(row["g_identity"] > 0 for row in stats) and options["train"]["identity_weight"] == 3
    assert all(0 <= row[f"{name}_accuracy_{player}"] <= 1 for row in stats for name in CLASSES for player in "dg")
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    training = read_config(tmp_path / "model")["training"]
    assert training["attribute_weight"] == 2 and training["phrase_edits"] == 1 and training["identity_weight"] == 3


def test_standardised_texts_are_fitted_on_the_training_texts_and_shipped_with_the_model(captioned_dataset, tmp_path,
                                                                                        no_unpickling):
    from safetensors.torch import load_file

    from ml.models.edit_text import encode_with_file_cache
    from ml.pipelines import load
    from ml.train.image_cache import load_image_cache

    assert train(captioned_dataset, tmp_path, "--max-kimg", "0.004", "--standardize-text") == 0
    (run,) = tmp_path.glob("0*")
    assert " --standardize-text" in json.loads((run / "options.json").read_text())["command"]
    captions = load_image_cache(captioned_dataset, resolution=16, split="train", progress=False).captions
    texts = encode_with_file_cache(captions, tmp_path / "text")
    weights = load_file(str(run / "checkpoint-000000.004" / "G.safetensors"))
    assert torch.allclose(weights["condition.standardize.mean"], texts.mean(0), atol=1e-6)
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    pipeline = load(tmp_path / "model")
    from PIL import Image

    (edited,) = pipeline.generate([{"image": Image.new("RGB", (16, 16), "grey"), "text": "snowy"}], [0])
    assert edited.size == (16, 16)


def test_a_phrase_edit_asks_for_one_value_the_picture_lacks_and_keeps_the_others(captioned_dataset, tmp_path):
    from ml.models.edit import EditConfig
    from ml.models.edit_text import encode_with_file_cache
    from ml.train import run_dir
    from ml.train.edit import EditTrainer, PhraseBook, attribute_phrases
    from ml.train.edit_config import EditTrainConfig
    from ml.train.image_cache import load_image_cache

    data = load_image_cache(captioned_dataset, resolution=16, split="train", progress=False)
    phrases = attribute_phrases(data.classes)
    assert ("biome", CLASSES["biome"].index("polar"), "the same place, frozen") in phrases
    assert {attribute for attribute, _, _ in phrases} == {"biome", "density"}  # the ones the data labels
    book = PhraseBook(phrases, encode_with_file_cache([text for *_, text in phrases], tmp_path / "text"))
    config = EditTrainConfig(data=str(captioned_dataset), batch_size=16, phrase_edits=1.0, model=EditConfig(
        resolution=16, width=4, residual_units=2, condition_dim=8, d_width=4, d_text_dim=8,
        attribute_head={"biome": CLASSES["biome"], "density": CLASSES["density"]}))
    trainer = EditTrainer(config, data, encode_with_file_cache(data.captions, tmp_path / "text"),
                          torch.zeros(1, 384), run_dir.Distributed(), run_dir.RunDir(tmp_path / "run"), options={},
                          phrases=book)
    batch = trainer.fetch_batch()
    by_text = {tuple(book.embeddings[row].tolist()): phrase for row, phrase in enumerate(phrases)}
    for row in range(16):
        own = {name: int(batch.labels[name][row]) for name in CLASSES}
        matched, target = by_text[tuple(batch.matching[row].tolist())], by_text[tuple(batch.targets[row].tolist())]
        assert matched[0] == target[0] and own[matched[0]] == matched[1] != target[1]
        asked = {name: int(batch.target_labels[name][row]) for name in CLASSES}
        assert asked == {**own, target[0]: target[1]}


def test_resume_continues_from_the_checkpoint_kimg_and_epoch(captioned_dataset, tmp_path):
    # 16 pictures, batch 8: two steps an epoch, so the third step (kimg 0.024) is in epoch 1.
    assert train(captioned_dataset, tmp_path / "first", "--batch-size", "8", "--tick-kimg", "0.008",
                 "--max-kimg", "0.024", "--lr-halve-epochs", "1") == 0
    (first,) = (tmp_path / "first").glob("0*")
    checkpoint = first / "checkpoint-000000.024"
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 1
    before = tree(first)
    assert resume(captioned_dataset, tmp_path / "second", first, "--max-kimg", "0.032") == 0
    (run,) = (tmp_path / "second").glob("0*")
    options = json.loads((run / "options.json").read_text())
    assert options["resumed_from"] == {"checkpoint": str(checkpoint.resolve()), "kimg": 0.024}
    # Unset options are the resumed run's, not the defaults.
    assert options["train"]["batch_size"] == 8 and options["train"]["lr_halve_epochs"] == 1
    assert options["train"]["model"]["width"] == 4 and options["train"]["max_kimg"] == 0.032
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [(row["kimg"], row["epoch"], row["lr"]) for row in stats] == [(0.032, 1, 1e-4)]  # halved once
    assert [p.name for p in run.glob("checkpoint-*")] == ["checkpoint-000000.032"]
    assert json.loads((run / "checkpoint-000000.032" / "state.json").read_text())["epoch"] == 1
    assert "from kimg 0.024 to 0.032" in (run / "log.txt").read_text()
    assert tree(first) == before


def test_resume_with_another_architecture_is_refused_and_writes_nothing(edit_run, captioned_dataset, tmp_path,
                                                                         capsys):
    before = tree(edit_run)
    assert resume(captioned_dataset, tmp_path, edit_run, "--max-kimg", "0.02", "--width", "8") == 2
    error = capsys.readouterr().err
    assert error == f"error: {ERROR_RESUME_ARCHITECTURE.format(edit_run, 'width=4', 'width=8')}\n"
    assert list(tmp_path.iterdir()) == []
    assert tree(edit_run) == before


def test_a_checkpoint_older_than_an_architecture_option_resumes_with_that_option_at_its_default(
        edit_run, captioned_dataset, tmp_path, capsys):
    """A checkpoint written before `decoder` existed was trained with what is now its default."""
    checkpoint = tmp_path / "old" / "checkpoint-000000.012"
    shutil.copytree(edit_run / "checkpoint-000000.012", checkpoint)
    state = json.loads((checkpoint / "state.json").read_text())
    del state["architecture"]["decoder"]
    (checkpoint / "state.json").write_text(json.dumps(state))
    refused = resume(captioned_dataset, tmp_path / "refused", checkpoint, "--max-kimg", "0.016", "--decoder", "resize")
    assert refused == 2
    assert "decoder=transposed" in capsys.readouterr().err and not (tmp_path / "refused").exists()
    assert resume(captioned_dataset, tmp_path / "runs", checkpoint, "--max-kimg", "0.016",
                  "--decoder", "transposed") == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert [path.name for path in run.glob("checkpoint-*")] == ["checkpoint-000000.016"]


def test_resume_of_a_finished_run_is_refused(edit_run, captioned_dataset, tmp_path, capsys):
    assert resume(captioned_dataset, tmp_path / "runs", edit_run) == 2  # --max-kimg is the run's own 0.012
    checkpoint = edit_run / "checkpoint-000000.012"
    assert capsys.readouterr().err == f"error: {ERROR_RESUME_DONE.format(checkpoint, 0.012)}\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("kind", ["place", "ground"])
def test_resume_of_another_kind_of_checkpoint_is_refused(captioned_dataset, tmp_path, capsys, kind):
    checkpoint = tmp_path / "checkpoint-000001.000"
    checkpoint.mkdir()
    (checkpoint / "state.json").write_text(json.dumps({"kind": kind, "nimg": 1000, "architecture": {}}))
    assert resume(captioned_dataset, tmp_path / "runs", checkpoint, "--max-kimg", "2") == 2
    assert capsys.readouterr().err == f"error: {ERROR_RESUME_KIND.format(checkpoint, kind, 'edit')}\n"
    assert not (tmp_path / "runs").exists()


def test_export_writes_the_generator_as_a_model_folder(edit_run, tmp_path, no_unpickling):
    from ml.pipelines import load

    assert main(["export", str(edit_run), "--out", str(tmp_path / "model")]) == 0
    config = read_config(tmp_path / "model")
    assert config["kind"] == "edit" and config["resolution"] == 16
    assert config["training"]["checkpoint"] == "checkpoint-000000.012"
    assert load(tmp_path / "model").kind == "edit"


def test_with_ema_kimg_the_export_takes_the_moving_average_and_the_training_is_unchanged(edit_run, captioned_dataset,
                                                                                         tmp_path):
    from safetensors.torch import load_file

    assert train(captioned_dataset, tmp_path / "runs", "--max-kimg", "0.012", "--ema-kimg", "0.004") == 0
    (run,) = (tmp_path / "runs").glob("0*")
    checkpoint = run / "checkpoint-000000.012"
    ema, live = (load_file(checkpoint / f"{name}.safetensors") for name in ("G_ema", "G"))
    # The average is not what training reached, and training reached what it does without one.
    assert any(not torch.equal(ema[key], live[key]) for key in ema)
    without = load_file(edit_run / "checkpoint-000000.012" / "G.safetensors")
    assert all(torch.equal(live[key], without[key]) for key in live)
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    exported = load_file(tmp_path / "model" / "weights.safetensors")
    assert exported.keys() == ema.keys() and all(torch.equal(exported[key], ema[key]) for key in ema)
    assert read_config(tmp_path / "model")["training"]["ema_kimg"] == 0.004
    # A run that kept no average can go on with one: it starts from the generator.
    assert resume(captioned_dataset, tmp_path / "resumed", edit_run, "--max-kimg", "0.016", "--ema-kimg", "0.004") == 0
    (resumed,) = (tmp_path / "resumed").glob("0*")
    assert (resumed / "checkpoint-000000.016" / "G_ema.safetensors").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--batch-size", "1"], "--batch-size must give each process at least 2 pictures"),
    (["--max-kimg", "0"], "--max-kimg must be positive"),
    (["--cycle-weight", "-1"], "--cycle-weight must be >= 0"),
    (["--phrase-edits", "1.5"], "--phrase-edits must be a share between 0 and 1, got 1.5"),
    (["--attribute-head", "biome,snowfall"], "--attribute-head: "),
    (["--attribute-weight", "-2"], "--attribute-weight must be >= 0"),
    (["--identity-weight", "-1"], "--identity-weight must be >= 0"),
    (["--ema-kimg", "-1"], "--ema-kimg must be >= 0"),
    (["--resolution", "48"], "invalid architecture: EditConfig.resolution must be one of"),
])
def test_bad_options_are_refused_and_nothing_is_written(captioned_dataset, tmp_path, capsys, extra, message):
    assert train(captioned_dataset, tmp_path, *extra) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("0*"))


def test_pictures_without_captions_are_refused(tiny_dataset, tmp_path, capsys):
    assert train(tiny_dataset, tmp_path) == 2
    assert "16 of its 16 pictures have no caption" in capsys.readouterr().err


@pytest.fixture(scope="session")
def varied_dataset(tmp_path_factory):
    """GeoScenes pictures with their captions and variants (`--variants weather,time_of_day,biome`)."""
    from ml.data.geoscenes import select_cities
    from ml.data.geoscenes.writer import write_dataset

    root = tmp_path_factory.mktemp("varied") / "tiny-varied"
    write_dataset(root, cities=select_cities(4), per_city=4, size=16, seed=0, args={}, progress=False,
                  variants=("weather", "time_of_day", "biome"))
    return root


def test_a_phrase_edit_of_weather_time_or_biome_is_paired_with_its_rendered_variant(varied_dataset, tmp_path):
    from ml.models.edit import EditConfig
    from ml.models.edit_text import encode_with_file_cache
    from ml.train import run_dir
    from ml.train.edit import EditTrainer, PhraseBook, attribute_phrases
    from ml.train.edit_config import EditTrainConfig
    from ml.train.image_cache import ImageCache, load_image_cache

    data = load_image_cache(varied_dataset, resolution=16, split="train", progress=False, variants=True)
    phrases = attribute_phrases(data.classes)
    book = PhraseBook(phrases, encode_with_file_cache([text for *_, text in phrases], tmp_path / "text"))
    config = EditTrainConfig(data=str(varied_dataset), batch_size=len(data), phrase_edits=1.0, paired_weight=5.0,
                             model=EditConfig(resolution=16, width=4, residual_units=2, condition_dim=8, d_width=4,
                                              d_text_dim=8))
    trainer = EditTrainer(config, data, encode_with_file_cache(data.captions, tmp_path / "text"),
                          torch.zeros(1, 384), run_dir.Distributed(), run_dir.RunDir(tmp_path / "run"), options={},
                          phrases=book)
    by_text = {tuple(book.embeddings[row].tolist()): phrase for row, phrase in enumerate(phrases)}
    pictures = {tuple(ImageCache.to_float(picture).flatten().tolist()): n for n, picture in enumerate(data.images)}
    paired = {}
    for _ in range(4):
        batch = trainer.fetch_batch()
        for row in range(len(data)):
            source = batch.sources[row]
            mirrored = tuple(source.flatten().tolist()) not in pictures
            n = pictures[tuple((source.flip(2) if mirrored else source).flatten().tolist())]
            attribute, value, _ = by_text[tuple(batch.targets[row].tolist())]
            if attribute not in data.variant_index or data.variant_index[attribute][n, value] < 0:
                assert not batch.has_pair[row]
                continue
            answer = ImageCache.to_float(data.variant_images[data.variant_index[attribute][n, value]])
            assert batch.has_pair[row] and torch.equal(batch.paired[row], answer.flip(2) if mirrored else answer)
            paired[attribute] = paired.get(attribute, 0) + 1
    assert set(paired) == {"weather", "time_of_day", "biome"} and sum(paired.values()) > 10


def test_the_paired_loss_trains_and_is_recorded(varied_dataset, tmp_path):
    assert train(varied_dataset, tmp_path, "--max-kimg", "0.008", "--phrase-edits", "1", "--paired-weight", "5") == 0
    (run,) = tmp_path.glob("0*")
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 2 and all(row["g_paired"] > 0 for row in stats)
    assert main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    assert read_config(tmp_path / "model")["training"]["paired_weight"] == 5


def test_the_paired_loss_needs_phrase_edits_and_variants(varied_dataset, captioned_dataset, tmp_path, capsys):
    assert train(varied_dataset, tmp_path, "--paired-weight", "5") == 2
    assert "--paired-weight 5.0 needs --phrase-edits above 0" in capsys.readouterr().err
    assert train(captioned_dataset, tmp_path, "--paired-weight", "5", "--phrase-edits", "0.5") == 2
    assert "no variants; write the dataset with --variants" in capsys.readouterr().err
    assert not list(tmp_path.glob("0*"))
