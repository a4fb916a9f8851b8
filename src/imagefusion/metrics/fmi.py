"""Feature mutual information FMI (Haghighat, Aghagolzadeh & Seyedarabi 2011; Fast-FMI, Haghighat &
Razian 2014) on pixels, wavelet, DCT and edge features."""

from __future__ import annotations

import numpy as np
import pywt
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ._conventions import DEFAULT_CONVENTION, per_channel
from ._prep import prepare

__all__ = ["fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge", "fmi", "fmi_features", "octave_sobel_edges"]

_CHUNK = 16384  # windows per vectorised block (memory ~ CHUNK * 81 * 8 bytes per array)


def _windows(x: np.ndarray, w: int) -> np.ndarray:
    """All w×w windows as rows, each flattened in MATLAB's column-major order: (n_windows, w*w)."""
    v = sliding_window_view(x, (w, w))  # (H-w+1, W-w+1, w, w)
    return v.transpose(0, 1, 3, 2).reshape(-1, w * w)


def _normalise(p: np.ndarray) -> np.ndarray:
    lo = p.min(axis=1, keepdims=True)
    hi = p.max(axis=1, keepdims=True)
    flat = hi == lo
    out = (p - lo) / np.where(flat, 1.0, hi - lo)
    return np.where(flat, 1.0, out)


def _entropy_rows(p: np.ndarray) -> np.ndarray:
    safe = np.where(p != 0, p, 1.0)
    return -(np.where(p != 0, p * np.log2(safe), 0.0)).sum(axis=1)


def _fmi_pair(src: np.ndarray, fus: np.ndarray) -> np.ndarray:
    """Normalised FMI of each window pair (rows: normalised windows of the source and the fused image)."""
    n, l = src.shape
    a = src / src.sum(axis=1, keepdims=True)
    f = fus / fus.sum(axis=1, keepdims=True)
    ac, fc = np.cumsum(a, axis=1), np.cumsum(f, axis=1)
    at = a - a.mean(axis=1, keepdims=True)
    ft = f - f.mean(axis=1, keepdims=True)
    num = (at * ft).sum(axis=1)
    den = np.sqrt((at * at).sum(axis=1) * (ft * ft).sum(axis=1))
    c = np.where(num == 0, 0.0, num / np.where(den > 0, den, 1.0))
    idx = np.arange(1, l + 1, dtype=np.float64)
    sd_a = np.sqrt(np.maximum((idx * idx * a).sum(axis=1) - (idx * a).sum(axis=1) ** 2, 0))
    sd_f = np.sqrt(np.maximum((idx * idx * f).sum(axis=1) - (idx * f).sum(axis=1) ** 2, 0))
    prod_cdf = fc[:, :, None] * ac[:, None, :]                # (n, l_f, l_a)
    upper = np.minimum(fc[:, :, None], ac[:, None, :])        # Fréchet upper bound copula
    lower = np.maximum(fc[:, :, None] + ac[:, None, :] - 1, 0)  # Fréchet lower bound
    positive = c >= 0
    bound = np.where(positive[:, None, None], upper, lower)
    cov = (bound - prod_cdf).sum(axis=(1, 2))
    sds = sd_a * sd_f
    ok = (sds > 0) & ~(positive & (c == 0))
    corr = cov / np.where(sds > 0, sds, 1.0)
    weight = np.where(ok, c / np.where(corr != 0, corr, 1.0), 0.0)
    # Joint pdf of the bound: 2-D differences of the bound's cdf (zero before the first bin).
    padded = np.zeros((n, l + 1, l + 1))
    padded[:, 1:, 1:] = bound
    jb = padded[:, 1:, 1:] - padded[:, :-1, 1:] - padded[:, 1:, :-1] + padded[:, :-1, :-1]
    jpdf = weight[:, None, None] * jb + (1 - weight[:, None, None]) * (f[:, :, None] * a[:, None, :])
    mag = np.abs(jpdf)
    joint = -(np.where(jpdf != 0, jpdf * np.log2(np.where(mag > 0, mag, 1.0)), 0.0)).sum(axis=(1, 2))
    ha, hf = _entropy_rows(a), _entropy_rows(f)
    mi = ha + hf - joint
    return np.where(mi == 0, 0.0, 2 * mi / np.where(ha + hf != 0, ha + hf, 1.0))


