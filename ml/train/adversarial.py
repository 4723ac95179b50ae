"""The adversarial objective of the place and ground trainers, chosen by the run's `loss`.

- `wgan-gp`, the research's recipe: the Wasserstein critic with gradient penalty and ProGAN's
  drift term, every critic step.
- `logistic`: the non-saturating logistic loss with lazy R1 on reals (StyleGAN2's recipe),
  which converges in fewer images on small budgets.

Either can see its pictures through DiffAugment (`ml.train.augment`): the critic then only
ever sees augmented reals and fakes alike, and the generator learns through the augmentation.
A trainer asks `critic_loss` once per critic step and `generator_loss` once per generator step;
the statistics they return go to stats.jsonl.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from ml.train.augment import diff_augment, parse_augments
from ml.train.losses import (CriticLoss, DriftPenalty, GeneratorLoss, GradientPenalty, NonSaturatingCriticLoss,
                             NonSaturatingGeneratorLoss, R1Penalty, r1_gamma_for)

LOSSES = ("wgan-gp", "logistic")

Critic = Callable[..., torch.Tensor]  # critic(images) -> scores, or with with_classes=True (scores, classes, ...)


class AdversarialObjective:
    """The critic's and generator's adversarial terms of one run's config (its `loss`, weights
    and `augment`)."""

    def __init__(self, config, resolution: int):
        self.name, self.augments = config.loss, parse_augments(config.augment)
        if self.name == "wgan-gp":
            self.critic_term, self.generator_term = CriticLoss(), GeneratorLoss()
            self.gradient_penalty = GradientPenalty(config.gp_weight)
            self.drift_penalty = DriftPenalty(config.drift_weight)
        else:
            self.critic_term, self.generator_term = NonSaturatingCriticLoss(), NonSaturatingGeneratorLoss()
            gamma = r1_gamma_for(resolution, config.batch_size) if config.r1_gamma is None else config.r1_gamma
            self.r1 = R1Penalty(gamma, config.r1_interval)
        self.critic_steps = 0

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        return diff_augment(images, self.augments) if self.augments else images

    def critic_loss(self, critic: Critic, reals: torch.Tensor, fakes: torch.Tensor,
                    **critic_options) -> tuple[torch.Tensor, dict, list, list]:
        """The critic's adversarial loss on this batch, its statistics, and what else the critic
        returns of the reals and of the fakes with `with_classes` and `critic_options`: their class
        logits (for a class head) and, asked, the features."""
        # Two forwards, not one on the concatenation: the minibatch-stddev layer groups samples,
        # and a group mixing reals with fakes would give the fakes away.
        real_scores, *real_rest = critic(self.augment(reals), with_classes=True, **critic_options)
        fake_scores, *fake_rest = critic(self.augment(fakes), with_classes=True, **critic_options)
        adversarial = self.critic_term(real_scores, fake_scores)
        self.critic_steps += 1
        if self.name == "wgan-gp":
            drift = self.drift_penalty(real_scores)
            # The penalty differentiates D twice; run it in fp32, where bf16 would round away the
            # small gradient-norm differences it is made of.
            penalty = self.gradient_penalty(lambda images: critic(self.augment(images)), reals.float(),
                                            fakes.float())
            stats = {"wasserstein": -adversarial, "gradient_penalty": penalty, "drift": drift}
            return adversarial + drift + penalty, stats, real_rest, fake_rest
        stats = {"real_score": real_scores.detach().float().mean(), "fake_score": fake_scores.detach().float().mean()}
        if (self.critic_steps - 1) % self.r1.interval == 0:
            penalty = self.r1(lambda images: critic(self.augment(images)), reals.float())
            stats["r1_penalty"] = penalty
            adversarial = adversarial + penalty
        return adversarial, stats, real_rest, fake_rest

    def generator_loss(self, critic: Critic, fakes: torch.Tensor, **critic_options) -> tuple:
        """The generator's adversarial loss, then what else the critic returns of its pictures with
        `with_classes` and `critic_options`: their class logits (and, asked, the features)."""
        scores, *rest = critic(self.augment(fakes), with_classes=True, **critic_options)
        return self.generator_term(scores), *rest
