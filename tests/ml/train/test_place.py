"""The place training loop: a 3-step run, its files, the phase schedule and resuming."""
import json
import math
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from ml.cli import main
from ml.eval.report import describe_run
from ml.modelfolder import write_model_folder
from ml.models.place import PlaceConfig
from ml.train.losses import SpectrumLoss
from ml.train.place_config import PlaceTrainConfig, phase_at

from .conftest import CLASSES, train


def test_phases_grow_from_the_start_resolution_with_fade_ins():
    config = PlaceTrainConfig(data="", model=PlaceConfig(resolution=16), fade_kimg=1, stable_kimg=2)
    names = [(phase_at(nimg, config).name, phase_at(nimg, config).alpha) for nimg in (0, 1999, 2000, 2500, 3000,
                                                                                      5000, 5500, 8000, 99000)]
    assert names == [("stable-4", 1.0), ("stable-4", 1.0), ("fade-8", 0.0), ("fade-8", 0.5), ("stable-8", 1.0),
                     ("fade-16", 0.0), ("fade-16", 0.5), ("stable-16", 1.0), ("stable-16", 1.0)]
    assert config.schedule_kimg() == 8
    started_late = PlaceTrainConfig(data="", model=PlaceConfig(resolution=16), start_resolution=8,
                                    fade_kimg=1, stable_kimg=2)
    assert phase_at(0, started_late).name == "stable-8" and phase_at(2000, started_late).name == "fade-16"


def test_a_three_step_run_writes_its_folder(trained_run, tiny_dataset):
    assert trained_run.name == "00000-place-tiny-allcities"
    names = {path.name for path in trained_run.iterdir()}
    assert {"options.json", "log.txt", "stats.jsonl", "reals.png", "samples-000000.000.png",
            "samples-000000.012.png", "checkpoint-000000.004", "checkpoint-000000.008",
            "checkpoint-000000.012"} <= names
    options = json.loads((trained_run / "options.json").read_text())
    assert options["kind"] == "place" and options["train"]["model"]["resolution"] == 8
    assert options["dataset"]["images"] == 16 and options["dataset"]["outliers_dropped"] == 1
    assert options["command"].startswith("python -m ml train place --data ")
    stats = [json.loads(line) for line in (trained_run / "stats.jsonl").read_text().splitlines()]
    assert [row["phase"] for row in stats] == ["stable-4", "fade-8", "stable-8"]
    assert all(row["loss_d"] == row["loss_d"] and "loss_g" in row for row in stats)  # finite, present
    state = json.loads((trained_run / "checkpoint-000000.012" / "state.json").read_text())
    assert state["kind"] == "place" and state["nimg"] == 12 and state["full_resolution"]
    assert sorted(p.name for p in (trained_run / "checkpoint-000000.012").iterdir()) == [
        "D.safetensors", "G.safetensors", "G_ema.safetensors", "optimizers.safetensors", "state.json"]
    assert "growing to 8x8" in (trained_run / "log.txt").read_text()


def test_resume_continues_from_the_checkpoint_kimg(trained_run, tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path, "--resume", str(trained_run), "--max-kimg", "0.016") == 0
    (run,) = tmp_path.iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["resumed_from"]["kimg"] == 0.012
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [row["kimg"] for row in stats] == [0.016]
    assert [p.name for p in run.glob("checkpoint-*")] == ["checkpoint-000000.016"]


def test_a_resume_says_which_options_it_keeps_from_the_resumed_run(tiny_dataset, tmp_path, capsys):
    assert train(tiny_dataset, tmp_path / "first", "--max-kimg", "0.008", "--mode-seeking-weight", "0.5") == 0
    (first,) = (tmp_path / "first").iterdir()
    capsys.readouterr()
    assert train(tiny_dataset, tmp_path / "kept", "--resume", str(first), "--max-kimg", "0.012") == 0
    printed = capsys.readouterr().out.splitlines()
    assert "kept from the resumed run (give an option to change it): --mode-seeking-weight 0.5" in printed
    (kept,) = (tmp_path / "kept").iterdir()
    assert "mode_seeking" in json.loads((kept / "stats.jsonl").read_text().splitlines()[-1])

    assert train(tiny_dataset, tmp_path / "off", "--resume", str(first), "--max-kimg", "0.012",
                 "--mode-seeking-weight", "0") == 0
    assert "kept from the resumed run" not in capsys.readouterr().out
    (off,) = (tmp_path / "off").iterdir()
    assert "mode_seeking" not in json.loads((off / "stats.jsonl").read_text().splitlines()[-1])


def test_a_resume_trains_with_its_own_learning_rate_and_betas(trained_run, tiny_dataset, tmp_path):
    was = json.loads((trained_run / "checkpoint-000000.012" / "state.json").read_text())["optimizer_param_groups"]
    assert was["G"][0]["lr"] == 0.001
    assert train(tiny_dataset, tmp_path, "--resume", str(trained_run), "--max-kimg", "0.016", "--lr", "0.0003",
                 "--beta2", "0.9") == 0
    (run,) = tmp_path.iterdir()
    groups = json.loads((run / "checkpoint-000000.016" / "state.json").read_text())["optimizer_param_groups"]
    settings = [(group["lr"], group["betas"]) for name in ("G", "D") for group in groups[name]]
    assert settings == [(0.0003, [0.0, 0.9])] * 2


