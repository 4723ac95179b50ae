"""Networks of the `ground` generator: a conditional GAN from an overhead tile to a ground view.

Follows Deng, Zhu and Newsam, "What Is It Like Down There? Generating Dense Ground-Level Views
and Image Features From Overhead Imagery Using Conditional Generative Adversarial Networks"
(SIGSPATIAL 2018): the overhead patch is encoded to one feature vector, which conditions both
the generator (concatenated with the noise z) and the discriminator (here by projection, Miyato
and Koyama, ICLR 2018). The discriminator's penultimate features of a (ground view, overhead)
pair are what the land-use classifier of `ml.eval.ground_landuse` reads, as in the paper.

The layers are the place generator's (`ml.models.place`): equalised learning rate, pixel norm
in G, minibatch standard deviation in D, fused resampling convolutions. Unlike `place`, the
networks train at full resolution from the first step (no progressive growing): the overhead
tile fixes most of the layout, so the coarse-to-fine schedule buys little here. With
`conditional` off the overhead is ignored (the unconditional baseline of the land-use table).

The `pix2pix` variant is the stronger alternative the research points to (Isola, Zhu, Zhou and
Efros, "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017): a U-Net
generator, whose decoder sees the tile's encoder features at every resolution through skip
connections instead of one vector, and a PatchGAN critic that scores each patch of the view
stacked channel-wise with its tile. The tile is not aligned with the view (one looks down, the
other across), so the skips carry what is there (roofs, roads, water, trees) rather than where.

`GroundModel` bundles what a model folder holds: the EMA generator, the discriminator and the
land-use head trained on the discriminator's features; `ground_networks` builds the (G, D) of
either variant.
"""

import torch
from torch import nn

from ml.models.configs import LAND_USES, GroundConfig  # noqa: F401 (LAND_USES: re-exported)
from ml.models.place import (RELU_GAIN, DiscriminatorBlock, EqualizedConv2d, EqualizedLinear, GeneratorBlock,
                             _leaky, _leaky_pixel_norm, minibatch_stddev, pixel_norm)

# The land uses counted as rural (the others are urban).
RURAL_LAND_USES = ("village",)
PATCH_LEVELS = 3  # the PatchGAN critic scores patches at 1/8 of the resolution (at least 4x4)


def urban_or_rural(land_use: str) -> str:
    return "rural" if land_use in RURAL_LAND_USES else "urban"


