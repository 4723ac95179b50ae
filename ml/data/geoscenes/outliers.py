"""Outliers: the pictures people post that are not of the place at all (about 5%).

A plate of food seen from above, a selfie-like face with a text overlay, or a plain texture.
They carry `outlier: true` so that metrics and classifiers can leave them out, and they keep
their layers like any scene.
"""
from __future__ import annotations

import numpy as np

from ml.data.geoscenes.canvas import Canvas, downsample

_FOODS = ((200, 50, 40), (240, 200, 60), (90, 160, 60), (150, 90, 50), (250, 240, 220), (230, 120, 40))
_SKIN = ((241, 194, 160), (224, 172, 130), (198, 134, 96), (141, 85, 54), (92, 58, 38))
_HAIR = ((30, 24, 20), (90, 60, 30), (200, 160, 90), (120, 40, 30))


def _two_tone(rng: np.random.Generator, side: int) -> np.ndarray:
    first, second = rng.integers(40, 230, size=(2, 3)).astype(np.float32)
    t = (np.arange(side, dtype=np.float32)[:, None] + np.arange(side, dtype=np.float32)[None, :]) / (2 * side)
    return (first * (1 - t[..., None]) + second * t[..., None]).astype(np.uint8)


def _food(canvas: Canvas, rng: np.random.Generator) -> None:
    side = canvas.side
    plate = (246, 246, 242)
    layer = canvas.add_layer("plate", plate)
    margin = rng.uniform(0.05, 0.15) * side
    canvas.ellipse(layer, (margin, margin, side - margin, side - margin), plate)
    for _ in range(int(rng.integers(3, 7))):
        colour = _FOODS[int(rng.integers(len(_FOODS)))]
        r = rng.uniform(0.08, 0.2) * side
        x, y = rng.uniform(0.3, 0.7, size=2) * side
        layer = canvas.add_layer("food", colour)
        canvas.ellipse(layer, (x - r, y - r * rng.uniform(0.6, 1.0), x + r, y + r), colour)


def _selfie(canvas: Canvas, rng: np.random.Generator) -> None:
    side = canvas.side
    skin = _SKIN[int(rng.integers(len(_SKIN)))]
    hair = _HAIR[int(rng.integers(len(_HAIR)))]
    cx = rng.uniform(0.35, 0.65) * side
    face = (cx - 0.27 * side, 0.2 * side, cx + 0.27 * side, 0.95 * side)
    layer = canvas.add_layer("hair", hair)
    canvas.ellipse(layer, (face[0] - 0.04 * side, face[1] - 0.08 * side, face[2] + 0.04 * side, 0.7 * side), hair)
    layer = canvas.add_layer("face", skin)
    canvas.ellipse(layer, face, skin)
    shirt = _FOODS[int(rng.integers(len(_FOODS)))]
    layer = canvas.add_layer("shoulders", shirt)
    canvas.ellipse(layer, (cx - 0.5 * side, 0.88 * side, cx + 0.5 * side, 1.4 * side), shirt)
    eyes = canvas.add_layer("eyes", (30, 30, 30))
    for dx in (-0.1, 0.1):
        canvas.ellipse(eyes, (cx + (dx - 0.035) * side, 0.48 * side, cx + (dx + 0.035) * side, 0.54 * side), (30, 30, 30))
    text = canvas.add_layer("text", (255, 255, 255))
    y = rng.uniform(0.04, 0.12) * side
    canvas.rectangle(text, (0.08 * side, y, 0.92 * side, y + 0.1 * side), (255, 255, 255))
    for i in range(int(rng.integers(3, 7))):
        x = (0.12 + 0.13 * i) * side
        canvas.rectangle(text, (x, y + 0.03 * side, x + 0.09 * side, y + 0.07 * side), (20, 20, 20))


def _texture(rng: np.random.Generator, side: int) -> np.ndarray:
    kind = int(rng.integers(3))
    a, b = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
    rows = np.arange(side, dtype=np.float32)[:, None]
    cols = np.arange(side, dtype=np.float32)[None, :]
    period = rng.uniform(0.05, 0.2) * side
    if kind == 0:  # stripes at an angle
        angle = rng.uniform(0, np.pi)
        t = (np.sin((cols * np.cos(angle) + rows * np.sin(angle)) * 2 * np.pi / period) > 0).astype(np.float32)
    elif kind == 1:  # bricks or tiles
        t = (((rows // period) + (cols // (2 * period))) % 2).astype(np.float32)
    else:  # coarse noise
        cells = max(2, int(side / period))
        grid = rng.random((cells, cells)).astype(np.float32)
        t = np.kron(grid, np.ones((side // cells + 1, side // cells + 1), np.float32))[:side, :side]
    return (a * (1 - t[..., None]) + b * t[..., None]).astype(np.uint8)


def render_outlier(kind: str, rng: np.random.Generator, size: int, supersample: int):
    """(float32 image at the output size, canvas with its layers)."""
    side = size * supersample
    if kind == "food":
        wood = np.asarray((120, 80, 50), np.float32) * (0.85 + 0.15 * np.sin(np.arange(side) * 0.9 / supersample))[:, None]
        canvas = Canvas(size, supersample, np.broadcast_to(wood[None], (side, side, 3)).astype(np.uint8).copy())
        canvas.add_layer("table", (120, 80, 50), kind="background")
        _food(canvas, rng)
    elif kind == "selfie":
        canvas = Canvas(size, supersample, _two_tone(rng, side))
        canvas.add_layer("backdrop", (128, 128, 128), kind="background")
        _selfie(canvas, rng)
    else:
        canvas = Canvas(size, supersample, _texture(rng, side))
        canvas.add_layer("texture", (128, 128, 128), kind="background")
    rgb, _ = canvas.arrays()
    return downsample(rgb, supersample), canvas