def test_resume_with_another_architecture_is_refused_and_writes_nothing(trained_run, tiny_dataset, tmp_path,
                                                                         capsys):
    before = sorted(p.relative_to(trained_run) for p in trained_run.rglob("*"))
    code = train(tiny_dataset, tmp_path, "--resume", str(trained_run), "--max-kimg", "0.02", "--fmap-max", "32")
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("error: --resume") and "fmap_max=16" in error and "fmap_max=32" in error
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.relative_to(trained_run) for p in trained_run.rglob("*")) == before


def test_resume_of_another_kind_of_checkpoint_is_refused(tiny_dataset, tmp_path, capsys):
    checkpoint = tmp_path / "checkpoint-000001.000"
    checkpoint.mkdir()
    (checkpoint / "state.json").write_text(json.dumps({"kind": "ground", "nimg": 1000, "architecture": {}}))
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(checkpoint)) == 2
    assert "a checkpoint of kind 'ground', not 'place'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("missing", ["G.safetensors", "optimizers.safetensors"])
def test_resume_of_a_checkpoint_missing_a_file_is_refused_with_its_name(trained_run, tiny_dataset, tmp_path, capsys,
                                                                         missing):
    checkpoint = tmp_path / "copy" / "checkpoint-000000.012"
    shutil.copytree(trained_run / "checkpoint-000000.012", checkpoint)
    (checkpoint / missing).unlink()
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(checkpoint), "--max-kimg", "0.016") == 2
    error = capsys.readouterr().err
    assert error == f"error: --resume {checkpoint}: the checkpoint lacks {missing}\n"
    assert not (tmp_path / "runs").exists()


def test_the_patch_critic_trains_at_full_resolution_and_is_added_on_resume(trained_run, tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path / "runs", "--max-kimg", "0.012", "--patch-critic-weight", "0.5") == 0
    (run,) = (tmp_path / "runs").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [row["phase"] for row in stats] == ["stable-4", "fade-8", "stable-8"]
    assert "loss_d_patch" not in stats[0] and "patch_g" not in stats[0]  # 4x4: the patch critic waits
    # the tiny schedule's loss is WGAN-GP's: the patch terms have either sign, and are finite
    assert all(abs(row["loss_d_patch"]) < 1e6 and abs(row["patch_g"]) < 1e6 for row in stats[1:])
    state = json.loads((run / "checkpoint-000000.012" / "state.json").read_text())
    assert set(state["optimizer_param_groups"]) == {"G", "D", "D_patch"}
    assert (run / "checkpoint-000000.012" / "D_patch.safetensors").is_file()
    # a run that had none gains a fresh one; G, G_ema and D continue from the checkpoint
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(trained_run), "--max-kimg", "0.016",
                 "--patch-critic-weight", "0.5") == 0
    (more,) = (tmp_path / "more").iterdir()
    (row,) = [json.loads(line) for line in (more / "stats.jsonl").read_text().splitlines()]
    assert row["kimg"] == 0.016 and abs(row["loss_d_patch"]) < 1e6
    assert (more / "checkpoint-000000.016" / "D_patch.safetensors").is_file()


def test_the_mode_seeking_term_pairs_each_place_with_two_latents_and_is_recorded(tiny_dataset, tmp_path,
                                                                                   monkeypatch):
    from ml.models.place import PlaceGenerator

    calls = []
    forward = PlaceGenerator.forward

    def watched(self, z, context, *args, **kwargs):
        calls.append((z.detach().clone(), context.detach().clone(), torch.is_grad_enabled()))
        return forward(self, z, context, *args, **kwargs)

    monkeypatch.setattr(PlaceGenerator, "forward", watched)
    assert train(tiny_dataset, tmp_path, "--max-kimg", "0.004", "--mode-seeking-weight", "0.5") == 0
    (run,) = tmp_path.iterdir()
    (stats,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats["mode_seeking"] > 0
    assert "--mode-seeking-weight 0.5" in json.loads((run / "options.json").read_text())["command"]
    # the generator's step (the batch painted with gradients): the first half's places again,
    # with other latents; the critic's step saw four different places
    (critic,) = [context for z, context, grad in calls if z.shape[0] == 4 and not grad]
    (z, contexts), = [(z, context) for z, context, grad in calls if grad]
    assert torch.equal(contexts[:2], contexts[2:]) and torch.equal(contexts[:2], critic[:2])
    assert not torch.equal(z[:2], z[2:])


@pytest.mark.parametrize("cities, images", [("1", 8)])
def test_the_cities_curriculum_keeps_the_first_cities(tiny_dataset, tmp_path, capsys, cities, images):
    assert train(tiny_dataset, tmp_path, "--cities", cities, "--dry-run") == 0
    printed = capsys.readouterr().out
    options = json.loads(printed[:printed.index("\nphases:")])
    assert options["cities"] == [1000] and options["dataset"]["images"] == images
    assert list(tmp_path.iterdir()) == []  # a dry run writes nothing


def test_the_context_head_classifies_the_place_for_both_players(tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path, "--max-kimg", "0.008", "--context-head", "biome,density",
                 "--context-weight", "2") == 0
    (run,) = tmp_path.iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["context_head"] == {"biome": CLASSES["biome"], "density": CLASSES["density"]}
    assert options["train"]["context_weight"] == 2
    assert options["command"].endswith(" --context-head biome,density")
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert len(stats) == 2 and all(row["context_loss_d"] > 0 and row["context_loss_g"] > 0 for row in stats)
    assert all(0 <= row[f"{name}_accuracy_{player}"] <= 1 for row in stats for name in CLASSES for player in "dg")
    state = json.loads((run / "checkpoint-000000.008" / "state.json").read_text())
    assert state["architecture"]["context_head"] == options["train"]["model"]["context_head"]
    # A resume keeps the checkpoint's head; asking for another one is refused.
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(run), "--max-kimg", "0.012") == 0
    (resumed,) = (tmp_path / "more").iterdir()
    assert "context_loss_g" in json.loads((resumed / "stats.jsonl").read_text().splitlines()[-1])
    assert train(tiny_dataset, tmp_path / "other", "--resume", str(run), "--max-kimg", "0.012",
                 "--context-head", "biome") == 2
    assert not (tmp_path / "other").exists()