def _fmi_map_mean(fa: np.ndarray, fb: np.ndarray, ff: np.ndarray, w: int) -> float:
    """Fast-FMI of two source feature images and the fused one: mean over w×w windows of
    (FMI(A, F) + FMI(B, F)) / 2, as Haghighat's ``fmi.m`` (MEFB's ``metricsFMI.m``)."""
    wa, wb, wf = _windows(fa, w), _windows(fb, w), _windows(ff, w)
    total = 0.0
    for s in range(0, wa.shape[0], _CHUNK):
        pa, pb, pf = wa[s:s + _CHUNK], wb[s:s + _CHUNK], wf[s:s + _CHUNK]
        eq_a = np.all(pa == pf, axis=1)
        vals_a = np.ones(pa.shape[0])
        fn = _normalise(pf)
        if (~eq_a).any():
            vals_a[~eq_a] = _fmi_pair(_normalise(pa[~eq_a]), fn[~eq_a])
        # The reference overwrites the fused window with its normalised version while scoring A,
        # so B is compared (for the equality shortcut) with that normalised window.
        f_seen = np.where(eq_a[:, None], pf, fn)
        eq_b = np.all(pb == f_seen, axis=1)
        vals_b = np.ones(pb.shape[0])
        if (~eq_b).any():
            vals_b[~eq_b] = _fmi_pair(_normalise(pb[~eq_b]), fn[~eq_b])
        total += float(((vals_a + vals_b) / 2).sum())
    return total / wa.shape[0]


def octave_sobel_edges(image: np.ndarray) -> np.ndarray:
    """Binary Sobel edge map as GNU Octave's ``edge(image)`` (image package 2.14) computes it."""
    from ._edge import octave_sobel

    return octave_sobel(image)


def fmi_features(image: np.ndarray, feature: str) -> np.ndarray:
    """The feature image FMI compares.

    Parameters
    ----------
    image : ndarray, (H, W), values 0–255
    feature : {"none", "wavelet", "dct", "edge"}
        ``none``: the pixels; ``wavelet``: the one-level discrete Meyer DWT laid out as
        ``[cA cH; cV cD]`` and stretched to [0, 1]; ``dct``: the orthonormal 2-D DCT (MATLAB ``dct2``);
        ``edge``: the binary Sobel edge map (Octave's ``edge`` on the image scaled to [0, 1], as the
        MEFB values were computed).
    """
    if feature == "none":
        return image
    if feature == "dct":
        return scipy.fft.dctn(image, norm="ortho")
    if feature == "wavelet":
        ca, (ch, cv, cd) = pywt.dwt2(image, "dmey", mode="symmetric")
        out = np.block([[ca, ch], [cv, cd]])
        lo, hi = out.min(), out.max()
        return np.ones_like(out) if hi == lo else (out - lo) / (hi - lo)
    if feature == "edge":
        return octave_sobel_edges(image / 255.0).astype(np.float64)
    raise ValueError(f"unknown FMI feature {feature!r}")


def fmi(*images: np.ndarray, feature: str = "none", window: int = 3, convention: str = DEFAULT_CONVENTION) -> float:
    """Feature mutual information FMI (Haghighat, Aghagolzadeh & Seyedarabi, "A non-reference image
    fusion metric based on mutual information of image features", Computers & Electrical
    Engineering 37(5), 2011; the Fast-FMI windowed form, Haghighat & Razian, AICT 2014), higher is
    better.

    For every ``window``×``window`` window (3×3), the source and fused feature windows are stretched
    to [0, 1] and normalised into marginal pdfs; their joint pdf is Nelsen's mixture of the product
    and the Fréchet bound copula matched to their correlation; the normalised MI ``2 I / (H_S + H_F)``
    (1 where the windows are equal) is averaged over the two sources and then over windows. Two
    sources. Per RGB channel, averaged (vifb/mefb); grey (cddfuse).

    Returns
    -------
    float, in [0, 1]
    """

    sources, fused, convention = prepare(images, convention, two_sources="FMI")

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        return _fmi_map_mean(fmi_features(a, feature), fmi_features(b, feature), fmi_features(f, feature), window)

    return per_channel(core, sources, fused, convention)


def fmi_pixel(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on raw pixels (:func:`fmi` with ``feature="none"``), higher is better. Range [0, 1]."""
    return fmi(*images, feature="none", convention=convention)


def fmi_w(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on discrete Meyer wavelet features (:func:`fmi` with ``feature="wavelet"``), higher is
    better. Range [0, 1]."""
    return fmi(*images, feature="wavelet", convention=convention)


def fmi_dct(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on 2-D DCT features (:func:`fmi` with ``feature="dct"``), higher is better. Range [0, 1]."""
    return fmi(*images, feature="dct", convention=convention)


def fmi_edge(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on binary Sobel edge maps (:func:`fmi` with ``feature="edge"``; MEFB's "FMI"), higher is
    better. Range [0, 1]."""
    return fmi(*images, feature="edge", convention=convention)
