"""The WGAN-GP loss terms against values known in closed form."""
import math

import pytest
import torch
import torch.nn.functional as F

from ml.eval.fidelity import laplacian_variances
from ml.train.losses import ClassPredictionLoss, CriticLoss, DriftPenalty, GeneratorLoss, GradientPenalty, SpectrumLoss


def test_critic_loss_is_negative_when_the_critic_separates_reals_from_fakes():
    real, fake = torch.tensor([2.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert CriticLoss()(real, fake).item() == pytest.approx(-3.0)  # E[D(fake)] - E[D(real)]
    assert CriticLoss()(fake, real).item() == pytest.approx(3.0)


def test_generator_loss_falls_as_the_critic_scores_fakes_higher():
    assert GeneratorLoss()(torch.tensor([1.0, 3.0])).item() == pytest.approx(-2.0)


def test_drift_penalty_is_weighted_mean_square_of_real_scores():
    assert DriftPenalty(1e-3)(torch.tensor([3.0, -1.0])).item() == pytest.approx(1e-3 * 5.0)


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_gradient_penalty_of_a_linear_critic_is_known_analytically(scale):
    # D(x) = <w, x> has gradient w everywhere, so the penalty is weight * (|w| - 1)^2 whatever
    # the interpolation points.
    torch.manual_seed(0)
    direction = torch.randn(3, 4, 4)
    w = scale * direction / direction.norm()
    critic = lambda x: (x * w).flatten(1).sum(dim=1)  # noqa: E731
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    penalty = GradientPenalty(weight=10.0)(critic, real, fake)
    assert penalty.item() == pytest.approx(10.0 * (scale - 1.0) ** 2, abs=1e-5)


def test_gradient_penalty_is_differentiable_with_respect_to_the_critic():
    w = torch.full((2,), 2.0, requires_grad=True)
    penalty = GradientPenalty(weight=1.0)(lambda x: x @ w, torch.randn(4, 2), torch.randn(4, 2))
    penalty.backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    norm = math.sqrt(8.0)
    assert torch.allclose(w.grad, torch.full((2,), 2 * (norm - 1) * 2.0 / norm), atol=1e-5)


def test_the_reconstruction_loss_is_the_weighted_mean_absolute_difference():
    from ml.train.losses import ReconstructionLoss

    fake, real = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)
    assert ReconstructionLoss(10.0)(fake, real).item() == pytest.approx(5.0)
    assert ReconstructionLoss(0.0)(fake, real).item() == 0.0


def test_the_mode_seeking_loss_is_known_and_pushes_the_two_views_of_an_input_apart():
    from ml.train.losses import ModeSeekingLoss

    latents = (torch.zeros(2, 4), torch.full((2, 4), 2.0))  # mean |z1 - z2| = 2
    same, apart = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)  # mean |f1 - f2| = 0.5
    loss = ModeSeekingLoss(3.0, eps=0.0)
    assert loss((same, apart), latents).item() == pytest.approx(3.0 / (0.5 / 2.0))
    assert loss((same, same + 1.0), latents) < loss((same, apart), latents)  # more different, cheaper
    first, second = same.clone().requires_grad_(True), (same + 0.1).requires_grad_(True)
    loss((first, second), latents).backward()
    assert (first.grad > 0).all() and (second.grad < 0).all()  # descending moves them apart
    assert ModeSeekingLoss(0.0)((same, same), latents).item() == 0.0


def test_the_spectrum_loss_asks_blurred_pictures_for_the_photos_detail_and_grainy_ones_for_less():
    torch.manual_seed(0)
    photos = torch.rand(16, 3, 32, 32) * 2 - 1
    loss = SpectrumLoss(2.0)
    assert loss(photos).item() == 0.0  # nothing observed yet: nothing to match
    loss.observe(photos)
    assert loss(photos).item() == pytest.approx(0.0, abs=1e-6)
    blurred = F.avg_pool2d(photos, 3, stride=1, padding=1, count_include_pad=False)
    grainy = photos + 0.5 * torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).repeat(16, 16)
    assert loss(blurred) > 0.5 and loss(grainy) > 0.05
    # a step down the term's gradient brings back fine detail to the blurred batch and takes the
    # checkerboard out of the grainy one
    for pictures, sharper in ((blurred, True), (grainy, False)):
        pictures = pictures.clone().requires_grad_(True)
        loss(pictures).backward()
        stepped = pictures.detach() - 0.5 * pictures.grad / pictures.grad.abs().mean()
        laplacian = [F.conv2d(x.mean(dim=1, keepdim=True), torch.tensor([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]])).var()
                     for x in (pictures.detach(), stepped)]
        assert (laplacian[1] > laplacian[0]) == sharper
        assert loss(stepped) < loss(pictures.detach())
    # the reals' spectrum is a running mean over the observed batches
    loss.observe(blurred)
    assert torch.allclose(loss.real, torch.lerp(SpectrumLoss.spectrum(blurred), SpectrumLoss.spectrum(photos), 0.99))


