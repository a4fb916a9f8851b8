"""Pyramid fusion: Laplacian (Burt & Adelson), the weight-map similarity rule, ratio-of-low-pass
and contrast pyramids (Toet).

The pyramids use Burt's 5-tap generating kernel ``[1, 4, 6, 4, 1] / 16`` (OpenCV ``pyrDown``/
``pyrUp``, reflective borders). Any size works: a level of odd size ``n`` reduces to ``(n + 1) // 2``
and expands back to exactly ``n``, which is the same as padding by reflection and cropping back.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..registry import register_method
from ._common import argmax_label, as_float_stack, box_sum, choose, parallel_map, select_max_abs, where

__all__ = [
    "gaussian_pyramid",
    "laplacian_pyramid",
    "reconstruct_laplacian",
    "max_levels",
    "similarity_rule",
    "lp",
    "lp_similarity",
    "ratio",
    "contrast",
]


def max_levels(shape: tuple[int, ...], min_size: int = 8) -> int:
    """Largest number of reductions that keeps the coarsest level at least ``min_size`` pixels
    on its short side (at least 1).

    Parameters
    ----------
    shape : tuple of int
        The image's shape, (H, W) or (H, W, C).
    min_size : int, default 8
        The smallest side the coarsest level may have, pixels.

    Returns
    -------
    int, ≥ 1

    Examples
    --------
    >>> max_levels((480, 640)), max_levels((10, 10))
    (6, 1)
    """
    short = min(shape[:2])
    n = 0
    while (short + 1) // 2 >= min_size:
        short = (short + 1) // 2
        n += 1
    return max(n, 1)


def _levels(shape: tuple[int, ...], levels: int | None) -> int:
    return max_levels(shape) if levels is None else max(1, min(int(levels), max_levels(shape, 2)))


def _expand(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    return cv2.pyrUp(image, dstsize=(like.shape[1], like.shape[0]))


def gaussian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """Gaussian pyramid (Burt & Adelson 1983, REDUCE).

    Parameters
    ----------
    image : ndarray, float32 or float64, shape (H, W)
    levels : int
        Number of reductions; the pyramid has ``levels + 1`` images.

    Returns
    -------
    list of ndarray
        ``[G0 = image, G1, ..., G_levels]``, each about half the size of the one before.

    Examples
    --------
    >>> import numpy as np
    >>> [g.shape for g in gaussian_pyramid(np.zeros((64, 48), np.float32), 3)]
    [(64, 48), (32, 24), (16, 12), (8, 6)]
    """
    pyr = [image]
    for _ in range(levels):
        pyr.append(cv2.pyrDown(pyr[-1]))
    return pyr


def laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """Laplacian pyramid (Burt & Adelson, "The Laplacian pyramid as a compact image code",
    IEEE Trans. Commun. 31(4), 1983, eq. 3): ``L_l = G_l − EXPAND(G_{l+1})``, top level ``G_levels``.

    Parameters
    ----------
    image : ndarray, float32 or float64, shape (H, W)
    levels : int
        Number of detail (band-pass) levels.

    Returns
    -------
    list of ndarray
        ``[L0, ..., L_{levels-1}, G_levels]``; :func:`reconstruct_laplacian` inverts it exactly.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((64, 48)).astype(np.float32)
    >>> pyr = laplacian_pyramid(img, 3)
    >>> [p.shape for p in pyr], float(np.abs(reconstruct_laplacian(pyr) - img).max()) < 1e-5
    ([(64, 48), (32, 24), (16, 12), (8, 6)], True)
    """
    g = gaussian_pyramid(image, levels)
    return [g[i] - _expand(g[i + 1], g[i]) for i in range(levels)] + [g[-1]]


def reconstruct_laplacian(pyramid: Sequence[np.ndarray]) -> np.ndarray:
    """Collapse a Laplacian pyramid: ``G_l = L_l + EXPAND(G_{l+1})`` from the top down.

    Parameters
    ----------
    pyramid : sequence of ndarray, float
        Detail levels, finest first, then the base (as :func:`laplacian_pyramid` returns them).

    Returns
    -------
    ndarray, float32, the shape of the finest level

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> float(np.abs(reconstruct_laplacian(laplacian_pyramid(img, 2)) - img).max()) < 1e-5
    True
    """
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = band + _expand(image, band)
    return image


@register_method(
    "lp",
    tasks=("ivif", "mif", "mff", "mef"),
    family="pyramid",
    reference="Burt & Adelson, 'The Laplacian pyramid as a compact image code', IEEE Trans. Commun. 31(4), 1983",
    ranges={"levels": (1, 12)},
)
def lp(images: Sequence[np.ndarray], *, levels: int = 4) -> np.ndarray:
    """Laplacian pyramid fusion: max-abs selection of the detail levels, average of the base level.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        Two or more luminance images.
    levels : int, default 4
        Detail levels (capped for small images), as in Rockinger's fusion toolbox.

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    Burt & Adelson, 'The Laplacian pyramid as a compact image code', IEEE Trans. Commun. 31(4),
    1983.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(lp([a, a]) - a).max()) < 1e-5  # an image fused with itself is itself
    True
    """
    stack = as_float_stack(images)
    n = _levels(stack.shape[1:], levels)
    pyrs = parallel_map(lambda im: laplacian_pyramid(im, n), stack)
    fused = [select_max_abs([p[l] for p in pyrs]) for l in range(n)]
    fused.append(np.mean([p[-1] for p in pyrs], axis=0))
    return reconstruct_laplacian(fused)


def similarity_rule(
    band_a: np.ndarray, band_b: np.ndarray, weight: np.ndarray, threshold: float = 0.6
) -> np.ndarray:
    """Fuse one pyramid level with the local-energy / match-measure rule.

    Burt & Kolczynski, "Enhanced image capture through fusion", ICCV 1993; in the form used with a
    CNN weight map by Liu et al., "A medical image fusion method based on convolutional neural
    networks", FUSION 2017, eqs. (2)–(5):

    * local energy over a 3×3 window ``E_A = Σ L_A²``, ``E_B = Σ L_B²``;
    * match measure ``S = 2 Σ L_A L_B / (E_A + E_B)`` (S = 1 where both energies are 0);
    * if ``S ≥ t``: ``L_F = W L_A + (1 − W) L_B`` (weighted average);
      else ``L_F = L_A`` where ``E_A ≥ E_B`` and ``L_B`` otherwise (selection).

    Parameters
    ----------
    band_a, band_b : ndarray, float, shape (h, w)
        The same level of the two sources' Laplacian pyramids.
    weight : ndarray, float, shape (h, w), values in [0, 1]
        The same level of the Gaussian pyramid of the weight map of source A.
    threshold : float, default 0.6
        The similarity threshold t.

    Returns
    -------
    ndarray, float, shape (h, w)

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(16, 16)); b = 0.1 * a[::-1]
    >>> out = similarity_rule(a, b, np.full((16, 16), 0.5))
    >>> out.shape, bool(np.allclose(out, a))  # dissimilar bands: the stronger (a) is chosen
    ((16, 16), True)
    """
    e_a = box_sum(band_a * band_a, 3)
    e_b = box_sum(band_b * band_b, 3)
    cross = box_sum(band_a * band_b, 3)
    denom = e_a + e_b
    # S >= t  <=>  2·cross >= t·denom for denom > 0; where denom == 0 both bands are 0 around the
    # pixel and S counts as 1 (similar).
    similar = (2.0 * cross >= threshold * denom) | (denom <= 0)
    average = band_b + weight * (band_a - band_b)
    select = where(e_a >= e_b, band_a, band_b)
    return where(similar, average, select)


@register_method(
    "lp-similarity",
    tasks=("ivif", "mif", "mff", "mef"),
    family="pyramid",
    reference=(
        "Burt & Kolczynski, ICCV 1993; Liu, Chen, Cheng & Peng, 'A medical image fusion method based "
        "on convolutional neural networks', FUSION 2017"
    ),
    max_sources=2,
    ranges={"threshold": (-1.0, 1.0), "levels": (1, 12)},
)
def lp_similarity(
    images: Sequence[np.ndarray],
    *,
    weight_map: np.ndarray | str | None = None,
    threshold: float = 0.6,
    levels: int | None = None,
) -> np.ndarray:
    """Weight-map pyramid fusion with local energy and a similarity threshold.

    The weight map W (of the first source; the second gets 1 − W) is decomposed into a Gaussian
    pyramid, the sources into Laplacian pyramids, and every level — the base level included — is
    fused by :func:`similarity_rule`. Any weight map plugs in: a Siamese-CNN focus score map, a
    saliency map, or the default W = 0.5.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
    weight_map : ndarray of shape (H, W) in [0, 1], path to a grey image, or None
        None means W = 0.5 everywhere.
    threshold : float, default 0.6
        Similarity threshold t (Liu et al. 2017).
    levels : int or None
        Number of detail levels; None (default) decomposes until the coarsest level's short side
        would drop below 8 pixels, as in Liu et al.'s "maximum possible" decomposition.

    Returns
    -------
    ndarray, float32, shape (H, W)

    Raises
    ------
    InvalidImageError
        A weight map of another size than the images, or with values outside [0, 1].

    References
    ----------
    Burt & Kolczynski, ICCV 1993; Liu, Chen, Cheng & Peng, 'A medical image fusion method based
    on convolutional neural networks', FUSION 2017.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(lp_similarity([a, a]) - a).max()) < 1e-5
    True
    """
    from ..errors import InvalidImageError
    from ..io import read_image, to_float

    stack = as_float_stack(images)
    shape = stack.shape[1:]
    if weight_map is None:
        w = np.full(shape, 0.5, np.float32)
    else:
        w = read_image(weight_map) if isinstance(weight_map, str) else to_float(weight_map, "weight map")
        if w.ndim == 3:
            w = w.mean(axis=2)
        if w.shape != shape:
            raise InvalidImageError(f"weight map is {w.shape[1]}x{w.shape[0]} but the images are {shape[1]}x{shape[0]}")
    n = _levels(shape, levels)
    pa, pb = (laplacian_pyramid(im, n) for im in stack)
    gw = gaussian_pyramid(w.astype(np.float32), n)
    fused = [similarity_rule(a, b, g, threshold) for a, b, g in zip(pa, pb, gw)]
    return reconstruct_laplacian(fused)


_EPS = 1.0 / 256.0  # offset that keeps the low-pass ratios finite on black regions


def _ratio_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    g = gaussian_pyramid(image.astype(np.float64) + _EPS, levels)
    return [g[i] / _expand(g[i + 1], g[i]) for i in range(levels)] + [g[-1]]


def _reconstruct_ratio(pyr: Sequence[np.ndarray]) -> np.ndarray:
    image = pyr[-1]
    for r in reversed(pyr[:-1]):
        image = r * _expand(image, r)
    return image - _EPS


def _fuse_ratio_pyramids(stack: np.ndarray, levels: int, contrast_rule: bool) -> np.ndarray:
    n = _levels(stack.shape[1:], levels)
    pyrs = parallel_map(lambda im: _ratio_pyramid(im, n), stack)
    fused = []
    for l in range(n):
        r = [p[l] for p in pyrs]
        if contrast_rule:
            fused.append(select_max_abs([x - 1.0 for x in r]) + 1.0)
        else:
            label = argmax_label(r)
            fused.append(choose(label, r))
    fused.append(np.mean([p[-1] for p in pyrs], axis=0))
    return _reconstruct_ratio(fused).astype(np.float32)


@register_method(
    "ratio",
    tasks=("ivif",),
    family="pyramid",
    reference="Toet, 'Image fusion by a ratio of low-pass pyramid', Pattern Recognition Letters 9(4), 1989",
    ranges={"levels": (1, 12)},
)
def ratio(images: Sequence[np.ndarray], *, levels: int = 4) -> np.ndarray:
    """Ratio-of-low-pass (ROLP) pyramid fusion.

    ``R_l = G_l / EXPAND(G_{l+1})`` (Toet 1989, eq. 4); at each node the largest ratio is kept
    (the source that stands out most brightly from its surround, the selection of Rockinger's toolbox
    ``fuse_rat``), the top low-pass level is averaged, and ``G_l = R_l · EXPAND(G_{l+1})`` rebuilds
    the image. A small offset (1/256) keeps the ratios finite on black regions.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
    levels : int, default 4

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    Toet, 'Image fusion by a ratio of low-pass pyramid', Pattern Recognition Letters 9(4), 1989.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(ratio([a, a]) - a).max()) < 1e-3
    True
    """
    return _fuse_ratio_pyramids(as_float_stack(images), levels, contrast_rule=False)


@register_method(
    "contrast",
    tasks=("ivif", "mif", "mff"),
    family="pyramid",
    reference=(
        "Toet, van Ruyven & Valeton, 'Merging thermal and visual images by a contrast pyramid', "
        "Optical Engineering 28(7), 1989"
    ),
    ranges={"levels": (1, 12)},
)
def contrast(images: Sequence[np.ndarray], *, levels: int = 4) -> np.ndarray:
    """Contrast pyramid fusion.

    Luminance contrast ``C_l = G_l / EXPAND(G_{l+1}) − 1`` (Toet et al. 1989, eq. 2); at each node the
    contrast of largest magnitude is kept (the most conspicuous detail, bright or dark), the top
    low-pass level is averaged, and the image is rebuilt as ``G_l = (C_l + 1) · EXPAND(G_{l+1})``.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
    levels : int, default 4

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    Toet, van Ruyven & Valeton, 'Merging thermal and visual images by a contrast pyramid',
    Optical Engineering 28(7), 1989.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(contrast([a, a]) - a).max()) < 1e-3
    True
    """
    return _fuse_ratio_pyramids(as_float_stack(images), levels, contrast_rule=True)
