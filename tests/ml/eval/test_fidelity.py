"""Precision and recall, the real-vs-real floor and edge strength on inputs whose answers are known."""
import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from ml.eval.fidelity import cached_floor, edge_figures, edge_strength, precision_recall, real_floor, split_halves
from ml.eval.metrics import DISTANCES

MODES = 10


def mode_cloud(modes, per_mode: int, seed: int) -> np.ndarray:
    """Clusters around far-apart centres (the unit vectors times 50), `per_mode` points each,
    spread in a plane (in many dimensions a few hundred points cover their own mode only in part:
    recall of a mode fully painted would read below 1)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(MODES)[list(modes)] * 50
    spread = np.zeros((len(centres), per_mode, MODES))
    spread[..., :2] = rng.normal(0, 1, (len(centres), per_mode, 2))
    return (centres[:, None] + spread).reshape(-1, MODES)


def test_identical_sets_have_precision_and_recall_one():
    real = mode_cloud(range(MODES), 30, seed=0)
    assert precision_recall(real, real.copy()) == {"precision": 1.0, "recall": 1.0, "neighbours": 3}


def test_far_disjoint_sets_have_precision_and_recall_zero():
    real = mode_cloud(range(5), 30, seed=0)
    generated = mode_cloud(range(5, MODES), 30, seed=1)
    figures = precision_recall(real, generated)
    assert figures["precision"] == 0.0 and figures["recall"] == 0.0


def test_a_generator_that_covers_half_the_real_modes_has_recall_one_half():
    real = mode_cloud(range(MODES), 100, seed=0)
    generated = mode_cloud(range(MODES // 2), 200, seed=1)  # as many pictures, on half the modes
    figures = precision_recall(real, generated)
    assert figures["recall"] == pytest.approx(0.5, abs=0.05)
    assert figures["precision"] > 0.9


def test_precision_and_recall_swap_with_the_sets_and_are_deterministic():
    real = mode_cloud(range(MODES), 40, seed=0)
    generated = mode_cloud(range(3), 60, seed=2)
    forward, backward = precision_recall(real, generated), precision_recall(generated, real)
    assert forward["precision"] == backward["recall"] and forward["recall"] == backward["precision"]
    assert precision_recall(real, generated) == forward


def test_a_larger_k_widens_the_manifold():
    rng = np.random.default_rng(3)
    real, generated = rng.normal(0, 1, (200, 8)), rng.normal(0.7, 1, (200, 8))
    narrow, wide = precision_recall(real, generated, k=1), precision_recall(real, generated, k=10)
    assert narrow["precision"] < wide["precision"] and narrow["recall"] < wide["recall"]


def test_the_floor_halves_are_disjoint_balanced_per_city_and_deterministic():
    cities = np.repeat([7, 3, 9, 4], [5, 4, 1, 6])  # 16 photos, one city with an odd count
    first, second = split_halves(cities)
    assert set(first).isdisjoint(second) and sorted([*first, *second]) == list(range(len(cities)))
    assert abs(len(first) - len(second)) <= 1
    for city in np.unique(cities):
        assert abs(np.sum(cities[first] == city) - np.sum(cities[second] == city)) <= 1
    again = split_halves(cities)
    assert np.array_equal(first, again[0]) and np.array_equal(second, again[1])
    other = split_halves(cities, seed=1)
    assert not np.array_equal(first, other[0])


def test_the_floor_of_one_distribution_is_near_what_a_perfect_generator_scores():
    rng = np.random.default_rng(4)
    features, cities = rng.normal(0, 1, (400, 6)), np.repeat(np.arange(40), 10)
    floor = real_floor(features, cities, DISTANCES)
    assert floor["halves"] == [200, 200]
    assert floor["fid"] < 0.5 and abs(floor["kid"]) < 3 * floor["kid_std"] + 1e-3
    assert floor["precision"] > 0.8 and floor["recall"] > 0.8


def test_the_floor_is_computed_once_then_read_from_its_file(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"fid": 1.5}

    path = tmp_path / "floor.json"
    assert cached_floor(path, compute) == {"fid": 1.5} == cached_floor(path, compute)
    assert len(calls) == 1
    assert cached_floor(None, compute) == {"fid": 1.5} and len(calls) == 2


def picture_of_edges(seed: int = 0) -> Image.Image:
    """A 32x32 picture of hard-edged blocks."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize((32, 32), Image.Resampling.NEAREST)


