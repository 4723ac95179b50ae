"""`python -m ml compose-grid MODEL --out PNG`: a compose model's scenes step by step, and one
object scaled, with what the change touched counted.

The first grid has one row per (place, seed): the background x0, then the layout's objects added
one at a time (back to front). The second (`--out-scaled`) shows per row the final picture of the
same layout with one object (the second) scaled about its centre by each of `SCALES`, made the way
a visitor's "change one object" is (`ComposePipeline.repaint`: that layer painted again, the
stored layers after it applied again). For every change it counts the pixels outside the object's
old and new boxes that differ in the final picture, and for a layered model also the bytes of
earlier steps that differ and the pixels outside the object's old and new masks that differ in any
later step: both are 0 by construction, and the command prints them so that a regression would
show. A single-shot model (`--single-shot`) paints each prefix of the layout, and each scaled
layout, in one pass: the same figures tell what a change costs without layers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

PLACES = [("Paris", 48.857, 2.352), ("Tromso", 69.649, 18.955), ("Riyadh", 24.688, 46.722),
          ("Manaus", -3.102, -60.025)]
SEEDS = (0, 1)
LAYOUT = [
    {"category": "tree", "box": [0.04, 0.40, 0.30, 0.92], "shape": "mask", "colour": None},
    {"category": "building", "box": [0.34, 0.22, 0.62, 0.84], "shape": "mask", "colour": None},
    {"category": "building", "box": [0.66, 0.30, 0.96, 0.84], "shape": "rect", "colour": [190, 60, 40]},
    {"category": "person", "box": [0.44, 0.64, 0.54, 0.94], "shape": "ellipse", "colour": None},
]
SCALED = 1  # the object the second grid scales
SCALES = (0.6, 0.8, 1.0, 1.2, 1.4)
GAP, ENLARGE = 2, 4


def register(subparsers) -> None:
    parser = subparsers.add_parser("compose-grid", help="a compose model's scenes step by step, one object scaled",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, metavar="MODEL", help="a compose model folder")
    parser.add_argument("--out", type=Path, required=True, help="the PNG of the steps")
    parser.add_argument("--out-scaled", type=Path, help="the PNG of the layout with one object scaled")
    parser.set_defaults(func=run_compose_grid)


def layout_for(categories: list[str]) -> list[dict]:
    """`LAYOUT` with categories the model does not know replaced by its first one."""
    return [{**obj, "category": obj["category"] if obj["category"] in categories else categories[0]}
            for obj in LAYOUT]


def scaled_box(box: list[float], scale: float) -> list[float]:
    """The box scaled about its centre, clipped to the canvas."""
    x0, y0, x1, y1 = box
    cx, cy, half_w, half_h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * scale / 2, (y1 - y0) * scale / 2
    return [max(0.0, cx - half_w), max(0.0, cy - half_h), min(1.0, cx + half_w), min(1.0, cy + half_h)]


def untouched_counts(steps, layers, new_steps, new_layers, index: int) -> tuple[int, int]:
    """(bytes of steps before object `index` that differ, pixels outside its old and new masks that
    differ in any later step)."""
    earlier = sum(int(np.count_nonzero(np.asarray(a) != np.asarray(b)))
                  for a, b in zip(steps[:index + 1], new_steps[:index + 1]))
    outside = (np.asarray(layers[index])[..., 3] == 0) & (np.asarray(new_layers[index])[..., 3] == 0)
    changed = np.zeros(outside.shape, bool)
    for old, new in zip(steps[index + 1:], new_steps[index + 1:]):
        changed |= (np.asarray(old) != np.asarray(new)).any(axis=2)
    return earlier, int(np.count_nonzero(changed & outside))


def save_grid(rows: list[list[Image.Image]], path: Path) -> None:
    side = rows[0][0].width
    step = side + GAP
    grid = Image.new("RGB", (step * max(map(len, rows)) - GAP, step * len(rows) - GAP), "white")
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            grid.paste(picture, (c * step, r * step))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.resize((grid.width * ENLARGE, grid.height * ENLARGE), Image.Resampling.NEAREST).save(path)


def outside_boxes(before: Image.Image, after: Image.Image, boxes: list[list[float]]) -> tuple[int, int]:
    """(pixels outside all `boxes` that differ between the two pictures, pixels outside them)."""
    side = before.width
    centres = (np.arange(side) + 0.5) / side
    outside = np.ones((side, side), bool)
    for x0, y0, x1, y1 in boxes:
        outside &= ~(((centres >= y0) & (centres < y1))[:, None] & ((centres >= x0) & (centres < x1))[None, :])
    changed = (np.asarray(before) != np.asarray(after)).any(axis=2)
    return int(np.count_nonzero(changed & outside)), int(np.count_nonzero(outside))


def run_compose_grid(args) -> int:
    from tqdm import tqdm

    from ml.cli import CommandError
    from ml.modelfolder import ModelFolderError
    from ml.pipelines import load

    try:
        pipeline = load(args.model)
    except ModelFolderError as error:
        raise CommandError(str(error)) from None
    if pipeline.kind != "compose":
        raise CommandError(f"{args.model} is a {pipeline.kind} model, not a compose one")
    single_shot = pipeline.model.config.single_shot
    layout = layout_for(pipeline.categories)
    step_rows, scaled_rows = [], []
    counts = {"changes": 0, "earlier": 0, "outside_masks": 0, "outside_boxes": 0, "pixels_outside_boxes": 0}
    scenes = [(place, seed) for place in PLACES for seed in SEEDS]
    for (_, lat, lon), seed in tqdm(scenes, desc="compose-grid", unit="scene"):
        place = {"lat": lat, "lon": lon}
        if single_shot:  # each prefix of the layout painted in one pass
            steps = [pipeline.background(place, seed)] + [pipeline.paint_scene(place, layout[:count], seed)
                                                          for count in range(1, len(layout) + 1)]
        else:
            steps, layers = pipeline.compose_layers(place, layout, seed)
        step_rows.append(steps)
        row = []
        for scale in SCALES:
            obj = {**layout[SCALED], "box": scaled_box(layout[SCALED]["box"], scale)}
            if single_shot:
                final = pipeline.paint_scene(place, layout[:SCALED] + [obj] + layout[SCALED + 1:], seed)
            else:
                new_steps, new_layers = pipeline.repaint(steps, layers, SCALED, obj, seed)
                earlier, outside = untouched_counts(steps, layers, new_steps, new_layers, SCALED)
                counts["earlier"] += earlier
                counts["outside_masks"] += outside
                final = new_steps[-1]
            row.append(final)
            if scale == 1.0:  # the layout itself: no change to count
                continue
            changed, pixels = outside_boxes(steps[-1], final, [layout[SCALED]["box"], obj["box"]])
            counts["outside_boxes"] += changed
            counts["pixels_outside_boxes"] += pixels
            counts["changes"] += 1
        scaled_rows.append(row)
    save_grid(step_rows, args.out)
    print(f"wrote {args.out}: {len(scenes)} scenes ({', '.join(name for name, *_ in PLACES)} x seeds "
          f"{', '.join(map(str, SEEDS))}), x0 then {len(layout)} objects"
          + (" (each prefix of the layout painted in one pass)" if single_shot else ""))
    if args.out_scaled:
        save_grid(scaled_rows, args.out_scaled)
        print(f"wrote {args.out_scaled}: object {SCALED + 1} ({layout[SCALED]['category']}) scaled by "
              f"{', '.join(map(str, SCALES))}")
    share = counts["outside_boxes"] / max(counts["pixels_outside_boxes"], 1)
    print(f"{counts['changes']} changes of one object: {counts['outside_boxes']} of {counts['pixels_outside_boxes']} "
          f"pixels outside its old and new boxes differ in the final picture ({share:.1%})")
    if not single_shot:
        print(f"and {counts['earlier']} bytes of earlier steps differ, {counts['outside_masks']} pixels outside the "
              "object's old and new masks differ in later steps")
    return 0
