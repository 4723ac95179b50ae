"""How the learned upsampler measures against bicubic enlargement, on what a visitor is shown.

- `enlargement`: on held-out GeoScenes scenes rendered at the small and the large side, the
  PSNR (dB, 8-bit, per picture then averaged) of the upsampler's and of bicubic's enlargement
  of the small render against the large render; their FID and precision/recall in oracle
  features against the large renders; and their edge strength beside the large renders'
  (`ml.eval.fidelity.edge_strength`: a ratio near 1 is the target, grain shows above, blur below).
- `generated`: on a generator's pictures of the held-out places, the oracle's conditional
  accuracy on the native pictures and on their enlargements read back at the oracle's side
  (an enlargement must not lose what the generator painted), and the edge strength of both
  enlargements against the large renders of the same places.

Bicubic is PIL's, as a page that enlarges a small picture shows it.

`comparison_grid` is for the eye: held-out scenes enlarged both ways beside their large renders,
and a generator's pictures of those places enlarged both ways and by whole pixels.
"""
from __future__ import annotations

import torch
from PIL import Image

from ml.eval.fidelity import edge_strength, precision_recall
from ml.eval.metrics import PLACE_ATTRIBUTES, fid_figures, generate_for, oracle_features, to_pictures, to_tensor
from ml.eval.oracle import Oracle
from ml.train.image_cache import ImageCache


def bicubic(images: torch.Tensor, scale: int) -> torch.Tensor:
    """uint8 pictures enlarged `scale` times by PIL's bicubic filter."""
    side = images.shape[-1] * scale
    return to_tensor([picture.resize((side, side), Image.Resampling.BICUBIC) for picture in to_pictures(images)])


def learned(pipeline, images: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """uint8 pictures enlarged by the upsampler's pipeline."""
    pictures = to_pictures(images)
    return to_tensor([out for start in range(0, len(pictures), batch)
                      for out in pipeline.upsample(pictures[start:start + batch])])


def psnr(images: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean over pictures of 10 log10(255^2 / MSE), uint8 against uint8."""
    mse = (images.double() - reference.double()).square().flatten(1).mean(dim=1).clamp(min=1e-10)
    return round(float((10 * torch.log10(255.0 ** 2 / mse)).mean()), 3)


def enlargement(pipeline, oracle: Oracle, low: ImageCache, high: ImageCache) -> dict:
    """The upsampler against bicubic on rendered pairs (see the module's docstring)."""
    real = oracle_features(oracle, high.images)
    figures = {}
    for name, enlarged in (("upsampler", learned(pipeline, low.images)),
                           ("bicubic", bicubic(low.images, pipeline.scale))):
        features = oracle_features(oracle, enlarged)
        figures[name] = {"psnr": psnr(enlarged, high.images), **fid_figures(real.features, features.features),
                         **precision_recall(real.features, features.features),
                         "edge_strength": edge_strength(high.images, enlarged)}
    return {"images": len(low), "side": int(high.images.shape[-1]), **figures}


def generated(pipeline, oracle: Oracle, generator, low: ImageCache, high: ImageCache) -> dict:
    """A generator's pictures of the held-out places, native and enlarged (see the docstring)."""
    native = generate_for(generator, low, progress=False)
    versions = {"native": native, "upsampler": learned(pipeline, native),
                "bicubic": bicubic(native, pipeline.scale)}
    result = {"generator_sha256": generator.sha256, "native_side": int(native.shape[-1])}
    for name, pictures in versions.items():
        predictions = oracle_features(oracle, pictures).predictions
        accuracy = {}
        for attribute in PLACE_ATTRIBUTES:
            labels = low.labels[attribute].numpy()
            known = labels >= 0
            accuracy[attribute] = round(float((predictions[attribute][known] == labels[known]).mean()), 4)
        result[name] = {"conditional_accuracy": accuracy}
        if name != "native" and pictures.shape[-1] == high.images.shape[-1]:
            result[name]["edge_strength"] = edge_strength(high.images, pictures)
    result["accuracy_drop"] = {attribute: round(result["native"]["conditional_accuracy"][attribute]
                                                - result["upsampler"]["conditional_accuracy"][attribute], 4)
                               for attribute in PLACE_ATTRIBUTES}
    return result


GRID_GAP = 4


def comparison_grid(pipeline, low: ImageCache, high: ImageCache, generator=None, rows: int = 6) -> Image.Image:
    """One row per held-out scene (evenly spaced): bicubic's and the upsampler's enlargement of the
    small render, the large render; with `generator`, its picture of that place (seed = the
    scene's index) by bicubic, by the upsampler and by whole pixels. Each picture is shown at the
    large side (by whole pixels when an enlargement is of another size)."""
    picks = torch.linspace(0, len(low) - 1, min(rows, len(low))).round().long()
    small = low.images[picks]
    columns = [bicubic(small, pipeline.scale), learned(pipeline, small), high.images[picks]]
    if generator is not None:
        places = [{"lat": float(low.lat[i]), "lon": float(low.lon[i])} for i in picks]
        native = to_tensor(generator.generate(places, [int(i) for i in picks]))
        columns += [bicubic(native, pipeline.scale), learned(pipeline, native), native]
    side = high.images.shape[-1]
    step = side + GRID_GAP
    grid = Image.new("RGB", (len(columns) * step - GRID_GAP, len(picks) * step - GRID_GAP), "white")
    for column, pictures in enumerate(columns):
        for row, picture in enumerate(to_pictures(pictures)):
            grid.paste(picture.resize((side, side), Image.Resampling.NEAREST), (column * step, row * step))
    return grid