def test_the_spectrum_matched_by_class_asks_the_pictures_read_as_night_for_the_night_photos_detail():
    torch.manual_seed(0)
    night = torch.rand(8, 3, 32, 32) * 2 - 1  # fine detail: lit windows
    day = F.avg_pool2d(torch.rand(8, 3, 32, 32) * 2 - 1, 5, stride=1, padding=2, count_include_pad=False)
    photos, times = torch.cat([day, night]), torch.tensor([0] * 8 + [1] * 8)
    whole, by_time = SpectrumLoss(1.0), SpectrumLoss(1.0, groups={"time_of_day": 3})
    assert by_time(photos, {"time_of_day": times}).item() == 0.0  # nothing observed yet
    whole.observe(photos)
    by_time.observe(photos, {"time_of_day": times})
    assert torch.allclose(by_time.real_by_class["time_of_day"][1], SpectrumLoss.spectrum(night))
    assert by_time.real_by_class["time_of_day"][2].isnan().all()  # no photo of the third time yet
    # The same pictures, the smooth ones read as night and the sharp ones as day: the batch's
    # spectrum is the photos', so one batch mean asks nothing; class by class it does.
    swapped = 1 - times
    assert whole(photos).item() == pytest.approx(0.0, abs=1e-6)
    assert by_time(photos, {"time_of_day": times}).item() == pytest.approx(0.0, abs=1e-6)
    assert by_time(photos, {"time_of_day": swapped}) > 0.5
    # a step down the term's gradient sharpens the pictures read as night and smooths those read as day
    pictures = photos.clone().requires_grad_(True)
    by_time(pictures, {"time_of_day": swapped}).backward()
    stepped = pictures.detach() - 0.05 * pictures.grad / pictures.grad.abs().mean(dim=(1, 2, 3), keepdim=True)
    before, after = (laplacian_variances(x.mean(dim=1, keepdim=True)) for x in (photos, stepped))
    assert (after[:8] > before[:8]).all() and (after[8:] < before[8:]).all()
    # pictures read as a class no photo has shown, or of no known class, are left out
    assert by_time(day, {"time_of_day": torch.full((8,), 2)}).item() == 0.0
    assert by_time(photos, {"time_of_day": torch.cat([swapped[:8], torch.full((8,), -1)])}) \
        == pytest.approx(by_time(day, {"time_of_day": torch.ones(8, dtype=torch.long)}).item())
    # a class's running mean moves only with batches that show it
    by_time.observe(night, {"time_of_day": torch.ones(8, dtype=torch.long)})
    assert torch.allclose(by_time.real_by_class["time_of_day"][0], SpectrumLoss.spectrum(day))


def test_the_spectrum_weighed_by_the_laplacian_counts_the_finest_rings_where_the_edges_are():
    torch.manual_seed(0)
    photos = torch.rand(16, 3, 32, 32) * 2 - 1
    radius = SpectrumLoss.radii(32, 32).reshape(32, 32)

    def weakened(pictures: torch.Tensor, low: int, high: int) -> torch.Tensor:  # rings low..high at 0.6
        spectrum = torch.fft.fft2(pictures)
        return torch.fft.ifft2(torch.where((radius >= low) & (radius <= high), 0.6 * spectrum, spectrum)).real

    soft, hazy = weakened(photos, 16, 23), weakened(photos, 1, 8)  # the 8 finest rings of 23, or the 8 coarsest
    uniform, laplacian = SpectrumLoss(1.0), SpectrumLoss(1.0, rings="laplacian")
    for loss in (uniform, laplacian):
        loss.observe(photos)
    assert torch.equal(uniform.ring_weights(32, 32), torch.ones(23))
    weights = laplacian.ring_weights(32, 32)
    assert weights.argmax() == 22 and weights[0] < weights[7] < weights[15] < weights[22]
    # counted alike, fine and coarse losses cost the same; weighed by the Laplacian, the lost edges cost most
    assert uniform(soft).item() == pytest.approx(uniform(hazy).item(), rel=1e-4)
    assert laplacian(soft) > 10 * laplacian(hazy) and laplacian(soft) > uniform(soft)
    # with both lost, a step down its gradient brings back more edge strength than one down the uniform term's
    both, gains = weakened(soft, 1, 8), []
    for loss in (uniform, laplacian):
        pictures = both.clone().requires_grad_(True)
        loss(pictures).backward()
        stepped = pictures.detach() - 0.05 * pictures.grad / pictures.grad.abs().mean()
        gains.append(laplacian_variances(stepped.mean(dim=1, keepdim=True)).mean()
                     / laplacian_variances(both.mean(dim=1, keepdim=True)).mean())
    assert 1 < gains[0] < gains[1]


def test_class_prediction_loss_is_the_cross_entropy_of_the_pictures_of_known_class():
    torch.manual_seed(0)
    logits = {"biome": torch.randn(4, 3), "density": torch.randn(4, 2)}
    labels = {"biome": torch.tensor([0, -1, 2, 1]), "density": torch.tensor([-1, -1, -1, 1])}
    expected = (torch.nn.functional.cross_entropy(logits["biome"][[0, 2, 3]], labels["biome"][[0, 2, 3]])
                + torch.nn.functional.cross_entropy(logits["density"][[3]], labels["density"][[3]]))
    assert ClassPredictionLoss(2.0)(logits, labels).item() == pytest.approx(2.0 * expected.item())


def test_class_prediction_loss_of_a_batch_without_known_classes_is_zero_not_nan():
    logits = {"biome": torch.randn(3, 4, requires_grad=True)}
    loss = ClassPredictionLoss()(logits, {"biome": torch.full((3,), -1)})
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(logits["biome"].grad, torch.zeros(3, 4))
