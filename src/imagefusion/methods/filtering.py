"""Guided filtering fusion (GFF) and the guided filter it is built on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ..registry import register_method
from ._common import argmax_label, box_mean, guided_filter_truncated, parallel_map

__all__ = ["guided_filter", "gff"]


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Grey-guide guided filter (He, Sun & Tang, "Guided image filtering", ECCV 2010 / TPAMI 2013,
    eqs. 7–8), in O(1) per pixel with box filters.

    Parameters
    ----------
    guide : ndarray, float32, shape (H, W)
        Guidance image I, values in [0, 1].
    src : ndarray, float32, shape (H, W)
        Filtering input p.
    radius : int
        Window radius r (window (2r+1)×(2r+1)).
    eps : float
        Regularisation ε (in units of the squared intensity range).

    Returns
    -------
    ndarray, float32, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> guide = np.zeros((32, 32), np.float32); guide[:, 16:] = 1.0  # an edge
    >>> noisy = guide + np.random.default_rng(0).normal(0, 0.1, guide.shape).astype(np.float32)
    >>> out = guided_filter(guide, noisy, 4, 0.01)
    >>> round(float(out[:, 4:12].std()), 3) < round(float(noisy[:, 4:12].std()), 3), round(float(out[16, 20]), 1)
    (True, 1.0)
    """
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)


@register_method(
    "gff",
    tasks=("ivif", "mif", "mff"),
    family="filtering",
    channel_rule=True,
    reference="Li, Kang & Hu, 'Image fusion with guided filtering', IEEE TIP 22(7), 2013",
    ranges={"r1": (1, 1024), "eps1": (1e-12, 1e6), "r2": (1, 1024), "eps2": (1e-12, 1e6), "average_size": (1, 2049), "gauss_radius": (0, 256), "gauss_sigma": (1e-3, 256.0)},
)
def gff(
    images: Sequence[np.ndarray],
    *,
    r1: int = 45,
    eps1: float = 0.3,
    r2: int = 7,
    eps2: float = 1e-6,
    average_size: int = 31,
    gauss_radius: int = 5,
    gauss_sigma: float = 5.0,
    channel_rule: bool = False,
) -> Any:
    """Guided filtering fusion (GFF).

    Li, Kang & Hu 2013, Section III:

    1. two-scale decomposition with a 31×31 average filter: base ``B_n = I_n * Z`` (eq. 1), detail
       ``D_n = I_n − B_n`` (eq. 2);
    2. saliency ``S_n = |I_n * L| * g`` with the 3×3 Laplacian L and an 11×11 Gaussian
       (r_g = σ_g = 5) (eqs. 3–4);
    3. weight maps ``P_n = 1`` where ``S_n`` is the largest over the sources (eq. 5);
    4. refined weights by guided filtering with the source as guide: ``W_n^B = G_{r1,ε1}(P_n, I_n)``,
       ``W_n^D = G_{r2,ε2}(P_n, I_n)`` (eq. 6), normalised to sum to one;
    5. ``F = Σ W_n^B B_n + Σ W_n^D D_n`` (eqs. 7–8).

    As the authors' MATLAB code (the one VIFB ships, ``GFF.m``): the filters replicate the border pixels
    (``imfilter(..., 'replicate')``), the guided filter's windows are cut at the border (He's
    ``boxfilter.m`` divided by the window's pixel count), and the refined weights are rounded to 8 bits
    (``uint8(W*255)/255``) before they are normalised; the weights come from the sources rounded to
    8 bits (the code's ``rgb2gray`` of uint8 images), the fused layers from the sources as given. On VIFB's pairs the output is within 55–74 dB of
    that code's on kettle and snow (``python benchmarks/measure/vifb_reference.py --methods gff``).

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        Two or more luminance images.
    r1, eps1 : int, float, default 45, 0.3
        Guided filter for the base-layer weights.
    r2, eps2 : int, float, default 7, 1e-6
        Guided filter for the detail-layer weights.
    average_size : int, default 31
        Side of the average filter of the two-scale decomposition.
    gauss_radius, gauss_sigma : int, float, default 5, 5.0
        The saliency's Gaussian low-pass filter.
    channel_rule : bool, default False
        Also return the rule that fuses further channels (the chroma) with the same weight maps, as
        the paper fuses each colour channel with the weights of the grey images
        (:func:`imagefusion.color.fuse_chroma`).

    Returns
    -------
    ndarray, float32, shape (H, W)
        With ``channel_rule``: ``(fused, rule)``.

    References
    ----------
    Li, Kang & Hu, 'Image fusion with guided filtering', IEEE TIP 22(7), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(gff([a, a]) - a).max()) < 1e-5  # an image fused with itself is itself
    True
    """
    stack = [np.ascontiguousarray(im, dtype=np.float32) for im in images]
    k = 2 * gauss_radius + 1
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    replicate = cv2.BORDER_REPLICATE  # MATLAB imfilter(..., 'replicate'), as the authors' code filters

    def salience(im: np.ndarray) -> np.ndarray:  # S = |I * L| * g (eqs. 3-4)
        high = np.abs(cv2.filter2D(im, -1, lap, borderType=replicate))
        return cv2.GaussianBlur(high, (k, k), gauss_sigma, borderType=replicate)

    # the weights come from the 8-bit grey images, as in the authors' code (rgb2gray of uint8 data)
    grey = [np.floor(im * 255.0 + 0.5) / 255.0 for im in stack]
    base = [cv2.blur(im, (average_size, average_size), borderType=replicate) for im in stack]
    saliency = parallel_map(lambda g: salience(g.astype(np.float32)), grey)
    winner = argmax_label(saliency)
    jobs = [(n, r, e) for n in range(len(stack)) for r, e in ((r1, eps1), (r2, eps2))]
    # float32 where ε leaves float32's variance rounding far behind (the base weights' 0.3), else float64
    refined = parallel_map(lambda j: guided_filter_truncated(grey[j[0]], winner == j[0], j[1], j[2],
                                                             np.float32 if j[2] >= 1e-3 else np.float64), jobs)
    wb = _eight_bit_weights(np.stack(refined[0::2]))
    wd = _eight_bit_weights(np.stack(refined[1::2]))

    def two_scale(planes: Sequence[np.ndarray], bases: Sequence[np.ndarray] | None = None) -> np.ndarray:
        if len(planes) != len(wb):
            raise ValueError(f"the rule was made for {len(wb)} sources, got {len(planes)} planes")
        out = np.zeros(planes[0].shape, np.float32)
        for n, im in enumerate(planes):
            im = np.ascontiguousarray(im, dtype=np.float32)
            b = cv2.blur(im, (average_size, average_size), borderType=replicate) if bases is None else bases[n]
            out += wb[n] * b + wd[n] * (im - b)
        return out

    fused = two_scale(stack, base)
    return (fused, two_scale) if channel_rule else fused


def _eight_bit_weights(weights: np.ndarray) -> np.ndarray:
    """(N, H, W) refined weight maps as the authors' code keeps them: rounded to 8 bits and saturated
    (MATLAB ``uint8(W*255)/255``), then ``W + 1e-12`` normalised to sum to one (equal where all are 0);
    float32."""
    w = np.clip(np.floor(weights * 255.0 + 0.5), 0.0, 255.0) / 255.0 + 1e-12
    return (w / w.sum(axis=0)).astype(np.float32)
