"""The twin class head of the place critic (`--twin-class-weight W`): TAC-GAN's correction of
AC-GAN (Gong et al., "Twin Auxiliary Classifiers GAN", NeurIPS 2019).

The critic's own class head learns the place's attribute classes from the photos only, and the
generator is asked to paint pictures that head reads as their place's classes. That rewards the
pictures whose class is easiest for the head, more plainly than the photos show it: in training
the head reads the asked biome in more of the generator's pictures than of the photos, while an
independent reader reads it in fewer (docs/RESULTS.md, "Where biome is lost"). The twin, one
linear head per attribute over the same critic features, learns with the critic to read the
asked class from the generator's pictures only (W times its cross-entropy joins the critic's
loss, so the critic's features learn what tells a generated picture's class), and the generator
pays minus W times that cross-entropy: with the head's term this asks that its pictures' classes
read as the photos' do (the twin's p(class | picture) meets the head's), not more plainly.
Measured on place at 64 px it lowered the biome ratio (0.82 against 0.86 in 48 kimg, docs/RESULTS.md,
"The twin class head"): on held-out places the head was not read more plainly than the photos.

The place trainer builds one after its networks; it is checkpointed as `D_twin` with its
optimiser, and a run resumed from a checkpoint without one starts it fresh
(`TrainerSkeleton.load_checkpoint`).
"""
from __future__ import annotations

import torch
from torch import nn

from ml.models.place import EqualizedLinear
from ml.train.losses import ClassPredictionLoss

NAME = "D_twin"  # its files in a checkpoint


class TwinClassifier:
    """The twin heads over critic features of `width`, one per attribute of `classes` (the
    architecture's context_head), with their Adam optimiser (the run's lr and betas)."""

    def __init__(self, config, classes: dict[str, list], width: int, device: torch.device):
        self.weight = config.twin_class_weight
        self.network = nn.ModuleDict({name: EqualizedLinear(width, len(names), gain=1.0)
                                      for name, names in classes.items()}).to(device).train()
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=config.lr, betas=(config.beta1, config.beta2))
        self.cross_entropy = ClassPredictionLoss()

    def logits(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(features.float()) for name, head in self.network.items()}

    def loss(self, features: torch.Tensor, labels: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        """The critic's term, on its features of the generator's pictures: W times the twin's
        cross-entropy of the classes they were asked for; and the twin's logits."""
        self.network.requires_grad_(True)
        logits = self.logits(features)
        return self.weight * self.cross_entropy(logits, labels), logits

    def generator_loss(self, features: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        """The generator's term: minus W times the twin's cross-entropy on the critic's features
        of its pictures; the twin only passes gradients (its own come back on in `loss`)."""
        self.network.requires_grad_(False)
        return -self.weight * self.cross_entropy(self.logits(features), labels)
