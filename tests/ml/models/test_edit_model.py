"""The SIMGAN networks on a tiny config: shapes, gradients, one-to-many, the architecture's counts."""
import pytest
import torch

from ml.models.edit import (SKIP_LIMIT, EditConfig, EditDiscriminator, EditGenerator, count_convolutions,
                            upsampling_layer)
from ml.train.edit_losses import LeastSquaresDiscriminatorLoss

TINY = dict(resolution=16, text_dim=12, condition_dim=6, width=4, residual_units=2, d_width=4, d_text_dim=6)


def _batch(config: EditConfig, size: int = 4, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(size, 3, config.resolution, config.resolution, generator=generator) * 2 - 1
    texts = torch.nn.functional.normalize(torch.randn(size, config.text_dim, generator=generator), dim=1)
    return images, texts


def test_forward_and_backward_are_finite():
    torch.manual_seed(0)
    config = EditConfig(**TINY)
    G, D = EditGenerator(config), EditDiscriminator(config)
    images, texts = _batch(config)
    edited, mu, logvar = G(images, texts)
    scores = D(edited, texts)
    assert edited.shape == images.shape and scores.shape == (4,)
    assert mu.shape == logvar.shape == (4, 6)
    assert edited.abs().max() <= 1 and torch.isfinite(scores).all()
    scores.square().mean().backward()
    for name, parameter in [*G.named_parameters(), *D.named_parameters()]:
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name


def test_one_discriminator_step_lowers_its_loss():
    torch.manual_seed(0)
    config = EditConfig(**TINY)
    G, D = EditGenerator(config), EditDiscriminator(config)
    images, texts = _batch(config)
    with torch.no_grad():
        edited, _, _ = G(images, texts.roll(1, 0))
    loss_of = LeastSquaresDiscriminatorLoss()

    def loss():
        return loss_of(D(images, texts), D(images, texts.roll(1, 0)), D(edited, texts.roll(1, 0)))

    optimiser = torch.optim.Adam(D.parameters(), lr=1e-3)
    before = loss()
    optimiser.zero_grad()
    before.backward()
    optimiser.step()
    assert loss().item() < before.item()


def test_the_default_architecture_is_simgans():
    config = EditConfig()
    G, D = EditGenerator(config), EditDiscriminator(config)
    assert config.resolution == 64 and config.text_dim == 384 and config.residual_units == 16
    assert count_convolutions(G.encoder) == 3 and len(G.residual) == 16
    assert sum(isinstance(layer, torch.nn.ConvTranspose2d) for layer in G.decoder.modules()) == 2
    assert count_convolutions(D) == 8
    for resolution in (128, 256):
        assert count_convolutions(EditDiscriminator(EditConfig(resolution=resolution, d_width=4))) == 8
        G = EditGenerator(EditConfig(resolution=resolution, width=4, residual_units=1)).eval()
        assert G(torch.zeros(1, 3, resolution, resolution), torch.zeros(1, 384))[0].shape[-1] == resolution


def test_one_text_gives_many_edits_and_the_noise_fixes_each():
    torch.manual_seed(0)
    config = EditConfig(**TINY)
    G = EditGenerator(config).eval()
    images, texts = _batch(config, size=1)
    noise = [torch.randn(1, 6, generator=torch.Generator().manual_seed(seed)) for seed in (0, 1)]
    with torch.no_grad():
        first, again, other = (G(images, texts, n)[0] for n in (noise[0], noise[0], noise[1]))
        mean_a, mean_b = G(images, texts, noise[0], sample=False)[0], G(images, texts, noise[1], sample=False)[0]
    assert torch.equal(first, again) and not torch.allclose(first, other)
    assert torch.equal(mean_a, mean_b)


def test_without_augmentation_the_noise_is_ignored():
    torch.manual_seed(0)
    config = EditConfig(**{**TINY, "augmentation": False})
    G = EditGenerator(config).eval()
    images, texts = _batch(config, size=1)
    with torch.no_grad():
        a = G(images, texts, torch.zeros(1, 6))[0]
        b = G(images, texts, torch.ones(1, 6))[0]
    assert torch.equal(a, b)


def test_the_attribute_head_reads_the_picture_alone():
    torch.manual_seed(0)
    head = {"weather": ["clear", "snow", "fog"], "biome": ["polar", "desert"]}
    D = EditDiscriminator(EditConfig(**TINY, attribute_head=head))
    images, texts = _batch(EditConfig(**TINY))
    scores, classes = D(images, texts, with_classes=True)
    assert scores.shape == (4,) and {name: logits.shape for name, logits in classes.items()} == {
        "weather": (4, 3), "biome": (4, 2)}
    _, other_text = D(images, texts.roll(1, 0), with_classes=True)
    assert all(torch.equal(classes[name], other_text[name]) for name in head)  # the text plays no part
    # Without a head the discriminator has the same weights as before the head existed.
    assert D.state_dict().keys() - EditDiscriminator(EditConfig(**TINY)).state_dict().keys() == {
        "attributes.weather.weight", "attributes.weather.bias", "attributes.biome.weight", "attributes.biome.bias"}


def test_standardised_texts_give_clearly_different_conditions():
    torch.manual_seed(0)
    config = EditConfig(**{**TINY, "text_dim": 384})
    # Texts as sentence embeddings of captions are: unit vectors close to a common mean.
    common = torch.nn.functional.normalize(torch.randn(384), dim=0)
    texts = torch.nn.functional.normalize(common + 0.05 * torch.randn(64, 384), dim=1)
    spreads = {}
    for standardize in (False, True):
        torch.manual_seed(1)
        G = EditGenerator(EditConfig(**{**TINY, "text_dim": 384, "standardize_text": standardize}))
        if standardize:
            G.condition.standardize.fit(texts)
            standardized = G.condition.standardize(texts)
            assert standardized.mean(0).abs().max() < 1e-4 and (standardized.std(0) - 1).abs().max() < 1e-3
        _, mu, _ = G.condition(texts)
        spreads[standardize] = mu.std(0).mean().item()
    assert spreads[True] > 10 * spreads[False]
    # The buffers travel with the weights; without standardisation the weights are as before.
    keys = EditGenerator(EditConfig(**{**TINY, "standardize_text": True})).state_dict().keys()
    assert keys - EditGenerator(config).state_dict().keys() == {"condition.standardize.mean",
                                                                 "condition.standardize.scale"}
    assert "standardize.mean" in EditDiscriminator(EditConfig(**{**TINY, "standardize_text": True})).state_dict()


@pytest.mark.parametrize("values, message", [
    ({"standardize_text": 1}, "EditConfig.standardize_text must be true or false"),
    ({"source_skip": "on"}, "EditConfig.source_skip must be true or false"),
    ({"attribute_head": {"weather": ["snow"]}}, "EditConfig.attribute_head must map attribute names to lists"),
    ({"resolution": 48}, "EditConfig.resolution must be one of"),
    ({"width": 0}, "EditConfig.width must be a positive integer"),
    ({"residual_units": -1}, "EditConfig.residual_units must be a non-negative integer"),
    ({"augmentation": "yes"}, "EditConfig.augmentation must be true or false"),
    ({"decoder": "deconv"}, "EditConfig.decoder must be one of transposed, resize, subpixel"),
])
def test_bad_configs_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        EditConfig(**values)


@pytest.mark.parametrize("decoder, checkerboard", [("transposed", True), ("resize", False), ("subpixel", False)])
def test_resize_and_subpixel_decoders_start_without_a_checkerboard(decoder, checkerboard):
    """A flat picture stays flat through a resize or ICNR pixel-shuffle layer, while a transposed
    convolution paints its four output phases differently (away from the border)."""
    torch.manual_seed(0)
    out = upsampling_layer(decoder, 8, 4)(torch.ones(1, 8, 8, 8))[..., 2:-2, 2:-2]
    phases = torch.stack([out[..., row::2, column::2].mean() for row in (0, 1) for column in (0, 1)])
    assert bool(phases.max() - phases.min() > 1e-3) is checkerboard
    config = EditConfig(**{**TINY, "decoder": decoder})
    images, texts = _batch(config)
    assert EditGenerator(config)(images, texts)[0].shape == images.shape


def test_with_the_source_skip_training_starts_from_the_identity_and_then_paints_changes():
    """The change starts at 0, so the untrained generator gives the source back (clamped to
    ±SKIP_LIMIT); one Adam step on a colour target moves every picture, edges and all, the same way."""
    torch.manual_seed(0)
    config = EditConfig(**{**TINY, "source_skip": True})
    G = EditGenerator(config)
    images, texts = _batch(config)
    edited, _, _ = G(images, texts)
    assert torch.allclose(edited, images.clamp(-SKIP_LIMIT, SKIP_LIMIT), atol=1e-5)
    optimizer = torch.optim.Adam(G.parameters(), lr=1e-2)
    G(images, texts)[0].mean().backward()  # darker everywhere: night
    optimizer.step()
    darker, _, _ = G(images, texts)
    assert (darker < edited).float().mean() > 0.9
    edges = lambda x: (x[..., 1:] - x[..., :-1]).abs().mean()  # noqa: E731
    assert edges(darker) > 0.5 * edges(images)
