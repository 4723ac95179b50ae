"""Training of the `edit` generator (SIMGAN) on pictures and their captions.

Each step takes real pictures x with their own captions t and a mismatching caption t' per
picture, drawn from the other pictures of the batch, which is also the edit's target text:

    step_discriminator   LSGAN on (x, t) -> 1, (x, t') -> 0, (G(x, t'), t') -> 0
    step_generator       LSGAN on (G(x, t'), t') -> 1
                         + lambda_c |G(G(x, t'), t) - x|_1   (the cycle: edit, then edit back)
                         + lambda_ca KL of the forward edit's text condition

The backward edit of the cycle is conditioned on the mean of t's condition (no sampling), so
the noise of conditioning augmentation belongs to the forward edit alone. The learning rate
halves every `lr_halve_epochs` epochs. The run writes its files through `ml.train.run_dir`.
"""
from __future__ import annotations

import torch

from ml.models.edit import EditDiscriminator, EditGenerator
from ml.train import run_dir
from ml.train.edit_config import KIND, EditTrainConfig
from ml.train.edit_losses import (ConditioningKL, CycleLoss, LeastSquaresDiscriminatorLoss,
                                  LeastSquaresGeneratorLoss)
from ml.train.image_cache import ImageCache
from ml.train.skeleton import TrainerSkeleton

# The texts of the sample grids (and of the results' grids): one column each, after the source.
SAMPLE_TEXTS = (
    "the same place, snowy and wintry",
    "the same town at night",
    "a sunny desert town on a bright afternoon",
    "a foggy, misty day",
    "a lush tropical village by the water",
)
SAMPLE_SOURCES = 6


def sample_sources(data: ImageCache, count: int = SAMPLE_SOURCES) -> torch.Tensor:
    """Indices of evenly spaced pictures of the data: the rows of the sample grids."""
    return torch.linspace(0, len(data) - 1, min(count, len(data))).round().long()


