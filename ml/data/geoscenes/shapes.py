"""Shapes of single objects: houses, towers, landmarks, trees and foreground occluders.

Each function draws one object on one layer of a `Canvas` in working pixels; buildings return
the rectangle of their walls, where `scene.paint_windows` puts the windows.
"""
from __future__ import annotations

import math

import numpy as np

from ml.data.geoscenes.canvas import Canvas
from ml.data.geoscenes.looks import BiomeLook, StyleLook

TRUNK = (96, 70, 44)


def _shade(colour, factor: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, c * factor))) for c in colour)


def house(canvas: Canvas, layer: int, x0, x1, base, height, wall, roof, style: StyleLook, side):
    width = x1 - x0
    top = base - height
    rise, eave = 0.45 * width, 0.08 * width
    canvas.rectangle(layer, (x0, top, x1, base), wall)
    mid = (x0 + x1) / 2
    if style.roof == "gable":
        points = [(x0 - eave, top + 1), (x1 + eave, top + 1), (mid, top - rise)]
    elif style.roof == "flared":
        points = [(x0 - 2 * eave, top - rise * 0.35), (x0 + width * 0.1, top + 1), (x1 - width * 0.1, top + 1),
                  (x1 + 2 * eave, top - rise * 0.35), (x1 - width * 0.25, top - rise), (x0 + width * 0.25, top - rise)]
    elif style.roof == "hip":
        points = [(x0 - eave, top + 1), (x1 + eave, top + 1), (x1 - width * 0.25, top - rise * 0.7),
                  (x0 + width * 0.25, top - rise * 0.7)]
    elif style.roof == "shed":
        points = [(x0 - eave, top + 1), (x1 + eave, top + 1), (x1 + eave, top - rise * 0.5), (x0 - eave, top - rise * 0.15)]
    elif style.roof == "cone":
        points = [(x0 - 2 * eave, top + 1), (x1 + 2 * eave, top + 1), (mid, top - width * 0.75)]
    else:
        points = [(x0 - 1, top + 1), (x1 + 1, top + 1), (x1 + 1, top - rise * 0.2), (x0 - 1, top - rise * 0.2)]
    canvas.polygon(layer, points, roof)
    door = max(1.0, width * 0.12)
    canvas.rectangle(layer, (mid - door, base - height * 0.4, mid + door, base), _shade(wall, 0.45))
    return x0, top + height * 0.15, x1, base - height * 0.45


