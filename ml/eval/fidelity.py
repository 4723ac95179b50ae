"""Fidelity against real photos: what FID and the oracle's class ratios do not show.

- `precision_recall`: improved precision and recall (Kynkäänniemi et al., NeurIPS 2019). The
  manifold of a set of features is the union of balls around each feature whose radius is the
  distance to its k-th nearest neighbour in the set (k = 3). Precision is the share of generated
  features inside the real manifold (are the pictures like real ones?), recall the share of
  real features inside the generated manifold (is every kind of real photo painted?). Here in
  the oracle's features, as FID and KID are, instead of VGG-16's.
- `real_floor`: the same distances between two disjoint halves of the real photos, the figure a
  generator that painted real photos would get. The halves take each city's photos in turn
  (`split_halves`): the generated pictures are made for the very places of the real photos, so
  the floor must compare two sets that share their places as generated and real do; halves of
  different cities would add a difference between places that no generator for these places
  has to pay, and so make the floor too lenient.
- `edge_strength`: the variance of the Laplacian (the usual focus measure; Pech-Pacheco et al.,
  ICPR 2000) and the mean gradient magnitude of the 8-bit luminance, real and generated at one
  resolution (`ml.eval.metrics.edge_pictures`: the pictures', the photos taken at it), generated
  beside real and as a ratio; and the same at half that side, real and generated shrunk alike
  by the mean of each 2x2 block (`halved`). Grain raises the mean gradient but not the
  Laplacian's variance as much as edges do: ratios of 0.4 on the Laplacian's variance and 1.1 on
  the gradient are grain instead of edges; below 1 on both is blur. Grain of a period of two
  pixels (the checkerboard) raises the Laplacian's variance too; the 2x2 mean removes it from
  both sides, so the half-size ratio counts edges only.

Every function is deterministic; the floor is cached beside the real features (`ml.eval.metrics`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

NEIGHBOURS = 3  # k of the k-NN radii (the paper's default)
CHUNK = 1024  # rows of one distance block: memory stays at CHUNK x N
FLOOR_SEED = 0
LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R 601, as PIL's "L" mode
LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
HALF_FROM = 16  # the least side whose half (8 px, a 6x6 Laplacian) is still measured


# --- improved precision and recall ---------------------------------------------------------
def _as_tensor(features) -> torch.Tensor:
    return torch.as_tensor(np.asarray(features), dtype=torch.float64)


def knn_radii(features: torch.Tensor, k: int = NEIGHBOURS) -> torch.Tensor:
    """Distance of each feature to its k-th nearest other feature of the same set."""
    radii = [torch.cdist(features[start:start + CHUNK], features).kthvalue(k + 1, dim=1).values  # +1: itself
             for start in range(0, len(features), CHUNK)]
    return torch.cat(radii)


def inside_manifold(queries: torch.Tensor, support: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """(Q,) bool: is each query within the k-NN radius of some support feature?"""
    inside = [(torch.cdist(queries[start:start + CHUNK], support) <= radii).any(dim=1)
              for start in range(0, len(queries), CHUNK)]
    return torch.cat(inside)


def precision_recall(real, generated, k: int = NEIGHBOURS) -> dict:
    """Improved precision and recall of `generated` features against `real` ones ((N, D) arrays);
    None where a set has no k other features to measure a radius by."""
    if min(len(real), len(generated)) <= k:
        return {"precision": None, "recall": None, "neighbours": k}
    real, generated = _as_tensor(real), _as_tensor(generated)
    precision = inside_manifold(generated, real, knn_radii(real, k)).double().mean().item()
    recall = inside_manifold(real, generated, knn_radii(generated, k)).double().mean().item()
    return {"precision": round(precision, 4), "recall": round(recall, 4), "neighbours": k}


# --- the real-vs-real floor ------------------------------------------------------------------
def split_halves(cities, seed: int = FLOOR_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint halves of the indices of photos of `cities` ((N,) city ids): within each city
    the photos, in a seeded random order, go to one half and the other in turn, so both halves
    hold every city in the same proportion (within one photo) and differ in size by at most one."""
    cities = np.asarray(cities)
    order = np.random.default_rng(seed).permutation(len(cities))
    order = order[np.argsort(cities[order], kind="stable")]
    return np.sort(order[0::2]), np.sort(order[1::2])


