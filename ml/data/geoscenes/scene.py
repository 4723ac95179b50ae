"""The layers of a street-level photo: sky, ground, mountains, water, buildings, landmark,
trees and occluders, drawn back to front on a `Canvas`.

Coordinates are in working pixels (`canvas.side`); sizes are fractions of the side so the same
scene comes out alike at 32, 64, 128 or 256 pixels. Windows and textures are painted with numpy
afterwards, restricted to their layer's pixels, so occluded parts stay occluded.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ml.data.geoscenes.canvas import Canvas
from ml.data.geoscenes.looks import (BIOME_LOOKS, DENSITY_LOOKS, SKY, STYLE_LOOKS, WATER,
                                     BiomeLook, StyleLook)
from ml.data.geoscenes.places import Landmark, Place
from ml.data.geoscenes.sampling import PhotoSpec
from ml.data.geoscenes import shapes

SKY_LAYER, GROUND_LAYER = 0, 1


@dataclass
class Scene:
    """A drawn scene, before lighting and weather."""
    canvas: Canvas
    horizon: int  # working pixels
    windows: list[tuple[int, tuple[int, int, int, int], StyleLook, float]] = field(default_factory=list)
    water_layer: int | None = None
    unlit: set[int] = field(default_factory=set)  # layers that give light rather than take it
    lamps: list[tuple[float, float]] = field(default_factory=list)  # glowing points at night


def sky_key(spec: PhotoSpec) -> tuple[str, str]:
    weather = {"clear": "clear", "fog": "fog"}.get(spec.weather, "overcast")
    return spec.time_of_day, weather


def _gradient(top, bottom, rows: int, side: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, max(rows, 1), dtype=np.float32)[:, None]
    column = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.broadcast_to(column[:rows, None, :], (rows, side, 3))


def ground_colours(place: Place, spec: PhotoSpec) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    look = BIOME_LOOKS[place.biome]
    if spec.weather == "snow":
        return (226, 232, 240), (242, 246, 250)
    return look.ground_far, look.ground_near


def background(place: Place, spec: PhotoSpec, side: int) -> tuple[np.ndarray, int]:
    horizon = int(round(spec.horizon * side))
    top, bottom = SKY[sky_key(spec)]
    far, near = ground_colours(place, spec)
    image = np.empty((side, side, 3), np.float32)
    image[:horizon] = _gradient(top, bottom, horizon, side)
    image[horizon:] = _gradient(far, near, side - horizon, side)
    return image.astype(np.uint8), horizon


def _blank_scene(place: Place, spec: PhotoSpec, size: int, supersample: int) -> Scene:
    """The sky and the ground, nothing on them yet."""
    side = size * supersample
    pixels, horizon = background(place, spec, side)
    labels = np.full((side, side), SKY_LAYER, np.uint8)
    labels[horizon:] = GROUND_LAYER
    canvas = Canvas(size, supersample, pixels, labels)
    sky_top, sky_bottom = SKY[sky_key(spec)]
    canvas.add_layer("sky", sky_bottom, kind="background", gradient=[list(sky_top), list(sky_bottom)])
    far, near = ground_colours(place, spec)
    canvas.add_layer("ground", near, kind="background", gradient=[list(far), list(near)])
    return Scene(canvas=canvas, horizon=horizon, unlit={SKY_LAYER})


def draw_scene(place: Place, spec: PhotoSpec, rng: np.random.Generator, size: int,
               supersample: int, layout_of: tuple[Place, PhotoSpec] | None = None) -> Scene:
    """The scene of `spec` in `place`. With `layout_of` (a photo's place and spec, which differ
    from these in weather, time of day or biome only), it is drawn as a variant of that photo:
    the same mountain ridge, water, road, buildings and landmark in the same places, drawn from
    the photo's numbers, while the sky objects (sun, moon, clouds) and the biome's own objects
    (forest belt, trees, the leaves of an occluding branch) come from copies of `rng`; `rng`
    moves on past the photo's own draws of them, so every later object uses the photo's numbers."""
    scene = _blank_scene(place, spec, size, supersample)
    side, horizon = scene.canvas.side, scene.horizon
    look = BIOME_LOOKS[place.biome]
    photo_place, photo_spec = layout_of or (place, spec)
    photo_look = BIOME_LOOKS[photo_place.biome]
    scratch = None if layout_of is None else _blank_scene(photo_place, photo_spec, size, supersample)

    def drawn(draw, photo_draw) -> None:
        """`draw(scene, rng)`; for a variant from a copy of `rng`, which then moves on by
        `photo_draw`, the photo's own drawing (on a scene thrown away)."""
        if scratch is None:
            draw(scene, rng)
        else:
            draw(scene, copy.deepcopy(rng))
            photo_draw(scratch, rng)

    drawn(lambda s, r: _paint_sky_objects(s, _sky_objects(spec, r, side, horizon)),
          lambda s, r: _sky_objects(photo_spec, r, side, horizon))
    if rng.random() < photo_look.mountains:  # the ridge is the photo's; its colours the biome's
        _draw_mountains(scene, look, rng, spec, tall=photo_look.snowcaps)
    drawn(lambda s, r: _draw_forest_belt(s, look, place, r),
          lambda s, r: _draw_forest_belt(s, photo_look, photo_place, r))
    if place.climate.water:
        _draw_water(scene, place, spec, rng)
    elif place.density != "village" or rng.random() < 0.5:
        _draw_road(scene, place, rng)
    _draw_buildings(scene, place, spec, rng)
    if spec.landmark_visible and place.landmark is not None:
        _draw_landmark(scene, place.landmark, spec)
    drawn(lambda s, r: _draw_trees(s, look, spec, r), lambda s, r: _draw_trees(s, photo_look, photo_spec, r))
    if spec.occluder != "none":
        drawn(lambda s, r: shapes.draw_occluder(s, spec.occluder, look, r),
              lambda s, r: shapes.draw_occluder(s, spec.occluder, photo_look, r))
    return scene


