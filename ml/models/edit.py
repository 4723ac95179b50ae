"""Networks of the `edit` generator: SIMGAN, text-guided manipulation of a picture.

The generator is an encoder-residual-decoder (Johnson et al., 2016; CycleGAN's generator):
three convolutions take the picture down to a quarter of its side, the text features are
tiled over that grid and concatenated with the image features, sixteen residual units work on
the joint features, and two transposed convolutions bring them back to full size (or, with
`decoder`, two resize-convolutions or pixel shuffles, free of the checkerboard; with `source_skip`
they paint a change added to the source before the last tanh). The text
enters through conditioning augmentation (Zhang et al., "StackGAN", ICCV 2017): the sentence
embedding is mapped to the mean and log-variance of a Gaussian and a sample of it conditions the
edit, so one (picture, text) pair has many edits, one per draw, and nearby texts give nearby
conditions, which makes interpolating between two texts smooth.

The discriminator has eight convolutions; it scores a (picture, text) pair: after its image
layers bring the picture down to 4x4, the text features are tiled and concatenated, and the
last two layers judge both together. Trained with a least-squares loss (Mao et al., 2017) on
real/matching, real/mismatching and edited/target pairs, as text-conditional image editors
since Dong, Yu, Wu and Guo ("Semantic Image Synthesis via Adversarial Learning", ICCV 2017:
SISGAN) do. `residual_units=0` and `augmentation=False` give the baselines: SISGAN's plain
encoder-decoder and the SIMGAN ablation without conditioning augmentation. `standardize_text`
and `attribute_head` go beyond SIMGAN (see `TextStandardizer` and `EditDiscriminator`).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.configs import EditConfig

LEAKY_SLOPE = 0.2
SKIP_LIMIT = 0.995  # the source is clamped to this before atanh (atanh(0.995) = 3.0): black and white stay reachable
DISCRIMINATOR_LAYERS = 8


class TextStandardizer(nn.Module):
    """Sentence embedding -> the same, less the training texts' mean and over their standard
    deviation, per dimension (buffers, set by `fit` before training and saved with the weights).

    Captions of one kind of picture are close together in the sentence-embedding space (all
    unit vectors, a per-dimension spread of about 0.04 around a common mean of norm 0.7), so a
    freshly initialised linear layer maps two different texts to conditions about 0.01 apart,
    which the unit noise of conditioning augmentation drowns; standardised, they differ by O(1)."""

    def __init__(self, text_dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(text_dim))
        self.register_buffer("scale", torch.ones(text_dim))

    @torch.no_grad()
    def fit(self, texts: torch.Tensor) -> None:
        self.mean.copy_(texts.float().mean(0))
        self.scale.copy_(texts.float().std(0).clamp_min(1e-4))

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        return (text - self.mean) / self.scale


def text_input(config: EditConfig) -> nn.Module:
    """What a network does to a sentence embedding before its own layers."""
    return TextStandardizer(config.text_dim) if config.standardize_text else nn.Identity()


class ConditioningAugmentation(nn.Module):
    """Sentence embedding -> (mu, log sigma^2) of the condition, and a sample of it.

    With `augmentation` off the condition is a plain linear map of the embedding (mu)."""

    def __init__(self, config: EditConfig):
        super().__init__()
        self.augmentation = config.augmentation
        self.standardize = text_input(config)
        self.project = nn.Linear(config.text_dim, 2 * config.condition_dim)

    def forward(self, text: torch.Tensor, noise: torch.Tensor | None = None,
                sample: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The condition, mu and logvar. `noise` (N(0, 1), shape of mu) fixes the draw; with
        `sample` False (or augmentation off) the condition is mu."""
        mu, logvar = F.leaky_relu(self.project(self.standardize(text)), LEAKY_SLOPE).chunk(2, dim=1)
        if not (self.augmentation and sample):
            return mu, mu, logvar
        if noise is None:
            noise = torch.randn_like(mu)
        return mu + noise * torch.exp(0.5 * logvar), mu, logvar


def _norm(channels: int) -> nn.Module:
    # Batch norm, not instance norm: the text reaches the features as per-channel shifts of a
    # tiled vector, which instance norm would subtract away.
    return nn.BatchNorm2d(channels)


