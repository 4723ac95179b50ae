"""Losses of the `edit` generator (SIMGAN), one class per term, in the style of `losses.py`.

- Least-squares adversarial loss (Mao et al., "Least Squares Generative Adversarial
  Networks", ICCV 2017) on (picture, text) pairs: the discriminator drives real pictures with
  their own text to 1, and both real pictures with another picture's text and edited pictures
  with their target text to 0 (the three terms of SISGAN, Dong et al. 2017); the generator
  drives its edited/target pairs to 1.
- Cycle loss (Zhu et al., "CycleGAN", ICCV 2017): the edit undone with the source's own text
  must give the source back, which keeps what the text does not mention. The same L1 term is
  CycleGAN's identity loss when the picture is "edited" with a text it already matches.
- Conditioning-augmentation KL (Zhang et al., "StackGAN", ICCV 2017): KL(N(mu, sigma^2) ||
  N(0, I)) keeps the text condition a smooth Gaussian manifold.
"""
from dataclasses import dataclass

import torch


class LeastSquaresDiscriminatorLoss:
    """(D(real, own text) - 1)^2 + (D(real, other text)^2 + D(edited, target text)^2) / 2."""

    def __call__(self, real_matching: torch.Tensor, real_mismatching: torch.Tensor,
                 edited_target: torch.Tensor) -> torch.Tensor:
        real = (real_matching.float() - 1).square().mean()
        wrong = real_mismatching.float().square().mean() + edited_target.float().square().mean()
        return real + wrong / 2


class LeastSquaresGeneratorLoss:
    """(D(edited, target text) - 1)^2: the edit should pass for a real picture of the text."""

    def __call__(self, edited_target: torch.Tensor) -> torch.Tensor:
        return (edited_target.float() - 1).square().mean()


@dataclass
class ReconstructionLoss:
    """weight * |y - x|_1: the cycle, y = G(G(x, t_target), t_source), or the identity,
    y = G(x, t) for a text t that x matches."""

    weight: float = 10.0

    def __call__(self, reconstructed: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        return self.weight * (reconstructed.float() - source.float()).abs().mean()


@dataclass
class ConditioningKL:
    """weight * KL(N(mu, exp(logvar)) || N(0, I)), averaged over the condition's values and the
    batch, as StackGAN's code does (a sum would outweigh the adversarial terms 64 times)."""

    weight: float = 1.0

    def __call__(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        mu, logvar = mu.float(), logvar.float()
        return self.weight * 0.5 * (mu.square() + logvar.exp() - 1 - logvar).mean()
