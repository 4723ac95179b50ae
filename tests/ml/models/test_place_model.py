import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from ml.models.place import (NOISE_STRENGTH_RATE, EqualizedConv2d, PlaceConfig, PlaceDiscriminator, PlaceGenerator,
                             add_noise_inputs, location_context, place_context, widen_context, widen_stages)


def _batch(config: PlaceConfig, size: int = 4, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(size, config.latent_dim, generator=generator)
    lat = torch.rand(size, generator=generator) * 180 - 90
    lon = torch.rand(size, generator=generator) * 360 - 180
    real = torch.rand(size, 3, config.resolution, config.resolution, generator=generator) * 2 - 1
    return z, location_context(lat, lon, config.context_frequencies), real


def _critic_loss(G, D, z, context, real):
    """The Wasserstein critic loss: what D minimises."""
    fake = G(z, context, context_noise=False)
    return D(fake, context, context_noise=False).mean() - D(real, context, context_noise=False).mean()


def test_forward_and_backward_are_finite(tiny_config):
    torch.manual_seed(0)
    G, D = PlaceGenerator(tiny_config), PlaceDiscriminator(tiny_config)
    z, context, real = _batch(tiny_config)

    fake = G(z, context, alpha=0.5)  # halfway through the last fade-in: two RGB layers in use
    scores = D(fake, context, alpha=0.5)
    assert fake.shape == (4, 3, 16, 16)
    assert scores.shape == (4,)
    assert torch.isfinite(fake).all() and torch.isfinite(scores).all()

    (scores.mean() - D(real, context, alpha=0.5).mean()).backward()
    for name, parameter in [*G.named_parameters(), *D.named_parameters()]:
        if name.startswith(("to_rgb.0.", "from_rgb.0.")):  # the 4x4 stage's, unused at 16x16
            continue
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name


def test_one_optimiser_step_changes_the_loss(tiny_config):
    torch.manual_seed(0)
    G, D = PlaceGenerator(tiny_config), PlaceDiscriminator(tiny_config)
    z, context, real = _batch(tiny_config)
    optimiser = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99))

    before = _critic_loss(G, D, z, context, real)
    optimiser.zero_grad()
    before.backward()
    optimiser.step()
    after = _critic_loss(G, D, z, context, real)

    assert after.item() < before.item()


def test_inference_sees_updated_weights(tiny_config):
    """Without autograd the resampling kernels are cached; a weight update must refresh them."""
    torch.manual_seed(0)
    G = PlaceGenerator(tiny_config).eval()
    z, context, _ = _batch(tiny_config)
    with torch.no_grad():
        first = G(z, context)
        for parameter in G.parameters():
            parameter.add_(0.1)
        cached = G(z, context)
    assert not torch.equal(first, cached)
    assert torch.allclose(cached, G(z, context), atol=1e-5)