def tiny_trainer(tiny_dataset, tmp_path, **options):
    """A place trainer of the tiny architecture with the class head, and its first batch at 4x4."""
    from ml.train import run_dir
    from ml.train.batches import CachedBatches
    from ml.train.image_cache import load_image_cache
    from ml.train.place import PlaceTrainer

    config = PlaceTrainConfig(data=str(tiny_dataset), batch_size=4, stable_kimg=1, fade_kimg=1, **options,
                              model=PlaceConfig(resolution=8, latent_dim=8, fmap_base=64, fmap_max=16, fmap_min=8,
                                                context_frequencies=2, context_embed_dim=8, context_head=CLASSES))
    data = CachedBatches(load_image_cache(tiny_dataset, resolution=8, split="train", progress=False), batch_size=4)
    trainer = PlaceTrainer(config, data, run_dir.Distributed(), run_dir.RunDir(tmp_path / "run"), options={})
    phase = phase_at(0, config)
    return trainer, phase, trainer.fetch_batch(phase)


def gradients_by_weight(network, term, step) -> list[torch.Tensor]:
    """`network`'s gradients after `step()` with `term`'s weight 0 and then 1, from the same draws."""
    gradients = []
    for weight in (0.0, 1.0):
        term.weight = weight
        torch.manual_seed(0)
        step()
        gradients.append(torch.cat([p.grad.flatten() for p in network.parameters() if p.grad is not None]))
    return gradients


def test_the_generator_step_passes_the_class_loss_on_to_the_generator(tiny_dataset, tmp_path):
    """The generator's gradient changes with the class loss's weight: its pictures are pushed
    towards the classes of the places they were asked for, through the critic's head."""
    trainer, phase, (_, contexts, labels) = tiny_trainer(tiny_dataset, tmp_path)
    assert set(labels) == set(CLASSES) and all((classes >= 0).all() for classes in labels.values())
    trainer.G_opt.step = lambda: None  # keep G as it is, to compare the gradients
    gradients = gradients_by_weight(trainer.G, trainer.place_classes,
                                    lambda: trainer.step_generator(phase, contexts, labels))
    assert not torch.allclose(gradients[0], gradients[1])


def test_a_spectrum_weight_matches_the_pictures_spectrum_to_the_photos_at_full_size(tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path / "runs", "--max-kimg", "0.02", "--spectrum-weight", "2") == 0
    (run,) = (tmp_path / "runs").iterdir()
    rows = {row["kimg"]: row for row in map(json.loads, (run / "stats.jsonl").read_text().splitlines())}
    # the 4x4 step goes without it; the steps at 8x8, fading in or stable, pay for their spectrum
    assert "spectrum_g" not in rows[0.004]
    assert all(rows[kimg]["spectrum_g"] > 0 for kimg in (0.008, 0.012, 0.016, 0.02))
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["spectrum_weight"] == 2
    assert "spectrum matched to the photos' (weight 2)" in describe_run(options)


def test_the_twin_class_head_reads_the_generators_pictures_and_is_added_on_resume(tiny_dataset, tmp_path, capsys):
    head = ["--context-head", "biome,density", "--max-kimg", "0.008"]
    assert train(tiny_dataset, tmp_path / "twin", *head, "--twin-class-weight", "0.5") == 0
    (run,) = (tmp_path / "twin").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    # the twin's cross-entropy, and the generator paying minus half of it
    assert all(row["twin_loss_d"] > 0 and row["twin_g"] < 0 for row in stats)
    assert all(0 <= row[f"{name}_accuracy_twin"] <= 1 for row in stats for name in CLASSES)
    checkpoint = run / "checkpoint-000000.008"
    assert (checkpoint / "D_twin.safetensors").is_file()
    assert set(json.loads((checkpoint / "state.json").read_text())["optimizer_param_groups"]) == {"G", "D", "D_twin"}
    assert "twin class head (weight 0.5)" in describe_run(json.loads((run / "options.json").read_text()))
    # a run with the head alone gains a fresh twin on a resume; G, G_ema and D go on from the checkpoint
    assert train(tiny_dataset, tmp_path / "plain", *head) == 0
    (plain,) = (tmp_path / "plain").iterdir()
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(plain), "--max-kimg", "0.012",
                 "--twin-class-weight", "0.5") == 0
    (more,) = (tmp_path / "more").iterdir()
    (row,) = [json.loads(line) for line in (more / "stats.jsonl").read_text().splitlines()]
    assert row["kimg"] == 0.012 and row["twin_loss_d"] > 0
    assert (more / "checkpoint-000000.012" / "D_twin.safetensors").is_file()
    # without a class head there is nothing to be the twin of
    capsys.readouterr()
    assert train(tiny_dataset, tmp_path / "none", "--max-kimg", "0.008", "--twin-class-weight", "0.5") == 2
    assert capsys.readouterr().err == "error: --twin-class-weight needs --context-head: the twin reads the " \
                                      "generator's pictures as the critic's class head reads the photos\n"
    assert not (tmp_path / "none").exists()


