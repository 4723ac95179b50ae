"""The upsampler's network on a tiny config: it starts as bicubic, learns, and the degradations."""
import pytest
import torch
import torch.nn.functional as F

from ml.models.configs import UpsampleConfig
from ml.models.upsample import Upsampler, degrade

TINY = dict(width=8, layers=2, resolution=8)


@pytest.mark.parametrize("scale", [2, 4])
def test_it_enlarges_by_its_scale_and_starts_close_to_bicubic(scale):
    torch.manual_seed(0)
    network = Upsampler(UpsampleConfig(scale=scale, **TINY))
    images = torch.rand(2, 3, 8, 8) * 2 - 1
    out = network(images)
    bicubic = F.interpolate(images, scale_factor=float(scale), mode="bicubic", align_corners=False).clamp(-1, 1)
    assert out.shape == (2, 3, 8 * scale, 8 * scale) and out.abs().max() <= 1
    assert (out - bicubic).abs().mean() < 0.02  # the residual starts near zero


def test_one_step_lowers_the_l1_to_a_sharp_target():
    torch.manual_seed(0)
    network = Upsampler(UpsampleConfig(scale=2, **TINY))
    target = torch.sign(torch.randn(4, 3, 16, 16)).repeat_interleave(1, 0)  # hard edges
    low = F.avg_pool2d(target, 2)
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = (network(low) - target).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_degrade_blurs_adds_grain_and_keeps_range_and_shape():
    images = torch.sign(torch.randn(64, 3, 16, 16))
    out = degrade(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.abs().max() <= 1
    changed = (out - images).abs().flatten(1).mean(1)
    assert (changed > 0.01).float().mean() > 0.3  # many pictures are degraded ...
    assert (changed < 1e-6).float().mean() > 0.05  # ... and some are left as they are
    assert torch.equal(out, degrade(images, torch.Generator().manual_seed(0)))  # drawn from the generator given


@pytest.mark.parametrize("values, message", [
    ({"scale": 3}, "UpsampleConfig.scale must be one of 2, 4"),
    ({"width": 0}, "UpsampleConfig.width must be a positive integer"),
    ({"layers": True}, "UpsampleConfig.layers must be a positive integer"),
])
def test_bad_configs_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        UpsampleConfig(**values)