def _sky_objects(spec: PhotoSpec, rng: np.random.Generator, side: int,
                 horizon: int) -> list[tuple[str, tuple, list[tuple[float, float, float, float]]]]:
    """(category, colour, ellipse boxes) of the sun or moon and the clouds, drawn from `rng`."""
    objects = []
    if spec.weather == "clear":
        if spec.time_of_day == "night":
            radius, colour, category = 0.045 * side, (240, 240, 220), "moon"
            y = rng.uniform(0.08, 0.3) * horizon
        elif spec.time_of_day == "golden_hour":
            radius, colour, category = 0.09 * side, (255, 196, 96), "sun"
            y = horizon - rng.uniform(0.05, 0.25) * horizon
        else:
            radius, colour, category = 0.055 * side, (255, 250, 220), "sun"
            y = rng.uniform(0.08, 0.35) * horizon
        x = rng.uniform(0.1, 0.9) * side
        objects.append((category, colour, [(x - radius, y - radius, x + radius, y + radius)]))
    clouds = {"clear": int(rng.integers(0, 3)), "cloudy": 6, "rain": 8, "snow": 5, "fog": 0}[spec.weather]
    grey = 250 if spec.weather in ("clear", "snow") else (170 if spec.weather == "rain" else 215)
    for _ in range(clouds):
        width = rng.uniform(0.2, 0.45) * side
        height = width * rng.uniform(0.22, 0.4)
        x, y = rng.uniform(-0.1, 1.0) * side, rng.uniform(0.0, 0.75) * horizon
        shade = int(grey - rng.integers(0, 25))
        objects.append(("cloud", (shade, shade, min(255, shade + 6)),
                        [(x, y, x + width, y + height),
                         (x + width * 0.25, y - height * 0.4, x + width * 0.75, y + height * 0.6)]))
    return objects


def _paint_sky_objects(scene: Scene, objects) -> None:
    """One layer per sky object; the sun and moon give light rather than take it."""
    for category, colour, boxes in objects:
        layer = scene.canvas.add_layer(category, colour)
        if category != "cloud":
            scene.unlit.add(layer)
        for box in boxes:
            scene.canvas.ellipse(layer, box, colour)


