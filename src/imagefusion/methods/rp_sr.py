"""RP-SR: ratio of low-pass pyramid with sparse representation of the low-pass band (Liu, Liu & Wang,
Information Fusion 2015), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import matlab_uint8, vifb_channels
from .lp_sr import burt_expand, burt_reduce, select_consistent_max, sparse_fusion, sr_dictionary

__all__ = ["rp_sr"]

_EPS = 1e-6  # the code's guard against division by zero in the ratios


def _rp_sr_pair(ir: np.ndarray, vi: np.ndarray, levels: int, overlap: int, epsilon: float,
                rule: str = "contrast") -> np.ndarray:
    m1, m2 = ir, vi
    ratios, sizes = [], []
    for _ in range(levels):
        sizes.append(m1.shape)
        m1, g1 = burt_reduce(m1)
        m2, g2 = burt_reduce(m2)
        r1 = m1 / (burt_expand(g1[::2, ::2]) + _EPS)
        r2 = m2 / (burt_expand(g2[::2, ::2]) + _EPS)
        if rule == "contrast":  # the larger local contrast |r − 1| (Toet's ROLP rule)
            ratios.append(select_consistent_max(r1 - 1.0, r2 - 1.0) + 1.0)
        else:  # the code: the larger ratio, which always favours the brighter detail
            ratios.append(select_consistent_max(r1, r2))
        m1, m2 = g1[::2, ::2], g2[::2, ::2]
    fused = sparse_fusion(m1, m2, sr_dictionary(), overlap, epsilon)
    for ratio, (z, s) in zip(reversed(ratios), reversed(sizes)):
        fused = ((burt_expand(fused) + _EPS) * ratio)[:z, :s]
    return matlab_uint8(fused)


@register_method(
    "rp-sr",
    tasks=(),  # not listed for ivif: it fails the safety test on RoadScene FLIR_00977 (4.1 % clipped)
    family="transform",
    colour=True,
    max_sources=2,
    reference="Liu, Liu & Wang, 'A general framework for image fusion based on multi-scale transform and "
              "sparse representation', Information Fusion 24, 2015 (VIFB's RP_SR)",
    ranges={"levels": (1, 8), "overlap": (0, 7), "epsilon": (1e-6, 1e3), "rule": ("contrast", "code")},
)
def rp_sr(images: Sequence[np.ndarray], *, levels: int = 4, overlap: int = 6, epsilon: float = 0.1,
          rule: str = "contrast") -> np.ndarray:
    """RP-SR: ratio-of-low-pass pyramid; ratio levels by the consistent max-abs rule, the low-pass
    band by sparse representation.

    As :func:`~imagefusion.methods.lp_sr.lp_sr`, with each level the ratio ``G_l / (EXPAND(G_{l+1}) + 10⁻⁶)``
    instead of the difference (Toet's ROLP pyramid), fused by
    :func:`~imagefusion.methods.lp_sr.select_consistent_max` and collapsed by multiplication (VIFB's
    ``methods/RP_SR/rp_sr_fuse.m``); the low-pass band by sparse coding over the project's dictionary.

    VIFB's code picks the larger *ratio*, the Laplacian rule applied as it is: ratios are about 1, so
    it always takes the brighter of the two details, which whites out textured bright regions (5.7 %
    of RoadScene ``FLIR_00977``'s pixels clipped, the sky blotched). The default ``rule="contrast"``
    picks the larger local contrast ``|r − 1|``, as Toet's ratio pyramid does; ``rule="code"`` is
    VIFB's rule.

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Registered without a task for now: on RoadScene ``FLIR_00977`` the low-pass patches' choice by
    the larger sparse code takes the visible image's bright sky in blotches, and 4.1 % of the pixels
    clip (the registry-wide safety test allows 1.2 % there), so it is not a default or a listed
    ``ivif`` method (``imagefusion fuse -m rp-sr`` runs it).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible; at least 8 · 2^levels pixels on each side.
    levels : int, default 4
    overlap : int, default 6
    epsilon : float, default 0.1
    rule : {"contrast", "code"}, default "contrast"
        How a ratio level is chosen (see above).

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    Y. Liu, S. Liu, Z. Wang, Information Fusion 24, 2015; A. Toet, "Image fusion by a ratio of
    low-pass pyramid", Pattern Recognit. Lett. 9(4), 1989.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.round(np.random.default_rng(0).random((128, 128)) * 200 + 40).astype(np.float32) / 255
    >>> out = rp_sr([a, a])
    >>> out.shape, round(float(np.abs(out - a).max()) * 255, 2) <= 1.0
    ((128, 128), True)
    """
    return vifb_channels(lambda ir, vi: _rp_sr_pair(ir, vi, int(levels), int(overlap), float(epsilon), rule), images)
