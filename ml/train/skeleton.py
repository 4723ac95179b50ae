"""What every training loop here shares: loss bookkeeping, the progress bar and what each step's
end calls for (a tick line, samples, a snapshot), logging and the exponential moving average of
the generator.

Each kind's trainer (`ml.train.place`, `ml.train.ground`, `ml.train.edit`) inherits these and
keeps its own loop, steps and samples. A trainer sets `self.config`, `self.dist`, `self.run` and
`self.options`, and builds its networks with `build_networks` (which also starts `self.nimg`,
the real images shown so far, at 0); `update_ema` also needs the config's `batch_size`,
`ema_kimg` and `ema_rampup`, and `finish_step` its `tick_kimg`, `sample_kimg`, `snapshot_kimg`,
`max_minutes` and `snapshot_minutes` and the trainer's `save_samples()` and `save_snapshot()`. A
loop runs `while self.running()`: until its images are shown or its minutes are up.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Sequence

import torch
from torch import nn
from tqdm import tqdm

from ml.train import run_dir
from ml.train.batches import CachedBatches
from ml.train.image_cache import ImageCache
from ml.train.patch_critic import NAME as PATCH_CRITIC


class TrainerSkeleton:
    def build_networks(self, G: nn.Module, D: nn.Module | None, *, ema: bool) -> None:
        """G and D on this rank's device (channels-last on CUDA), G_ema (a frozen copy of G
        that `update_ema` follows) when `ema`, and one Adam optimiser each with the config's
        lr and betas. A loop without a critic (the upsampler's) passes no D."""
        fmt = run_dir.memory_format(self.dist)
        self.G = G.to(self.dist.device, memory_format=fmt).train()
        self.D = None if D is None else D.to(self.dist.device, memory_format=fmt).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if ema else None
        betas = (self.config.beta1, self.config.beta2)
        self.G_opt = torch.optim.Adam(self.G.parameters(), lr=self.config.lr, betas=betas)
        self.D_opt = None if D is None else torch.optim.Adam(self.D.parameters(), lr=self.config.lr, betas=betas)
        self.patch_critic = None  # a trainer may add one (`ml.train.patch_critic`)
        self.nimg = 0
        self.cpu_seconds_before = 0.0  # CPU seconds of the runs this one resumed
        self.tick_stats: dict[str, list[torch.Tensor]] = {}  # `record`ed losses since the last tick

    def resume_cached(self, data: ImageCache, resume_from) -> None:
        """Continue from the checkpoint `resume_from` (None: start afresh), then this rank's
        batches of the in-memory `data` from the epoch it reached, and the same networks on
        every rank."""
        epoch = self.load_checkpoint(resume_from) if resume_from is not None else 0
        self.batches = CachedBatches(data, batch_size=self.config.batch_size // self.dist.world_size,
                                     rank=self.dist.rank, world_size=self.dist.world_size, seed=self.config.seed,
                                     epoch=epoch)
        self.broadcast_networks()

    @property
    def networks(self) -> dict[str, nn.Module]:
        networks = {"G": self.G} if self.D is None else {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            networks["G_ema"] = self.G_ema
        if self.patch_critic is not None:
            networks[PATCH_CRITIC] = self.patch_critic.network
        return networks

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        optimizers = {"G": self.G_opt} if self.D_opt is None else {"G": self.G_opt, "D": self.D_opt}
        if self.patch_critic is not None:
            optimizers[PATCH_CRITIC] = self.patch_critic.optimizer
        return optimizers

    def broadcast_networks(self) -> None:
        """Every rank starts from rank 0's weights."""
        for network in self.networks.values():
            run_dir.broadcast_parameters(network, self.dist)

    def load_checkpoint(self, folder) -> int:
        """Networks, optimisers and progress of a checkpoint; returns the epoch it reached. A
        moving average the resumed run did not keep starts from G; a critic it did not have at
        all (D, D_patch: neither its weights nor its optimiser, an adversarial term added on
        resume) starts from its initialisation with a fresh optimiser. Anything else missing is
        an error. The optimisers keep their moments but take this run's lr and betas (`--lr` on
        a resume); a parameter that the resume widened or added (`adapt_weights`) starts its moments afresh."""
        state = run_dir.read_checkpoint_state(folder)
        fresh = {name for name in self.optimizers if name != "G" and not run_dir.network_file(folder, name).is_file()
                 and name not in state["optimizer_param_groups"]}
        for name, network in self.networks.items():
            if name == "G_ema" and not run_dir.network_file(folder, name).is_file():
                network.load_state_dict(self.G.state_dict())
            elif name not in fresh:
                run_dir.load_network(folder, name, network, self.adapt_weights)
        run_dir.load_optimizers(folder, {name: opt for name, opt in self.optimizers.items() if name not in fresh},
                                state)
        for optimizer in self.optimizers.values():
            for parameter in [parameter for parameter, moments in optimizer.state.items()
                              if moments["exp_avg_sq"].shape != parameter.shape]:
                del optimizer.state[parameter]
            for group in optimizer.param_groups:  # this run's lr and betas, not the checkpoint's
                group["lr"], group["betas"] = self.config.lr, (self.config.beta1, self.config.beta2)
        self.nimg = int(state["nimg"])
        self.cpu_seconds_before = float(state.get("cpu_seconds", 0.0))
        if self.config.generator_from:
            self.take_generator(self.config.generator_from)
        # Fresh noise after a resume instead of replaying the first run's draws.
        run_dir.seed_everything(self.config.seed + self.nimg, self.dist.rank)
        return int(state.get("epoch", 0))

    def adapt_weights(self, name: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The tensors of network `name` of a checkpoint or model, fitted to this run's network (a
        kind whose architecture may grow on a resume maps them; the others take them as they are)."""
        return tensors

    def take_generator(self, model) -> None:
        """G and G_ema from an exported model folder (`--generator-from`, checked by the launch to
        fit G), and the model's kimg as the run's progress; the critic and the optimisers stay the
        checkpoint's. The CPU seconds count on from the checkpoint's: a model folder does not
        record its own."""
        from safetensors.torch import load

        from ml.modelfolder import read_config, read_weights, training_kimg

        config = read_config(model)
        weights = load(read_weights(model, config)[0])
        for name in ("G", "G_ema"):
            if name in self.networks:
                self.networks[name].load_state_dict(self.adapt_weights(name, weights))
        self.nimg = round(1000 * training_kimg(config))

    def write_snapshot(self, kind: str, **state) -> None:
        """A checkpoint named by kimg: the networks, optimisers and `state` (what the trainer
        needs to resume or export, beside kind, progress, architecture and options)."""
        name = run_dir.CHECKPOINT_PREFIX + run_dir.kimg_label(self.nimg)
        state = {"kind": kind, "nimg": self.nimg, "kimg": self.nimg / 1000, "cpu_seconds": round(self.cpu_seconds(), 1),
                 **state,
                 "architecture": self.config.model.to_dict(), "train": self.options["train"]}
        if self.run.save_checkpoint(name, networks=self.networks, optimizers=self.optimizers, state=state):
            self.log(f"kimg {self.nimg / 1000:g}: wrote {name}")

    def lazy_r1(self, critic, reals: torch.Tensor, stat: str) -> torch.Tensor | float:
        """The trainer's `r1` penalty (`ml.train.losses.R1Penalty`) of `critic` on `reals` every
        `r1.interval`-th critic step, recorded as `stat`; 0 on the others. Counts the critic step."""
        penalty = 0.0
        if self.critic_steps % self.r1.interval == 0:
            penalty = self.r1(critic, reals.float())
            self.record(**{stat: penalty})
        self.critic_steps += 1
        return penalty

    def step_patch_critic(self, reals: torch.Tensor, fakes: torch.Tensor) -> None:
        """A step of the patch critic on a critic step's reals and fakes."""
        with run_dir.autocast(self.dist):
            loss, stats = self.patch_critic.critic_loss(reals, fakes)
        self.optimizer_step(self.patch_critic.network, self.patch_critic.optimizer, loss)
        self.record(**stats)

    def generator_extras(self, fakes: torch.Tensor, latents: torch.Tensor | None = None, *,
                         patch: bool = True) -> torch.Tensor:
        """The generator's optional terms on its `fakes`, each recorded: the patch critic's
        adversarial term (when the trainer has a patch critic and `patch`), and mode seeking
        (the trainer's `mode_seeking`) when `latents` are given: the batch is then
        `ModeSeekingLoss.pairs` of its inputs, its halves painted from those latents' halves."""
        extra = torch.zeros((), device=fakes.device)
        if patch and self.patch_critic is not None:
            term = self.patch_critic.generator_loss(fakes)
            self.record(patch_g=term)
            extra = extra + term
        if latents is not None:
            term = self.mode_seeking(fakes.chunk(2), latents.chunk(2))
            self.record(mode_seeking=term)
            extra = extra + term
        return extra

    def optimizer_step(self, network: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                       together: Sequence[tuple[nn.Module, torch.optim.Optimizer]] = ()) -> None:
        """One step of `optimizer` on `loss`, with the gradients of `network` averaged over the ranks;
        and one of each (network, optimiser) pair `together` that learns from the same backward pass
        (the place critic's twin head)."""
        pairs = ((network, optimizer), *together)
        for _, each in pairs:
            each.zero_grad(set_to_none=True)
        loss.backward()
        for each_network, each in pairs:
            run_dir.average_gradients(each_network, self.dist)
            each.step()

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
                               "time": round(time.time(), 3),
                               "cpu_seconds": round(self.cpu_seconds(), 1)})

    def cpu_seconds(self) -> float:
        """CPU seconds the run has used, over all its resumes: runs that share a machine compare by it
        (their wall-clock time depends on what else runs)."""
        return time.process_time() + self.cpu_seconds_before

    def start_training(self, total: int, message: str) -> None:
        """The options file first, the log line `message`, the first sample grid, then the
        progress bar up to `total` images (main rank only) and the clock of the first tick."""
        self.run.write_options(self.options)
        self.log(message)
        self.save_samples()
        self.total = total
        self.bar = tqdm(total=total, initial=self.nimg, unit="img", unit_scale=True, disable=not self.dist.is_main,
                        dynamic_ncols=True)
        self.tick_start, self.tick_nimg, self.shown = time.perf_counter(), self.nimg, 0.0
        self.started = self.snapshot_time = self.tick_start
        self.out_of_time = False
        self.set_learning_rate()

    def base_lr(self) -> float:
        """The learning rate before the ramp-down (a kind may schedule it: edit's halves by epochs)."""
        return self.config.lr

    def set_learning_rate(self) -> None:
        """Every optimiser's lr for the next step: `base_lr()`, going linearly down to 0 over the
        last `lr_rampdown_kimg` before the run's end (a function of the images shown, so a resumed
        run goes on where it was)."""
        ramp = round(1000 * self.config.lr_rampdown_kimg)
        lr = self.base_lr() * (min(1.0, (self.total - self.nimg) / ramp) if ramp else 1.0)
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = max(lr, 0.0)

    def running(self) -> bool:
        """Whether the loop takes another step: images are left to show and minutes to spend."""
        return self.nimg < self.total and not self.out_of_time

    def finish_step(self, before: int, *, samples: bool = False) -> None:
        """After a step took the run from `before` to `self.nimg` images: move the bar (with
        `progress_text()` beside it at most once a second: reading the losses makes the CPU wait
        for the GPU), then write what is due: a tick line, samples (also when `samples`), a
        snapshot, for each of the config's intervals the step crossed (a snapshot also when its
        minutes are up), and all of them at the end: all images shown, or the run's minutes spent.
        The lr of the next step is set first, so a snapshot holds the one its resume goes on with."""
        self.bar.update(self.nimg - before)
        self.set_learning_rate()
        now = time.perf_counter()
        if now - self.shown > 1.0 and (status := self.progress_text()) is not None:
            self.bar.set_postfix_str(status, refresh=False)
            self.shown = now
        self.out_of_time, snapshot_due = self.clock_due(now)
        done = self.nimg >= self.total or self.out_of_time
        if done or self.crossed(before, self.config.tick_kimg):
            self.write_tick((self.nimg - self.tick_nimg) / (now - self.tick_start))
            self.tick_start, self.tick_nimg = now, self.nimg
        if done or samples or self.crossed(before, self.config.sample_kimg):
            self.save_samples()
        if done or snapshot_due or self.crossed(before, self.config.snapshot_kimg):
            self.save_snapshot()
            self.snapshot_time = now

    def clock_due(self, now: float) -> tuple[bool, bool]:
        """Whether the run's `max_minutes` are spent, and whether `snapshot_minutes` have passed
        since the last snapshot; rank 0's clock decides for every rank."""
        limit, interval = self.config.max_minutes, self.config.snapshot_minutes
        if limit is None and interval is None:
            return False, False
        flags = [limit is not None and now - self.started >= 60 * limit,
                 interval is not None and now - self.snapshot_time >= 60 * interval]
        out_of_time, snapshot_due = run_dir.rank0_flags(flags, self.dist)
        return out_of_time, snapshot_due

    def finish_training(self) -> None:
        self.bar.close()
        reason = f" (its {self.config.max_minutes:g} minutes are up)" if self.out_of_time else ""
        self.log(f"done at kimg {self.nimg / 1000:g}{reason}")

    def progress_text(self) -> str | None:
        """The losses shown beside the progress bar (None: none)."""
        return None

    def latest(self, fmt: str, **labels: str) -> str:
        """'D +0.512 G +1.234': each label with the last recorded value of its loss, or '–' while
        that loss is not computed (the generator's during a critic warm-up)."""
        return " ".join(f"{label} {format(values[-1].item(), fmt)}" if (values := self.tick_stats.get(key))
                        else f"{label} –" for label, key in labels.items())

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
