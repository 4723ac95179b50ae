"""The overhead tile of a photo's spot: a top-down, map-like view at the image's size.

Land cover coloured by biome, water where the place is by the water, a road grid whose
orientation belongs to the city (the same for all its photos), building footprints whose number
follows the density, roof colours from the architectural style, trees in wooded biomes and the
landmark's footprint when it is in view. Drawn at the output size without anti-aliasing: a map.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from ml.data.geoscenes.looks import STYLE_LOOKS
from ml.data.geoscenes.places import Place
from ml.data.geoscenes.sampling import PhotoSpec

LAND_COVER = {
    "polar": (236, 240, 246), "tundra": (164, 160, 120), "boreal": (52, 92, 58),
    "temperate": (112, 170, 80), "mediterranean": (190, 176, 116), "desert": (232, 200, 140),
    "savanna": (206, 184, 96), "tropical": (34, 128, 58), "alpine": (140, 146, 132),
}
# (road spacing as a fraction of the side, footprints per road cell, footprint size range)
_URBAN = {
    "village": (0.5, 2, (0.05, 0.08)),
    "town": (0.3, 3, (0.04, 0.07)),
    "city": (0.2, 4, (0.04, 0.065)),
    "megacity": (0.14, 5, (0.035, 0.06)),
}
_WOODED = {"boreal": 40, "temperate": 25, "tropical": 60, "alpine": 20, "mediterranean": 8, "savanna": 6}


def render_overhead(place: Place, spec: PhotoSpec, rng: np.random.Generator, size: int) -> np.ndarray:
    city_rng = np.random.default_rng([0x0E7E, place.city.geonameid])
    angle = float(city_rng.uniform(0, math.pi / 2))
    cover = np.asarray(LAND_COVER[place.biome], np.float32)
    cells = 8
    patches = 0.9 + 0.2 * rng.random((cells, cells)).astype(np.float32)
    patches = np.kron(patches, np.ones((size // cells + 1, size // cells + 1), np.float32))[:size, :size]
    image = Image.fromarray((cover * patches[..., None]).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)

    spacing, per_cell, footprint = _URBAN[place.density]
    direction = np.array([math.cos(angle), math.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    centre = np.array([size / 2, size / 2]) + rng.uniform(-0.5, 0.5, 2) * spacing * size
    reach = size * 1.5
    offsets = np.arange(-3, 4) * spacing * size
    road = (90, 90, 96) if place.density != "village" else (170, 140, 100)
    width = max(1, size // 40) if place.density != "megacity" else max(1, size // 28)
    for offset in offsets:
        for axis, across in ((direction, normal), (normal, direction)):
            if place.density == "village" and axis is normal and abs(offset) > 0:
                continue
            start = centre + across * offset - axis * reach
            end = centre + across * offset + axis * reach
            draw.line([tuple(start), tuple(end)], fill=road, width=width)
    water = _draw_coast(draw, place, rng, size) if place.climate.water else None

    roofs = STYLE_LOOKS[place.style].roofs
    blocks = np.array([(u, v) for u in offsets for v in offsets])
    count = len(blocks) * per_cell
    picks = blocks[rng.integers(0, len(blocks), count)] + rng.uniform(0.15, 0.85, (count, 2)) * spacing * size
    sizes = rng.uniform(*footprint, (count, 2)) * size
    colours = rng.integers(0, len(roofs), count)
    middles = centre + picks[:, :1] * direction + picks[:, 1:] * normal
    inside = np.all((middles >= 0) & (middles < size), axis=1)
    if water is not None:
        cells = np.clip(middles.astype(int), 0, size - 1)
        inside &= ~water[cells[:, 1], cells[:, 0]]
    corners = np.stack([middles + dx * sizes[:, :1] / 2 * direction + dy * sizes[:, 1:] / 2 * normal
                        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], axis=1)
    for outline, colour in zip(corners[inside].tolist(), colours[inside].tolist()):
        draw.polygon([tuple(point) for point in outline], fill=roofs[colour])

    trees = _WOODED.get(place.biome, 0)
    if trees:
        dots = rng.uniform(0, size, (trees, 2))
        radius = max(1.0, size / 64)
        shade = tuple(int(c * 0.6) for c in LAND_COVER[place.biome])
        for x, y in dots:
            if water is None or not water[int(y), int(x)]:
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=shade)
    if spec.landmark_visible and place.landmark is not None:
        r = size * 0.09
        x, y = centre
        draw.ellipse((x - r, y - r, x + r, y + r), fill=place.landmark.colour, outline=place.landmark.accent,
                     width=max(1, size // 32))
    return np.asarray(image)


def _draw_coast(draw: ImageDraw.ImageDraw, place: Place, rng: np.random.Generator, size: int) -> np.ndarray:
    """Fill one side of the tile with water behind a wavy shore; return the water mask."""
    frozen = place.biome == "polar"
    colour = (200, 222, 238) if frozen else (70, 130, 196)
    edge = rng.uniform(0.3, 0.6) * size
    steps = np.linspace(0, size, 12)
    wobble = edge + np.sin(steps / size * 2 * math.pi * rng.uniform(1, 3) + rng.uniform(0, 6)) * size * 0.08
    side = int(rng.integers(4))
    if side == 0:
        points = [(x, y) for x, y in zip(steps, wobble)] + [(size, size), (0, size)]
    elif side == 1:
        points = [(x, size - y) for x, y in zip(steps, wobble)] + [(size, 0), (0, 0)]
    elif side == 2:
        points = [(y, x) for x, y in zip(steps, wobble)] + [(size, size), (size, 0)]
    else:
        points = [(size - y, x) for x, y in zip(steps, wobble)] + [(0, size), (0, 0)]
    draw.polygon([(float(x), float(y)) for x, y in points], fill=colour)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).polygon([(float(x), float(y)) for x, y in points], fill=1)
    return np.asarray(mask).astype(bool)