def test_the_twin_learns_with_the_critic_and_the_generator_pays_for_its_reading(tiny_dataset, tmp_path):
    """The critic's step trains the twin (and the critic's features) on the generator's pictures;
    the generator's gradient takes minus the twin's cross-entropy, and its step moves neither."""
    trainer, phase, (reals, contexts, labels) = tiny_trainer(tiny_dataset, tmp_path, twin_class_weight=1.0, lr=0.01)

    def weights(network):
        return [tensor.clone() for tensor in network.state_dict().values()]

    twin_before = weights(trainer.twin.network)
    trainer.D_opt.step = lambda: None  # keep D as it is, to compare its gradients (the twin steps)
    gradients = gradients_by_weight(trainer.D, trainer.twin,
                                    lambda: trainer.step_discriminator(phase, reals, contexts, labels))
    assert not torch.allclose(gradients[0], gradients[1])
    assert not any(torch.equal(a, b) for a, b in zip(weights(trainer.twin.network), twin_before))
    assert 0 <= trainer.tick_stats["biome_accuracy_twin"][-1] <= 1

    critic_and_twin = weights(trainer.D) + weights(trainer.twin.network)
    trainer.G_opt.step = lambda: None
    gradients = gradients_by_weight(trainer.G, trainer.twin, lambda: trainer.step_generator(phase, contexts, labels))
    assert not torch.allclose(gradients[0], gradients[1])
    assert trainer.tick_stats["twin_g"][-1] < 0
    assert all(torch.equal(a, b) for a, b in zip(weights(trainer.D) + weights(trainer.twin.network), critic_and_twin))


def write_teacher(folder, classes=CLASSES):
    """An oracle-kind folder of an untrained classifier of `classes` at 8x8: a frozen reader."""
    from ml.eval.oracle import KIND, Oracle, OracleConfig

    torch.manual_seed(0)
    oracle = Oracle(OracleConfig(resolution=8, width=4, feature_dim=8, classes=classes))
    write_model_folder(folder, kind=KIND, architecture=oracle.config.to_dict(), state_dict=oracle.state_dict())
    return folder


def test_a_class_teacher_reads_the_generators_pictures_and_the_generator_pays_for_it(tiny_dataset, tmp_path):
    teacher = write_teacher(tmp_path / "teacher")
    head = ["--context-head", "biome,density", "--max-kimg", "0.008"]
    assert train(tiny_dataset, tmp_path / "taught", *head, "--class-teacher", str(teacher),
                 "--class-teacher-weight", "0.5") == 0
    (run,) = (tmp_path / "taught").iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert all(row["teacher_loss_g"] > 0 for row in stats)
    assert all(0 <= row[f"{name}_accuracy_teacher"] <= 1 for row in stats for name in CLASSES)
    options = json.loads((run / "options.json").read_text())
    assert f"class teacher {teacher} (weight 0.5)" in describe_run(options)
    sha256 = json.loads((teacher / "config.json").read_text())["weights_sha256"]
    assert f"class teacher {teacher} (weights sha256 {sha256[:12]}), weight 0.5" in (run / "log.txt").read_text()
    # the teacher is not part of the run: nothing of it in the checkpoint
    assert set(json.loads((run / "checkpoint-000000.008" / "state.json").read_text())["optimizer_param_groups"]) \
        == {"G", "D"}

    trainer, phase, (_, contexts, labels) = tiny_trainer(tiny_dataset, tmp_path, class_teacher=str(teacher))
    frozen = [tensor.clone() for tensor in trainer.teacher.oracle.state_dict().values()]
    trainer.G_opt.step = lambda: None  # keep G as it is, to compare the gradients
    gradients = gradients_by_weight(trainer.G, trainer.teacher.cross_entropy,
                                    lambda: trainer.step_generator(phase, contexts, labels))
    assert not torch.allclose(gradients[0], gradients[1])
    assert all(torch.equal(a, b) for a, b in zip(trainer.teacher.oracle.state_dict().values(), frozen))
    assert all(parameter.grad is None for parameter in trainer.teacher.oracle.parameters())