class OverheadEncoder(nn.Module):
    """Overhead tile (N, 3, R, R) in [-1, 1] -> one feature vector (N, overhead_dim)."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.conditional = config.conditional
        widths = config.stage_widths()
        self.from_rgb = EqualizedConv2d(3, widths[-1], 1)
        self.blocks = nn.Sequential(*(DiscriminatorBlock(widths[s], widths[s - 1])
                                      for s in range(len(widths) - 1, 0, -1)))
        self.dense = EqualizedLinear(widths[0] * 16, config.overhead_dim)
        self.out_features = config.overhead_dim

    def forward(self, overhead: torch.Tensor) -> torch.Tensor:
        if not self.conditional:  # every tile looks the same: a constant condition
            overhead = torch.zeros_like(overhead)
        x = self.blocks(_leaky(self.from_rgb(overhead)))
        return pixel_norm(_leaky(self.dense(x.flatten(1))))


class GroundGenerator(nn.Module):
    """(z, overhead tile) -> ground-level view in about [-1, 1]."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        self.encoder = OverheadEncoder(config)
        self.input_dense = EqualizedLinear(config.latent_dim + config.overhead_dim, widths[0] * 16,
                                           gain=RELU_GAIN / 4)
        self.input_conv = EqualizedConv2d(widths[0], widths[0], 3)
        self.blocks = nn.Sequential(*(GeneratorBlock(widths[s - 1], widths[s]) for s in range(1, len(widths))))
        self.to_rgb = EqualizedConv2d(widths[-1], 3, 1, gain=1.0)

    def forward(self, z: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        condition = self.encoder(overhead)
        x = self.input_dense(torch.cat([pixel_norm(z), condition], dim=1)).reshape(z.shape[0], -1, 4, 4)
        x = _leaky_pixel_norm(self.input_conv(_leaky_pixel_norm(x)))
        return self.to_rgb(self.blocks(x))


class GroundDiscriminator(nn.Module):
    """(ground view, overhead tile) -> one unbounded score per pair (a WGAN critic); its
    penultimate layer (`features`) is the pair's feature vector for land-use classification.

    With `land_use_head`, a second read-out of the view's features alone (not the tile's)
    classifies the land use the view shows (`with_classes=True` returns its logits too, as
    {"land_use": (N, classes)}, like the place critic's attribute heads): an
    auxiliary classifier (Odena et al., ICML 2017) that the training loop fits on real views and
    asks generated views to satisfy, so the land use of the tile must show in the view."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        self.from_rgb = EqualizedConv2d(3, widths[-1], 1)
        self.blocks = nn.Sequential(*(DiscriminatorBlock(widths[s], widths[s - 1])
                                      for s in range(len(widths) - 1, 0, -1)))
        self.final_conv = EqualizedConv2d(widths[0] + 1, widths[0], 3)
        self.final_dense = EqualizedLinear(widths[0] * 16, widths[0])
        self.output = EqualizedLinear(widths[0], 1, gain=1.0)
        self.encoder = OverheadEncoder(config)
        self.projection = EqualizedLinear(config.overhead_dim, widths[0], gain=1.0)
        self.feature_dim = widths[0] + config.overhead_dim
        self.land_use_head = (EqualizedLinear(widths[0], len(config.land_uses), gain=1.0)
                              if config.land_use_head else None)

    def _parts(self, images: torch.Tensor, overhead: torch.Tensor,
               group_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.blocks(_leaky(self.from_rgb(images)))
        x = _leaky(self.final_conv(minibatch_stddev(x, group_size)))
        return _leaky(self.final_dense(x.flatten(1))), self.encoder(overhead)

    def forward(self, images: torch.Tensor, overhead: torch.Tensor, *, with_classes: bool = False):
        features, condition = self._parts(images, overhead, self.config.mbstd_group_size)
        scores = self.output(features).squeeze(1) + (features * self.projection(condition)).sum(dim=1)
        if not with_classes:
            return scores
        return scores, None if self.land_use_head is None else {"land_use": self.land_use_head(features)}

    def features(self, images: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        """The view's features beside the overhead's: (N, feature_dim). Each sample is its own
        minibatch-stddev group, so a view's features never depend on the rest of the batch."""
        return torch.cat(self._parts(images, overhead, 1), dim=1)


class UNetGenerator(nn.Module):
    """(z, overhead tile) -> ground-level view: the tile is encoded down to 4x4, the latent joins
    it there, and each decoder block also reads the encoder's features of its resolution."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        self.conditional = config.conditional
        self.from_rgb = EqualizedConv2d(3, widths[-1], 1)
        self.down = nn.ModuleList(DiscriminatorBlock(widths[s], widths[s - 1]) for s in range(len(widths) - 1, 0, -1))
        self.latent_dense = EqualizedLinear(config.latent_dim, widths[0] * 16, gain=RELU_GAIN / 4)
        self.bottleneck = EqualizedConv2d(2 * widths[0], widths[0], 3)
        self.up = nn.ModuleList(GeneratorBlock(2 * widths[s - 1], widths[s]) for s in range(1, len(widths)))
        self.to_rgb = EqualizedConv2d(widths[-1], 3, 1, gain=1.0)

    def forward(self, z: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        if not self.conditional:
            overhead = torch.zeros_like(overhead)
        skips, x = [], _leaky(self.from_rgb(overhead))
        for block in self.down:  # R -> 4: the skip of each resolution is the block's output
            x = block(x)
            skips.append(x)
        latent = self.latent_dense(pixel_norm(z)).reshape(z.shape[0], -1, 4, 4)
        x = _leaky_pixel_norm(self.bottleneck(torch.cat([pixel_norm(latent), skips[-1]], dim=1)))
        for block, skip in zip(self.up, reversed(skips)):  # 4 -> R, each block reading its skip
            x = block(torch.cat([x, pixel_norm(skip)], dim=1))
        return self.to_rgb(x)


class PatchDiscriminator(nn.Module):
    """(ground view, overhead tile) -> one unbounded score per pair: the mean of a PatchGAN's
    scores of the view and tile stacked channel-wise (a WGAN critic). `features` are the last
    feature maps averaged over the patches, the pair's vector for land-use classification."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        levels = min(PATCH_LEVELS, len(widths) - 1)
        self.from_rgb = EqualizedConv2d(6 if config.conditional else 3, widths[-1], 1)
        self.blocks = nn.Sequential(*(DiscriminatorBlock(widths[s], widths[s - 1])
                                      for s in range(len(widths) - 1, len(widths) - 1 - levels, -1)))
        self.feature_dim = widths[-1 - levels]
        self.output = EqualizedConv2d(self.feature_dim, 1, 3, gain=1.0)
        self.land_use_head = None  # see GroundConfig: only the cgan critic can have one

    def _maps(self, images: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        pair = torch.cat([images, overhead], dim=1) if self.config.conditional else images
        return self.blocks(_leaky(self.from_rgb(pair)))

    def patch_scores(self, images: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        """One score per patch: (N, patches)."""
        return self.output(self._maps(images, overhead)).flatten(1)

    def forward(self, images: torch.Tensor, overhead: torch.Tensor, *, with_classes: bool = False):
        scores = self.patch_scores(images, overhead).mean(dim=1)
        return (scores, None) if with_classes else scores

    def features(self, images: torch.Tensor, overhead: torch.Tensor) -> torch.Tensor:
        return self._maps(images, overhead).mean(dim=(2, 3))


def ground_networks(config: GroundConfig) -> tuple[nn.Module, nn.Module]:
    """A fresh (generator, discriminator) of the config's variant."""
    if config.variant == "pix2pix":
        return UNetGenerator(config), PatchDiscriminator(config)
    return GroundGenerator(config), GroundDiscriminator(config)


class GroundModel(nn.Module):
    """What a `ground` model folder holds: the (EMA) generator, the discriminator and the
    land-use head on the discriminator's features of a generated view and its tile."""

    def __init__(self, config: GroundConfig):
        super().__init__()
        self.config = config
        self.generator, self.discriminator = ground_networks(config)
        self.land_use = nn.Linear(self.discriminator.feature_dim, len(config.land_uses))

    def forward(self, z: torch.Tensor, overhead: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Ground views and land-use logits of their tiles."""
        views = self.generator(z, overhead)
        return views, self.land_use(self.discriminator.features(views.clamp(-1, 1), overhead))
