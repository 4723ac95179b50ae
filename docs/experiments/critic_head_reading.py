"""How a place checkpoint's critic reads the biome: its class head on the held-out photos at the
checkpoint's resolution and on G_ema's pictures of the same places (one seed each), per biome of
20 places or more. Eval mode (no context noise, no augmentation), one thread.

    HF_HUB_OFFLINE=1 .venv/bin/python docs/experiments/critic_head_reading.py \
        runs/place64-h/00000-*/checkpoint-001920.000 data/geoscenes-3000x4-64

docs/RESULTS.md, "What the critic's head reads".
"""
import sys
from pathlib import Path

import torch

from ml.models.place import PlaceConfig, PlaceDiscriminator, PlaceGenerator, place_context
from ml.train import run_dir
from ml.train.image_cache import ImageCache, load_image_cache

torch.set_num_threads(1)
checkpoint, data_folder = Path(sys.argv[1]), Path(sys.argv[2])
config = PlaceConfig.from_dict(run_dir.read_checkpoint_state(checkpoint)["architecture"])
G, D = PlaceGenerator(config).eval(), PlaceDiscriminator(config).eval()
run_dir.load_network(checkpoint, "G_ema", G)
run_dir.load_network(checkpoint, "D", D)
data = load_image_cache(data_folder, resolution=config.resolution, split="heldout", progress=False)
names, labels = data.classes["biome"], data.labels["biome"]
torch.manual_seed(0)
on_reals, on_fakes = [], []
with torch.no_grad():
    for start in range(0, len(data), 64):
        rows = slice(start, min(len(data), start + 64))
        contexts = place_context(data.lat[rows], data.lon[rows], config)
        reals = ImageCache.to_float(data.images[rows])
        fakes = G(torch.randn(reals.shape[0], config.latent_dim), contexts)
        for images, out in ((reals, on_reals), (fakes, on_fakes)):
            out.append(D(images, contexts, with_classes=True, context_noise=False)[1]["biome"].argmax(1))
on_reals, on_fakes = torch.cat(on_reals), torch.cat(on_fakes)
for index, name in enumerate(names):
    rows = labels == index
    if rows.sum() < 20:
        continue
    misread = torch.bincount(on_fakes[rows], minlength=len(names))
    misread[index] = 0
    print(f"{name:14s} {int(rows.sum()):4d} places  head on the photos {(on_reals[rows] == index).float().mean():.2f}"
          f"  on the generator's {(on_fakes[rows] == index).float().mean():.2f}"
          f"  (misread most as {names[int(misread.argmax())]})")
known = labels >= 0
photos, generated = ((read == labels)[known].float().mean() for read in (on_reals, on_fakes))
print(f"all            {int(known.sum()):4d} places  head on the photos {photos:.3f}  "
      f"on the generator's {generated:.3f}")
