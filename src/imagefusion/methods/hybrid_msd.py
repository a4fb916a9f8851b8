"""Hybrid-MSD: hybrid multi-scale decomposition with Gaussian and bilateral filters (Zhou, Wang, Li &
Dong, Information Fusion 2016), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import vifb_channels
from .hmsd_gf import gaussian_blur_symmetric

__all__ = ["hybrid_msd", "fast_bilateral_filter"]


def _smooth_grid(grid: np.ndarray) -> np.ndarray:
    """Two passes of [1 2 1]/4 along each of the three axes over the inner cells; the outer cells
    stay 0 (Paris & Durand's ``fast_LBF`` convolution)."""
    from ._kernels import smooth_grid

    return smooth_grid(grid)


def fast_bilateral_filter(image: np.ndarray, sigma_s: float, sigma_r: float) -> np.ndarray:
    """Paris & Durand's fast bilateral filter (the bilateral grid), as the ``fast_LBF`` C++ code that
    VIFB's Hybrid-MSD runs through MEX computes it.

    The image is splatted into a grid of cells ``σ_s`` pixels wide and ``σ_r`` values deep (nearest
    cell, 2 cells of padding), the grid's value and weight sums are smoothed by two passes of
    [1 2 1]/4 along each axis, and each pixel reads the ratio of the two at its own position by
    trilinear interpolation (weights in single precision, as the code's ``float`` alphas).

    Parameters
    ----------
    image : ndarray, float64, (H, W), values in [0, 1]
    sigma_s : float
        Spatial sampling, pixels.
    sigma_r : float
        Range sampling, in the image's values.

    Returns
    -------
    ndarray, float64, (H, W)

    References
    ----------
    S. Paris, F. Durand, "A fast approximation of the bilateral filter using a signal processing
    approach", ECCV 2006.

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((32, 32)); step[:, 16:] = 1.0
    >>> out = fast_bilateral_filter(step, 2.0, 0.1)  # an edge far above σ_r is kept
    >>> round(float(out[16, 8]), 4), round(float(out[16, 24]), 4)
    (0.0, 1.0)
    """
    img = np.asarray(image, np.float64)
    h, w = img.shape
    pad = 2
    lo = img.min()
    z = img - lo
    nx = int((w - 1) / sigma_s) + 1 + 2 * pad
    ny = int((h - 1) / sigma_s) + 1 + 2 * pad
    nz = int((img.max() - lo) / sigma_r) + 1 + 2 * pad
    xs = (np.arange(w) / sigma_s + 0.5).astype(np.int64) + pad
    ys = (np.arange(h) / sigma_s + 0.5).astype(np.int64) + pad
    zs = (z / sigma_r + 0.5).astype(np.int64) + pad
    from ._kernels import bilateral_slice, bilateral_splat

    values, counts = bilateral_splat(img, xs, ys, zs, nx, ny, nz)
    values, counts = _smooth_grid(values), _smooth_grid(counts)
    # trilinear interpolation at (x/σs + pad, y/σs + pad, z/σr + pad), alphas in float32
    fx = np.arange(w) / sigma_s + pad
    fy = np.arange(h) / sigma_s + pad
    fz = z / sigma_r + pad
    x0 = np.clip(fx.astype(np.int64), 0, nx - 1)
    y0 = np.clip(fy.astype(np.int64), 0, ny - 1)
    z0 = np.clip(fz.astype(np.int64), 0, nz - 1)
    ax = (fx - x0).astype(np.float32)
    ay = (fy - y0).astype(np.float32)
    az = (fz - z0).astype(np.float32)
    return bilateral_slice(values, counts, x0, y0, z0, ax, ay, az)


def _decompose(img: np.ndarray, levels: int) -> tuple[list, list, list]:
    """Gaussian levels, texture layers and edge layers of one plane (index 0 unused for the layers)."""
    m, ml, details, edges = [img], [img], [None], [None]
    sigma = 2.0
    for j in range(levels):
        m.append(gaussian_blur_symmetric(m[-1], sigma))
        ml.append(255.0 * fast_bilateral_filter(ml[-1] / 255.0, sigma, 0.05 / 2**j))
        details.append(m[-2] - ml[-1])
        edges.append(ml[-1] - m[-1])
        sigma *= 2
    return m, details, edges


def _hybrid_msd_pair(ir_parts: tuple[list, list, list], vi: np.ndarray, levels: int = 4, lam: float = 30.0) -> np.ndarray:
    m1, d1, e1 = _decompose(vi, levels)
    m2, d2, e2 = ir_parts
    norm = np.arctan(lam)
    fused = None
    for j in range(levels, 1, -1):
        r = np.maximum(np.abs(e2[j]) - np.abs(e1[j]), 0)
        rmax = r.max()
        c = np.arctan(lam * (r / rmax if rmax > 0 else r)) / norm
        if fused is None:  # the base layers, by the coarsest map blurred with σ = 64
            cb = gaussian_blur_symmetric(c, 2.0 * 2**(levels + 1))
            fused = cb * m2[levels] + (1 - cb) * m1[levels]
        c = gaussian_blur_symmetric(c, 1.0)
        fused = fused + c * e2[j] + (1 - c) * e1[j] + c * d2[j] + (1 - c) * d1[j]
    fused = fused + np.where(np.abs(e1[1]) < np.abs(e2[1]), e2[1], e1[1])  # σ = 0.2: a 1×1 kernel
    fused = fused + np.where(np.abs(d1[1]) < np.abs(d2[1]), d2[1], d1[1])
    return np.clip(fused, 0, 255)


@register_method(
    "hybrid-msd",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Zhou, Wang, Li & Dong, 'Perceptual fusion of infrared and visible images through a hybrid "
              "multi-scale decomposition with Gaussian and bilateral filters', Information Fusion 30, 2016 "
              "(VIFB's Hybrid_MSD)",
)
def hybrid_msd(images: Sequence[np.ndarray]) -> np.ndarray:
    """Hybrid-MSD: Gaussian and bilateral four-level decompositions, perceptual injection of infrared.

    Each source is decomposed by a Gaussian chain (σ = 2, 4, 8, 16) and a bilateral chain (Paris &
    Durand's :func:`fast_bilateral_filter`, σ_s the same, σ_r = 0.05, 0.025, … on [0, 1]); per
    level, the texture layer is the previous Gaussian level minus the bilateral one and the edge
    layer the bilateral minus the Gaussian. From the coarsest level down, the infrared layers are
    injected where their edge layer exceeds the visible one: ``C = atan(30 P) / atan(30)``, P the
    normalised positive excess, blurred by a Gaussian (σ = 1; the base layers' map by σ = 64); the
    finest level takes the larger layer per pixel (Zhou et al. 2016, Section 3; VIFB's
    ``methods/Hybrid_MSD/run_Hybrid_MSD.m``).

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1]

    References
    ----------
    Z. Zhou, B. Wang, S. Li, M. Dong, Information Fusion 30, 15–26, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.8  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = hybrid_msd([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[32, 4] + 0.2)
    ((64, 64), True)
    """
    # a grey infrared image beside a colour visible one is decomposed once, not per channel
    return vifb_channels(_hybrid_msd_pair, images, prepare_ir=lambda ir: _decompose(ir, 4))
