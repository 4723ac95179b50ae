"""Networks of the `upsample` kind: a small learned super-resolution network served after every
generator, so that a picture painted at 32x32 or 64x64 is shown at 4x its side.

The body is Real-ESRGAN's compact network (SRVGGNetCompact: Wang, Xie, Dong and Shan,
"Real-ESRGAN", ICCVW 2021): a plain stack of 3x3 convolutions with PReLU at the low resolution,
then one convolution to scale^2 x 3 channels and a pixel shuffle (ESPCN: Shi et al., CVPR 2016),
added to the bicubic enlargement of the input, so the network only learns what bicubic misses:
sharp edges and flat areas without ringing. Everything runs at the input's resolution but the
last shuffle, which keeps it cheap on a CPU (about 0.23 M parameters at the defaults).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.configs import UpsampleConfig

class Upsampler(nn.Module):
    """Pictures in [-1, 1], (N, 3, H, W) -> (N, 3, scale H, scale W), clamped to [-1, 1]."""

    def __init__(self, config: UpsampleConfig):
        super().__init__()
        self.config = config
        w = config.width
        body: list[nn.Module] = [nn.Conv2d(3, w, 3, padding=1), nn.PReLU(w)]
        for _ in range(config.layers):
            body += [nn.Conv2d(w, w, 3, padding=1), nn.PReLU(w)]
        body += [nn.Conv2d(w, 3 * config.scale ** 2, 3, padding=1), nn.PixelShuffle(config.scale)]
        self.body = nn.Sequential(*body)
        with torch.no_grad():  # start as bicubic: the residual begins at zero
            self.body[-2].weight.mul_(0.1)
            self.body[-2].bias.zero_()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(images, scale_factor=float(self.config.scale), mode="bicubic", align_corners=False)
        return (base + self.body(images)).clamp(-1.0, 1.0)


class PatchCritic(nn.Module):
    """A small PatchGAN critic (pix2pix's, Isola et al. 2017) for the upsampler's optional
    adversarial term: three stride-2 convolutions and a 1-channel read-out give one logit of
    "a large render" per patch, so it judges texture and edges, not the whole scene. It is
    training-only: the model folder holds the upsampler alone."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4 * width, 1, 3, padding=1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images).flatten(1)  # (N, patches)


def degrade(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """What a generated picture suffers that a rendered one does not, drawn per picture, for the
    upsampler's training inputs: a slight blur (half of them, sigma up to 1 pixel), grain
    (Gaussian noise, half of them, up to 4% of the range) and a faint checkerboard (a quarter of
    them, up to 2%), the artefact of strided transposed convolutions. Trained on clean renders
    alone, a super-resolution network sharpens such grain into texture."""
    n = images.shape[0]

    def draw(*shape):
        return torch.rand(*shape, generator=generator).to(images.device)

    sigma = draw(n) * (draw(n) < 0.5)
    radius = 2
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernels = torch.exp(-offsets[None] ** 2 / (2 * sigma[:, None].clamp(min=1e-3) ** 2))
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # (n, 5); sigma ~0 gives [0, 0, 1, 0, 0]
    channels = images.shape[1]
    padded = F.pad(images, [radius] * 4, mode="replicate")
    rows = F.conv2d(padded.reshape(1, n * channels, *padded.shape[-2:]),
                    kernels.repeat_interleave(channels, 0)[:, None, None, :], groups=n * channels)
    blurred = F.conv2d(rows, kernels.repeat_interleave(channels, 0)[:, None, :, None], groups=n * channels)
    out = blurred.reshape(n, channels, *images.shape[-2:])
    grain = draw(n, 1, 1, 1) * 0.08 * (draw(n, 1, 1, 1) < 0.5)
    out = out + grain * torch.randn(out.shape, generator=generator).to(images.device)
    h, w = images.shape[-2:]
    parity = ((torch.arange(h)[:, None] + torch.arange(w)[None]) % 2 * 2 - 1).to(images)
    checker = draw(n, 1, 1, 1) * 0.04 * (draw(n, 1, 1, 1) < 0.25)
    return (out + checker * parity).clamp(-1.0, 1.0)
