"""The adversarial recipes: the logistic loss with lazy R1, DiffAugment, and runs that use them."""
import json

import pytest
import torch

from ml.cli import main
from ml.train.augment import color, cutout, diff_augment, parse_augments, translation
from ml.train.losses import NonSaturatingCriticLoss, R1Penalty, r1_gamma_for

from .conftest import train
from .test_ground import TINY as GROUND_TINY
from .test_ground import pairs  # noqa: F401  (the fixture of tiny (view, tile) pairs)


def test_the_logistic_critic_loss_falls_as_the_critic_separates_real_from_fake():
    loss = NonSaturatingCriticLoss()
    unsure = loss(torch.zeros(8), torch.zeros(8))
    assert unsure == pytest.approx(2 * torch.log(torch.tensor(2.0)).item())
    assert loss(torch.full((8,), 5.0), torch.full((8,), -5.0)) < 0.02 < unsure


def test_r1_is_gamma_half_the_squared_gradient_norm_on_reals_times_the_interval():
    reals = torch.randn(4, 3, 2, 2)
    weights = torch.randn(3, 2, 2)
    critic = lambda images: (images * weights).sum(dim=(1, 2, 3))  # gradient = weights everywhere  # noqa: E731
    expected = weights.square().sum().item()
    assert R1Penalty(gamma=2.0, interval=1)(critic, reals).item() == pytest.approx(expected, rel=1e-5)
    assert R1Penalty(gamma=2.0, interval=4)(critic, reals).item() == pytest.approx(4 * expected, rel=1e-5)
    assert r1_gamma_for(64, 32) == pytest.approx(0.0256)


def test_augmentations_change_each_picture_on_its_own_and_pass_gradients():
    torch.manual_seed(0)
    images = (torch.rand(6, 3, 16, 16) * 2 - 1).requires_grad_(True)
    for augment in (color, translation, cutout):
        out = augment(images)
        assert out.shape == images.shape and torch.isfinite(out).all()
        assert not torch.equal(out, images)
        out.sum().backward()
        assert images.grad is not None and images.grad.abs().sum() > 0
        images.grad = None
    shifted = translation(images)
    # a translation keeps the picture's pixels, moved, with zeros (mid-grey) coming in
    assert ((shifted == 0) | torch.isin(shifted, images)).all()
    assert torch.equal(diff_augment(images, []), images)


def test_augment_names_are_checked():
    assert parse_augments("color, translation") == ["color", "translation"]
    assert parse_augments("none") == []
    with pytest.raises(ValueError, match="'colour'"):
        parse_augments("colour")


def test_a_place_run_with_the_logistic_recipe_records_r1_and_resumes(tiny_dataset, tmp_path):
    assert train(tiny_dataset, tmp_path / "runs", "--loss", "logistic", "--augment", "translation,color",
                 "--r1-interval", "2", "--threads", "1", "--max-kimg", "0.008") == 0
    (run,) = (tmp_path / "runs").iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["loss"] == "logistic" and options["train"]["augment"] == "translation,color"
    assert "--loss logistic" in options["command"] and "--r1-interval 2" in options["command"]
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    # R1 every second critic step (one step a tick here): lazily, in the first tick and not the next
    assert ["r1_penalty" in row for row in stats] == [True, False]
    assert stats[0]["r1_penalty"] >= 0 and not any("wasserstein" in row for row in stats)
    assert train(tiny_dataset, tmp_path / "more", "--resume", str(run), "--max-kimg", "0.012") == 0
    (resumed,) = (tmp_path / "more").iterdir()
    assert json.loads((resumed / "options.json").read_text())["train"]["loss"] == "logistic"
    # the CPU time runs on over the resume, so runs are compared by what they cost in all
    first = json.loads((run / "checkpoint-000000.008" / "state.json").read_text())["cpu_seconds"]
    later = [json.loads(line)["cpu_seconds"] for line in (resumed / "stats.jsonl").read_text().splitlines()]
    assert 0 < first <= later[0] <= later[-1]


def test_a_ground_run_with_the_logistic_recipe_trains(pairs, tmp_path):
    assert main(["train", "ground", "--data", str(pairs), "--out", str(tmp_path), *GROUND_TINY, "--max-kimg",
                 "0.004", "--loss", "logistic", "--augment", "translation", "--r1-gamma", "0.5"]) == 0
    (run,) = tmp_path.iterdir()
    (stats,) = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert stats["r1_penalty"] >= 0 and "gradient_penalty" not in stats


@pytest.mark.parametrize("option, message", [
    (["--loss", "hinge"], "--loss 'hinge' is not one of wgan-gp, logistic"),
    (["--augment", "zoom"], "--augment: unknown augmentation(s) 'zoom'"),
    (["--r1-interval", "0"], "--r1-interval must be positive"),
    (["--r1-gamma", "-1"], "--r1-gamma must be >= 0"),
    (["--threads", "-2"], "--threads must be >= 0"),
])
def test_bad_recipe_options_are_refused_before_writing(tiny_dataset, tmp_path, capsys, option, message):
    assert train(tiny_dataset, tmp_path / "runs", *option) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
