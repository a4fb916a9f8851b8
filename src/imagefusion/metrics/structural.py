"""Structural-similarity metrics: SSIM (more follow: MS-SSIM, MEF-SSIM, Q_S, Q_W, Q_E, Q_C, Q_Y)."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from ._conventions import DEFAULT_CONVENTION, per_channel

__all__ = ["ssim", "ssim_index"]


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    ax = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * sigma * sigma))
    g[g < np.finfo(float).eps * g.max()] = 0
    return g / g.sum()


def _filter_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    r0, r1 = (w.shape[0] - 1) // 2, (w.shape[1] - 1) // 2
    full = cv2.filter2D(x, cv2.CV_64F, w, borderType=cv2.BORDER_CONSTANT)
    return full[r0: x.shape[0] - (w.shape[0] - 1 - r0), r1: x.shape[1] - (w.shape[1] - 1 - r1)]


def ssim_index(a: np.ndarray, b: np.ndarray, *, style: str = "wang") -> float:
    """Mean SSIM of two grey images (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 13(4), 2004, eq. 13).

    Parameters
    ----------
    a, b : ndarray, (H, W), values 0–255
    style : {"wang", "skimage-0.19-float"}
        ``"wang"``: 11×11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03, L = 255, mean over the
        pixels the window covers fully ('valid'), as VIFB's ``metricsSsim.m``.
        ``"skimage-0.19-float"``: what CDDFuse gets from scikit-image 0.19.2's
        ``structural_similarity`` on float32 images: 7×7 uniform window with sample covariance,
        reflected borders, 3-pixel border cropped from the mean, and a data range silently taken as
        2 (the float dtype range), so C1 = (0.02)², C2 = (0.06)² — effectively no constants.
        scikit-image ≥ 0.26 raises an error instead of assuming that range.

    Returns
    -------
    float, in [−1, 1]
    """
    if style == "wang":
        w = _gaussian_window()
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        mu_a, mu_b = _filter_valid(a, w), _filter_valid(b, w)
        saa = _filter_valid(a * a, w) - mu_a * mu_a
        sbb = _filter_valid(b * b, w) - mu_b * mu_b
        sab = _filter_valid(a * b, w) - mu_a * mu_b
        m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
        return float(m.mean())
    if style == "skimage-0.19-float":
        a = a.astype(np.float32)
        b = b.astype(np.float32)
        win, data_range = 7, 2.0
        c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
        ux = ndimage.uniform_filter(a, win)
        uy = ndimage.uniform_filter(b, win)
        uxx = ndimage.uniform_filter(a * a, win)
        uyy = ndimage.uniform_filter(b * b, win)
        uxy = ndimage.uniform_filter(a * b, win)
        cov = win * win / (win * win - 1.0)
        vx, vy, vxy = cov * (uxx - ux * ux), cov * (uyy - uy * uy), cov * (uxy - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        pad = (win - 1) // 2
        return float(s[pad:-pad, pad:-pad].astype(np.float64).mean())
    raise ValueError(f"unknown SSIM style {style!r}")


def ssim(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """SSIM between each source and the fused image, summed over the sources (higher is better).

    ``SSIM(A, F) + SSIM(B, F)`` as VIFB's ``metricsSsim.m`` and CDDFuse's ``SSIM`` (so the ideal value
    for two sources is 2). vifb/mefb: :func:`ssim_index` style ``"wang"`` per RGB channel, averaged;
    cddfuse: style ``"skimage-0.19-float"`` on grey.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``ssim(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [−N, N] for N sources
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    style = "skimage-0.19-float" if convention == "cddfuse" else "wang"
    return per_channel(lambda *x: sum(ssim_index(s, x[-1], style=style) for s in x[:-1]), sources, fused, convention)