def to_batch(pictures) -> torch.Tensor:
    return torch.stack([torch.from_numpy(np.asarray(p, dtype=np.uint8).copy()).permute(2, 0, 1) for p in pictures])


def test_a_sharp_picture_has_stronger_edges_than_its_blurred_copy():
    sharp = to_batch([picture_of_edges(seed) for seed in range(4)])
    blurred = to_batch([picture_of_edges(seed).filter(ImageFilter.GaussianBlur(1.5)) for seed in range(4)])
    figures = edge_strength(real=sharp, generated=blurred)
    assert figures["ratio"]["laplacian_variance"] < 0.3 and figures["ratio"]["mean_gradient"] < 0.9
    # these drawn edges hold no period-2 pattern at all, so that ratio is undefined
    assert edge_strength(sharp, sharp)["ratio"] == {"laplacian_variance": 1.0, "mean_gradient": 1.0,
                                                    "checkerboard": None}


def test_grain_raises_the_gradient_more_than_the_laplacian_of_edges():
    sharp = to_batch([picture_of_edges(seed) for seed in range(4)])
    smooth = to_batch([picture_of_edges(seed).filter(ImageFilter.GaussianBlur(1.5)) for seed in range(4)])
    grain = torch.from_numpy(np.random.default_rng(0).integers(-12, 13, smooth.shape))
    grainy = (smooth.long() + grain).clamp(0, 255).to(torch.uint8)
    figures = edge_strength(real=sharp, generated=grainy)["ratio"]
    assert figures["mean_gradient"] > figures["laplacian_variance"]


def test_edge_figures_of_a_flat_picture_are_zero_and_sizes_must_match():
    flat = torch.full((2, 3, 16, 16), 128, dtype=torch.uint8)
    assert edge_figures(flat) == {"laplacian_variance": 0.0, "mean_gradient": 0.0, "checkerboard": 0.0}
    with pytest.raises(ValueError, match="one size"):
        edge_strength(flat, torch.zeros(2, 3, 8, 8, dtype=torch.uint8))


def test_a_grid_locked_period_two_pattern_is_read_as_a_checkerboard():
    sharp = to_batch([picture_of_edges(seed) for seed in range(4)])
    parity = (torch.arange(sharp.shape[-2])[:, None] + torch.arange(sharp.shape[-1])[None]) % 2
    checkered = (sharp.long() + 16 * parity - 8).clamp(0, 255).to(torch.uint8)
    figures = edge_strength(real=sharp, generated=checkered)
    assert figures["generated"]["checkerboard"] > 5 * figures["real"]["checkerboard"]
    assert figures["generated"]["checkerboard"] == pytest.approx(16 / 2, rel=0.2)  # amplitude of +-8 levels


def test_at_half_size_a_period_two_grain_is_averaged_away_and_edges_remain():
    # A sharp picture with a +-8 grey checkerboard laid on it: at full size the grain adds to the
    # Laplacian's variance as edges would; halved alike (2x2 means) it is gone from the generated
    # side, while the blurred copy stays below the sharp one at both sizes.
    sharp = to_batch([picture_of_edges(seed).resize((64, 64), Image.Resampling.NEAREST) for seed in range(4)])
    parity = (torch.arange(64)[:, None] + torch.arange(64)[None]) % 2
    grainy = (sharp.long() + 16 * parity - 8).clamp(0, 255).to(torch.uint8)
    blurred = to_batch([picture_of_edges(seed).resize((64, 64), Image.Resampling.NEAREST)
                        .filter(ImageFilter.GaussianBlur(3)) for seed in range(4)])
    grain = edge_strength(real=sharp, generated=grainy)
    assert grain["ratio"]["laplacian_variance"] > 1.5 and grain["half"]["resolution"] == 32
    assert grain["half"]["ratio"]["laplacian_variance"] == pytest.approx(1.0, abs=0.05)
    blur = edge_strength(real=sharp, generated=blurred)
    assert blur["ratio"]["laplacian_variance"] < blur["half"]["ratio"]["laplacian_variance"] < 0.7
    assert "half" not in blur["half"] and "half" not in edge_strength(sharp[..., :8, :8], sharp[..., :8, :8])