def real_floor(features: np.ndarray, cities, distances: dict, seed: int = FLOOR_SEED) -> dict:
    """Each of `distances` (name -> function(real, generated) -> dict) between the halves of the
    real `features`, the first half playing the real photos and the second the generated ones."""
    first, second = split_halves(cities, seed)
    floor = {"halves": [len(first), len(second)], "seed": seed}
    for compute in distances.values():
        floor.update(compute(features[first], features[second]))
    return floor


def cached_floor(path: Path | None, compute) -> dict:
    """The floor stored at `path` (JSON), or `compute()` stored there; None: no cache."""
    if path is not None and path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    floor = compute()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(floor), encoding="utf-8")
        temporary.replace(path)
    return floor


# --- edge strength -----------------------------------------------------------------------------
def luminance(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) float luminance of (N, 3, H, W) images, in their scale ([0, 255] of uint8)."""
    return (images.float() * LUMA.to(images.device)[:, None, None]).sum(dim=1, keepdim=True)


def laplacian(luma: torch.Tensor) -> torch.Tensor:
    """The 4-neighbour Laplacian of (N, 1, H, W) luminance, on the interior pixels."""
    return F.conv2d(luma, LAPLACIAN[None, None])


def laplacian_variances(luma: torch.Tensor) -> torch.Tensor:
    """(N,) the variance of the Laplacian of each picture's (N, 1, H, W) 8-bit luminance."""
    return laplacian(luma).flatten(1).var(dim=1)


def edge_figures(images: torch.Tensor) -> dict:
    """Of uint8 images: the mean over pictures of the variance of the Laplacian of the 8-bit
    luminance, the mean gradient magnitude (central differences) on the interior pixels, and
    the checkerboard (`checkerboard`)."""
    luma = luminance(images).round()
    variance = laplacian_variances(luma).mean().item()
    across = (luma[..., 1:-1, 2:] - luma[..., 1:-1, :-2]) / 2
    down = (luma[..., 2:, 1:-1] - luma[..., :-2, 1:-1]) / 2
    gradient = torch.sqrt(across.square() + down.square()).mean().item()
    return {"laplacian_variance": round(variance, 2), "mean_gradient": round(gradient, 3),
            "checkerboard": round(checkerboard(luma), 3)}


def checkerboard(luma: torch.Tensor) -> float:
    """The mean over pictures of the luminance's amplitude at the three period-2 frequencies of
    the pixel grid, (pi, pi), (pi, 0) and (0, pi): the pattern a strided transposed convolution
    paints in phase with the grid (Odena et al., Distill 2016), and that scenes rarely hold."""
    height, width = luma.shape[-2:]
    rows = 1.0 - 2.0 * (torch.arange(height) % 2).float()
    columns = 1.0 - 2.0 * (torch.arange(width) % 2).float()
    amplitude = sum((luma[:, 0] * pattern).mean(dim=(1, 2)).abs()
                    for pattern in (rows[:, None] * columns[None], rows[:, None].expand(height, width),
                                    columns[None].expand(height, width)))
    return float(amplitude.mean())


def halved(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) images at half the side, each pixel the rounded mean of a 2x2 block."""
    return F.avg_pool2d(images.float(), 2).round().to(torch.uint8)


def edge_strength(real: torch.Tensor, generated: torch.Tensor, half: bool = True) -> dict:
    """Edge figures of generated and real uint8 pictures of one resolution, and generated / real;
    with `half`, under "half" the same of both halved (`halved`) where the side is at least
    `HALF_FROM`."""
    if real.shape[-2:] != generated.shape[-2:]:
        raise ValueError(f"edge strength compares pictures of one size, got {tuple(real.shape[-2:])} real "
                         f"and {tuple(generated.shape[-2:])} generated")
    figures = {"real": edge_figures(real), "generated": edge_figures(generated)}
    figures["ratio"] = {name: round(figures["generated"][name] / value, 4) if value else None
                        for name, value in figures["real"].items()}
    figures["resolution"] = int(real.shape[-1])
    if half and real.shape[-1] >= HALF_FROM:
        figures["half"] = edge_strength(halved(real), halved(generated), half=False)
    return figures
