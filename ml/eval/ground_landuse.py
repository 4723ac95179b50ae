"""Land use of places with no photos, four ways, on held-out cities (the research's experiment).

Deng, Zhu and Newsam (SIGSPATIAL 2018) classified the land use of places that have only an
overhead view with features of (a) the nearest places that have photos, interpolated, (b) images
of an unconditional GAN, (c) ground views a cGAN generated from the overhead view, and (d) the
cGAN discriminator's features of such a view and its tile; they report 65%, 68%, 70%, 73%.

Here land use is GeoScenes' building density (village, town, city, megacity; a village is rural,
the rest urban). Image features for (a)-(c) are the oracle's (`ml.eval.oracle`); (d) reads the
ground model's discriminator. For each way a linear classifier is fitted on the training cities'
features and scored on the held-out cities' (`ml.data.dataset.is_heldout_city`), so every row
is measured on the same held-out places. Also measured: the oracle's land-use accuracy on the
generated views against the same figure on the real views of the same places (the target is a
ratio of at least 0.85).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ml.models.ground import LAND_USES, RURAL_LAND_USES
from ml.train.image_cache import ImageCache

LAND_USE_ATTRIBUTE = "density"  # the GeoScenes attribute that is the land use
NEIGHBOURS = 5  # (a): places with photos averaged per place without
FIT_STEPS = 300
BATCH = 256
TARGET_RATIO = 0.85


def land_use_labels(data: ImageCache, land_uses=LAND_USES) -> torch.Tensor:
    """(N,) index into `land_uses` of each row's GeoScenes density (-1 where unknown)."""
    names = data.classes.get(LAND_USE_ATTRIBUTE, [])
    index = {name: land_uses.index(name) for name in names if name in land_uses}
    raw = data.labels.get(LAND_USE_ATTRIBUTE)
    if raw is None:
        return torch.full((len(data),), -1, dtype=torch.long)
    return torch.tensor([index.get(names[i], -1) if i >= 0 else -1 for i in raw.tolist()], dtype=torch.long)


