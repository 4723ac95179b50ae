"""A model's pictures against the photos of the same places, scale by scale: the ratio of the
batch power spectrum of the luminance (`ml.train.losses.SpectrumLoss.spectrum`, whole radii of
cycles per picture) of 512 pictures to that of the 512 last photos of a 64 px dataset, printed
for every third ring, and the spectrum term's value at weight 1 (one seed per place, one thread).

    HF_HUB_OFFLINE=1 .venv/bin/python docs/experiments/spectrum_by_ring.py data/geoscenes-3000x4-64 MODEL...

docs/RESULTS.md, "Matching the photos' spectrum".
"""
import json
import sys
from pathlib import Path

import torch
from PIL import Image

from ml.eval.metrics import to_tensor
from ml.pipelines import load as load_pipeline
from ml.train.losses import SpectrumLoss

torch.set_num_threads(1)
data = Path(sys.argv[1])
rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()][-512:]
photos = SpectrumLoss.spectrum(to_tensor([Image.open(data / row["image"]) for row in rows]))
for model in sys.argv[2:]:
    pictures = load_pipeline(model).generate([{"lat": r["lat"], "lon": r["lon"]} for r in rows], list(range(len(rows))))
    ratio = SpectrumLoss.spectrum(to_tensor(pictures)) / photos
    print(f"{model}: term {ratio.log().square().mean().item():.3f}; rings 1, 4, ... 43:",
          " ".join(f"{value:.2f}" for value in ratio[::3].tolist()))