def test_a_class_teacher_must_read_the_runs_classes(tiny_dataset, tmp_path, capsys):
    teacher = write_teacher(tmp_path / "teacher")
    other = write_teacher(tmp_path / "other", {**CLASSES, "biome": ["temperate", "polar", "tropical"]})
    cases = [
        ([str(teacher)], "error: --class-teacher needs --context-head: the teacher reads the attributes the head "
                         "reads, with the dataset's class indices\n"),
        (["--context-head", "biome,density", str(other)],
         f"error: --class-teacher {other}: its biome classes ['temperate', 'polar', 'tropical'] are not the run's "
         f"['polar', 'temperate', 'tropical']: train it on a dataset with the run's classes\n"),
        (["--context-head", "biome", str(tmp_path / "missing")], f"error: --class-teacher {tmp_path / 'missing'}: "),
    ]
    for extra, error in cases:
        capsys.readouterr()
        *head, folder = extra
        assert train(tiny_dataset, tmp_path / "runs", "--max-kimg", "0.008", *head, "--class-teacher", folder) == 2
        assert capsys.readouterr().err.startswith(error)
        assert not (tmp_path / "runs").exists()


def weather_dataset(tiny_dataset, tmp_path):
    """A copy of the tiny dataset whose photos of each city show clear skies and snow in turn, and
    a teacher that reads the weather too."""
    data = shutil.copytree(tiny_dataset, tmp_path / "weather")
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    for index, row in enumerate(rows):
        row["attributes"]["weather"] = ["clear", "snow"][index % 2]
    (data / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    description = json.loads((data / "dataset.json").read_text())
    description["attributes"]["weather"] = ["clear", "snow"]
    (data / "dataset.json").write_text(json.dumps(description))
    return data, write_teacher(tmp_path / "teacher", {**CLASSES, "weather": ["clear", "snow"]})


def test_class_teacher_shares_ask_each_batch_for_the_photos_shares_of_an_attribute_the_place_leaves_open(
        tiny_dataset, tmp_path, capsys):
    from ml.train.class_teacher import batch_share_loss

    # The term: lowest (the entropy of the photos' shares) where the batch's reading has those shares,
    # whichever picture shows what.
    snow_and_clear = torch.tensor([1, 0, 1, 0])
    all_clear, half_half = torch.tensor([[5.0, -5.0]] * 4), torch.tensor([[-5.0, 5.0], [5.0, -5.0]] * 2)
    assert batch_share_loss(half_half, snow_and_clear) == pytest.approx(math.log(2), abs=1e-3)
    assert batch_share_loss(all_clear, snow_and_clear) > 4
    assert batch_share_loss(half_half.flip(0), snow_and_clear) == batch_share_loss(half_half, snow_and_clear)
    assert batch_share_loss(all_clear, torch.full((4,), -1)) == 0

    data, teacher = weather_dataset(tiny_dataset, tmp_path)
    description = json.loads((data / "dataset.json").read_text())
    head = ["--context-head", "biome,density", "--max-kimg", "0.008", "--class-teacher", str(teacher)]
    assert train(data, tmp_path / "shared", *head, "--class-teacher-shares", "weather") == 0
    (run,) = (tmp_path / "shared").iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["class_teacher_shares"] == "weather"
    assert f"class teacher {teacher} (weight 1; shares of weather)" in describe_run(options)
    trainer, phase, (_, contexts, labels) = tiny_trainer(data, tmp_path, class_teacher=str(teacher),
                                                         class_teacher_shares="weather")
    assert torch.equal(labels["weather"].sort().values, torch.tensor([0, 0, 1, 1]))
    without = tiny_trainer(data, tmp_path / "without", class_teacher=str(teacher))[0]
    taught = [trainer.teacher(torch.zeros(4, 3, 8, 8), labels)[0], without.teacher(torch.zeros(4, 3, 8, 8), labels)[0]]
    assert taught[0] > taught[1]  # one picture, four times, cannot show both weathers
    cases = [(["--class-teacher-shares", "weather"], "error: --class-teacher-shares needs --class-teacher"),
             ([*head[2:], "--class-teacher-shares", "biome"], "error: --class-teacher-shares: 'biome' is read by the "
                                                              "context head; give attributes of the dataset (outlier, "
                                                              "biome, density, weather) that the context head does "
                                                              "not read"),
             ([*head[2:], "--class-teacher-shares", "fog"], "error: --class-teacher-shares: 'fog' is not in the dataset"),
             ([*head[2:], "--class-teacher-shares", "weather"], f"error: --class-teacher {teacher}: its weather classes")]
    for number, (extra, error) in enumerate(cases):
        capsys.readouterr()
        if number == 3:  # a dataset of other weathers than the teacher reads
            description["attributes"]["weather"] = ["snow", "clear"]
            (data / "dataset.json").write_text(json.dumps(description))
        assert train(data, tmp_path / "runs", "--context-head", "biome,density", "--max-kimg", "0.008", *extra) == 2
        assert capsys.readouterr().err.startswith(error)
        assert not (tmp_path / "runs").exists()


def test_a_run_with_the_population_context_exports_a_model_that_paints_cities(tiny_dataset, tmp_path):
    from ml.pipelines import load

    assert train(tiny_dataset, tmp_path / "runs", "--max-kimg", "0.008", "--context-population") == 0
    (run,) = (tmp_path / "runs").iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["context_population"] is True
    assert " --context-population" in options["command"]
    assert main(["export", str(run), "--checkpoint", "latest", "--out", str(tmp_path / "model")]) == 0
    pipeline = load(tmp_path / "model")
    pictures = pipeline.generate([{"lat": 35.69, "lon": 139.69}, {"lat": 69.65, "lon": 18.96}], [0, 0])
    assert [picture.size for picture in pictures] == [(8, 8), (8, 8)]


def write_generator_model(folder, checkpoint, *, kind="place", value=0.5, kimg=0.1):
    """A model folder whose weights are the checkpoint's generator tensors, each set to `value`."""
    state = json.loads((checkpoint / "state.json").read_text())
    weights = {name: torch.full_like(tensor, value) for name, tensor in load_file(checkpoint / "G.safetensors").items()}
    write_model_folder(folder, kind=kind, architecture=state["architecture"], state_dict=weights,
                       training={"kimg": kimg})
    return folder


def test_a_run_continues_an_exported_generator_with_the_checkpoints_critic(trained_run, tiny_dataset, tmp_path):
    checkpoint = trained_run / "checkpoint-000000.012"
    model = write_generator_model(tmp_path / "model", checkpoint)
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(checkpoint), "--generator-from", str(model),
                 "--max-kimg", "0.104") == 0
    (run,) = (tmp_path / "runs").iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["resumed_from"]["kimg"] == 0.1  # the model's progress, not the checkpoint's 0.012
    assert f"--generator-from {model}" in options["command"]
    assert [json.loads(line)["kimg"] for line in (run / "stats.jsonl").read_text().splitlines()] == [0.104]
    (after,) = run.glob("checkpoint-*")
    assert after.name == "checkpoint-000000.104"
    # One Adam step (lr 0.001) away from the model's generator and from the checkpoint's critic.
    for name in ("G", "G_ema"):
        for tensor in load_file(after / f"{name}.safetensors").values():
            torch.testing.assert_close(tensor, torch.full_like(tensor, 0.5), atol=0.01, rtol=0)
    critic_before = load_file(checkpoint / "D.safetensors")
    for key, tensor in load_file(after / "D.safetensors").items():
        torch.testing.assert_close(tensor, critic_before[key], atol=0.01, rtol=0)