class ResidualUnit(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), _norm(channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), _norm(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class EditGenerator(nn.Module):
    """(picture in [-1, 1], sentence embedding) -> the edited picture, and (mu, logvar)."""

    def __init__(self, config: EditConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.condition = ConditioningAugmentation(config)
        self.encoder = nn.Sequential(
            nn.Conv2d(3, w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1, bias=False), _norm(2 * w), nn.ReLU(inplace=True),
            nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1, bias=False), _norm(4 * w), nn.ReLU(inplace=True))
        self.joint = nn.Sequential(
            nn.Conv2d(4 * w + config.condition_dim, 4 * w, 3, padding=1, bias=False), _norm(4 * w),
            nn.ReLU(inplace=True))
        self.residual = nn.Sequential(*(ResidualUnit(4 * w) for _ in range(config.residual_units)))
        self.decoder = nn.Sequential(
            upsampling_layer(config.decoder, 4 * w, 2 * w), _norm(2 * w), nn.ReLU(inplace=True),
            upsampling_layer(config.decoder, 2 * w, w), _norm(w), nn.ReLU(inplace=True),
            nn.Conv2d(w, 3, 3, padding=1))  # then tanh, after the source when source_skip
        if config.source_skip:  # start from the identity: no change painted yet
            nn.init.zeros_(self.decoder[-1].weight)
            nn.init.zeros_(self.decoder[-1].bias)

    def forward(self, images: torch.Tensor, text: torch.Tensor, noise: torch.Tensor | None = None,
                sample: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        condition, mu, logvar = self.condition(text, noise, sample)
        return self.edit(images, condition), mu, logvar

    def edit(self, images: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """The picture edited by a condition already drawn (interpolation mixes conditions)."""
        features = self.encoder(images)
        tiled = condition[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        features = self.joint(torch.cat([features, tiled.to(features.dtype)], dim=1))
        change = self.decoder(self.residual(features))
        if self.config.source_skip:
            change = change + torch.atanh(images.clamp(-SKIP_LIMIT, SKIP_LIMIT)).to(change.dtype)
        return torch.tanh(change)


def upsampling_layer(decoder: str, channels_in: int, channels_out: int) -> nn.Module:
    """A layer doubling the side. A strided transposed convolution (kernel 4, stride 2) computes each
    of its four output phases with its own quarter of the kernel, which shows as a checkerboard
    until training balances them (Odena, Dumoulin and Olah, "Deconvolution and Checkerboard
    Artifacts", Distill 2016); resizing first, or a pixel shuffle initialised to behave like it
    (ICNR: Aitken et al. 2017), starts free of it."""
    if decoder == "transposed":
        return nn.ConvTranspose2d(channels_in, channels_out, 4, stride=2, padding=1, bias=False)
    if decoder == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"),
                             nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False))
    convolution = nn.Conv2d(channels_in, 4 * channels_out, 3, padding=1, bias=False)
    with torch.no_grad():  # ICNR: the four sub-pixels start with the same kernel
        kernel = torch.empty(channels_out, channels_in, 3, 3)
        nn.init.kaiming_uniform_(kernel, a=math.sqrt(5))
        convolution.weight.copy_(kernel.repeat_interleave(4, dim=0))
    return nn.Sequential(convolution, nn.PixelShuffle(2))


def _leaky() -> nn.Module:
    return nn.LeakyReLU(LEAKY_SLOPE, inplace=True)


class EditDiscriminator(nn.Module):
    """(picture, sentence embedding) -> one least-squares score per pair (1: real and matching).

    Eight convolutions: stride-2 4x4 ones down to 4x4, then 3x3 ones, six on the picture in all;
    then a 1x1 on the picture's 4x4 features joined with the tiled text and a 4x4 to the score.
    No normalisation layer: a score depends on its own pair only, whatever else is in the batch,
    and the overall brightness and colour (night, snow) reach the text comparison intact.

    With `attribute_head`, one linear read-out per attribute of the picture's 4x4 features (before
    the text joins them) gives that attribute's class logits: `with_classes=True` returns them
    too, as {attribute: (N, classes)} (StarGAN's domain classifier, Choi et al. 2018).
    """

    def __init__(self, config: EditConfig):
        super().__init__()
        self.config = config
        layers, channels = [], 3
        for index in range(config.downsamplings):
            width = config.d_width * min(2 ** index, 8)
            layers += [nn.Conv2d(channels, width, 4, stride=2, padding=1), _leaky()]
            channels = width
        for _ in range(DISCRIMINATOR_LAYERS - 2 - config.downsamplings):
            layers += [nn.Conv2d(channels, channels, 3, padding=1), _leaky()]
        self.image = nn.Sequential(*layers)
        self.standardize = text_input(config)
        self.text = nn.Sequential(nn.Linear(config.text_dim, config.d_text_dim), _leaky())
        self.joint = nn.Sequential(nn.Conv2d(channels + config.d_text_dim, channels, 1), _leaky(),
                                   nn.Conv2d(channels, 1, 4))
        self.attributes = nn.ModuleDict({name: nn.Linear(channels * 16, len(classes))
                                         for name, classes in config.attribute_head.items()})

    def forward(self, images: torch.Tensor, text: torch.Tensor, with_classes: bool = False):
        features = self.image(images)
        tiled = self.text(self.standardize(text))[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        scores = self.joint(torch.cat([features, tiled.to(features.dtype)], dim=1)).flatten()
        if not with_classes:
            return scores
        return scores, {name: head(features.flatten(1)) for name, head in self.attributes.items()}


def count_convolutions(module: nn.Module) -> int:
    return sum(isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) for layer in module.modules())
