"""Model selection by how far (G, D) is from a Nash equilibrium: the duality gap.

Grnarova, Levy, Lucchi, Perraudin, Goodfellow, Hofmann and Krause, "A Domain Agnostic Measure
for Monitoring and Evaluating GANs" (NeurIPS 2019). With V(G, D) the value of the game,

    DG(G, D) = max_D' V(G, D') - min_G' V(G', D)

is zero exactly at an equilibrium and otherwise measures how much either player could still
gain by deviating, which tracks sample quality without any domain-specific feature extractor.

The approximation used here, as in the paper's practical recipe:

- V is the Wasserstein game the networks were trained on: V(G, D) = E[D(x, c)] - E[D(G(z, c), c)]
  over held-out real pictures x of places c, and fixed latents z (one per held-out picture).
- Each max / min is replaced by `steps` Adam steps starting from the checkpoint's own network
  (the worst-case critic starts from D, the worst-case generator from G), so the estimate is
  cheap and a lower bound of the true gap.
- The worst-case critic maximises V minus the gradient penalty: without a Lipschitz constraint
  max_D' V is unbounded and the gap would only measure how far Adam got.
- The held-out pictures are split in two: the players are optimised on one half (even indices)
  and V is evaluated on the other (odd), so the gap is not inflated by overfitting a batch.
- The same latents, batches and seeds are used for every checkpoint, so gaps compare fairly.

Every network here is in eval mode, so the place generator's context noise is off throughout:
V is evaluated at the places themselves. The players are any conditional (G, D) called as
G(z, c) and D(x, c): the place's context, or the spot's overhead tile for a ground view.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ml.train.image_cache import ImageCache
from ml.train.losses import GradientPenalty


@dataclass
class GapConfig:
    steps: int = 20  # optimisation steps of each worst-case player
    batch_size: int = 32  # images per optimisation step and per evaluation batch
    lr: float = 1e-3  # Adam learning rate of the worst-case players
    beta1: float = 0.0  # Adam betas as in training (ProGAN)
    beta2: float = 0.99
    gp_weight: float = 10.0  # keeps the worst-case critic Lipschitz, as in training
    seed: int = 0  # latents and batch order; the same for every checkpoint


@dataclass
class GapEstimate:
    gap: float  # max_D' V(G, D') - min_G' V(G', D)
    value: float  # V(G, D) of the checkpoint itself
    worst_critic_value: float  # V(G, D') after the critic's steps
    worst_generator_value: float  # V(G', D) after the generator's steps
    steps: int = 0  # optimisation steps of each worst-case player
    split: str = "heldout"  # the data split V was measured on
    images: int = 0  # how many images of it

    def to_dict(self) -> dict:
        return {"duality_gap": self.gap, "value": self.value,
                "worst_critic_value": self.worst_critic_value,
                "worst_generator_value": self.worst_generator_value}


class HeldOutGame:
    """The held-out data of the game, on one device: images in [-1, 1] and their contexts,
    with one fixed latent per image."""

    def __init__(self, data: ImageCache, contexts: torch.Tensor, latent_dim: int, config: GapConfig,
                 device: torch.device):
        if len(data) < 2:
            raise ValueError(f"the duality gap needs at least 2 held-out images, got {len(data)}")
        generator = torch.Generator().manual_seed(config.seed)
        self.config, self.device = config, device
        images = ImageCache.to_float(data.images)
        latents = torch.randn(len(data), latent_dim, generator=generator)
        self.fit = (images[0::2].to(device), contexts[0::2].to(device), latents[0::2].to(device))
        self.held = (images[1::2].to(device), contexts[1::2].to(device), latents[1::2].to(device))
        # One batch order for all checkpoints.
        count = self.fit[0].shape[0]
        self.order = [torch.randint(count, (min(config.batch_size, count),), generator=generator)
                      for _ in range(config.steps)]

    def fit_batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        indices = self.order[step].to(self.device)
        return tuple(part[indices] for part in self.fit)

    @torch.no_grad()
    def value(self, G: nn.Module, D: nn.Module) -> float:
        """V(G, D) on the evaluation half, in batches."""
        images, contexts, latents = self.held
        total, count, size = 0.0, images.shape[0], self.config.batch_size
        for start in range(0, count, size):
            c, z = contexts[start:start + size], latents[start:start + size]
            real = D(images[start:start + size], c)
            fake = D(G(z, c), c)
            total += (real.float().sum() - fake.float().sum()).item()
        return total / count


def duality_gap(G: nn.Module, D: nn.Module, game: HeldOutGame) -> GapEstimate:
    """Estimate DG(G, D) at full resolution; G and D are left unchanged."""
    G, D = G.eval(), D.eval()
    value = game.value(G, D)
    worst_critic = _worst_critic(G, D, game)
    worst_generator = _worst_generator(G, D, game)
    critic_value, generator_value = game.value(G, worst_critic), game.value(worst_generator, D)
    return GapEstimate(gap=critic_value - generator_value, value=value, worst_critic_value=critic_value,
                       worst_generator_value=generator_value, steps=game.config.steps,
                       images=game.held[0].shape[0] + game.fit[0].shape[0])


def _adam(network: nn.Module, config: GapConfig) -> torch.optim.Adam:
    return torch.optim.Adam(network.parameters(), lr=config.lr, betas=(config.beta1, config.beta2))


def _worst_critic(G: nn.Module, D: nn.Module, game: HeldOutGame) -> nn.Module:
    """D' maximising V(G, D') - GP, from D."""
    critic = copy.deepcopy(D).requires_grad_(True)
    optimizer, penalty = _adam(critic, game.config), GradientPenalty(game.config.gp_weight)
    rng = torch.Generator(device=game.device).manual_seed(game.config.seed)
    for step in range(game.config.steps):
        images, contexts, latents = game.fit_batch(step)
        with torch.no_grad():
            fakes = G(latents, contexts)
        value = critic(images, contexts).mean() - critic(fakes, contexts).mean()
        gp = penalty(lambda x: critic(x, contexts), images, fakes, generator=rng)
        optimizer.zero_grad(set_to_none=True)
        (gp - value).backward()
        optimizer.step()
    return critic.requires_grad_(False)


def _worst_generator(G: nn.Module, D: nn.Module, game: HeldOutGame) -> nn.Module:
    """G' minimising V(G', D), that is maximising E[D(G'(z))], from G; D stays fixed."""
    generator = copy.deepcopy(G).requires_grad_(True)
    critic = copy.deepcopy(D).requires_grad_(False)
    optimizer = _adam(generator, game.config)
    for step in range(game.config.steps):
        _, contexts, latents = game.fit_batch(step)
        loss = -critic(generator(latents, contexts), contexts).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return generator.requires_grad_(False)