def test_a_critic_warmup_trains_the_critic_alone_before_the_generator_moves(trained_run, tiny_dataset, tmp_path):
    checkpoint = trained_run / "checkpoint-000000.012"
    model = write_generator_model(tmp_path / "model", checkpoint)
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(checkpoint), "--generator-from", str(model),
                 "--critic-warmup-kimg", "0.004", "--max-kimg", "0.108") == 0
    (run,) = (tmp_path / "runs").iterdir()
    warmed, joint = sorted(run.glob("checkpoint-*"))
    assert (warmed.name, joint.name) == ("checkpoint-000000.104", "checkpoint-000000.108")

    def generator_is_the_models(folder, name):
        return all(torch.equal(tensor, torch.full_like(tensor, 0.5))
                   for tensor in load_file(folder / f"{name}.safetensors").values())

    def critic_moved(folder, since):
        return any(not torch.equal(tensor, since[key]) for key, tensor in load_file(folder / "D.safetensors").items())

    # The first step is the critic's alone: the model's generator (and its average) is untouched.
    assert critic_moved(warmed, load_file(checkpoint / "D.safetensors"))
    assert generator_is_the_models(warmed, "G") and generator_is_the_models(warmed, "G_ema")
    # The second is both players'.
    assert critic_moved(joint, load_file(warmed / "D.safetensors"))
    assert not generator_is_the_models(joint, "G") and not generator_is_the_models(joint, "G_ema")


def test_a_critic_warmup_without_a_generator_from_a_model_is_refused(trained_run, tiny_dataset, tmp_path, capsys):
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(trained_run / "checkpoint-000000.012"),
                 "--critic-warmup-kimg", "4") == 2
    assert capsys.readouterr().err.startswith("error: --critic-warmup-kimg needs --generator-from")
    assert not (tmp_path / "runs").exists()


def test_a_generator_from_a_model_that_does_not_fit_is_refused_and_writes_nothing(trained_run, tiny_dataset,
                                                                                  tmp_path, capsys):
    checkpoint = trained_run / "checkpoint-000000.012"
    ground = write_generator_model(tmp_path / "ground", checkpoint, kind="ground")
    other = write_generator_model(tmp_path / "other", checkpoint)  # a tensor more than the generator has
    save_file({**load_file(other / "weights.safetensors"), "extra.bias": torch.zeros(4)}, other / "weights.safetensors")
    config = json.loads((other / "config.json").read_text())
    config.pop("weights_sha256")
    (other / "config.json").write_text(json.dumps(config))
    cases = [([str(ground)], "a model of kind 'ground', not 'place'"),
             ([str(other)], "its weights are not the generator of"),
             ([str(tmp_path / "nowhere")], "--generator-from")]
    for model, message in cases:
        assert train(tiny_dataset, tmp_path / "runs", "--resume", str(checkpoint), "--generator-from", *model) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"error: --generator-from {model[0]}: ") and message in error
        assert error.count("\n") == 1
    assert train(tiny_dataset, tmp_path / "runs", "--generator-from", str(other)) == 2
    assert capsys.readouterr().err.startswith("error: --generator-from needs --resume")
    assert not (tmp_path / "runs").exists()


def _resumed(trained_run, tiny_dataset, tmp_path, *extra: str):
    """The run folder of the 3-step run's last checkpoint resumed to kimg 0.016 with `extra`."""
    assert train(tiny_dataset, tmp_path / "runs", "--resume", str(trained_run / "checkpoint-000000.012"),
                 "--max-kimg", "0.016", *extra) == 0
    (run,) = (tmp_path / "runs").iterdir()
    return run


