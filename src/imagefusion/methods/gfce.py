"""GFCE: guided-filter context enhancement and fusion (Zhou, Dong, Xie & Gao 2016), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import box_mean_truncated, matlab_imresize, vifb_channels
from .hmsd_gf import _hmsd_gf_pair

__all__ = ["gfce", "enhance_visible"]


def _fast_guided_filter(img: np.ndarray, radius: int, eps: float, s: float) -> np.ndarray:
    """The code's ``fastguidedfilter_md.m`` with the image as its own guide: He & Sun's subsampled
    guided filter (nearest-neighbour subsampling by ``s``, bilinear upsampling of the coefficients)."""
    h, w = img.shape
    if s > 1:
        sub_shape = (int(np.ceil(h / s)), int(np.ceil(w / s)))
        sub = matlab_imresize(img, sub_shape, "nearest", scales=(1 / s, 1 / s))
    else:
        sub = img
    r = int(round(radius / s))
    mean_i = box_mean_truncated(sub, r)
    var_i = box_mean_truncated(sub * sub, r) - mean_i * mean_i
    a = var_i / (var_i + eps)
    b = mean_i - a * mean_i
    mean_a, mean_b = box_mean_truncated(a, r), box_mean_truncated(b, r)
    if s > 1:
        scales = (h / sub.shape[0], w / sub.shape[1])
        mean_a = matlab_imresize(mean_a, (h, w), "bilinear", scales=scales)
        mean_b = matlab_imresize(mean_b, (h, w), "bilinear", scales=scales)
    return mean_a * img + mean_b


def enhance_visible(image: np.ndarray) -> np.ndarray:
    """GFCE's context enhancement of the visible image (the code's ``Ehn_GF.m``): stretched to
    0–255, its log split into a base (a fast guided filter, radius 4 % of the longer side, ε = 0.1²)
    and a detail; the base compressed to a contrast of log 4 and shifted to keep its maximum; back
    by exp, capped at 255.

    Parameters
    ----------
    image : ndarray, float64, (H, W), 0–255 scale

    Returns
    -------
    ndarray, float64, (H, W), values in [0, 255]

    References
    ----------
    Zhou, Dong, Xie & Gao, Appl. Opt. 55(23), 2016, Section 3.1; K. He, J. Sun, "Fast guided filter",
    arXiv 1505.00996, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> dark = np.tile(np.linspace(0, 60, 100), (100, 1))  # a dim ramp
    >>> out = enhance_visible(dark)
    >>> round(float(out.max()), 1), bool(out[50, 20] > dark[50, 20])  # stretched and brightened
    (255.0, True)
    """
    img = np.asarray(image, np.float64)
    lo, hi = img.min(), img.max()
    img = (img - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(img)
    r = int(np.floor(0.04 * max(img.shape)))
    base = 255 * _fast_guided_filter(img / 255, r, 0.1**2, max(1.0, r / 4))
    log_base = np.log(base + 1)
    log_detail = np.log(img + 1) - log_base
    span = log_base.max() - log_base.min()
    compress = np.log(4) / span if span > 0 else 1.0
    out = np.exp(compress * log_base + log_detail + (1 - compress) * log_base.max())
    return np.minimum(out, 255.0)


def _gfce_pair(ir: np.ndarray, vi: np.ndarray) -> np.ndarray:
    lo, hi = ir.min(), ir.max()
    ir = (ir - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(ir)
    return _hmsd_gf_pair(ir, enhance_visible(vi))


@register_method(
    "gfce",
    tasks=(),  # an enhancement: brighter than both sources by design, which the safety test refuses
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Zhou, Dong, Xie & Gao, 'Fusion of infrared and visible images for night-vision context "
              "enhancement', Appl. Opt. 55(23), 2016 (VIFB's GFCE)",
)
def gfce(images: Sequence[np.ndarray]) -> np.ndarray:
    """GFCE: the visible image's context enhanced (:func:`enhance_visible`), the infrared image
    stretched to 0–255, then fused by :func:`~imagefusion.methods.hmsd_gf.hmsd_gf`'s hybrid
    multi-scale decomposition with guided filters and perceptual weights (Zhou et al. 2016; VIFB's
    ``methods/GFCE/run_GFCE.m``). Meant for night scenes: it brightens a dark visible image.

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image, each
    enhanced and stretched on its own (:func:`~imagefusion.methods._common.vifb_channels`).

    Registered without a task: by design the result is brighter than either source, which the
    registry-wide safety test refuses for a fusion default (TNO ``01``: mean luminance 0.670 against
    at most 0.641 in the sources; RoadScene ``FLIR_00977``: 2.3 % of the pixels clipped). Run it with
    ``imagefusion fuse -m gfce`` for night scenes.

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    Z. Zhou, M. Dong, X. Xie, Z. Gao, Applied Optics 55(23), 6480–6490, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.8  # a warm target
    >>> vi = np.tile(np.linspace(0.05, 0.25, 64, dtype=np.float32), (64, 1))  # a dark scene
    >>> out = gfce([ir, vi])
    >>> out.shape, bool(out.mean() > vi.mean()), bool(out[32, 32] > out[32, 4])
    ((64, 64), True, True)
    """
    return vifb_channels(_gfce_pair, images)
