"""Networks of the `compose` generator: a scene painted layer by layer.

Follows Turkoglu, Thong, Spreeuwers and Kicanaoglu, "A Layer-Based Sequential Framework for Scene
Generation with GANs" (AAAI 2019): a background generator paints the empty scene x0, then a
foreground generator adds one object at a time, each step conditioned on the canvas so far, the
object's mask and its category. Here:

- `G_bg` is the `place` generator (`ml.models.place`): noise + the place's context -> x0. A run
  may start it from a trained place model and go on training it on backgrounds.
- `G_fg` (`ObjectGenerator`): (z, the canvas with the object's box blanked, the object's mask,
  its category as one-hot, optionally its colour) -> RGB, a small U-Net with the noise added at
  its narrowest point.
- `G_mask` (`MaskGenerator`): (z, box, category) -> a soft mask drawn inside the box, so a visitor
  may give a box alone; "rect" and "ellipse" masks are computed from the box (`shape_masks`).
- critics (`ComposeCritics`): the background's (the place critic), a global one on the whole
  canvas with the mask as a fourth channel and an instance one on the box crop with its mask,
  both projecting the category (Miyato and Koyama 2018); the layer's adversarial loss weighs them
  0.9 / 0.1 as the research's public code does.

At inference every step is composited in integers (`composite`), so pixels outside an object's
mask keep the canvas byte for byte: the untouched canvas is a guarantee, not a tendency.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.models.configs import ComposeConfig
from ml.models.place import PlaceDiscriminator, PlaceGenerator

SHAPES = ("mask", "rect", "ellipse")  # how a step's mask is made: drawn by G_mask, or from the box
GLOBAL_WEIGHT, INSTANCE_WEIGHT = 0.9, 0.1  # the critics' shares of the layer's adversarial loss
SUPERSAMPLE = 4  # sub-pixels per side that anti-alias the analytic masks
LEAKY_SLOPE = 0.2


def composite(canvas: np.ndarray, painted: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(painted * a + canvas * (255 - a) + 127) // 255 per pixel, in integers: uint8 HxWx3
    canvas and painted, uint8 HxW alpha -> uint8 HxWx3. Alpha 0 returns the canvas exactly."""
    a = alpha.astype(np.uint32)[..., None]
    mixed = painted.astype(np.uint32) * a + canvas.astype(np.uint32) * (255 - a) + 127
    return (mixed // 255).astype(np.uint8)


def box_inside(boxes: torch.Tensor, side: int) -> torch.Tensor:
    """(N, 1, side, side): 1 where a pixel's centre lies in its box (fractions x0, y0, x1, y1)."""
    centres = (torch.arange(side, dtype=torch.float32, device=boxes.device) + 0.5) / side
    x0, y0, x1, y1 = (boxes[:, i, None] for i in range(4))
    columns = (centres >= x0) & (centres < x1)
    rows = (centres >= y0) & (centres < y1)
    return (rows[:, :, None] & columns[:, None, :]).float()[:, None]


def shape_masks(boxes: torch.Tensor, shape: str, side: int) -> torch.Tensor:
    """(N, 1, side, side) masks in [0, 1] filling each box as a rectangle or an inscribed ellipse,
    each pixel the share of its SUPERSAMPLE x SUPERSAMPLE sub-pixels inside (anti-aliased edges)."""
    fine = side * SUPERSAMPLE
    centres = (torch.arange(fine, dtype=torch.float32, device=boxes.device) + 0.5) / fine
    x0, y0, x1, y1 = (boxes[:, i, None] for i in range(4))
    if shape == "rect":
        inside = ((centres >= y0) & (centres < y1))[:, :, None] & ((centres >= x0) & (centres < x1))[:, None, :]
    elif shape == "ellipse":
        u = (centres - (x0 + x1) / 2) / ((x1 - x0) / 2)
        v = (centres - (y0 + y1) / 2) / ((y1 - y0) / 2)
        inside = v[:, :, None].square() + u[:, None, :].square() <= 1.0
    else:
        raise ValueError(f"shape must be rect or ellipse here, not {shape!r}")
    return F.avg_pool2d(inside.float()[:, None], SUPERSAMPLE)


def crop_boxes(images: torch.Tensor, boxes: torch.Tensor, side: int) -> torch.Tensor:
    """Each image's box resampled to side x side (bilinear): what the instance critic sees."""
    x0, y0, x1, y1 = boxes.unbind(1)
    theta = torch.zeros(len(boxes), 2, 3, device=images.device, dtype=images.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = x1 - x0, x0 + x1 - 1
    theta[:, 1, 1], theta[:, 1, 2] = y1 - y0, y0 + y1 - 1
    grid = F.affine_grid(theta, [len(boxes), images.shape[1], side, side], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def place_in_boxes(patches: torch.Tensor, boxes: torch.Tensor, side: int) -> torch.Tensor:
    """The inverse of `crop_boxes`: each patch stretched over its box on a side x side canvas,
    exactly 0 at pixels whose centre lies outside the box."""
    x0, y0, x1, y1 = boxes.unbind(1)
    width, height = (x1 - x0).clamp_min(1e-4), (y1 - y0).clamp_min(1e-4)
    theta = torch.zeros(len(boxes), 2, 3, device=patches.device, dtype=patches.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = 1 / width, -(x0 + x1 - 1) / width
    theta[:, 1, 1], theta[:, 1, 2] = 1 / height, -(y0 + y1 - 1) / height
    grid = F.affine_grid(theta, [len(boxes), patches.shape[1], side, side], align_corners=False)
    placed = F.grid_sample(patches, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return placed * box_inside(boxes, side).to(placed.dtype)


def _conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.LeakyReLU(LEAKY_SLOPE))


class _Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(_conv(channels, channels), nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x + self.body(x), LEAKY_SLOPE)


class ObjectGenerator(nn.Module):
    """G_fg: (z, canvas, mask, condition maps) -> RGB of the side. The condition maps are the
    object's category one-hot, colour and has-colour broadcast over the canvas, or in a single-shot
    model the per-pixel maps of every object (`layout_maps`).

    A U-Net of two halvings: the inputs are stacked as channels, the noise is mapped to the
    channels of the narrowest map and added there, and skips carry the canvas around the middle so
    the painting fits what is already there."""

    def __init__(self, config: ComposeConfig):
        super().__init__()
        width, categories = config.width, len(config.categories)
        self.inputs = 3 + 1 + categories + 3 + 1  # canvas, mask, category, colour, has-colour
        self.down = nn.ModuleList([_conv(self.inputs, width), _conv(width, 2 * width, 2),
                                   _conv(2 * width, 4 * width, 2)])
        self.noise = nn.Linear(config.latent_dim, 4 * width)
        self.middle = nn.Sequential(_Residual(4 * width), _Residual(4 * width))
        self.up = nn.ModuleList([_conv(4 * width + 2 * width, 2 * width), _conv(2 * width + width, width)])
        self.to_rgb = nn.Conv2d(width, 3, 1)

    def forward(self, z: torch.Tensor, canvas: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        x = torch.cat([canvas, mask, maps], dim=1)
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = self.middle(x + self.noise(z)[:, :, None, None])
        for layer, skip in zip(self.up, reversed(skips[:-1])):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = layer(torch.cat([x, skip], dim=1))
        return self.to_rgb(x)


class MaskGenerator(nn.Module):
    """G_mask: (z, box, category one-hot) -> a soft mask in [0, 1] drawn in the box's own frame at
    mask_side x mask_side, then stretched over the box (0 outside it)."""

    def __init__(self, config: ComposeConfig):
        super().__init__()
        width = config.mask_width
        self.width = width
        self.dense = nn.Sequential(nn.Linear(config.latent_dim + 4 + len(config.categories), width * 16),
                                   nn.LeakyReLU(LEAKY_SLOPE))
        doublings = int(np.log2(config.mask_side)) - 2
        self.blocks = nn.Sequential(*[nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"), _conv(width, width))
                                      for _ in range(doublings)])
        self.to_mask = nn.Conv2d(width, 1, 3, 1, 1)

    def forward(self, z: torch.Tensor, boxes: torch.Tensor, category: torch.Tensor, side: int) -> torch.Tensor:
        x = self.dense(torch.cat([z, boxes * 2 - 1, category], dim=1)).reshape(len(z), self.width, 4, 4)
        patches = torch.sigmoid(self.to_mask(self.blocks(x)))
        return place_in_boxes(patches, boxes, side)


class ComposeModel(nn.Module):
    """The generators of one compose model: G_bg, G_fg and G_mask (what a model folder holds)."""

    def __init__(self, config: ComposeConfig):
        super().__init__()
        self.config = config
        self.G_bg = PlaceGenerator(config.background_config)
        self.G_fg = ObjectGenerator(config)
        self.G_mask = MaskGenerator(config)

    def one_hot(self, category: torch.Tensor) -> torch.Tensor:
        return F.one_hot(category, len(self.config.categories)).float()

    def object_mask(self, z: torch.Tensor, boxes: torch.Tensor, category: torch.Tensor, shape: str) -> torch.Tensor:
        """(N, 1, S, S) masks of one shape: G_mask's for "mask", else the box's rect or ellipse."""
        if shape == "mask":
            return self.G_mask(z, boxes, self.one_hot(category), self.config.resolution)
        return shape_masks(boxes, shape, self.config.resolution)

    def paint(self, z: torch.Tensor, canvas: torch.Tensor, boxes: torch.Tensor, mask: torch.Tensor,
              category: torch.Tensor, colour: torch.Tensor, has_colour: torch.Tensor) -> torch.Tensor:
        """G_fg's RGB for objects on canvases in [-1, 1]; the canvas is blanked (0) in each box first,
        so what was there does not leak into the object."""
        side = canvas.shape[-1]
        blanked = canvas * (1 - box_inside(boxes, side).to(canvas.dtype))
        vectors = torch.cat([self.one_hot(category), colour * has_colour[:, None], has_colour[:, None]], dim=1)
        return self.G_fg(z, blanked, mask, vectors[:, :, None, None].expand(-1, -1, side, side))

    def paint_layout(self, z: torch.Tensor, background: torch.Tensor, layout: torch.Tensor) -> torch.Tensor:
        """A single-shot model's picture of a whole layout (`layout_maps`) over the background x0."""
        return self.G_fg(z, background, layout[:, :1], layout[:, 1:])


def layout_maps(masks: torch.Tensor, category: torch.Tensor, colour: torch.Tensor, has_colour: torch.Tensor,
                categories: int) -> torch.Tensor:
    """The single-shot generator's condition of T objects back to front: masks (N, T, S, S),
    category (N, T), colour (N, T, 3) in [-1, 1], has_colour (N, T) -> (N, 1 + categories + 4, S, S):
    the union of the masks, then per category, per colour channel and for has-colour the sum of
    each object's visible share (its mask times what later objects leave uncovered)."""
    uncovered = torch.ones_like(masks[:, 0])
    visible = torch.empty_like(masks)
    for t in reversed(range(masks.shape[1])):
        visible[:, t] = masks[:, t] * uncovered
        uncovered = uncovered * (1 - masks[:, t])
    one_hot = F.one_hot(category, categories).to(masks.dtype)
    values = torch.cat([one_hot, colour * has_colour[..., None], has_colour[..., None]], dim=2)  # (N, T, C + 4)
    return torch.cat([1 - uncovered[:, None], torch.einsum("ntc,nthw->nchw", values, visible)], dim=1)


class _Critic(nn.Module):
    """Image + mask channels -> a score, with the category projected onto the features."""

    def __init__(self, side: int, width: int, categories: int):
        super().__init__()
        layers, channels = [_conv(4, width)], width
        while side > 4:
            layers.append(_conv(channels, min(channels * 2, 8 * width), 2))
            channels, side = min(channels * 2, 8 * width), side // 2
        self.features = nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * 16, channels),
                                      nn.LeakyReLU(LEAKY_SLOPE))
        self.output = nn.Linear(channels, 1)
        self.projection = nn.Embedding(categories, channels)

    def forward(self, pictures: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        features = self.features(pictures)
        return self.output(features).squeeze(1) + (features * self.projection(category)).sum(dim=1)


class ComposeCritics(nn.Module):
    """D_bg (the place critic, on backgrounds), D_global (the canvas + mask) and D_instance (the
    box crop of canvas + mask)."""

    def __init__(self, config: ComposeConfig):
        super().__init__()
        self.config = config
        self.D_bg = PlaceDiscriminator(config.background_config)
        self.D_global = _Critic(config.resolution, config.d_width, len(config.categories))
        self.D_instance = _Critic(config.crop, config.d_width, len(config.categories))

    def layer_scores(self, pictures: torch.Tensor, boxes: torch.Tensor,
                     category: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The global and instance scores of canvases with their masks (N, 4, S, S)."""
        return (self.D_global(pictures, category),
                self.D_instance(crop_boxes(pictures, boxes, self.config.crop), category))
