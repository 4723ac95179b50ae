"""The ground networks on a tiny config: shapes, finiteness, conditioning, one optimiser step."""
import pytest
import torch

from ml.models.ground import (GroundConfig, GroundDiscriminator, GroundModel, PatchDiscriminator, UNetGenerator,
                               ground_networks, urban_or_rural)

TINY = dict(resolution=16, latent_dim=8, width=16, overhead_dim=8)
BOTH = pytest.mark.parametrize("variant", ["cgan", "pix2pix"])


@BOTH
def test_forward_and_backward_are_finite_with_the_right_shapes(variant):
    torch.manual_seed(0)
    config = GroundConfig(**TINY, variant=variant)
    G, D = ground_networks(config)
    tiles = torch.rand(4, 3, 16, 16) * 2 - 1
    views = G(torch.randn(4, 8), tiles)
    scores = D(views, tiles)
    assert views.shape == (4, 3, 16, 16) and scores.shape == (4,)
    assert D.features(views, tiles).shape == (4, D.feature_dim)
    scores.mean().backward()
    grads = [p.grad for p in [*G.parameters(), *D.parameters()] if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


@BOTH
def test_one_step_lowers_the_generator_loss(variant):
    torch.manual_seed(0)
    config = GroundConfig(**TINY, variant=variant)
    G, D = ground_networks(config)
    z, tiles = torch.randn(8, 8), torch.rand(8, 3, 16, 16) * 2 - 1
    optimizer = torch.optim.Adam(G.parameters(), lr=1e-3)
    before = -D(G(z, tiles), tiles).mean()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    assert -D(G(z, tiles), tiles).mean().item() < before.item()


@BOTH
def test_the_view_and_its_score_depend_on_the_tile_unless_unconditional(variant):
    torch.manual_seed(0)
    tiles = torch.stack([-torch.ones(3, 16, 16), torch.ones(3, 16, 16)])
    z = torch.randn(1, 8).repeat(2, 1)
    G, D = ground_networks(GroundConfig(**TINY, variant=variant))
    views = G.eval()(z, tiles)
    assert not torch.allclose(views[0], views[1])
    same = views[:1].repeat(2, 1, 1, 1)
    assert not torch.allclose(*D.eval().features(same, tiles))
    G, D = ground_networks(GroundConfig(**TINY, variant=variant, conditional=False))
    views = G.eval()(z, tiles)
    assert torch.allclose(views[0], views[1])
    assert torch.allclose(*D.eval()(views[:1].repeat(2, 1, 1, 1), tiles))


def test_the_pix2pix_variant_is_a_unet_with_a_patch_critic():
    G, D = ground_networks(GroundConfig(**TINY, variant="pix2pix"))
    assert isinstance(G, UNetGenerator) and isinstance(D, PatchDiscriminator)
    assert len(G.up) == len(G.down)  # one skip per decoder block
    assert isinstance(ground_networks(GroundConfig(**TINY))[1], GroundDiscriminator)


@BOTH
def test_the_model_folder_network_gives_views_and_land_use_logits(variant):
    model = GroundModel(GroundConfig(**TINY, variant=variant))
    views, logits = model(torch.randn(3, 8), torch.zeros(3, 3, 16, 16))
    assert views.shape == (3, 3, 16, 16) and logits.shape == (3, 4)
    assert urban_or_rural("village") == "rural" and urban_or_rural("megacity") == "urban"


def test_the_land_use_head_reads_the_view_alone():
    torch.manual_seed(0)
    D = GroundDiscriminator(GroundConfig(**TINY, land_use_head=True)).eval()
    views = torch.rand(2, 3, 16, 16) * 2 - 1
    scores, logits = D(views, -torch.ones(2, 3, 16, 16), with_classes=True)
    other_scores, other_logits = D(views, torch.ones(2, 3, 16, 16), with_classes=True)
    assert logits["land_use"].shape == (2, 4)
    assert torch.allclose(logits["land_use"], other_logits["land_use"])  # the tile does not enter
    assert not torch.allclose(scores, other_scores)  # while the critic's score does read it
    plain = GroundDiscriminator(GroundConfig(**TINY))
    assert plain(views, views, with_classes=True)[1] is None and plain.land_use_head is None


@pytest.mark.parametrize("bad", [dict(resolution=24), dict(resolution=4), dict(width=4), dict(latent_dim=0),
                                 dict(conditional="yes"), dict(land_uses=["only"]),
                                 dict(land_use_head=1), dict(variant="unet"),
                                 dict(variant="pix2pix", land_use_head=True)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ValueError, match="GroundConfig"):
        GroundConfig(**{**TINY, **bad})