def _latest_paints(run, tmp_path, places: list[dict]) -> list:
    """The pictures of `places` (seed 0) painted by the export of `run`'s latest checkpoint."""
    from ml.pipelines import load

    assert main(["export", str(run), "--checkpoint", "latest", "--out", str(tmp_path / "model")]) == 0
    return load(tmp_path / "model").generate(places, [0] * len(places))


def test_population_steps_added_on_a_resume_widen_the_networks_and_are_kept(trained_run, tiny_dataset, tmp_path,
                                                                          capsys):
    from ml.models.place import CONTEXT_WEIGHT

    checkpoint = trained_run / "checkpoint-000000.012"
    run = _resumed(trained_run, tiny_dataset, tmp_path, "--context-population-steps", "50000,300000")
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["context_population_steps"] == [50000, 300000]
    assert " --context-population-steps 50000,300000" in options["command"]
    widened = run / "checkpoint-000000.016"
    for name in ("G", "G_ema", "D"):
        before = load_file(checkpoint / f"{name}.safetensors")[CONTEXT_WEIGHT]
        after = load_file(widened / f"{name}.safetensors")[CONTEXT_WEIGHT]
        assert after.shape == (before.shape[0], before.shape[1] + 2)
    # Resumed again, the steps are the run's: other bounds would not fit its weights.
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(widened), "--max-kimg", "0.020",
                 "--context-population-steps", "60000,300000") == 2
    assert "it was trained with context_population_steps=[50000, 300000]" in capsys.readouterr().err
    assert not (tmp_path / "more").exists()
    pictures = _latest_paints(run, tmp_path, [{"lat": 35.69, "lon": 139.69}, {"lat": 69.65, "lon": 18.96}])
    assert [picture.size for picture in pictures] == [(8, 8), (8, 8)]


def test_a_higher_fmap_min_on_a_resume_widens_the_fine_stages_and_is_kept(trained_run, tiny_dataset, tmp_path,
                                                                          capsys):
    checkpoint = trained_run / "checkpoint-000000.012"
    run = _resumed(trained_run, tiny_dataset, tmp_path, "--fmap-min", "16")
    assert json.loads((run / "options.json").read_text())["train"]["model"]["fmap_min"] == 16
    widened = run / "checkpoint-000000.016"
    for name, layer, axis in (("G", "to_rgb.1.weight", 1), ("G_ema", "to_rgb.1.weight", 1),
                              ("D", "from_rgb.1.weight", 0)):
        assert load_file(checkpoint / f"{name}.safetensors")[layer].shape[axis] == 8
        assert load_file(widened / f"{name}.safetensors")[layer].shape[axis] == 16
    # Back down is refused: the weights would not fit.
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(widened), "--max-kimg", "0.020",
                 "--fmap-min", "8") == 2
    assert "it was trained with fmap_min=16, but this run asks for fmap_min=8" in capsys.readouterr().err
    assert not (tmp_path / "more").exists()
    assert [picture.size for picture in _latest_paints(run, tmp_path, [{"lat": 35.69, "lon": 139.69}])] == [(8, 8)]


def test_noise_inputs_and_their_gates_added_on_resumes_learn_and_are_kept(trained_run, tiny_dataset, tmp_path, capsys):
    from ml.eval.report import describe_run
    from ml.models.place import NoiseInputs

    run = _resumed(trained_run, tiny_dataset, tmp_path, "--noise-stages", "1")
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["model"]["noise_stages"] == 1
    assert "noise inputs at the finest stage" in describe_run(options)
    added = run / "checkpoint-000000.016"
    for name in ("G", "G_ema"):
        strengths = load_file(added / f"{name}.safetensors")["noise.1.strength"]
        assert strengths.shape == (2, 8)
        assert not torch.equal(strengths, NoiseInputs.initial_strength(8))  # trained: the optimiser took them on
    assert not any(key.startswith("noise.") for key in load_file(added / "D.safetensors"))
    # Back down is refused: the weights would not fit.
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(added), "--max-kimg", "0.020",
                 "--noise-stages", "0") == 2
    assert "it was trained with noise_stages=1, but this run asks for noise_stages=0" in capsys.readouterr().err
    assert not (tmp_path / "more").exists()
    # Their gates, turned on on a further resume, start open and learn; the run keeps them.
    assert train(tiny_dataset, tmp_path / "gated", "--resume", str(added), "--max-kimg", "0.020", "--noise-gates") == 0
    (gated,) = (tmp_path / "gated").iterdir()
    options = json.loads((gated / "options.json").read_text())
    assert options["train"]["model"]["noise_gates"] is True
    assert "gated noise inputs at the finest stage" in describe_run(options)
    for name in ("G", "G_ema"):
        gates = load_file(gated / "checkpoint-000000.020" / f"{name}.safetensors")["noise.1.gate_weight"]
        assert gates.shape == (2, 8) and gates.ne(0).any()  # trained from zero (open)
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(gated / "checkpoint-000000.020"), "--max-kimg",
                 "0.024", "--no-noise-gates") == 2
    assert "it was trained with noise_gates=True, but this run asks for noise_gates=False" in capsys.readouterr().err
    assert not (tmp_path / "more").exists()
    assert [picture.size for picture in _latest_paints(gated, tmp_path, [{"lat": 35.69, "lon": 139.69}])] == [(8, 8)]


