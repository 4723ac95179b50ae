"""Losses of the Wasserstein GAN with gradient penalty, one class per term.

Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville, "Improved Training of Wasserstein GANs"
(NeurIPS 2017): the critic D estimates the Wasserstein-1 distance between real and generated
images, E[D(real)] - E[D(fake)], which it maximises (so it minimises the negative), while
staying close to 1-Lipschitz through a penalty on its gradient norm at points between real and
fake samples. The drift term comes from Karras et al., "Progressive Growing of GANs" (ICLR 2018,
appendix A.1): a small penalty on D(real)^2 keeps the critic's output from drifting far from 0,
which the Wasserstein loss alone does not prevent. The place's class loss is the auxiliary
classifier of Odena, Olah and Shlens, "Conditional Image Synthesis with Auxiliary Classifier
GANs" (ICML 2017), with attribute classes as its targets: the place's (biome, density, ...), or
the land use a ground view shows.

Each loss is a small class with one method, `__call__`, so its weight lives beside it and the
training loop reads as a sum of named terms.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ml.eval.fidelity import LAPLACIAN, luminance

RING_WEIGHTS = ("uniform", "laplacian")  # how SpectrumLoss weighs its rings


class CriticLoss:
    """E[D(fake)] - E[D(real)]: minimising it widens the critic's real/fake margin."""

    def __call__(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return fake_scores.float().mean() - real_scores.float().mean()


class GeneratorLoss:
    """-E[D(fake)]: the generator moves its samples to where the critic scores high."""

    def __call__(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.float().mean()


@dataclass
class GradientPenalty:
    """weight * E[(||grad_x D(x)||_2 - target)^2] at x = u * real + (1 - u) * fake, u ~ U[0, 1]
    per sample: the Lipschitz constraint is enforced softly, along lines between the two
    distributions, where the optimal critic has gradient norm 1."""

    weight: float = 10.0
    target: float = 1.0

    def __call__(self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                 fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        mix = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
        points = torch.lerp(fake.detach(), real.detach(), mix).requires_grad_(True)
        scores = critic(points)
        # create_graph: the penalty is itself differentiated with respect to the critic.
        (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
        norms = gradients.float().flatten(1).norm(dim=1)
        return self.weight * (norms - self.target).square().mean()


@dataclass
class DriftPenalty:
    """weight * E[D(real)^2]: anchors the critic's scores near zero (ProGAN's epsilon_drift)."""

    weight: float = 1e-3

    def __call__(self, real_scores: torch.Tensor) -> torch.Tensor:
        return self.weight * real_scores.float().square().mean()


@dataclass
class ClassPredictionLoss:
    """weight * the sum over attributes of the cross-entropy between the critic's class logits
    and the classes a picture should show, averaged over the pictures whose class is known
    (index >= 0).

    On real pictures it teaches the critic what a biome, a density or a land use looks like; on
    generated ones the generator is asked to paint so that the critic reads off the classes of
    the place (or tile) it was given. The critic learns from reals only, so it cannot make the
    task easy by agreeing with the generator. A picture of unknown class adds nothing, nor does
    an attribute no picture of the batch knows (0, not the NaN of an empty mean)."""

    weight: float = 1.0

    def __call__(self, logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor]) -> torch.Tensor:
        total = torch.zeros((), device=next(iter(logits.values())).device)
        for name, scores in logits.items():
            known = labels[name] >= 0
            summed = F.cross_entropy(scores.float(), labels[name], ignore_index=-1, reduction="sum")
            total = total + summed / known.sum().clamp(min=1)
        return self.weight * total


def class_accuracies(logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], player: str) -> dict:
    """`{attribute}_accuracy_{player}`: how often the critic's top class is the one asked for, over
    the pictures whose class is known (on reals for "d", on the generator's for "g")."""
    accuracies = {}
    for name, scores in logits.items():
        known = labels[name] >= 0
        hits = (scores.detach().argmax(dim=1) == labels[name])[known].float().sum()
        accuracies[f"{name}_accuracy_{player}"] = hits / known.sum().clamp(min=1)
    return accuracies


@dataclass
class ReconstructionLoss:
    """weight * E[|fake - real|] (L1) between a generated view and the real view of the same
    input: pix2pix's term (Isola et al., CVPR 2017), which pulls the generator towards the
    content the input fixes while the adversarial term keeps the views sharp and varied."""

    weight: float = 0.0

    def __call__(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return self.weight * (fake.float() - real.float()).abs().mean()


@dataclass
class ModeSeekingLoss:
    """weight / (mean |fake_1 - fake_2| / mean |z_1 - z_2| + eps) over pairs of pictures made for
    the same input from two latents: the mode-seeking term of MSGAN (Mao et al., "Mode Seeking
    Generative Adversarial Networks for Diverse Image Synthesis", CVPR 2019). A conditional
    generator that learns to ignore its latent (one picture per input) pays for it, so different
    seeds paint different pictures of the same input."""

    weight: float = 0.0
    eps: float = 1e-5

    def __call__(self, fakes: tuple[torch.Tensor, torch.Tensor], latents: tuple[torch.Tensor, torch.Tensor]):
        ratio = ((fakes[0].float() - fakes[1].float()).abs().mean()
                 / (latents[0].float() - latents[1].float()).abs().mean())
        return self.weight / (ratio + self.eps)

    @staticmethod
    def pairs(batch: torch.Tensor) -> torch.Tensor:
        """The first half of a batch twice: each input of the pairs the term compares, along the batch."""
        half = batch.shape[0] // 2
        return torch.cat([batch[:half], batch[:half]])


@dataclass
class SpectrumLoss:
    """weight * the mean over spatial frequencies of (log P_fake(r) - log P_real(r))^2, where P(r)
    is the power spectrum of a batch's luminance averaged over the ring of radius r (whole
    cycles per picture, 1 up to the corners) and over the batch: the spectral regularisation of
    Durall, Keuper and Keuper ("Watch your Up-Convolution", CVPR 2020). The reals' spectrum is a
    running mean (`observe`) of the critic's batches, so the generator pays for pictures whose
    fine detail is weaker than the photos' (blur) and equally for detail stronger than theirs
    (grain, a checkerboard): the pictures' detail must come in the photos' amounts at each scale.
    0 until the first `observe`; the running mean is not checkpointed (statistics of the data, a
    resumed run gathers it again from its first batches).

    With `groups` (attribute -> number of classes, e.g. time of day and weather) the spectra are
    matched class by class instead: the photos' running mean per class of each attribute, from
    their labels, against the mean spectrum of the pictures read as that class; the term is the
    mean over attributes of the mean over the batch's pictures of their class's difference (classes
    whose photos have not been seen yet, and unknown classes, < 0, left out). One batch mean lets
    the bright day pictures stand in for detail the night's lit windows or the snow's flakes lack.

    `rings` weighs the rings in that mean: "uniform" counts each alike; "laplacian" counts each as
    the mean squared response of the discrete Laplacian over it, the share of the picture's edge
    strength (variance of the Laplacian) its power carries, so that the finest rings, where a
    picture's edges are and a batch mean of twenty coarse rings drowns them, count most."""

    weight: float = 0.0
    groups: dict[str, int] = field(default_factory=dict)
    rings: str = "uniform"  # one of RING_WEIGHTS
    decay: float = 0.99  # of the running means of the reals' spectra, per observed batch (per class: per batch showing it)
    real: torch.Tensor | None = None  # (rings,) without groups
    real_by_class: dict[str, torch.Tensor] = field(default_factory=dict)  # attribute -> (classes, rings), NaN unseen

    def __call__(self, fakes: torch.Tensor, classes: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The term on `fakes`; with groups, `classes` holds each attribute's (N,) class of each picture."""
        weights = self.ring_weights(*fakes.shape[-2:], device=fakes.device)
        if not self.groups:
            if self.real is None:
                return torch.zeros((), device=fakes.device)
            return self.weight * self.ring_mean((self.spectrum(fakes).log() - self.real.log()).square(), weights)
        if not self.real_by_class:
            return torch.zeros((), device=fakes.device)
        powers = self.ring_powers(fakes)
        terms = [self.grouped_difference(powers, classes[name], self.real_by_class[name], weights)
                 for name in self.groups]
        return self.weight * torch.stack(terms).mean()

    def observe(self, reals: torch.Tensor, labels: dict[str, torch.Tensor] | None = None) -> None:
        """Fold the reals' spectrum (with groups: each class's, `labels` giving the reals' classes) into the running means."""
        with torch.no_grad():
            if not self.groups:
                spectrum = self.spectrum(reals)
                self.real = spectrum if self.real is None else torch.lerp(spectrum, self.real, self.decay)
                return
            powers = self.ring_powers(reals)
            for name, count in self.groups.items():
                means, pictures = self.class_means(powers, labels[name], count)
                real = self.real_by_class.get(name, torch.full_like(means, float("nan")))
                mixed = torch.where(real.isnan(), means, torch.lerp(means, real, self.decay))
                self.real_by_class[name] = torch.where(pictures[:, None] > 0, mixed, real)

    def ring_weights(self, height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
        """(rings,) each ring's weight in the mean over rings: 1 ("uniform"), or the mean over it of
        the squared response of the Laplacian that `edge_strength` measures with ("laplacian")."""
        response = torch.fft.fft2(LAPLACIAN.to(device), s=(height, width)).abs().square()
        return self.ring_means((torch.ones_like(response) if self.rings == "uniform" else response)[None])[0]

    @staticmethod
    def ring_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """The weighted mean of `values` over their last dimension, the rings."""
        return (values * weights).sum(dim=-1) / weights.sum()

    @classmethod
    def grouped_difference(cls, powers: torch.Tensor, classes: torch.Tensor, real: torch.Tensor,
                           weights: torch.Tensor) -> torch.Tensor:
        """The mean over the pictures of known and seen class of the mean over rings (`weights`) of
        the squared log difference between their class's mean spectrum and the photos' of that class."""
        means, pictures = cls.class_means(powers, classes, real.shape[0])
        counted = (pictures > 0) & ~real[:, 0].isnan()
        if not counted.any():
            return powers.new_zeros(())
        differences = cls.ring_mean((means[counted].log() - real[counted].log()).square(), weights)
        return (differences * pictures[counted]).sum() / pictures[counted].sum()

    @staticmethod
    def class_means(powers: torch.Tensor, classes: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(count, rings) the mean of the (N, rings) `powers` of each class's pictures (+ 1e-8), and
        (count,) the number of its pictures; pictures of unknown class (< 0) left out."""
        known = classes >= 0
        totals = powers.new_zeros(count, powers.shape[1]).index_add(0, classes[known], powers[known])
        pictures = torch.bincount(classes[known], minlength=count)
        return totals / pictures.clamp(min=1)[:, None].to(powers.dtype) + 1e-8, pictures

    @classmethod
    def spectrum(cls, images: torch.Tensor) -> torch.Tensor:
        """(rings,) the batch's mean power at each whole radius >= 1 of the luminance's 2-D spectrum."""
        return cls.ring_powers(images).mean(dim=0) + 1e-8

    @classmethod
    def ring_powers(cls, images: torch.Tensor) -> torch.Tensor:
        """(N, rings) each picture's mean power at each whole radius >= 1 of its luminance's 2-D spectrum."""
        luma = luminance(images)[:, 0]
        return cls.ring_means(torch.fft.fft2(luma, norm="ortho").abs().square())

    @classmethod
    def ring_means(cls, values: torch.Tensor) -> torch.Tensor:
        """(N, rings) the mean of (N, H, W) `values`, laid out as a 2-D spectrum, at each whole radius >= 1."""
        radius = cls.radii(*values.shape[-2:], device=values.device)
        rings = radius.max().item() + 1
        totals = values.new_zeros(values.shape[0], rings).index_add(1, radius, values.flatten(1))
        counts = torch.bincount(radius, minlength=rings)
        return (totals / counts)[:, 1:]

    @staticmethod
    def radii(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
        """(H * W,) each frequency's distance from 0 in whole cycles per picture, rounded."""
        return torch.hypot(torch.fft.fftfreq(height, device=device)[:, None] * height,
                           torch.fft.fftfreq(width, device=device)[None] * width).round().long().flatten()


class NonSaturatingCriticLoss:
    """E[softplus(D(fake))] + E[softplus(-D(real))]: the logistic loss of the original GAN
    (Goodfellow et al. 2014), a critic scoring logits of "real"."""

    def __call__(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(fake_scores.float()).mean() + F.softplus(-real_scores.float()).mean()


class NonSaturatingGeneratorLoss:
    """E[softplus(-D(fake))]: the non-saturating generator loss, whose gradient stays large
    while the critic still rejects the generator's pictures."""

    def __call__(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_scores.float()).mean()


@dataclass
class R1Penalty:
    """gamma / 2 * E[||grad_x D(x)||^2] on real pictures only (Mescheder, Geiger and Nowozin,
    "Which Training Methods for GANs do actually Converge?", ICML 2018): the critic is flat on
    the data, which makes the game converge locally. Lazy, as in StyleGAN2 (Karras et al.,
    CVPR 2020): computed every `interval` critic steps and scaled by `interval`, so it costs
    1/interval of its price for the same regularisation. A critic that scores patches, (N,
    patches), is penalised on each picture's mean score."""

    gamma: float
    interval: int = 16

    def __call__(self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
        points = real.detach().requires_grad_(True)
        scores = critic(points).float().reshape(len(points), -1).mean(dim=1)
        (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
        return self.interval * self.gamma / 2 * gradients.float().square().flatten(1).sum(dim=1).mean()


def r1_gamma_for(resolution: int, batch_size: int) -> float:
    """StyleGAN2-ADA's heuristic for gamma when none is given: 0.0002 * resolution^2 / batch."""
    return 0.0002 * resolution ** 2 / batch_size