def _draw_mountains(scene: Scene, look: BiomeLook, rng: np.random.Generator, spec: PhotoSpec,
                    tall: bool) -> None:
    """A ridge behind the city: `tall` ones (as in biomes with snowcaps) reach higher."""
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    peak = rng.uniform(0.18, 0.32 if tall else 0.2) * side
    xs = np.linspace(-0.05, 1.05, 14) * side
    phases = rng.uniform(0, 2 * np.pi, 3)
    wave = sum(np.sin(xs / side * f + p) for f, p in zip((3.1, 7.3, 13.7), phases)) / 3
    ys = horizon - peak * (0.55 + 0.45 * wave)
    ridge = list(zip(xs.tolist(), ys.tolist()))
    layer = canvas.add_layer("mountain", look.mountain)
    snowy = look.snowcaps or spec.weather == "snow"
    if snowy:
        canvas.polygon(layer, ridge + [(xs[-1], horizon), (xs[0], horizon)], (236, 240, 248))
        lowered = [(x, y + peak * 0.28) for x, y in ridge]
        canvas.polygon(layer, lowered + [(xs[-1], horizon), (xs[0], horizon)], look.mountain)
    else:
        canvas.polygon(layer, ridge + [(xs[-1], horizon), (xs[0], horizon)], look.mountain)


def _draw_forest_belt(scene: Scene, look: BiomeLook, place: Place, rng: np.random.Generator) -> None:
    """A band of woods along the horizon, where the biome has one and the place is small."""
    if not (look.forest_belt and place.density in ("village", "town")):
        return
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    layer = canvas.add_layer("forest", look.foliage)
    step = 0.045 * side
    for x in np.arange(-step, side + step, step):
        height = rng.uniform(0.03, 0.07) * side
        if look.tree == "conifer":
            canvas.polygon(layer, [(x - step * 0.7, horizon + 1), (x, horizon - height),
                                   (x + step * 0.7, horizon + 1)], look.foliage)
        else:
            canvas.ellipse(layer, (x - step * 0.8, horizon - height, x + step * 0.8, horizon + height * 0.4),
                           look.foliage)


def water_frozen(place: Place, spec: PhotoSpec) -> bool:
    """Ice instead of water: always in polar places, in the tundra when it snows."""
    return place.biome == "polar" or (place.biome == "tundra" and spec.weather == "snow")


def _draw_water(scene: Scene, place: Place, spec: PhotoSpec, rng: np.random.Generator) -> None:
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    frozen = water_frozen(place, spec)
    colour = WATER["frozen" if frozen else ("clear" if spec.weather == "clear" else "cloudy")]
    shore = horizon + rng.uniform(0.5, 0.85) * (side - horizon)
    layer = canvas.add_layer("water", colour, frozen=frozen)
    canvas.rectangle(layer, (0, horizon, side, shore), colour)
    scene.water_layer = layer
    if not frozen and rng.random() < 0.4:
        x, y = rng.uniform(0.1, 0.8) * side, horizon + rng.uniform(0.3, 0.6) * (shore - horizon)
        length = 0.12 * side
        boat = canvas.add_layer("boat", (236, 236, 232))
        canvas.polygon(boat, [(x, y), (x + length, y), (x + length * 0.8, y + length * 0.25),
                              (x + length * 0.15, y + length * 0.25)], (236, 236, 232))
        canvas.polygon(boat, [(x + length * 0.45, y - length * 0.7), (x + length * 0.45, y - 1),
                              (x + length * 0.9, y - 1)], (250, 250, 250))