def tower(canvas: Canvas, layer: int, x0, x1, base, height, colour, style: StyleLook,
          rng: np.random.Generator, side):
    width = x1 - x0
    top = base - height
    canvas.rectangle(layer, (x0, top, x1, base), colour)
    cap = _shade(colour, 0.7)
    step = 0.035 * side
    if style.top == "stepped":
        canvas.rectangle(layer, (x0 + width * 0.15, top - step, x1 - width * 0.15, top), cap)
        canvas.rectangle(layer, (x0 + width * 0.32, top - 2 * step, x1 - width * 0.32, top - step), cap)
    elif style.top == "antenna":
        canvas.rectangle(layer, (x0 + width * 0.1, top - step * 0.5, x1 - width * 0.1, top), cap)
        if rng.random() < 0.5:
            mid = (x0 + x1) / 2
            canvas.line(layer, [(mid, top), (mid, top - 2.5 * step)], cap, max(1, side // 96))
    elif style.top == "spire":
        canvas.polygon(layer, [(x0 + width * 0.2, top + 1), (x1 - width * 0.2, top + 1),
                               ((x0 + x1) / 2, top - 2 * step)], cap)
    else:
        canvas.rectangle(layer, (x0 - 1, top - step * 0.3, x1 + 1, top), cap)
    return x0, top + step * 0.3, x1, base - step * 0.3


def landmark(canvas: Canvas, layer: int, mark, cx, base, width, height, side):
    colour, accent = mark.colour, mark.accent
    top = base - height
    thin = max(1, int(side * 0.012))
    if mark.kind == "tower":
        shaft = width * 0.12
        canvas.polygon(layer, [(cx - shaft * 1.6, base), (cx + shaft * 1.6, base), (cx + shaft * 0.5, top),
                               (cx - shaft * 0.5, top)], colour)
        pod_y = top + height * 0.28
        canvas.ellipse(layer, (cx - width * 0.28, pod_y - height * 0.06, cx + width * 0.28, pod_y + height * 0.06), accent)
        canvas.line(layer, [(cx, top), (cx, top - height * 0.18)], accent, thin)
    elif mark.kind == "dome":
        drum_top = base - height * 0.4
        canvas.rectangle(layer, (cx - width / 2, drum_top, cx + width / 2, base), colour)
        canvas.ellipse(layer, (cx - width * 0.42, top + height * 0.12, cx + width * 0.42, drum_top + height * 0.3), accent)
        canvas.rectangle(layer, (cx - width * 0.05, top, cx + width * 0.05, top + height * 0.16), accent)
        if mark.detail >= 4:
            for x in (cx - width * 0.7, cx + width * 0.7):
                canvas.rectangle(layer, (x - width * 0.05, top + height * 0.1, x + width * 0.05, base), colour)
    elif mark.kind == "arch":
        outer, inner = width * 0.6, width * 0.38
        spring = base - height * 0.55
        points = [(cx - outer, base), (cx - outer, spring)]
        points += [(cx - outer * math.cos(a), spring - height * 0.45 * math.sin(a)) for a in np.linspace(0, math.pi, 12)]
        points += [(cx + outer, base), (cx + inner, base), (cx + inner, spring)]
        points += [(cx + inner * math.cos(a), spring - height * 0.3 * math.sin(a)) for a in np.linspace(0, math.pi, 12)]
        points += [(cx - inner, base)]
        canvas.polygon(layer, points, colour)
        canvas.rectangle(layer, (cx - outer, base - height * 0.08, cx - inner, base), accent)
        canvas.rectangle(layer, (cx + inner, base - height * 0.08, cx + outer, base), accent)
    elif mark.kind == "pyramid":
        half = width * 0.8
        peak = base - height * 0.75
        canvas.polygon(layer, [(cx - half, base), (cx + half, base), (cx, peak)], colour)
        canvas.polygon(layer, [(cx, peak), (cx + half, base), (cx + half * 0.2, base)], _shade(colour, 0.75))
        canvas.polygon(layer, [(cx - half * 0.15, peak + height * 0.11), (cx + half * 0.15, peak + height * 0.11),
                               (cx, peak)], accent)
    elif mark.kind == "spire":
        body_top = base - height * 0.4
        canvas.rectangle(layer, (cx - width * 0.4, body_top, cx + width * 0.4, base), colour)
        canvas.polygon(layer, [(cx - width * 0.18, body_top + 1), (cx + width * 0.18, body_top + 1), (cx, top)], colour)
        r = width * 0.12
        canvas.ellipse(layer, (cx - r, body_top + height * 0.08, cx + r, body_top + height * 0.08 + 2 * r), accent)
    elif mark.kind == "pagoda":
        tiers = mark.detail + 1
        tier_h = height / tiers
        for i in range(tiers):
            w = width * (0.55 - 0.35 * i / tiers)
            y1 = base - i * tier_h
            canvas.rectangle(layer, (cx - w * 0.7, y1 - tier_h, cx + w * 0.7, y1), colour)
            canvas.polygon(layer, [(cx - w * 1.2, y1 - tier_h * 0.55), (cx + w * 1.2, y1 - tier_h * 0.55),
                                   (cx + w * 0.6, y1 - tier_h * 1.05), (cx - w * 0.6, y1 - tier_h * 1.05)], accent)
    elif mark.kind == "wheel":
        radius = min(width * 0.7, height * 0.45)
        cy = base - height * 0.5
        canvas.line(layer, [(cx - radius * 0.5, base), (cx, cy), (cx + radius * 0.5, base)], colour, thin * 2)
        for angle in np.linspace(0, math.pi, mark.detail + 2, endpoint=False):
            dx, dy = radius * math.cos(angle), radius * math.sin(angle)
            canvas.line(layer, [(cx - dx, cy - dy), (cx + dx, cy + dy)], colour, thin)
        canvas.ring(layer, (cx - radius, cy - radius, cx + radius, cy + radius), accent, thin * 2)
    else:  # obelisk
        half = width * 0.14
        canvas.polygon(layer, [(cx - half, base), (cx + half, base), (cx + half * 0.6, top + height * 0.08),
                               (cx - half * 0.6, top + height * 0.08)], colour)
        canvas.polygon(layer, [(cx - half * 0.6, top + height * 0.08), (cx + half * 0.6, top + height * 0.08),
                               (cx, top)], accent)


def tree(canvas: Canvas, layer: int, kind: str, x, base, height, colour, rng: np.random.Generator):
    colour = _shade(colour, rng.uniform(0.85, 1.15))
    h, w = height, height * 0.45
    if kind == "conifer":
        canvas.rectangle(layer, (x - w * 0.08, base - h * 0.2, x + w * 0.08, base), TRUNK)
        for i in range(3):
            y = base - h * (0.12 + 0.28 * i)
            span = w * (0.5 - 0.12 * i)
            canvas.polygon(layer, [(x - span, y), (x + span, y), (x, y - h * 0.42)], colour)
    elif kind == "round":
        canvas.rectangle(layer, (x - w * 0.09, base - h * 0.5, x + w * 0.09, base), TRUNK)
        canvas.ellipse(layer, (x - w * 0.6, base - h, x + w * 0.6, base - h * 0.35), colour)
    elif kind == "cypress":
        canvas.ellipse(layer, (x - w * 0.2, base - h * 1.1, x + w * 0.2, base), colour)
    elif kind == "cactus":
        green = (70, 128, 66)
        canvas.rectangle(layer, (x - w * 0.1, base - h * 0.7, x + w * 0.1, base), green)
        canvas.rectangle(layer, (x - w * 0.35, base - h * 0.45, x - w * 0.1, base - h * 0.38), green)
        canvas.rectangle(layer, (x - w * 0.35, base - h * 0.6, x - w * 0.22, base - h * 0.4), green)
        canvas.rectangle(layer, (x + w * 0.1, base - h * 0.35, x + w * 0.3, base - h * 0.28), green)
        canvas.rectangle(layer, (x + w * 0.2, base - h * 0.52, x + w * 0.3, base - h * 0.3), green)
    elif kind == "acacia":
        canvas.line(layer, [(x, base), (x, base - h * 0.6), (x - w * 0.3, base - h * 0.75)], TRUNK, max(1, int(w * 0.08)))
        canvas.ellipse(layer, (x - w * 1.0, base - h * 0.85, x + w * 0.9, base - h * 0.62), colour)
    elif kind == "palm":
        lean = w * rng.uniform(-0.4, 0.4)
        crown = (x + lean, base - h)
        canvas.line(layer, [(x, base), (x + lean * 0.6, base - h * 0.5), crown], TRUNK, max(1, int(w * 0.1)))
        for angle in np.linspace(0.15 * math.pi, 0.85 * math.pi, 6):
            tip = (crown[0] - math.cos(angle) * w * 0.9, crown[1] + (0.4 - math.sin(angle)) * h * 0.25)
            canvas.line(layer, [crown, tip], colour, max(1, int(w * 0.14)))
    else:  # shrub
        canvas.ellipse(layer, (x - w * 0.5, base - h * 0.3, x + w * 0.5, base), colour)


def draw_occluder(scene, kind: str, look: BiomeLook, rng: np.random.Generator) -> None:
    canvas, side = scene.canvas, scene.canvas.side
    left = rng.random() < 0.5
    if kind == "lamppost":
        colour = (38, 40, 46)
        x = (rng.uniform(0.04, 0.18) if left else rng.uniform(0.82, 0.96)) * side
        top = rng.uniform(0.08, 0.3) * side
        layer = canvas.add_layer("lamppost", colour)
        canvas.rectangle(layer, (x - 0.012 * side, top, x + 0.012 * side, side), colour)
        arm = (0.09 if left else -0.09) * side
        canvas.line(layer, [(x, top), (x + arm, top)], colour, max(1, int(0.014 * side)))
        lamp_x = x + arm
        canvas.ellipse(layer, (lamp_x - 0.03 * side, top - 0.005 * side, lamp_x + 0.03 * side, top + 0.035 * side),
                       (60, 60, 66))
        scene.lamps.append((lamp_x, top + 0.03 * side))
    elif kind == "person":
        shade = int(rng.integers(24, 60))
        colour = (shade, shade, int(shade * 1.1))
        x = rng.uniform(0.2, 0.8) * side
        scale = rng.uniform(0.8, 1.2) * side
        layer = canvas.add_layer("person", colour)
        canvas.ellipse(layer, (x - 0.17 * scale, side - 0.16 * scale, x + 0.17 * scale, side + 0.2 * scale), colour)
        canvas.ellipse(layer, (x - 0.07 * scale, side - 0.32 * scale, x + 0.07 * scale, side - 0.14 * scale), colour)
    else:  # branch
        bark = (54, 40, 28)
        layer = canvas.add_layer("branch", bark)
        x0 = -0.05 * side if left else 1.05 * side
        y0 = rng.uniform(0.0, 0.25) * side
        x1 = (rng.uniform(0.45, 0.75) if left else rng.uniform(0.25, 0.55)) * side
        y1 = y0 + rng.uniform(0.05, 0.25) * side
        canvas.line(layer, [(x0, y0), (x1, y1)], bark, max(1, int(0.03 * side)))
        bare = look.tree in ("", "shrub", "cactus")
        if not bare:
            leaf = _shade(look.foliage, 0.8)
            for t in rng.uniform(0.15, 1.0, 12):
                lx, ly = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                r = rng.uniform(0.03, 0.07) * side
                dx, dy = rng.uniform(-1.5, 1.5, 2) * r
                canvas.ellipse(layer, (lx + dx - r, ly + dy - r * 0.7, lx + dx + r, ly + dy + r * 0.7), leaf)
