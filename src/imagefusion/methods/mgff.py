"""MGFF: multi-scale guided filter fusion (Bavirisetti et al., CSSP 2019), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import guided_filter_truncated, matlab_uint8, ratio_weights, vifb_channels

__all__ = ["mgff"]


def _mgff_pair(ir: np.ndarray, vi: np.ndarray, levels: int, radius: int, eps: float) -> np.ndarray:
    a, b = ir, vi
    detail = 0.0
    for _ in range(levels):
        # guidedfilter.m's first argument is the guide: A1 = GF(guide a, input b), and vice versa
        next_a = guided_filter_truncated(a, b, radius, eps)
        next_b = guided_filter_truncated(b, a, radius, eps)
        d_a, d_b = a - next_a, b - next_b
        w_a = ratio_weights(np.abs(d_a), np.abs(d_b))
        detail = detail + d_a * w_a + d_b * (1 - w_a)
        a, b = next_a, next_b
    return matlab_uint8(0.5 * (a + b) + detail)


@register_method(
    "mgff",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Bavirisetti, Xiao, Zhao, Dhuli & Liu, 'Multi-scale guided image and video fusion: a fast "
              "and efficient approach', Circuits Syst. Signal Process. 38, 2019 (VIFB's MGFF)",
    ranges={"levels": (1, 8), "radius": (1, 256), "eps": (1e-6, 1e9)},
)
def mgff(images: Sequence[np.ndarray], *, levels: int = 4, radius: int = 9, eps: float = 1000.0) -> np.ndarray:
    """MGFF: a four-level guided-filter decomposition, saliency-weighted detail layers, averaged base.

    At each level the two current layers smooth each other: ``A ← GF(guide A, input B)``,
    ``B ← GF(guide B, input A)`` (the argument order of the code's ``fuse_MGF.m``), with He's guided
    filter (radius 9, ε = 10³ on the 0–255 scale, windows cut at the border); the detail layers
    ``D = previous − smoothed`` are blended with weights ``|D_A| / (|D_A| + |D_B|)`` (½ where both are
    0); the last base layers are averaged, and the result rounded to 8 bits as the code does
    (Bavirisetti et al. 2019; VIFB's ``methods/MGFF``).

    Colour as VIFB feeds it: each RGB channel separately (the code's ``guidedfilter_color.m`` filters
    channel by channel; :func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.
    levels : int, default 4
        Decomposition levels.
    radius : int, default 9
        Guided filter radius, pixels.
    eps : float, default 1000
        Guided filter ε, on the 0–255 scale (grey levels²).

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    D. P. Bavirisetti, G. Xiao, J. Zhao, R. Dhuli, G. Liu, Circuits, Systems, and Signal Processing
    38, 5576–5605, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.round(np.random.default_rng(0).random((32, 32)) * 255).astype(np.float32) / 255
    >>> float(np.abs(mgff([a, a]) - a).max()) < 1e-6
    True
    """
    return vifb_channels(lambda ir, vi: _mgff_pair(ir, vi, int(levels), int(radius), float(eps)), images)
