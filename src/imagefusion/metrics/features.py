"""Image-feature metrics: SD, SF, AG, EI, Q^AB/F."""

from __future__ import annotations

import cv2
import numpy as np

from ._conventions import DEFAULT_CONVENTION, as_u8_values, check_convention, fused_channels, fused_planes, per_channel

__all__ = ["sd", "sf", "ag", "ei", "qabf", "sobel_gradients"]


def sd(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Standard deviation SD of the fused image, in grey levels (higher is better).

    ``SD = sqrt(mean((F − mean F)²))`` (population form; VIFB's ``metricsVariance.m`` and MEFB's
    ``metricsSD.m`` return this standard deviation although VIFB calls it "Variance"; Rao,
    Meas. Sci. Technol. 8(4), 1997). vifb/mefb: mean over RGB channels; cddfuse: grey.

    Parameters
    ----------
    fused : ndarray, (H, W) or (H, W, 3)
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [0, 127.5]
    """
    return float(np.mean([c.std() for c in fused_planes(fused, convention)]))


def sf(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Spatial frequency SF of the fused image (higher is better).

    ``SF = sqrt(RF² + CF²)`` with row and column frequencies from first differences (Eskicioglu &
    Fisher, IEEE Trans. Commun. 43(12), 1995). vifb/mefb (``metricsSpatial_frequency.m``): the RGB
    planes are laid side by side as one M×3N image (so the two seams between planes count) and the
    squared differences are summed and divided by M·N·3; mefb: the same sums per channel, divided by
    M·N, averaged over channels; cddfuse: on grey, the means of the squared
    row and column differences.

    Returns
    -------
    float, ≥ 0
    """
    check_convention(convention)
    f = as_u8_values(fused, "fused")
    if convention == "cddfuse":
        from ._conventions import cddfuse_grey

        g = cddfuse_grey(f)
        return float(np.sqrt(np.mean(np.diff(g, axis=1) ** 2) + np.mean(np.diff(g, axis=0) ** 2)))
    if convention == "vifb" and f.ndim == 3:
        planes = [np.concatenate([f[..., k] for k in range(f.shape[2])], axis=1)]
    else:  # mefb: per channel, averaged
        planes = fused_channels(f, convention)
    values = []
    for p in planes:
        rf = np.sum(np.diff(p, axis=1) ** 2) / p.size
        cf = np.sum(np.diff(p, axis=0) ** 2) / p.size
        values.append(np.sqrt(rf + cf))
    return float(np.mean(values))


def ag(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Average gradient AG of the fused image (higher is better).

    ``sqrt((∂x F² + ∂y F²)/2)`` with central differences inside and one-sided ones at the border
    (MATLAB ``gradient``), averaged (Cui et al., Optics Communications 341, 2015). vifb/mefb
    (``metricsAvg_gradient.m``): summed and divided by (M−1)(N−1), mean over RGB channels;
    cddfuse: the mean over all pixels of the grey image.

    Returns
    -------
    float, ≥ 0
    """
    values = []
    for c in fused_planes(fused, convention):
        gy, gx = np.gradient(c)
        s = np.sqrt((gx * gx + gy * gy) / 2.0)
        m, n = c.shape
        values.append(s.mean() if convention == "cddfuse" else s.sum() / ((m - 1) * (n - 1)))
    return float(np.mean(values))


def ei(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Edge intensity EI of the fused image (higher is better).

    The mean Sobel gradient magnitude, with replicated borders (``imfilter(F, fspecial('sobel'),
    'replicate')``; Rajalingam & Priya, Int. J. Eng. Sci. Invent. 2018). vifb/mefb: over all RGB
    channels; cddfuse (which has no EI): on the grey conversion.

    Returns
    -------
    float, ≥ 0
    """
    k = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float64)
    values = []
    for c in fused_planes(fused, convention):
        gx = cv2.filter2D(c, -1, k, borderType=cv2.BORDER_REPLICATE)
        gy = cv2.filter2D(c, -1, k.T, borderType=cv2.BORDER_REPLICATE)
        values.append(np.sqrt(gx * gx + gy * gy).mean())
    return float(np.mean(values))


# Sobel kernels as the reference code convolves them (conv2, 'same', zero padding); filter2D
# correlates, so the kernels are flipped.
_H1 = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float64)
_H3 = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)


def sobel_gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel edge strength and orientation as in Xydeas & Petrović's Q^AB/F reference code.

    ``sx = conv2(I, h3, 'same')``, ``sy = conv2(I, h1, 'same')`` (zero padding), strength
    ``sqrt(sx² + sy²)``, orientation ``atan(sy / sx)`` and π/2 where ``sx = 0``.

    Returns
    -------
    g, alpha : ndarray, float64, shape of ``image``
    """
    sx = cv2.filter2D(image, cv2.CV_64F, _H3[::-1, ::-1], borderType=cv2.BORDER_CONSTANT)
    sy = cv2.filter2D(image, cv2.CV_64F, _H1[::-1, ::-1], borderType=cv2.BORDER_CONSTANT)
    g = np.sqrt(sx * sx + sy * sy)
    zero = sx == 0
    alpha = np.arctan(sy / np.where(zero, 1.0, sx))
    alpha[zero] = np.pi / 2
    return g, alpha


def _edge_preservation(g_s: np.ndarray, a_s: np.ndarray, g_f: np.ndarray, a_f: np.ndarray) -> np.ndarray:
    tg, kg, dg, ta, ka, da = 0.9994, -15.0, 0.5, 0.9879, -22.0, 0.8
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.where(g_s > g_f, g_f / g_s, np.where(g_s == g_f, g_f, g_s / g_f))
    A = 1.0 - np.abs(a_s - a_f) / (np.pi / 2)
    return tg / (1.0 + np.exp(kg * (G - dg))) * ta / (1.0 + np.exp(ka * (A - da)))


def _qabf_core(scale: float):
    def core(*x: np.ndarray) -> float:
        gf, af = sobel_gradients(x[-1] * scale)
        num = den = 0.0
        for s in x[:-1]:
            gs, as_ = sobel_gradients(s * scale)
            num += float(np.sum(_edge_preservation(gs, as_, gf, af) * gs))
            den += float(np.sum(gs))
        return num / den if den > 0 else 0.0
    return core


def qabf(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Gradient-based fusion performance Q^AB/F (Xydeas & Petrović, "Objective image fusion
    performance measure", Electronics Letters 36(4), 2000, eqs. 1–8), higher is better.

    Edge strength g and orientation α from Sobel filters; per source, the preservation
    ``Q^{SF} = Q_g Q_α`` with sigmoids (Γg = 0.9994, κg = −15, σg = 0.5; Γα = 0.9879, κα = −22,
    σα = 0.8), weighted by the source's edge strength:
    ``Q = Σ_S Σ Q^{SF} g_S / Σ_S Σ g_S``.

    Reference-code details kept: ``atan`` (not ``atan2``) with π/2 where the x-gradient is 0; zero
    padding; where the source and fused strengths are equal, G is set to the fused strength itself
    (not 1). vifb/mefb compute on values scaled by 255 (``255*im2double`` of double data), which only
    matters in that equal-strength case; per RGB channel, averaged. cddfuse: grey, 0–255.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qabf(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [0, 1]
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    scale = 1.0 if convention == "cddfuse" else 255.0
    return per_channel(_qabf_core(scale), sources, fused, convention)
