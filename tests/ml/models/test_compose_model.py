"""The compose networks (`ml.models.compose`) on a tiny config: shapes, masks kept in their boxes,
the layout of overlapping objects, integer compositing, and a training step that changes the loss."""
import numpy as np
import torch

from ml.models.compose import (ComposeCritics, ComposeModel, box_inside, composite, crop_boxes, layout_maps,
                               shape_masks)
from ml.models.configs import ComposeConfig

TINY = ComposeConfig(resolution=16, latent_dim=4, width=4, mask_width=4, d_width=4,
                     background=dict(latent_dim=8, fmap_base=64, fmap_max=16, fmap_min=8, context_frequencies=2,
                                     context_embed_dim=8))
BOXES = torch.tensor([[0.25, 0.25, 0.75, 0.5], [0.0, 0.5, 0.5, 1.0]])


def test_analytic_masks_fill_their_box_with_soft_edges_and_nothing_outside():
    inside = box_inside(BOXES, 16)
    rect, ellipse = shape_masks(BOXES, "rect", 16), shape_masks(BOXES, "ellipse", 16)
    assert torch.equal(rect, inside)  # boxes on pixel edges: a hard rectangle
    assert (ellipse * (1 - inside)).abs().max() == 0 and 0 < ellipse.sum() < rect.sum()
    assert ((ellipse > 0) & (ellipse < 1)).any()  # anti-aliased
    half_pixel = shape_masks(torch.tensor([[0.0, 0.0, 0.5 + 1 / 32, 1.0]]), "rect", 16)
    assert half_pixel[0, 0, 0, 8] == 0.5


def test_the_generators_paint_finite_pictures_and_masks_only_in_the_box():
    torch.manual_seed(0)
    model = ComposeModel(TINY)
    category = torch.tensor([1, 3])
    mask = model.object_mask(torch.randn(2, 4), BOXES, category, "mask")
    assert mask.shape == (2, 1, 16, 16) and (mask * (1 - box_inside(BOXES, 16))).abs().max() == 0
    assert mask.min() >= 0 and mask.max() <= 1
    painted = model.paint(torch.randn(2, 4), torch.rand(2, 3, 16, 16) * 2 - 1, BOXES, mask, category,
                          torch.zeros(2, 3), torch.tensor([1.0, 0.0]))
    assert painted.shape == (2, 3, 16, 16) and torch.isfinite(painted).all()


def test_a_training_step_changes_the_critics_loss():
    torch.manual_seed(0)
    critics = ComposeCritics(TINY)
    pictures = torch.rand(4, 4, 16, 16)
    boxes, category = BOXES.repeat(2, 1), torch.tensor([0, 1, 2, 3])
    optimizer = torch.optim.Adam(critics.parameters(), lr=1e-2)
    losses = []
    for _ in range(2):
        global_scores, instance_scores = critics.layer_scores(pictures, boxes, category)
        loss = (0.9 * global_scores + 0.1 * instance_scores).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]
    assert crop_boxes(pictures, boxes, 8).shape == (4, 4, 8, 8)


def test_the_layout_of_overlapping_objects_shows_each_where_nothing_later_covers_it():
    back, front = shape_masks(torch.tensor([[0.0, 0.0, 0.75, 1.0], [0.5, 0.0, 1.0, 1.0]]), "rect", 16)[:, 0]
    maps = layout_maps(torch.stack([back, front])[None], torch.tensor([[2, 5]]), torch.tensor([[[1.0, 0, 0],
                       [0, 0, 1.0]]]), torch.tensor([[1.0, 0.0]]), categories=7)
    assert maps.shape == (1, 1 + 7 + 4, 16, 16)
    union, tree_like, person_like = maps[0, 0], maps[0, 1 + 2], maps[0, 1 + 5]
    assert torch.equal(union, torch.ones(16, 16))
    assert tree_like[:, :8].eq(1).all() and tree_like[:, 8:].eq(0).all()  # covered by the front object
    assert person_like[:, 8:].eq(1).all()
    red, has_colour = maps[0, 8], maps[0, 11]
    assert torch.equal(red, tree_like) and torch.equal(has_colour, tree_like)  # only the back object has a colour


def test_integer_compositing_keeps_the_canvas_where_alpha_is_zero():
    rng = np.random.default_rng(1)
    canvas, painted = (rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(2))
    alpha = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    alpha[:4] = 0
    mixed = composite(canvas, painted, alpha)
    assert np.array_equal(mixed[:4], canvas[:4])
    expected = (painted.astype(int) * alpha[..., None] + canvas.astype(int) * (255 - alpha[..., None]) + 127) // 255
    assert np.array_equal(mixed, expected.astype(np.uint8))