@pytest.mark.parametrize("stage", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_progressive_stages_render_and_score_their_resolution(tiny_config, stage, alpha):
    torch.manual_seed(0)
    G, D = PlaceGenerator(tiny_config), PlaceDiscriminator(tiny_config)
    z, context, _ = _batch(tiny_config)
    side = 4 * 2**stage

    images = G(z, context, stage=stage, alpha=alpha)

    assert images.shape == (4, 3, side, side)
    assert D(images, context, stage=stage, alpha=alpha).shape == (4,)


def test_a_stage_fades_in_over_the_previous_one(tiny_config):
    torch.manual_seed(0)
    G = PlaceGenerator(tiny_config).eval()
    z, context, _ = _batch(tiny_config)
    previous = F.interpolate(G(z, context, stage=1), scale_factor=2.0, mode="nearest")
    assert torch.allclose(G(z, context, stage=2, alpha=0.0), previous, atol=1e-5)
    assert torch.allclose(G(z, context, stage=2, alpha=1.0), G(z, context), atol=1e-6)


def test_wrong_stage_or_image_size_is_refused(tiny_config):
    G, D = PlaceGenerator(tiny_config), PlaceDiscriminator(tiny_config)
    z, context, real = _batch(tiny_config)
    with pytest.raises(ValueError, match="stage"):
        G(z, context, stage=3)
    with pytest.raises(ValueError, match="8x8"):
        D(real, context, stage=1)


@pytest.mark.parametrize("resample", ["up", "down"])
def test_fused_resampling_equals_resample_then_convolve(resample):
    torch.manual_seed(0)
    conv = EqualizedConv2d(5, 7, 3, resample=resample)
    torch.nn.init.normal_(conv.bias)
    x = torch.randn(2, 5, 8, 8)
    weight = conv.weight * conv.scale
    if resample == "up":
        expected = F.conv2d(F.interpolate(x, scale_factor=2.0, mode="nearest"), weight, conv.bias, padding=1)
    else:
        expected = F.avg_pool2d(F.conv2d(x, weight, conv.bias, padding=1), 2)
    assert torch.allclose(conv(x), expected, atol=1e-5)


def test_context_noise_is_added_in_training_only(tiny_config):
    torch.manual_seed(0)
    G = PlaceGenerator(tiny_config)
    z, context, _ = _batch(tiny_config)
    assert not torch.equal(G(z, context), G(z, context))
    assert torch.equal(G(z, context, context_noise=False), G(z, context, context_noise=False))
    G.eval()
    assert torch.equal(G(z, context), G(z, context))


def test_city_embedding_is_optional(tiny_config):
    config = dataclasses.replace(tiny_config, num_cities=3)
    G, D = PlaceGenerator(config), PlaceDiscriminator(config)
    z, context, _ = _batch(config)
    city = torch.tensor([0, 1, 2, 3])
    assert D(G(z, context, city), context, city).shape == (4,)
    assert "condition.city_embedding.weight" in G.state_dict()
    assert not any("city" in name for name in PlaceGenerator(tiny_config).state_dict())


def test_location_context_is_normalised_and_distinguishes_places():
    paris, tokyo = location_context(48.86, 2.35), location_context(35.68, 139.69)
    assert paris.shape == (3 + 6 * 6,)
    assert paris.abs().max() <= 1.0
    assert torch.linalg.vector_norm(paris[:3]).item() == pytest.approx(1.0)
    assert (paris - tokyo).abs().max() > 0.5


def test_location_context_is_continuous_across_the_antimeridian_and_the_poles():
    seam = location_context(-17.0, 179.99) - location_context(-17.0, -179.99)
    meridian = location_context(-17.0, 0.01) - location_context(-17.0, -0.01)
    assert seam.abs().max() == pytest.approx(meridian.abs().max().item(), abs=1e-4)
    assert seam.abs().max() < 0.05
    assert (location_context(0.0, 180.0) - location_context(0.0, -180.0)).abs().max() < 1e-5
    assert (location_context(90.0, 0.0) - location_context(90.0, 123.0)).abs().max() < 1e-5


def test_location_context_changes_smoothly():
    """Lipschitz: a step of d radians moves no feature by more than pi * 2**(F - 1) * d."""
    lon = torch.linspace(-180.0, 180.0, 36001)  # 0.01 degree steps, about 1 km
    context = location_context(torch.full_like(lon, 30.0), lon)
    bound = math.pi * 2**5 * math.radians(0.01)
    assert (context[1:] - context[:-1]).abs().max() <= bound


def test_the_population_context_tells_a_metropolis_from_a_village_nearby(tiny_config):
    from ml.data.cities import world_cities

    cities = world_cities()
    largest, smallest = cities[0], cities[-1]
    config = dataclasses.replace(tiny_config, context_population=True)
    lat, lon = torch.tensor([largest.lat, smallest.lat]), torch.tensor([largest.lon, smallest.lon])
    context = place_context(lat, lon, config)
    assert context.shape == (2, config.context_dim) == (2, tiny_config.context_dim + 1)
    assert torch.equal(context[:, :-1], place_context(lat, lon, tiny_config))  # the location part is the same
    assert context[:, -1].tolist() == pytest.approx([(math.log10(c.population) - 5) / 2 for c in (largest, smallest)])
    # A point a few hundred metres from a city takes that city's size.
    near = place_context(torch.tensor([largest.lat + 0.003]), torch.tensor([largest.lon]), config)
    assert near[0, -1] == context[0, -1]
    G, D = PlaceGenerator(config), PlaceDiscriminator(config)
    z = torch.randn(2, config.latent_dim)
    assert torch.isfinite(D(G(z, context), context)).all()


def test_population_steps_say_on_which_side_of_each_bound_a_city_lies(tiny_config):
    from ml.data.cities import world_cities

    cities = world_cities()
    largest, smallest = cities[0], cities[-1]
    bounds = [smallest.population + 1, largest.population]  # above the smallest; the largest reaches its own
    config = dataclasses.replace(tiny_config, context_population_steps=bounds)
    lat, lon = torch.tensor([largest.lat, smallest.lat]), torch.tensor([largest.lon, smallest.lon])
    context = place_context(lat, lon, config)
    assert context.shape == (2, tiny_config.context_dim + 2)
    assert torch.equal(context[:, :-2], place_context(lat, lon, tiny_config))
    assert context[:, -2:].tolist() == [[1.0, 1.0], [-1.0, -1.0]]
    with_size = dataclasses.replace(config, context_population=True)  # the size first, then the steps
    assert torch.equal(place_context(lat, lon, with_size)[:, -2:], context[:, -2:])


def test_the_climate_context_is_the_worlds_climate_of_the_place_after_the_steps(tiny_config):
    from ml.data.geoscenes.world import climate_at

    config = dataclasses.replace(tiny_config, context_population_steps=[300000], context_climate=True)
    places = [(31.63, -8.0), (69.65, 18.96), (-3.1, -60.0), (27.99, 86.9), (38.72, -9.14)]  # Marrakesh, Tromsø,
    # Manaus, Everest, Lisbon
    lat, lon = torch.tensor([p[0] for p in places]), torch.tensor([p[1] for p in places])
    context = place_context(lat, lon, config)
    assert context.shape == (5, tiny_config.context_dim + 1 + 4)
    assert torch.equal(context[:, :-4], place_context(lat, lon, dataclasses.replace(config, context_climate=False)))
    climates = [climate_at(*place) for place in places]
    expected = [[c.temperature_c / 20, 2 * c.humidity - 1, c.elevation_km / 2, 1.0 if c.water else -1.0]
                for c in climates]
    assert context[:, -4:].tolist() == [pytest.approx(row, abs=1e-3) for row in expected]
    assert [c.biome for c in climates] == ["desert", "tundra", "tropical", "alpine", "mediterranean"]


@pytest.mark.parametrize("steps", [[300000, 50000], [0], [5, 5], "50000", [True]])
def test_population_steps_must_be_ascending_positive_populations(steps):
    with pytest.raises(ValueError, match="context_population_steps must be ascending positive"):
        PlaceConfig(context_population_steps=steps)


@pytest.mark.parametrize("grown", [{"context_population_steps": [50000, 300000, 3000000]}, {"context_climate": True}])
def test_networks_widened_for_grown_context_paint_and_judge_as_before(tiny_config, grown):
    torch.manual_seed(0)
    config = dataclasses.replace(tiny_config, context_population=True)
    wider = dataclasses.replace(config, **grown)
    lat, lon = torch.tensor([35.69, 69.65, -3.1]), torch.tensor([139.69, 18.96, -60.0])
    context, wide_context = place_context(lat, lon, config), place_context(lat, lon, wider)
    z = torch.randn(3, config.latent_dim)
    for network in (PlaceGenerator(config).eval(), PlaceDiscriminator(config).eval()):
        widened = type(network)(wider).eval()
        widened.load_state_dict(widen_context(network.state_dict(), wider.context_dim))
        if isinstance(network, PlaceGenerator):
            before, after = network(z, context, context_noise=False), widened(z, wide_context, context_noise=False)
        else:
            images = torch.rand(3, 3, config.resolution, config.resolution) * 2 - 1
            before, after = network(images, context), widened(images, wide_context)
        torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="more than"):
        widen_context(PlaceGenerator(wider).state_dict(), config.context_dim)


