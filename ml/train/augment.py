"""DiffAugment: differentiable augmentation of the critic's input (Zhao, Liu, Lin, Zhu and Han,
"Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020).

The same random colour and translation changes are applied to real and generated pictures
alike, each time the critic looks at them, and the generator's gradients flow through them; the
critic then cannot memorise a small set of reals, and the generator is never asked to paint the
augmentations themselves. Pictures are in [-1, 1], shape (N, C, H, W); every picture draws its own
change.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

AUGMENTS = ("color", "translation", "cutout")


def diff_augment(images: torch.Tensor, augments: list[str]) -> torch.Tensor:
    for name in augments:
        images = _AUGMENT[name](images)
    return images


def parse_augments(text: str) -> list[str]:
    """`--augment color,translation` or `none` as the list of augmentations; ValueError naming an
    unknown one."""
    names = [] if text.strip().lower() in ("", "none") else [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in AUGMENTS]
    if unknown:
        raise ValueError(f"unknown augmentation(s) {', '.join(map(repr, unknown))}; choose from "
                         f"{', '.join(AUGMENTS)} or none")
    return list(dict.fromkeys(names))


def _random(images: torch.Tensor) -> torch.Tensor:
    return torch.rand(images.shape[0], 1, 1, 1, dtype=images.dtype, device=images.device)


def color(images: torch.Tensor) -> torch.Tensor:
    """Brightness +-0.5, saturation x0..2, contrast x0.5..1.5, each drawn per picture."""
    images = images + (_random(images) - 0.5)
    mean = images.mean(dim=1, keepdim=True)
    images = (images - mean) * (_random(images) * 2) + mean
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * (_random(images) + 0.5) + mean


def translation(images: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift by up to `ratio` of the side in each direction, filling with zeros (mid-grey)."""
    n, _, h, w = images.shape
    max_y, max_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    shift_y = torch.randint(-max_y, max_y + 1, (n, 1, 1), device=images.device)
    shift_x = torch.randint(-max_x, max_x + 1, (n, 1, 1), device=images.device)
    batch, rows, cols = torch.meshgrid(torch.arange(n, device=images.device), torch.arange(h, device=images.device),
                                       torch.arange(w, device=images.device), indexing="ij")
    rows = (rows + shift_y + 1).clamp(0, h + 1)
    cols = (cols + shift_x + 1).clamp(0, w + 1)
    padded = F.pad(images, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def cutout(images: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Blank one square of `ratio` of the side at a random place of each picture."""
    n, _, h, w = images.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + (1 - size_y % 2), (n, 1, 1), device=images.device) - size_y // 2
    left = torch.randint(0, w + (1 - size_x % 2), (n, 1, 1), device=images.device) - size_x // 2
    rows = torch.arange(h, device=images.device)[None, :, None]
    cols = torch.arange(w, device=images.device)[None, None, :]
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return images * (~inside).unsqueeze(1).to(images.dtype)


_AUGMENT = {"color": color, "translation": translation, "cutout": cutout}