def test_a_higher_fmap_min_that_would_widen_the_first_stage_is_refused():
    from ml.cli import CommandError
    from ml.train.launch import resolve_architecture

    narrow = {"architecture": PlaceConfig(fmap_base=32, fmap_max=16, fmap_min=4).to_dict()}
    assert resolve_architecture(PlaceConfig, {"fmap_min": 8}, narrow, "run").fmap_min == 8  # 4x4 stays 8 wide
    with pytest.raises(CommandError, match="run: fmap_min=16 would widen the first stage, which a resume cannot"):
        resolve_architecture(PlaceConfig, {"fmap_min": 16}, narrow, "run")

def test_population_steps_must_be_ascending_populations(tiny_dataset, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        train(tiny_dataset, tmp_path / "runs", "--context-population-steps", "300000,50000")
    assert exited.value.code == 2
    assert "argument --context-population-steps: expected ascending positive populations" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_the_climate_added_on_a_resume_widens_the_networks_and_steps_cannot_come_after_it(trained_run, tiny_dataset,
                                                                                          tmp_path, capsys):
    from ml.models.place import CONTEXT_WEIGHT

    checkpoint = trained_run / "checkpoint-000000.012"
    run = _resumed(trained_run, tiny_dataset, tmp_path, "--context-climate")
    assert json.loads((run / "options.json").read_text())["train"]["model"]["context_climate"] is True
    widened = run / "checkpoint-000000.016"
    before = load_file(checkpoint / "G.safetensors")[CONTEXT_WEIGHT]
    assert load_file(widened / "G.safetensors")[CONTEXT_WEIGHT].shape == (before.shape[0], before.shape[1] + 4)
    # Steps added now would have to sit before the climate's features, where the weights are the climate's.
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(widened), "--max-kimg", "0.020",
                 "--context-population-steps", "50000") == 2
    assert "context_population_steps can no longer be added: the run's context already holds context_climate" \
        in capsys.readouterr().err
    assert not (tmp_path / "more").exists()
    assert [picture.size for picture in _latest_paints(run, tmp_path, [{"lat": 31.63, "lon": -8.0}])] == [(8, 8)]


def test_the_spectrum_by_weather_matches_the_pictures_the_teacher_reads_as_snow_to_the_snow_photos(
        tiny_dataset, tmp_path, capsys):
    data, teacher = weather_dataset(tiny_dataset, tmp_path)
    head = ["--context-head", "biome,density", "--max-kimg", "0.02", "--class-teacher", str(teacher),
            "--class-teacher-shares", "weather", "--spectrum-weight", "2"]
    assert train(data, tmp_path / "runs", *head, "--spectrum-by", "weather", "--spectrum-rings", "laplacian") == 0
    (run,) = (tmp_path / "runs").iterdir()
    rows = {row["kimg"]: row for row in map(json.loads, (run / "stats.jsonl").read_text().splitlines())}
    assert "spectrum_g" not in rows[0.004]  # at full size only, as without classes
    assert all(rows[kimg]["spectrum_g"] > 0 for kimg in (0.008, 0.012, 0.016, 0.02))
    options = json.loads((run / "options.json").read_text())
    assert "spectrum matched to the photos' (weight 2; by weather; rings weighed laplacian)" in describe_run(options)

    trainer = tiny_trainer(data, tmp_path, class_teacher=str(teacher), class_teacher_shares="weather",
                           spectrum_weight=2.0, spectrum_by="weather", spectrum_rings="laplacian")[0]
    assert trainer.spectrum.groups == {"weather": 2} and trainer.spectrum.rings == "laplacian"
    full_size = phase_at(10**6, trainer.config)
    reals, contexts, labels = trainer.fetch_batch(full_size)
    trainer.spectrum.observe(reals, labels)
    assert trainer.spectrum.real_by_class["weather"].shape == (2, len(SpectrumLoss.spectrum(reals)))
    trainer.G_opt.step = lambda: None  # keep G as it is, to compare the gradients
    gradients = gradients_by_weight(trainer.G, trainer.spectrum,
                                    lambda: trainer.step_generator(full_size, contexts, labels))
    assert not torch.allclose(gradients[0], gradients[1])

    cases = [(head[:-2], "weather", "error: --spectrum-by needs --spectrum-weight above 0"),
             ([*head[:6], *head[-2:]], "weather",
              "error: --spectrum-by: 'weather' is not one of --class-teacher-shares (none)"),
             (head, "weather,time_of_day",
              "error: --spectrum-by: 'time_of_day' is not one of --class-teacher-shares (weather)"),
             ([*head, "--spectrum-rings", "edges"], "weather",
              "error: --spectrum-rings 'edges' is not one of uniform, laplacian"),
             ([*head[:-2], "--spectrum-rings", "laplacian"], "none",
              "error: --spectrum-rings needs --spectrum-weight above 0")]
    for extra, by, error in cases:
        capsys.readouterr()
        assert train(data, tmp_path / "refused", *extra, "--spectrum-by", by) == 2
        assert capsys.readouterr().err.startswith(error)
        assert not (tmp_path / "refused").exists()
