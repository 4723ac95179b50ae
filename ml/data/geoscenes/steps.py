"""The compose outputs of a sample: its background and its foreground added one object at a time.

The `compose` generator paints a background, then adds one object after another, each step
leaving the rest of the canvas untouched. Its data comes from the same drawing as the photo:
the canvas's recorded strokes are drawn again on a blank canvas, first those of the background
layers, then those of each foreground object in drawing order (every background layer is drawn
before the first foreground one), and each state is developed like the photo itself, with the
random generator as it was before the photo's development and the complete scene's labels
deciding which windows are lit. So

- the background is the photo without its foreground objects, everything else in place;
- steps are photos (lit, weathered, filtered), so that the last one is the sample's photo
  itself: the effects are functions of each pixel (see `effects.develop`), so developing after
  each object changes only the pixels that object covers, and the compose generator learns to
  paint the same pictures the other generators are measured on;
- an object's coverage is its amodal mask: the share of each output pixel its strokes cover
  when it is drawn, before later objects hide any of it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from ml.data.geoscenes import effects
from ml.data.geoscenes.canvas import downsample
from ml.data.geoscenes.places import Place
from ml.data.geoscenes.sampling import PhotoSpec
from ml.data.geoscenes.scene import Scene

# Categories drawn as distinct objects in front of the scenery; the rest (sky, ground, sun,
# moon, cloud, mountain, forest, water, road) is background.
FOREGROUND = ("boat", "building", "landmark", "tree", "lamppost", "person", "branch")
OUTPUTS = ("none", "background", "steps")  # what `render_sample(compose=...)` adds


@dataclass
class Step:
    category: str
    layer: int  # the object's index in the sample's layers
    colour: list[int]  # its fill before light and weather
    box: list[float]  # x0, y0, x1, y1 of its coverage, as fractions of the canvas side
    after: np.ndarray  # uint8 SxSx3: the photo once the object is added
    coverage: np.ndarray  # uint8 SxS: 255 x the share of each pixel the object covers


@dataclass
class Composition:
    background: np.ndarray  # uint8 SxSx3
    steps: list[Step]  # empty unless asked for


def compose(scene: Scene, place: Place, spec: PhotoSpec, rng: np.random.Generator,
            with_steps: bool) -> Composition:
    """The background (and steps) of `scene`; `rng` is the generator as `develop` got it."""
    canvas = scene.canvas
    shown = np.asarray(canvas.labels)
    foreground = [index for index, layer in enumerate(canvas.layers) if layer["category"] in FOREGROUND]
    partial = canvas.blank()
    partial.redraw(canvas, set(range(len(canvas.layers))) - set(foreground))

    def photo() -> np.ndarray:
        image = effects.develop(replace(scene, canvas=partial), place, spec, copy.deepcopy(rng), shown)
        return effects.finish(image, spec)

    background = photo()
    steps = []
    for layer in foreground if with_steps else ():
        partial.redraw(canvas, {layer})
        covered = np.asarray(partial.labels) == layer
        if covered.any():
            steps.append(Step(category=canvas.layers[layer]["category"], layer=layer,
                              colour=canvas.layers[layer]["colour"], box=box_of(covered),
                              after=photo(), coverage=coverage_of(covered, canvas.supersample)))
    return Composition(background=background, steps=steps)


def box_of(mask: np.ndarray) -> list[float]:
    """The bounding box of a non-empty working-size mask as fractions of its side."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    side = mask.shape[0]
    return [round(float(v) / side, 6) for v in (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)]


def coverage_of(mask: np.ndarray, supersample: int) -> np.ndarray:
    """255 x the share of each output pixel's working pixels inside `mask`, rounded."""
    return effects.to_uint8(downsample(mask.astype(np.float32), supersample) * 255)