class EditTrainer(TrainerSkeleton):
    """Owns the networks, optimisers and data of one run; `train()` runs it to the end."""

    def __init__(self, config: EditTrainConfig, data: ImageCache, texts: torch.Tensor, sample_texts: torch.Tensor,
                 dist: run_dir.Distributed, run: run_dir.RunDir, *, options: dict, resume_from=None):
        self.config, self.data, self.dist, self.run, self.options = config, data, dist, run, options
        self.device = dist.device
        self.texts = texts  # (N, text_dim): the embedding of each picture's caption
        self.sample_texts = sample_texts.to(self.device)
        self.build_networks(EditGenerator(config.model), EditDiscriminator(config.model), ema=False)
        self.discriminator_loss, self.generator_loss = LeastSquaresDiscriminatorLoss(), LeastSquaresGeneratorLoss()
        self.cycle_loss = CycleLoss(config.cycle_weight)
        self.kl_loss = ConditioningKL(config.kl_weight)
        # A resumed run goes on with its epoch count, which the learning-rate halving counts in.
        self.resume_cached(data, resume_from)

    # -----------------------------------------------------------------------------------------
    # The loop

    def train(self) -> None:
        config, total = self.config, self.config.total_nimg()
        self.start_training(total, f"training {KIND} on {len(self.data)} captioned pictures from kimg "
                                   f"{self.nimg / 1000:g} to {total / 1000:g}")
        while self.nimg < total:
            sources, own_texts, target_texts = self.fetch_batch()
            self.set_learning_rate()  # after the fetch, which starts each new epoch
            self.step_discriminator(sources, own_texts, target_texts)
            self.step_generator(sources, own_texts, target_texts)
            before, self.nimg = self.nimg, self.nimg + config.batch_size
            self.finish_step(before)
        self.finish_training()

    def set_learning_rate(self) -> None:
        lr = self.config.lr * 0.5 ** int(self.epoch // self.config.lr_halve_epochs)
        for optimizer in (self.G_opt, self.D_opt):
            for group in optimizer.param_groups:
                group["lr"] = lr

    def fetch_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's pictures, their captions' embeddings, and mismatching target texts: the
        captions of the same batch rolled by one, so no picture gets its own caption back."""
        indices = self.batches.next_indices()
        sources = ImageCache.to_float(self.data.images[indices]).to(self.device, non_blocking=True)
        if self.config.mirror:
            flip = torch.rand(len(indices), device=self.device) < 0.5
            sources = torch.where(flip[:, None, None, None], sources.flip(3), sources)
        own = self.texts[indices].to(self.device, non_blocking=True)
        targets = own.roll(1, dims=0)
        return sources.contiguous(memory_format=run_dir.memory_format(self.dist)), own, targets

    def step_discriminator(self, sources: torch.Tensor, own_texts: torch.Tensor, target_texts: torch.Tensor) -> None:
        with torch.no_grad(), run_dir.autocast(self.dist):
            edited, _, _ = self.G(sources, target_texts)
        with run_dir.autocast(self.dist):
            # One forward over the three kinds of pairs (the discriminator has no batch statistics).
            scores = self.D(torch.cat([sources, sources, edited]), torch.cat([own_texts, target_texts, target_texts]))
        real_matching, real_mismatching, edited_target = scores.chunk(3)
        loss = self.discriminator_loss(real_matching, real_mismatching, edited_target)
        self.D_opt.zero_grad(set_to_none=True)
        loss.backward()
        run_dir.average_gradients(self.D, self.dist)
        self.D_opt.step()
        self.record(loss_d=loss, d_real_matching=real_matching.float().mean(),
                    d_real_mismatching=real_mismatching.float().mean(), d_edited=edited_target.float().mean())

    def step_generator(self, sources: torch.Tensor, own_texts: torch.Tensor, target_texts: torch.Tensor) -> None:
        self.D.requires_grad_(False)  # D only passes gradients through; no need for its own
        with run_dir.autocast(self.dist):
            edited, mu, logvar = self.G(sources, target_texts)
            adversarial = self.generator_loss(self.D(edited, target_texts))
            terms = {"adversarial": adversarial}
            if self.config.cycle_weight > 0:
                back, _, _ = self.G(edited, own_texts, sample=False)
                terms["cycle"] = self.cycle_loss(back, sources)
            if self.config.model.augmentation and self.config.kl_weight > 0:
                terms["kl"] = self.kl_loss(mu, logvar)
        loss = sum(terms.values())
        self.G_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.D.requires_grad_(True)
        run_dir.average_gradients(self.G, self.dist)
        self.G_opt.step()
        self.record(loss_g=loss, **{f"g_{name}": value for name, value in terms.items()})

    # -----------------------------------------------------------------------------------------
    # Snapshots, samples and stats

    def save_snapshot(self) -> None:
        self.write_snapshot(KIND, epoch=self.epoch, dataset=self.data.summary)

    @torch.no_grad()
    def save_samples(self) -> None:
        """Rows: fixed source pictures; columns: the source, then its edit by each sample text
        (conditioning noise seeded per column, the generator in inference mode)."""
        if not self.dist.is_main:
            return
        sources = ImageCache.to_float(self.data.images[sample_sources(self.data)]).to(self.device)
        self.G.eval()
        columns = [sources]
        for column, text in enumerate(self.sample_texts):
            noise = torch.randn(self.config.model.condition_dim, generator=torch.Generator().manual_seed(column))
            texts, noise = text.expand(len(sources), -1), noise.to(self.device).expand(len(sources), -1)
            columns.append(self.G(sources, texts, noise)[0].float())
        self.G.train()
        grid = torch.stack(columns, dim=1).flatten(0, 1)
        self.run.save_image_grid(grid, f"samples-{run_dir.kimg_label(self.nimg)}.png", len(columns))

    def write_tick(self, images_per_second: float) -> None:
        super().write_tick(images_per_second, epoch=self.epoch, lr=self.G_opt.param_groups[0]["lr"])

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    def progress_text(self) -> str:
        last = {key: values[-1].item() for key, values in self.tick_stats.items()}
        return (f"kimg {self.nimg / 1000:.3f} ep {self.epoch} D {last.get('loss_d', float('nan')):.3f} "
                f"G {last.get('loss_g', float('nan')):.3f}")
