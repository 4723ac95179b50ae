"""What every training loop here shares: loss bookkeeping, the tick line, intervals, logging
and the exponential moving average of the generator.

Each kind's trainer (`ml.train.place`, `ml.train.ground`, `ml.train.edit`) inherits these and
keeps its own loop, steps, snapshots and samples. A trainer sets `self.config`, `self.dist`,
`self.run`, `self.nimg` (real images shown so far) and `self.tick_stats = {}` before training;
`update_ema` also needs `self.G` and `self.G_ema`, and the config's `batch_size`, `ema_kimg`
and `ema_rampup`.
"""
from __future__ import annotations

import time

import torch
from tqdm import tqdm


class TrainerSkeleton:
    def record(self, **values: torch.Tensor) -> None:
        """Keep the losses as tensors: reading them (`.item()`) every step would make the CPU
        wait for the GPU; they are averaged once per tick."""
        for key, value in values.items():
            self.tick_stats.setdefault(key, []).append(value.detach().float())

    def write_tick(self, images_per_second: float, **fields) -> None:
        """One stats.jsonl line: kimg, the trainer's `fields`, the mean of each recorded loss."""
        means = {key: torch.stack(values).mean().item() for key, values in self.tick_stats.items()}
        self.tick_stats = {}
        self.run.append_stats({"kimg": self.nimg / 1000, **fields, **{k: round(v, 6) for k, v in means.items()},
                               "images_per_second": round(images_per_second, 2),
                               "time": round(time.time(), 3)})

    def crossed(self, before: int, interval_kimg: float) -> bool:
        """Whether the last step went past a multiple of `interval_kimg`."""
        interval = max(round(interval_kimg * 1000), 1)
        return before // interval != self.nimg // interval

    def log(self, message: str) -> None:
        if self.dist.is_main:
            tqdm.write(message)
        self.run.log(message)

    @torch.no_grad()
    def update_ema(self) -> None:
        """G_ema <- beta G_ema + (1 - beta) G, with beta set by a half-life in images; the
        ramp-up shortens it early on, when the first weights are not worth remembering."""
        half_life = self.config.ema_kimg * 1000
        if self.config.ema_rampup is not None:
            half_life = min(half_life, max(self.nimg, 1) * self.config.ema_rampup)
        beta = 0.5 ** (self.config.batch_size / max(half_life, 1e-8))
        for ema, live in zip(self.G_ema.parameters(), self.G.parameters()):
            ema.lerp_(live.detach(), 1.0 - beta)
        for ema, live in zip(self.G_ema.buffers(), self.G.buffers()):
            ema.copy_(live)