def test_noise_inputs_added_to_a_generator_start_faint_and_paint_what_the_seed_fixes(tiny_config):
    torch.manual_seed(0)
    config = dataclasses.replace(tiny_config, condition_blocks=True)
    noisy = dataclasses.replace(config, noise_stages=2)
    network = PlaceGenerator(config).eval()
    for parameter in network.parameters():
        parameter.data.normal_()
    state = add_noise_inputs(network.state_dict(), noisy)
    assert {key: tuple(value.shape) for key, value in state.items() if key.startswith("noise.")} == {
        "noise.2.strength": (2, 8), "noise.1.strength": (2, 16)}
    added = PlaceGenerator(noisy).eval()
    added.load_state_dict(state)
    z, context, _ = _batch(config)
    before, after = network(z, context, context_noise=False), added(z, context, context_noise=False)
    assert 0 < (after - before).abs().mean() < 0.1 * before.abs().mean()  # faint where they start
    for stage in ("1", "2"):  # and nothing else changed
        added.noise[stage].strength.data.zero_()
    for stage, alpha in ((2, 1.0), (2, 0.5), (1, 1.0)):
        torch.testing.assert_close(added(z, context, stage=stage, alpha=alpha, context_noise=False),
                                   network(z, context, stage=stage, alpha=alpha, context_noise=False))
    for stage in ("1", "2"):
        added.noise[stage].strength.data.fill_(1.0 / NOISE_STRENGTH_RATE)  # each map as strong as the features
    painted = added(z, context, context_noise=False)
    assert (painted - network(z, context, context_noise=False)).abs().mean() > 0.05
    # The same latent paints the same picture in any copy of the network, alone or in a batch.
    again = PlaceGenerator(noisy).eval()
    again.load_state_dict(added.state_dict())
    torch.testing.assert_close(again(z[2:3], context[2:3], context_noise=False), painted[2:3], atol=1e-5, rtol=1e-5)
    # Each latent gets its own maps, of unit variance per pixel; two pixels' correlate only as two random
    # directions of the latent space do (about 1 / sqrt(latent_dim)).
    latents = torch.randn(4096, config.latent_dim)
    (first, _, _), (second, _, _) = added.noise["2"](F.normalize(latents, dim=1) * math.sqrt(config.latent_dim))
    pixels = first[:, 0].flatten(1)
    assert pixels.var(dim=0).mean().item() == pytest.approx(1.0, abs=0.1)
    correlations, count = torch.corrcoef(pixels.T).abs(), pixels.shape[1]
    assert (correlations.sum() - count) / (count * (count - 1)) < 1.5 / math.sqrt(config.latent_dim)
    assert (first[0] - first[1]).abs().mean() > 0.5 and (first - second).abs().mean() > 0.5
    added(z, context, context_noise=False).square().mean().backward()
    assert all(added.noise[stage].strength.grad.abs().sum() > 0 for stage in ("1", "2"))
    assert add_noise_inputs(added.state_dict(), noisy).keys() == added.state_dict().keys()
    with pytest.raises(ValueError, match=r"PlaceConfig.noise_stages \(3\) exceeds the 2 stages"):
        dataclasses.replace(config, noise_stages=3)


