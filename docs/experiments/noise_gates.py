"""Where a place model's noise goes: its noise inputs' mean strengths, and over the pictures of 512
held-out places (one seed each) the variance of the Laplacian (`edge_strength`'s) against the photos'
and, per class of weather and time of day as the teacher reads the pictures (the photos' too), their
share, their Laplacian variance over the whole picture, its top quarter (the sky) and its bottom four
rows (the border) and, with `--noise-gates`, the noise's mean amplitude (gate times strength).

    HF_HUB_OFFLINE=1 .venv/bin/python docs/experiments/noise_gates.py data/geoscenes-3000x4-64 MODEL...

docs/RESULTS.md, "Noise gates, and the noise the generator keeps".
"""
import sys

import torch
import torch.nn.functional as F

from ml.eval.fidelity import laplacian, laplacian_variances, luminance
from ml.eval.metrics import generate_for
from ml.eval.oracle import load_oracle
from ml.models.place import NOISE_STRENGTH_RATE
from ml.pipelines import load as load_pipeline
from ml.train.image_cache import ImageCache, load_image_cache

torch.set_num_threads(1)
teacher, _ = load_oracle("models/oracles/geoscenes-64-at32")
photos = load_image_cache(sys.argv[1], resolution=64, split="heldout", max_images=512, progress=False)
photo_variance = laplacian_variances(luminance(photos.images.float()).round()).mean().item()


def probe(noise, k: int, amplitudes: list):
    """A forward hook on the k-th convolution of a gated noise stage: appends each picture's mean gate
    times the mean strength."""
    def hook(module, inputs, output):
        weight = noise.gate_weight[k, None, :, None, None] * NOISE_STRENGTH_RATE
        gate = 2 * torch.sigmoid(F.conv2d(output.float(), weight, noise.gate_bias[k:k + 1] * NOISE_STRENGTH_RATE))
        amplitudes.append(gate.mean(dim=(1, 2, 3)) * noise.strength[k].abs().mean() * NOISE_STRENGTH_RATE)
    return hook


def by_class(pictures: torch.Tensor, amplitude: torch.Tensor | None = None):
    """Per class of weather and time of day as the teacher reads `pictures`: share, Laplacian variance of
    the whole picture, of its top quarter and of its bottom four rows, and the noise's amplitude if given."""
    lap = laplacian(luminance(pictures.float()).round())
    regions = {"whole": lap, "sky": lap[..., :lap.shape[-2] // 4, :], "border": lap[..., -4:, :]}
    variances = {region: values.flatten(1).var(dim=1) for region, values in regions.items()}
    with torch.no_grad():
        _, logits = teacher(ImageCache.to_float(pictures))
    for attribute in ("weather", "time_of_day"):
        read = logits[attribute].argmax(1)
        for index, name in enumerate(teacher.config.classes[attribute]):
            shown = read == index
            if shown.any():
                noise = f", noise amplitude {amplitude[shown].mean():.4f}" if amplitude is not None else ""
                laplacians = " / ".join(f"{values[shown].mean():.0f}" for values in variances.values())
                print(f"  {attribute} {name}: share {shown.float().mean():.3f}, "
                      f"Laplacian variance whole / sky / border {laplacians}{noise}")


print("photos")
by_class(photos.images)
for model in sys.argv[2:]:
    pipeline = load_pipeline(model)
    generator, amplitudes = pipeline.generator, []
    convolutions = [(noise, k, conv) for stage, noise in generator.noise.items() if noise.gate_weight is not None
                    for k, conv in enumerate((generator.blocks[int(stage) - 1].conv_up,
                                              generator.blocks[int(stage) - 1].conv))]
    hooks = [conv.register_forward_hook(probe(noise, k, amplitudes)) for noise, k, conv in convolutions]
    pictures = generate_for(pipeline, photos, progress=False)
    for hook in hooks:
        hook.remove()
    print(model)
    for stage, noise in generator.noise.items():
        print(f"  stage {stage}: mean strength of each map",
              " ".join(f"{value:.3f}" for value in (noise.strength.abs().mean(dim=1) * NOISE_STRENGTH_RATE).tolist()))
    variances = laplacian_variances(luminance(pictures.float()).round())
    print(f"  variance of the Laplacian: {variances.mean().item() / photo_variance:.3f} of the photos'")
    # Batches are padded to a multiple, so each convolution's rows are cut to the pictures painted.
    amplitude = (torch.stack([torch.cat(amplitudes[j::len(hooks)])[:len(pictures)] for j in range(len(hooks))]).mean(0)
                 if hooks else None)
    by_class(pictures, amplitude)