def fit_linear(features: torch.Tensor, labels: torch.Tensor, num_classes: int, *, seed: int = 0,
               steps: int = FIT_STEPS, weight_decay: float = 1e-3) -> nn.Linear:
    """A softmax regression on standardised features, the standardisation folded into the layer."""
    known = labels >= 0
    x, y = features[known].double(), labels[known]
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    torch.manual_seed(seed)
    layer = nn.Linear(x.shape[1], num_classes).double()
    optimizer = torch.optim.LBFGS(layer.parameters(), lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")
    z = (x - mean) / std

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(layer(z), y) + weight_decay * layer.weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    folded = nn.Linear(x.shape[1], num_classes)
    with torch.no_grad():
        folded.weight.copy_((layer.weight / std).float())
        folded.bias.copy_((layer.bias - (layer.weight * mean / std).sum(1)).float())
    return folded


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    known = labels >= 0
    return float((logits[known].argmax(1) == labels[known]).float().mean())


def urban_accuracy(logits: torch.Tensor, labels: torch.Tensor, land_uses=LAND_USES) -> float:
    rural = torch.tensor([name in RURAL_LAND_USES for name in land_uses])
    known = labels >= 0
    return float((rural[logits[known].argmax(1)] == rural[labels[known]]).float().mean())


def view_latents(count: int, latent_dim: int, seed: int) -> torch.Tensor:
    return torch.randn(count, latent_dim, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def generate_views(generator: nn.Module, tiles_uint8: torch.Tensor, seed: int) -> torch.Tensor:
    """One generated view per tile, in [-1, 1], with latents drawn from `seed`."""
    latents = view_latents(len(tiles_uint8), generator.config.latent_dim, seed)
    views = [generator(latents[i:i + BATCH], ImageCache.to_float(tiles_uint8[i:i + BATCH])).clamp(-1, 1)
             for i in range(0, len(tiles_uint8), BATCH)]
    return torch.cat(views)


@torch.no_grad()
def discriminator_features(discriminator: nn.Module, views: torch.Tensor,
                           tiles_uint8: torch.Tensor) -> torch.Tensor:
    return torch.cat([discriminator.features(views[i:i + BATCH], ImageCache.to_float(tiles_uint8[i:i + BATCH]))
                      for i in range(0, len(views), BATCH)])


def fit_land_use_head(model, data: ImageCache, *, seed: int = 0) -> tuple[nn.Linear, float]:
    """The land-use head of a GroundModel: fitted on D's features of generated views of the
    data's tiles; returns it and its accuracy on those pairs."""
    labels = land_use_labels(data, model.config.land_uses)
    views = generate_views(model.generator.eval(), data.overhead, seed)
    features = discriminator_features(model.discriminator.eval(), views, data.overhead)
    head = fit_linear(features, labels, len(model.config.land_uses), seed=seed)
    with torch.no_grad():
        return head, accuracy(head(features), labels)


# ---------------------------------------------------------------------------------------------
# The comparison


def _unit(lat: torch.Tensor, lon: torch.Tensor) -> np.ndarray:
    lat, lon = np.radians(lat.double().numpy()), np.radians(lon.double().numpy())
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def interpolated_features(source: ImageCache, source_features: torch.Tensor, target: ImageCache,
                          neighbours: int = NEIGHBOURS) -> torch.Tensor:
    """(a): for each target place, the mean features of the `neighbours` nearest source photos
    of other cities (a place without photos has none of its own city either)."""
    source_points, target_points = _unit(source.lat, source.lon), _unit(target.lat, target.lon)
    source_city, target_city = source.city.numpy(), target.city.numpy()
    out = torch.empty(len(target), source_features.shape[1])
    for start in range(0, len(target), 1024):
        chord = -target_points[start:start + 1024] @ source_points.T  # smaller is nearer
        chord[target_city[start:start + 1024, None] == source_city[None, :]] = np.inf
        nearest = np.argpartition(chord, neighbours, axis=1)[:, :neighbours]
        out[start:start + 1024] = source_features[torch.from_numpy(nearest)].mean(1)
    return out


def _to_pixels(images: torch.Tensor) -> torch.Tensor:
    """uint8 images as they are; float ones in [-1, 1] rounded to pixels, as a stored view is."""
    if images.is_floating_point():
        return (images * 127.5 + 127.5).round().clamp(0, 255).to(torch.uint8)
    return images


def oracle_land_use_accuracy(oracle, images: torch.Tensor, labels: torch.Tensor) -> float:
    """How often the oracle reads the land use `labels` give in `images`."""
    from ml.eval.metrics import oracle_features

    names = list(oracle.config.classes.get(LAND_USE_ATTRIBUTE, []))
    to_land_use = torch.tensor([LAND_USES.index(name) for name in names])
    predicted = to_land_use[torch.from_numpy(oracle_features(oracle, _to_pixels(images)).predictions[LAND_USE_ATTRIBUTE]).long()]
    known = labels >= 0
    return float((predicted[known] == labels[known]).float().mean())


def oracle_target(model, oracle, heldout: ImageCache, *, seed: int = 0) -> dict:
    """The target: the oracle's land-use accuracy on views generated from the held-out tiles,
    against its accuracy on the real views of the same places."""
    labels = land_use_labels(heldout)
    real = oracle_land_use_accuracy(oracle, heldout.images, labels)
    generated = oracle_land_use_accuracy(oracle, generate_views(model.generator.eval(), heldout.overhead, seed + 1),
                                         labels)
    return {"real": real, "generated": generated, "ratio": generated / real if real else None, "target": TARGET_RATIO}


def view_quality(model, oracle, heldout: ImageCache, *, seed: int = 0) -> dict:
    """What the land-use target does not see: the fidelity figures of the views painted from the
    held-out tiles against the real views of the same places, in the oracle's features, as
    `place` models are measured (`ml.eval.metrics.FIDELITY_METRICS`: FID, KID, precision and
    recall, their real-vs-real floor, edge strength), and how much a tile's views change with the
    latent: the mean absolute difference (pixels in [0, 1]) between two seeds' views of each tile,
    beside the same between the real views of neighbouring held-out rows (other spots, often of
    the same city)."""
    from ml.eval.metrics import FIDELITY_METRICS, Evaluation, RealSet, measure, oracle_features

    generator = model.generator.eval()
    first, second = (generate_views(generator, heldout.overhead, seed + k) for k in (1, 2))
    photos, views = _to_pixels(heldout.images), _to_pixels(first)
    evaluation = Evaluation(RealSet(heldout, oracle_features(oracle, photos)), oracle_features(oracle, views),
                            photos, views)
    real = ImageCache.to_float(heldout.images)
    return {**measure(evaluation, FIDELITY_METRICS),
            "diversity": {"generated": float((first - second).abs().mean() / 2),
                          "real": float((real - real.roll(1, dims=0)).abs().mean() / 2)}}


def compare(conditional, unconditional, oracle, train: ImageCache, heldout: ImageCache, *, seed: int = 0) -> dict:
    """The four rows (and the oracle's land-use accuracy on real and generated held-out views).

    `conditional` and `unconditional` are GroundModels (generator + discriminator) of runs of
    equal budget, the second trained with `conditional` off."""
    from ml.eval.metrics import oracle_features

    train_labels, heldout_labels = land_use_labels(train), land_use_labels(heldout)
    rows = {}

    def row(name: str, train_features: torch.Tensor, heldout_features: torch.Tensor) -> None:
        head = fit_linear(train_features, train_labels, len(LAND_USES), seed=seed)
        with torch.no_grad():
            logits = head(heldout_features)
        rows[name] = {"land_use": accuracy(logits, heldout_labels), "urban_rural": urban_accuracy(logits, heldout_labels)}

    def embed(images: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(oracle_features(oracle, _to_pixels(images)).features).float()

    real_train = embed(train.images)
    leave_own_city = interpolated_features(train, real_train, train)
    row("interpolated", leave_own_city, interpolated_features(train, real_train, heldout))

    for name, model in (("gan", unconditional), ("cgan", conditional)):
        generator = model.generator.eval()
        train_views = generate_views(generator, train.overhead, seed)
        heldout_views = generate_views(generator, heldout.overhead, seed + 1)
        row(name, embed(train_views), embed(heldout_views))
        if name == "cgan":
            row("cgan_discriminator", discriminator_features(model.discriminator.eval(), train_views, train.overhead),
                discriminator_features(model.discriminator.eval(), heldout_views, heldout.overhead))
    known_train = train_labels[train_labels >= 0]
    majority = int(torch.bincount(known_train, minlength=len(LAND_USES)).argmax())
    known = heldout_labels[heldout_labels >= 0]
    baseline = {"class": LAND_USES[majority], "land_use": float((known == majority).float().mean())}
    return {"rows": rows, "majority": baseline, "oracle": oracle_target(conditional, oracle, heldout, seed=seed),
            "train_images": len(train), "heldout_images": len(heldout),
            "heldout_cities": len(set(heldout.city.tolist()))}