def test_noise_gates_start_open_put_the_noise_where_the_features_say_and_learn(tiny_config):
    torch.manual_seed(0)
    noisy = dataclasses.replace(tiny_config, noise_stages=2)
    gated = dataclasses.replace(noisy, noise_gates=True)
    network = PlaceGenerator(noisy).eval()
    for parameter in network.parameters():
        parameter.data.normal_()
    state = add_noise_inputs(network.state_dict(), gated)
    assert {key: tuple(value.shape) for key, value in state.items() if "gate" in key} == {
        "noise.2.gate_weight": (2, 8), "noise.2.gate_bias": (2,), "noise.1.gate_weight": (2, 16),
        "noise.1.gate_bias": (2,)}
    added = PlaceGenerator(gated).eval()
    added.load_state_dict(state)
    z, context, _ = _batch(tiny_config)
    noisy_pictures = network(z, context, context_noise=False)
    torch.testing.assert_close(added(z, context, context_noise=False), noisy_pictures)  # open: the noise as it was
    quiet = PlaceGenerator(tiny_config).eval()
    quiet.load_state_dict({key: value for key, value in state.items() if not key.startswith("noise.")})
    for stage in ("1", "2"):  # shut: no noise at all
        added.noise[stage].gate_bias.data.fill_(-30.0 / NOISE_STRENGTH_RATE)
    torch.testing.assert_close(added(z, context, context_noise=False), quiet(z, context, context_noise=False))
    # Gates that read the features let the noise through in some pixels of some pictures and not in others.
    for stage in ("1", "2"):
        added.noise[stage].gate_bias.data.zero_()
        added.noise[stage].gate_weight.data.normal_(std=1.0 / NOISE_STRENGTH_RATE)
    painted = added(z, context, context_noise=False)
    change = (painted - noisy_pictures).abs().mean(dim=1)
    assert change.flatten(1).std(dim=1).min() > 0 and change.flatten(1).mean(dim=1).std() > 0
    # A seed still fixes the picture, alone or in a batch.
    torch.testing.assert_close(added(z[1:2], context[1:2], context_noise=False), painted[1:2], atol=1e-5, rtol=1e-5)
    added(z, context, context_noise=False).square().mean().backward()
    for stage in ("1", "2"):
        assert added.noise[stage].gate_weight.grad.abs().sum() > 0 and added.noise[stage].gate_bias.grad.abs().sum() > 0
    assert add_noise_inputs(added.state_dict(), gated).keys() == added.state_dict().keys()
    with pytest.raises(ValueError, match=r"PlaceConfig.noise_gates needs noise inputs to gate"):
        dataclasses.replace(tiny_config, noise_gates=True)


