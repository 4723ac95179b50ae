"""A second critic beside a kind's own (`--patch-critic-weight W`, place and ground): PatchGAN's
(Isola, Zhu, Zhou and Efros, CVPR 2017; `ml.models.ground.PatchDiscriminator`), which scores
every patch of a picture alone, without its condition (the kind's own critic judges the picture
against its place or tile). It trains with the run's adversarial loss on each patch's score, so
every patch must look real and not only the picture as a whole: local texture and edges are
what a global critic lets slide and what this one sees. The generator pays W times its loss.

A trainer builds one after its networks (`TrainerSkeleton.build_networks` starts without), and
the skeleton checkpoints it as `D_patch` with its optimiser; a run resumed from a checkpoint
without one starts it fresh (`TrainerSkeleton.load_checkpoint`).
"""
from __future__ import annotations

import torch

from ml.models.configs import GroundConfig
from ml.models.ground import PatchDiscriminator
from ml.train.adversarial import AdversarialObjective

NAME = "D_patch"  # its files in a checkpoint
WIDTH = 64  # channels at 4x4, halved per doubling, never below 16 (ground's default at 32x32)


class PatchCritic:
    """The patch critic of pictures of side `resolution`, its Adam optimiser (the run's lr and
    betas) and its adversarial objective (the run's loss, R1 and augmentation)."""

    def __init__(self, config, resolution: int, device: torch.device, memory_format: torch.memory_format,
                 width: int = WIDTH):
        self.weight = config.patch_critic_weight
        network = PatchDiscriminator(GroundConfig(resolution=resolution, width=width, conditional=False))
        self.network = network.to(device, memory_format=memory_format).train()
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=config.lr, betas=(config.beta1, config.beta2))
        self.objective = AdversarialObjective(config, resolution)

    def scores(self, images: torch.Tensor, *, with_classes: bool = False):
        """As `AdversarialObjective` calls a critic: (N, patches) scores, one loss term per patch."""
        scores = self.network.patch_scores(images, None)
        return (scores, None) if with_classes else scores

    def critic_loss(self, reals: torch.Tensor, fakes: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """Its loss on a critic step's reals and fakes, and the statistics to record."""
        self.network.requires_grad_(True)
        loss, stats, _, _ = self.objective.critic_loss(self.scores, reals, fakes)
        return loss, {"loss_d_patch": loss, **{f"{name}_patch": value for name, value in stats.items()}}

    def generator_loss(self, fakes: torch.Tensor) -> torch.Tensor:
        """W times the generator's loss against it; the critic only passes gradients through
        (its own come back on at its next `critic_loss`)."""
        self.network.requires_grad_(False)
        return self.weight * self.objective.generator_loss(self.scores, fakes)[0]
