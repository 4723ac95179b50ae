"""A drawing surface that keeps the layers: every shape is drawn twice, once in colour and once
as its layer's number in a label map, so each layer's visible mask comes out exactly.

Drawing happens at `supersample` times the output size and is box-filtered down once at the
end, which anti-aliases the edges for the price of a few numpy operations. Masks are encoded
as run lengths (see `rle_encode`).

The canvas also records its strokes, so that a subset of its layers can be drawn again on a
blank copy (`blank`, `redraw`): the compose outputs draw the scene without its foreground,
then add one object at a time, with exactly the pixels of the complete drawing.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Colour = tuple[int, int, int]


class Canvas:
    def __init__(self, size: int, supersample: int, background: np.ndarray,
                 background_labels: np.ndarray | None = None):
        self.size = size
        self.supersample = supersample
        self.side = size * supersample
        self.image = Image.fromarray(background, "RGB")
        if background_labels is None:
            self.labels = Image.new("L", (self.side, self.side), 0)
        else:
            self.labels = Image.fromarray(background_labels.astype(np.uint8), "L")
        self._blank = (self.image.copy(), self.labels.copy())
        self._draw = ImageDraw.Draw(self.image)
        self._draw_labels = ImageDraw.Draw(self.labels)
        self.layers: list[dict] = []
        self.strokes: list[tuple[int, str, tuple]] = []  # (layer, method, its other arguments)

    def add_layer(self, category: str, colour: Colour, kind: str = "object", **extra) -> int:
        """Register a layer and return its label value (its index in `layers`)."""
        if len(self.layers) >= 255:
            return 255  # keep drawing in colour; further shapes fold into the last layer
        self.layers.append({"category": category, "kind": kind, "colour": [int(c) for c in colour],
                            **extra})
        return len(self.layers) - 1

    def polygon(self, layer: int, points, colour: Colour) -> None:
        self.strokes.append((layer, "polygon", (points, colour)))
        self._draw.polygon(points, fill=colour)
        self._draw_labels.polygon(points, fill=layer)

    def rectangle(self, layer: int, box, colour: Colour) -> None:
        self.strokes.append((layer, "rectangle", (box, colour)))
        x0, y0, x1, y1 = box
        if x1 < x0 or y1 < y0:
            return
        self._draw.rectangle(box, fill=colour)
        self._draw_labels.rectangle(box, fill=layer)

    def ellipse(self, layer: int, box, colour: Colour) -> None:
        self.strokes.append((layer, "ellipse", (box, colour)))
        x0, y0, x1, y1 = box
        if x1 < x0 or y1 < y0:
            return
        self._draw.ellipse(box, fill=colour)
        self._draw_labels.ellipse(box, fill=layer)

    def ring(self, layer: int, box, colour: Colour, width: int) -> None:
        self.strokes.append((layer, "ring", (box, colour, width)))
        self._draw.ellipse(box, outline=colour, width=width)
        self._draw_labels.ellipse(box, outline=layer, width=width)

    def line(self, layer: int, points, colour: Colour, width: int) -> None:
        self.strokes.append((layer, "line", (points, colour, width)))
        self._draw.line(points, fill=colour, width=width)
        self._draw_labels.line(points, fill=layer, width=width)

    def blank(self) -> Canvas:
        """A canvas with the same background and layers, none of their strokes drawn yet."""
        image, labels = self._blank
        canvas = Canvas(self.size, self.supersample, np.asarray(image), np.asarray(labels))
        canvas.layers = self.layers
        return canvas

    def redraw(self, source: Canvas, layers: set[int]) -> None:
        """Draw the strokes of `source` that belong to `layers`, in the order they were drawn."""
        for layer, method, arguments in source.strokes:
            if layer in layers:
                getattr(self, method)(layer, *arguments)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(float32 HxWx3 colour in 0..255, uint8 HxW labels) at the working resolution."""
        return np.asarray(self.image, dtype=np.float32), np.asarray(self.labels)


def downsample(rgb: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return rgb
    # Summing strided views is several times faster than a mean over reshaped axes.
    total = np.zeros_like(rgb[::factor, ::factor])
    for dy in range(factor):
        for dx in range(factor):
            total += rgb[dy::factor, dx::factor]
    return total * np.float32(1.0 / (factor * factor))


def rle_encode(mask: np.ndarray) -> list[int]:
    """Row-major run lengths of a boolean mask, starting with a run of False (maybe 0 long)."""
    flat = np.ravel(mask)
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    counts = np.diff(bounds).tolist()
    return [0, *counts] if flat.size and flat[0] else counts


def rle_decode(counts: list[int], height: int, width: int) -> np.ndarray:
    """Inverse of `rle_encode`: a (height, width) boolean mask."""
    values = np.arange(len(counts)) % 2 == 1
    flat = np.repeat(values, counts)
    if flat.size != height * width:
        raise ValueError(f"run lengths cover {flat.size} pixels, expected {height * width}")
    return flat.reshape(height, width)


def finish_layers(layers: list[dict], labels: np.ndarray, supersample: int) -> list[dict]:
    """Attach each layer's box and mask at the output size; drop layers left invisible.

    All masks come from one pass over the label map: its runs of equal labels are split by
    label, so a layer's run lengths are the gaps between its own runs and their lengths.
    """
    offset = supersample // 2
    small = np.ascontiguousarray(labels[offset::supersample, offset::supersample])
    height, width = small.shape
    flat = small.ravel()
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    ends = np.append(starts[1:], flat.size)
    values = flat[starts]
    order = np.argsort(values, kind="stable")  # runs grouped by label, in image order
    bounds = np.searchsorted(values[order], np.arange(len(layers) + 1))
    rows, cols = np.divmod(np.arange(flat.size), width)
    lowest_row = np.full(256, height)
    np.minimum.at(lowest_row, flat, rows)
    highest_row = np.zeros(256, int)
    np.maximum.at(highest_row, flat, rows)
    first_col = np.full(256, width)
    np.minimum.at(first_col, flat, cols)
    last_col = np.zeros(256, int)
    np.maximum.at(last_col, flat, cols)
    finished = []
    for value, layer in enumerate(layers):
        own = order[bounds[value]:bounds[value + 1]]
        if own.size == 0:
            continue
        own_starts, own_ends = starts[own], ends[own]
        interleaved = np.empty(2 * own.size, np.int64)  # gap, run, gap, run...
        interleaved[0::2] = own_starts
        interleaved[2::2] -= own_ends[:-1]
        interleaved[1::2] = own_ends - own_starts
        counts = interleaved.tolist()
        if own_ends[-1] < flat.size:
            counts.append(int(flat.size - own_ends[-1]))
        finished.append({
            **layer,
            "box": [int(first_col[value]), int(lowest_row[value]), int(last_col[value]) + 1,
                    int(highest_row[value]) + 1],
            "mask": {"size": [height, width], "counts": counts},
        })
    return finished