@pytest.mark.parametrize("network_class", [PlaceGenerator, PlaceDiscriminator])
def test_networks_widened_for_a_higher_fmap_min_paint_and_judge_as_before(tiny_config, network_class):
    torch.manual_seed(0)
    config = dataclasses.replace(tiny_config, fmap_min=4, condition_blocks=True, context_head={"biome": ["a", "b"]},
                                 noise_stages=1, noise_gates=True)
    wider = dataclasses.replace(config, fmap_min=16)
    assert config.stage_widths() == [32, 16, 8] and wider.stage_widths() == [32, 16, 16]
    network = network_class(config).eval()
    for parameter in network.parameters():  # every weight and bias in play, the stage shifts and noise included
        parameter.data.normal_()
    widened = network_class(wider).eval()
    widened.load_state_dict(widen_stages(network.state_dict(), wider.stage_widths()))
    z, context, _ = _batch(config)
    for stage, alpha in ((2, 1.0), (2, 0.5), (1, 1.0)):
        if network_class is PlaceGenerator:
            before = network(z, context, stage=stage, alpha=alpha, context_noise=False)
            after = widened(z, context, stage=stage, alpha=alpha, context_noise=False)
        else:
            side = config.stage_resolution(stage)
            images = torch.rand(4, 3, side, side) * 2 - 1
            before = network(images, context, stage=stage, alpha=alpha, with_classes=True)
            after = widened(images, context, stage=stage, alpha=alpha, with_classes=True)
        torch.testing.assert_close(after, before, atol=1e-4, rtol=1e-4)
    # The new maps come into play: G's are made by weights that get a gradient, D's are read by such weights.
    if network_class is PlaceGenerator:
        widened(z, context, context_noise=False).square().mean().backward()
        assert widened.blocks[1].conv_up.weight.grad[8:].abs().sum() > 0
    else:
        widened(_batch(config)[2], context).mean().backward()
        assert widened.blocks[1].conv_down.weight.grad[:, 8:].abs().sum() > 0
    with pytest.raises(ValueError, match="can only widen past the first stage"):
        widen_stages(widened.state_dict(), config.stage_widths())

def test_config_round_trips_and_rejects_unknown_keys():
    config = PlaceConfig(resolution=128, latent_dim=64)
    assert PlaceConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown PlaceConfig field.*colour"):
        PlaceConfig.from_dict({**config.to_dict(), "colour": "blue"})


@pytest.mark.parametrize("resolution", [48, 2, 2048, "64"])
def test_config_rejects_a_resolution_that_is_not_a_power_of_two(resolution):
    with pytest.raises(ValueError, match="resolution must be a power of two"):
        PlaceConfig.from_dict({"resolution": resolution})


