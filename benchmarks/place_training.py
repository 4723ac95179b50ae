"""Training speed of the `place` GAN, beside a plain PyTorch WGAN-GP loop of the same networks.

    python -m benchmarks.place_training [--resolutions 32 64] [--seconds 20] [--no-write]

Both loops train the same PlaceGenerator/PlaceDiscriminator at full resolution (stable phase)
on random pictures, batch 32, one critic step per generator step, for a fixed wall time after a
warm-up. Ours is `PlaceTrainer`'s own step (fetch_batch, step_discriminator, step_generator,
update_ema): bf16 autocast and channels-last on CUDA, fp32 on CPU. The baseline is the loop
one writes first: fp32, default memory format, gradient penalty by `torch.autograd.grad`, no
EMA. Measured in the same run, so both see the same machine load; the table goes into
docs/BENCHMARKS.md between this benchmark's markers.
"""
import argparse
import os
import platform
import time
from datetime import date

import torch

from benchmarks.report import publish
from ml.models.place import PlaceConfig, PlaceDiscriminator, PlaceGenerator, place_context
from ml.train import run_dir
from ml.train.batches import CachedBatches
from ml.train.image_cache import ImageCache
from ml.train.place import PlaceTrainer
from ml.train.place_config import PlaceTrainConfig, phase_at

SECTION = "place_training"
COMMAND = "python -m benchmarks.place_training"
BATCH = 32
IMAGES = 1024
WARMUP_STEPS = 3


def architecture(resolution: int) -> PlaceConfig:
    # The CPU demo model's widths at 32x32; the defaults at 64x64.
    return PlaceConfig(resolution=32, fmap_base=1024, fmap_max=128) if resolution == 32 else PlaceConfig(
        resolution=resolution)


def random_data(resolution: int) -> ImageCache:
    generator = torch.Generator().manual_seed(0)
    return ImageCache(images=torch.randint(0, 256, (IMAGES, 3, resolution, resolution), dtype=torch.uint8,
                                           generator=generator),
                      lat=torch.rand(IMAGES, generator=generator) * 180 - 90,
                      lon=torch.rand(IMAGES, generator=generator) * 360 - 180,
                      city=torch.zeros(IMAGES, dtype=torch.int64), cities=[0], summary={}, labels={}, classes={})


def timed(step, seconds: float, sync) -> float:
    """Images per second of `step` (one batch each) over `seconds`, after a warm-up."""
    for _ in range(WARMUP_STEPS):
        step()
    sync()
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
        if steps % 4 == 0:
            sync()
    sync()
    return steps * BATCH / (time.perf_counter() - start)


def ours(resolution: int, dist: run_dir.Distributed, seconds: float, sync) -> float:
    model = architecture(resolution)
    config = PlaceTrainConfig(data="", model=model, batch_size=BATCH, start_resolution=resolution)
    data = CachedBatches(random_data(resolution), batch_size=BATCH)
    trainer = PlaceTrainer(config, data, dist, run_dir.RunDir("", enabled=False), options={})
    phase = phase_at(0, config)
    assert phase.resolution == resolution and not phase.fading

    def step():
        reals, contexts, labels = trainer.fetch_batch(phase)
        trainer.step_discriminator(phase, reals, contexts, labels)
        trainer.step_generator(phase, contexts, labels)
        trainer.update_ema()
    return timed(step, seconds, sync)


def baseline(resolution: int, device: torch.device, seconds: float, sync) -> float:
    """The straightforward fp32 loop: no autocast, no channels-last, no EMA."""
    model = architecture(resolution)
    G, D = PlaceGenerator(model).to(device), PlaceDiscriminator(model).to(device)
    G_opt = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99))
    D_opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99))
    data = random_data(resolution)
    contexts_all = place_context(data.lat, data.lon, model)

    def step():
        index = torch.randint(0, IMAGES, (BATCH,))
        reals = ImageCache.to_float(data.images[index]).to(device)
        contexts = contexts_all[index].to(device)
        fakes = G(torch.randn(BATCH, model.latent_dim, device=device), contexts).detach()
        mix = torch.rand(BATCH, 1, 1, 1, device=device)
        between = (reals + mix * (fakes - reals)).requires_grad_(True)
        gradient, = torch.autograd.grad(D(between, contexts).sum(), between, create_graph=True)
        penalty = ((gradient.flatten(1).norm(dim=1) - 1) ** 2).mean() * 10
        d_loss = D(fakes, contexts).mean() - D(reals, contexts).mean() + penalty
        D_opt.zero_grad()
        d_loss.backward()
        D_opt.step()
        g_loss = -D(G(torch.randn(BATCH, model.latent_dim, device=device), contexts), contexts).mean()
        G_opt.zero_grad()
        g_loss.backward()
        G_opt.step()
    return timed(step, seconds, sync)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed wall time per measurement")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    dist = run_dir.setup_distributed()
    run_dir.configure_backends(dist)
    sync = torch.cuda.synchronize if dist.is_cuda else (lambda: None)
    if dist.is_cuda:
        machine = f"{torch.cuda.get_device_name()}, bf16 autocast + channels-last (ours)"
    else:
        machine = f"{os.cpu_count()}-core CPU ({platform.processor() or platform.machine()}), " \
                  f"{torch.get_num_threads()} threads, fp32 both"
    rows = []
    for resolution in args.resolutions:
        torch.manual_seed(0)
        plain = baseline(resolution, dist.device, args.seconds, sync)
        torch.manual_seed(0)
        mine = ours(resolution, dist, args.seconds, sync)
        rows.append(f"| {resolution}x{resolution} | {mine:.1f} | {plain:.1f} | {mine / plain:.2f}x |")
        print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    text = "\n".join([
        "## place training: images per second",
        "",
        f"Machine: {machine}; torch {torch.__version__}. Command: `{COMMAND}"
        f"{' --resolutions ' + ' '.join(map(str, args.resolutions)) if args.resolutions != [32, 64] else ''}`. "
        f"Measured {date.today().isoformat()}, load average {load:.2f} at the end (the machine is shared, so "
        f"other work may slow a run).",
        "",
        f"| resolution (stable phase, batch {BATCH}) | PlaceTrainer img/s | plain fp32 WGAN-GP loop img/s | ratio |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Each figure: real images consumed per second over {args.seconds:g} s after {WARMUP_STEPS} warm-up "
        "steps (one critic and one generator step per batch). At 32x32 the networks are the CPU demo "
        "model's (fmap_base 1024, fmap_max 128), at 64x64 the defaults. Target on a GPU: ours at least "
        "1.5x the baseline.",
    ])
    publish(SECTION, text, write=not args.no_write)


if __name__ == "__main__":
    main()