def _draw_road(scene: Scene, place: Place, rng: np.random.Generator) -> None:
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    paved = place.density != "village" and place.biome not in ("polar",)
    colour = (78, 78, 84) if paved else (150, 120, 86)
    vanish = rng.uniform(0.3, 0.7) * side
    bottom = rng.uniform(0.25, 0.75) * side
    half_far, half_near = 0.01 * side, rng.uniform(0.12, 0.25) * side
    layer = canvas.add_layer("road", colour)
    canvas.polygon(layer, [(vanish - half_far, horizon), (vanish + half_far, horizon),
                           (bottom + half_near, side), (bottom - half_near, side)], colour)
    if paved:
        canvas.line(layer, [(vanish, horizon), (bottom, side)], (220, 210, 150), max(1, side // 64))


def _draw_buildings(scene: Scene, place: Place, spec: PhotoSpec, rng: np.random.Generator) -> None:
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    (low, high), widths, heights, back_row = DENSITY_LOOKS[place.density]
    style = STYLE_LOOKS[place.style]
    zoom = spec.zoom
    if back_row:
        x = -rng.uniform(0, 0.05) * side
        while x < side:
            width = rng.uniform(*widths) * side * zoom
            height = rng.uniform(heights[0], heights[1] * 1.05) * side * zoom
            shade = np.asarray(style.walls[int(rng.integers(len(style.walls)))], float)
            colour = tuple(int(c) for c in shade * 0.55 + np.array([150, 160, 180]) * 0.45)
            layer = canvas.add_layer("building", colour, row="back")
            shapes.tower(canvas, layer, x, x + width, horizon + 1, height, colour, style, rng, side)
            x += width * rng.uniform(0.85, 1.05)
    count = int(rng.integers(low, high + 1))
    spread = 1.0 if back_row or place.density == "town" else rng.uniform(0.55, 0.9)
    start = rng.uniform(0, 1 - spread) * side
    slots = np.sort(rng.uniform(0, 1, count)) * spread * side + start
    for slot in slots:
        width = rng.uniform(*widths) * side * zoom
        height = rng.uniform(*heights) * side * zoom
        wall = style.walls[int(rng.integers(len(style.walls)))]
        layer = canvas.add_layer("building", wall, row="front")
        x0, x1 = slot - width / 2, slot + width / 2
        base = horizon + 1 + rng.uniform(0, 0.015) * side
        if height < 0.2 * side:
            roof = style.roofs[int(rng.integers(len(style.roofs)))]
            walls = shapes.house(canvas, layer, x0, x1, base, height, wall, roof, style, side)
        else:
            walls = shapes.tower(canvas, layer, x0, x1, base, height, wall, style, rng, side)
        scene.windows.append((layer, walls, style, 0.0))


def _draw_landmark(scene: Scene, landmark: Landmark, spec: PhotoSpec) -> None:
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    layer = canvas.add_layer("landmark", landmark.colour, landmark_id=landmark.id, landmark_kind=landmark.kind)
    zoom = min(spec.zoom, 1.1)
    height = landmark.height * side * zoom
    width = landmark.width * side * zoom
    shapes.landmark(canvas, layer, landmark, landmark.x * side, horizon + 2, width, height, side)


def _draw_trees(scene: Scene, look: BiomeLook, spec: PhotoSpec, rng: np.random.Generator) -> None:
    if not look.tree:
        return
    canvas, side, horizon = scene.canvas, scene.canvas.side, scene.horizon
    count = int(rng.integers(look.trees[0], look.trees[1] + 1))
    bases = np.sort(rng.uniform(0.25, 1.0, count)) * (side - horizon) + horizon
    for base in bases:
        depth = (base - horizon) / max(side - horizon, 1)  # 0 at the horizon, 1 at the bottom
        height = (0.1 + 0.25 * depth) * side * spec.zoom
        x = rng.uniform(-0.05, 1.05) * side
        layer = canvas.add_layer("tree", look.foliage, tree=look.tree)
        shapes.tree(canvas, layer, look.tree, x, base, height, look.foliage, rng)


def paint_windows(scene: Scene, rgb: np.ndarray, labels: np.ndarray, lit_share: float,
                  night: bool, rng: np.random.Generator, shown: np.ndarray | None = None) -> np.ndarray:
    """Paint windows on the walls (in place); at night return the mask of lit windows.

    A building gets windows, and at night its random lit cells, when its windows show in
    `shown`, the label map of the complete scene (by default `labels`). A partial drawing of
    the scene (without its foreground, or before its later objects) passes the complete one's
    labels, so it draws the same random numbers whatever it leaves out.
    """
    shown = labels if shown is None else shown
    side = scene.canvas.side
    lit_mask = np.zeros(labels.shape, bool)
    for layer, (x0, y0, x1, y1), style, _ in scene.windows:
        x0, y0 = max(int(x0), 0), max(int(y0), 0)
        x1, y1 = min(int(x1), side), min(int(y1), side)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        px, py, ww, wh = (max(1, int(round(v * side))) for v in style.window)
        px, py = max(px, ww + 1), max(py, wh + 1)
        yy = np.arange(y1 - y0)[:, None]
        xx = np.arange(x1 - x0)[None, :]
        inset = max(1, px // 3)
        window = ((xx - inset) % px < ww) & ((yy - inset) % py < wh) & (xx >= inset) & (xx < x1 - x0 - inset)
        if not (window & (shown[y0:y1, x0:x1] == layer)).any():
            continue
        window &= labels[y0:y1, x0:x1] == layer
        region = rgb[y0:y1, x0:x1]
        if night:
            cells = rng.random(((y1 - y0) // py + 1, (x1 - x0) // px + 1)) < lit_share
            lit = window & cells[yy // py, xx // px]
            lit_mask[y0:y1, x0:x1] |= lit
            region[window & ~lit] = (24, 24, 34)
        else:
            region[window] = style.glass
    return lit_mask