def test_default_widths_shrink_with_resolution_and_weights_stay_small():
    config = PlaceConfig()
    assert config.stage_widths() == [256, 256, 128, 64, 32]
    assert PlaceConfig(resolution=256).stage_widths() == [256, 256, 128, 64, 32, 16, 16]
    weight_bytes = sum(tensor.numel() * 4 for tensor in PlaceGenerator(config).state_dict().values())
    assert weight_bytes <= 15 * 2**20


def test_an_unconditional_generator_ignores_the_place():
    config = PlaceConfig(resolution=8, fmap_base=64, fmap_max=16, latent_dim=8, context_frequencies=2,
                         conditional=False)
    generator = PlaceGenerator(config).eval()
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    tromso, riyadh = location_context(torch.tensor([69.6, 24.7]), torch.tensor([18.9, 46.7]), 2).split(1)
    with torch.no_grad():
        assert torch.equal(generator(z, tromso.expand(2, -1)), generator(z, riyadh.expand(2, -1)))
    with pytest.raises(ValueError, match="conditional"):
        PlaceConfig(conditional="no")


def test_the_condition_can_shift_every_generator_stage():
    config = PlaceConfig(resolution=16, fmap_base=64, fmap_max=16, latent_dim=8, context_frequencies=2,
                         condition_blocks=True)
    generator = PlaceGenerator(config)
    assert len(generator.stage_condition) == config.num_stages
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    context = location_context(torch.tensor([69.6, 24.7]), torch.tensor([18.9, 46.7]), 2)
    images = generator(z, context, stage=2, alpha=0.5)
    images.square().mean().backward()
    assert images.shape == (2, 3, 16, 16)
    assert all(layer.weight.grad.abs().sum() > 0 for layer in generator.stage_condition[:3])
    assert PlaceGenerator(PlaceConfig(resolution=16, fmap_base=64, fmap_max=16)).stage_condition is None


HEAD = {"biome": ["polar", "temperate", "tropical"], "density": ["town", "city"]}


def test_the_critic_can_classify_the_place_off_a_picture(tiny_config):
    config = dataclasses.replace(tiny_config, context_head=HEAD)
    critic = PlaceDiscriminator(config)
    z, context, real = _batch(config)
    scores, classes = critic(real, context, with_classes=True, context_noise=False)
    assert scores.shape == (4,) and {name: tuple(logits.shape) for name, logits in classes.items()} == {
        "biome": (4, 3), "density": (4, 2)}
    assert torch.equal(scores, critic(real, context, context_noise=False))  # the score is unchanged
    F.cross_entropy(classes["biome"], torch.tensor([0, 1, 2, 0])).backward()
    assert critic.context_head["biome"].weight.grad.abs().sum() > 0
    assert PlaceDiscriminator(tiny_config)(real, context, with_classes=True)[1] is None
    assert PlaceConfig.from_dict(config.to_dict()) == config


def test_the_class_loss_teaches_the_generator_to_paint_the_asked_class(tiny_config):
    """With the critic fixed, a few generator steps on the class loss alone make the critic read
    the asked classes off the generated pictures: the head's gradient reaches the generator."""
    from ml.train.losses import ClassPredictionLoss

    config = dataclasses.replace(tiny_config, context_head=HEAD)
    torch.manual_seed(0)
    G, D = PlaceGenerator(config), PlaceDiscriminator(config).requires_grad_(False)
    z, context, _ = _batch(config, size=8)
    asked = {"biome": torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]), "density": torch.tensor([0, 1] * 4)}
    loss = ClassPredictionLoss()
    optimiser = torch.optim.Adam(G.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        classes = D(G(z, context, context_noise=False), context, with_classes=True, context_noise=False)[1]
        step = loss(classes, asked)
        optimiser.zero_grad()
        step.backward()
        optimiser.step()
        losses.append(step.item())
    assert losses[-1] < 0.5 * losses[0]


def test_the_context_head_is_attribute_classes():
    assert PlaceConfig(context_head=False).context_head == {}  # configs written while it was a switch
    with pytest.raises(ValueError, match="no longer exists"):
        PlaceConfig(context_head=True)  # the removed regression of the whole context
    with pytest.raises(ValueError, match="at least two"):
        PlaceConfig(context_head={"biome": ["polar"]})
