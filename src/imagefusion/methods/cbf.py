"""CBF: cross bilateral filter fusion (Shreyamsha Kumar, SIViP 2015), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import vifb_channels

__all__ = ["cbf", "cross_bilateral_filter", "detail_activity"]


def cross_bilateral_filter(image: np.ndarray, guide: np.ndarray, sigma_s: float = 1.8, sigma_r: float = 25.0,
                           size: int = 11) -> np.ndarray:
    """Cross (joint) bilateral filter of ``image`` with range weights from ``guide``.

    ``out(p) = Σ_q image(q) g_s(p − q) g_r(guide(q) − guide(p)) / Σ_q g_s g_r`` over the ``size``²
    window, ``g_s(d) = exp(−|d|² / 2σ_s²)``, ``g_r(v) = exp(−v² / 2σ_r²)``, borders mirrored without
    repeating the edge (VIFB's ``cross_bilateral_filt2Df.m`` with ``per_extn_im_fn.m``).

    Parameters
    ----------
    image, guide : ndarray, float64, (H, W)
        Grey values on VIFB's 0–255 scale (σ_r is in those units).
    sigma_s : float, default 1.8
        Spatial σ, pixels.
    sigma_r : float, default 25
        Range σ, grey levels.
    size : int, default 11
        The window's side (odd).

    Returns
    -------
    ndarray, float64, (H, W)

    References
    ----------
    B. K. Shreyamsha Kumar, "Image fusion based on pixel significance using cross bilateral filter",
    Signal, Image and Video Processing 9(5), 2015, eqs. 1–3.

    Examples
    --------
    >>> import numpy as np
    >>> guide = np.zeros((16, 16)); guide[:, 8:] = 255  # an edge in the guide stops the smoothing
    >>> image = np.zeros((16, 16)); image[:, 8:] = 100
    >>> out = cross_bilateral_filter(image, guide)
    >>> round(float(out[8, 7]), 3), round(float(out[8, 8]), 3)  # nothing crosses the edge
    (0.0, 100.0)
    """
    r = size // 2
    img = np.pad(np.asarray(image, np.float64), r, mode="reflect")
    gde = np.pad(np.asarray(guide, np.float64), r, mode="reflect")
    h, w = np.shape(image)
    centre = gde[r:r + h, r:r + w]
    num = np.zeros((h, w))
    den = np.zeros((h, w))
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            g = gde[r + dy:r + dy + h, r + dx:r + dx + w]
            weight = np.exp(-(dy * dy + dx * dx) / (2 * sigma_s**2)) * np.exp(-((g - centre) ** 2) / (2 * sigma_r**2))
            num += weight * img[r + dy:r + dy + h, r + dx:r + dx + w]
            den += weight
    return num / den


def _window_sum(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Sum over ``size`` neighbours along ``axis`` ('valid': the output is ``size − 1`` shorter)."""
    c = np.cumsum(x, axis=axis)
    c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
    n = x.shape[axis]
    return np.take(c, range(size, n + 1), axis=axis) - np.take(c, range(0, n - size + 1), axis=axis)


def detail_activity(detail: np.ndarray, size: int = 5) -> np.ndarray:
    """CBF's pixel significance: in the ``size``² window around each pixel, the sum of the
    eigenvalues of the covariance of its columns plus that of its rows — their traces, i.e. the
    sum of the columns' and the rows' unbiased variances (borders mirrored, as the code's
    ``per_extn_im_fn.m``).

    Parameters
    ----------
    detail : ndarray, float64, (H, W)
    size : int, default 5
        The window's side (odd).

    Returns
    -------
    ndarray, float64, (H, W), ≥ 0

    References
    ----------
    Shreyamsha Kumar 2015, Section 3.2, eqs. 5–8.

    Examples
    --------
    >>> import numpy as np
    >>> detail_activity(np.full((8, 8), 3.0)).max()  # flat: no activity
    0.0
    >>> bool(detail_activity(np.random.default_rng(0).normal(size=(8, 8))).min() > 0)
    True
    """
    r = size // 2
    x = np.pad(np.asarray(detail, np.float64), r, mode="reflect")
    s2 = _window_sum(_window_sum(x * x, size, 0), size, 1)
    col_sums = _window_sum(x, size, 0)  # each column's sum over the window's rows
    row_sums = _window_sum(x, size, 1)
    columns = (s2 - _window_sum(col_sums**2, size, 1) / size) / (size - 1)
    rows = (s2 - _window_sum(row_sums**2, size, 0) / size) / (size - 1)
    return np.maximum(columns + rows, 0.0)


def _cbf_pair(ir: np.ndarray, vi: np.ndarray) -> np.ndarray:
    d_ir = ir - cross_bilateral_filter(ir, vi)
    d_vi = vi - cross_bilateral_filter(vi, ir)
    eps = np.finfo(np.float64).eps
    w_ir, w_vi = (np.where(a == 0, eps, a) for a in (detail_activity(d_ir), detail_activity(d_vi)))
    return (ir * w_ir + vi * w_vi) / (w_ir + w_vi)


@register_method(
    "cbf",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Shreyamsha Kumar, 'Image fusion based on pixel significance using cross bilateral filter', "
              "SIViP 9(5), 2015 (VIFB's CBF)",
)
def cbf(images: Sequence[np.ndarray]) -> np.ndarray:
    """CBF: the sources weighted by the activity of their cross-bilateral detail layers.

    Each source's detail layer is the source minus its :func:`cross_bilateral_filter` guided by the
    other source (σ_s = 1.8, σ_r = 25, 11×11); the weights are the :func:`detail_activity` of the
    detail layers (5×5), and the fused image is the weighted average of the sources (Shreyamsha Kumar
    2015, eqs. 1–9; VIFB's ``methods/CBF``, whose loops this computes with whole-image sums).

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
    B. K. Shreyamsha Kumar, Signal, Image and Video Processing 9(5), 1193–1204, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> float(np.abs(cbf([a, a]) - a).max()) < 1e-5
    True
    """
    return vifb_channels(_cbf_pair, images)
