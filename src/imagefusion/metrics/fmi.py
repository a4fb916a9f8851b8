"""Feature mutual information FMI (Haghighat, Aghagolzadeh & Seyedarabi 2011; Fast-FMI, Haghighat &
Razian 2014) on pixels, wavelet, DCT and edge features."""

from __future__ import annotations

import math

import numba
import numpy as np
import pywt
import scipy.fft

from ._conventions import DEFAULT_CONVENTION, per_channel
from ._prep import prepare

__all__ = ["fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge", "fmi", "fmi_features", "octave_sobel_edges"]

_INV_LN2 = 1.0 / math.log(2.0)


# The window loop of Haghighat's fmi.m (MEFB's metricsFMI.m), compiled. Sums are accumulated one term
# after another in the reference's order (MATLAB/Octave ``sum`` and ``mean`` on a vector): on a flat
# window the pdf is uniform, and whether its centred values are exactly 0 is decided by that rounding
# (``mean(ones(9, 1) / 9)`` is 1/9 + 1.4e-17 in Octave), which decides the correlation c, and with it
# the window's FMI (about 0 or about 1).


@numba.njit(cache=True, nogil=True)
def _stretch(win, l, out):  # pragma: no cover - compiled
    """``out[:l]`` = the window stretched to [0, 1], a flat one to ones (``out`` may be ``win``)."""
    lo = win[0]
    hi = win[0]
    for k in range(1, l):
        lo = min(lo, win[k])
        hi = max(hi, win[k])
    for k in range(l):
        out[k] = 1.0 if hi == lo else (win[k] - lo) / (hi - lo)


@numba.njit(cache=True, nogil=True)
def _equal(x, y, l):  # pragma: no cover - compiled
    """Whether the two windows are equal (the reference's ``if aSub == fSub`` shortcut)."""
    for k in range(l):
        if x[k] != y[k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _marginal(win, l, w, pdf, logp, cdf):  # pragma: no cover - compiled
    """Stretch a window to [0, 1] (a flat one to ones), then its pdf, log2 pdf and cdf.
    Returns (entropy, sum of the pdf, standard deviation of the bin index)."""
    _stretch(win, l, pdf)
    total = 0.0  # sum(sum(sub)): the column sums, then their sum
    for col in range(w):
        cs = 0.0
        for row in range(w):
            cs += pdf[col * w + row]
        total += cs
    h = 0.0
    acc = 0.0
    m1 = 0.0
    m2 = 0.0
    for k in range(l):
        p = pdf[k] / total
        pdf[k] = p
        acc += p
        cdf[k] = acc
        if p != 0.0:
            lg = math.log(p) * _INV_LN2
            logp[k] = lg
            h -= p * lg
        else:
            logp[k] = 0.0
        m1 += (k + 1) * p
        m2 += (k + 1) * (k + 1) * p
    return h, acc, math.sqrt(max(m2 - m1 * m1, 0.0))


@numba.njit(cache=True, nogil=True)
def _fmi_pair(a, la, ca, ha, sa, sda, f, lf, cf, hf, sf, sdf, l, bound):  # pragma: no cover - compiled
    """Normalised FMI ``2 I / (H_a + H_f)`` of one window pair, from their marginals."""
    ma = 0.0
    mf = 0.0
    for k in range(l):
        ma += a[k]
        mf += f[k]
    ma /= l
    mf /= l
    num = 0.0
    va = 0.0
    vf = 0.0
    for k in range(l):
        x = a[k] - ma
        y = f[k] - mf
        num += x * y
        va += x * x
        vf += y * y
    c = 0.0 if num == 0.0 else num / math.sqrt(va * vf)
    positive = c >= 0.0
    # Fréchet upper (c >= 0) or lower bound copula of the two cdfs, and its covariance
    bsum = 0.0
    for i in range(l):
        for j in range(l):
            b = min(cf[i], ca[j]) if positive else max(cf[i] + ca[j] - 1.0, 0.0)
            bound[i, j] = b
            bsum += b
    scf = 0.0
    sca = 0.0
    for k in range(l):
        scf += cf[k]
        sca += ca[k]
    weight = 0.0
    if sda * sdf > 0.0 and c != 0.0:
        corr = (bsum - scf * sca) / (sdf * sda)
        weight = c / (corr if corr != 0.0 else 1.0)
    u = 1.0 - weight
    # Joint entropy of weight * jb + u * (f a^T), jb the bound's pdf (its 2-D differences). The
    # product part is summed in closed form, then corrected on the cells where jb is not 0 (about
    # 2l of the l*l), which saves most of the logarithms.
    joint = 0.0
    lu = 0.0
    if u != 0.0:
        lu = math.log(abs(u)) * _INV_LN2
        joint = -u * lu * sf * sa + u * (hf * sa + ha * sf)
    for i in range(l):
        for j in range(l):
            jb = bound[i, j]
            if i > 0:
                jb -= bound[i - 1, j]
            if j > 0:
                jb -= bound[i, j - 1]
            if i > 0 and j > 0:
                jb += bound[i - 1, j - 1]
            if jb != 0.0:
                prod = f[i] * a[j]
                x = weight * jb + u * prod
                if x != 0.0:
                    joint -= x * math.log(abs(x)) * _INV_LN2
                if u != 0.0 and prod != 0.0:
                    joint += u * prod * (lu + lf[i] + la[j])
    mi = ha + hf - joint
    if mi == 0.0:
        return 0.0
    hs = ha + hf
    return 2.0 * mi / (hs if hs != 0.0 else 1.0)


@numba.njit(cache=True, nogil=True)
def _fmi_window_sum(fa, fb, ff, w):  # pragma: no cover - compiled
    """Sum over all w×w windows of (FMI(A, F) + FMI(B, F)) / 2."""
    rows = fa.shape[0] - w + 1
    cols = fa.shape[1] - w + 1
    l = w * w
    wa = np.empty(l)
    wb = np.empty(l)
    wf = np.empty(l)
    pa = np.empty(l)
    pb = np.empty(l)
    pf = np.empty(l)
    la = np.empty(l)
    lb = np.empty(l)
    lf = np.empty(l)
    ca = np.empty(l)
    cb = np.empty(l)
    cf = np.empty(l)
    bound = np.empty((l, l))
    total = 0.0
    hf = sf = sdf = 0.0
    for y in range(rows):
        for x in range(cols):
            k = 0
            for dx in range(w):  # column-major order inside the window, as MATLAB's sub(:)
                for dy in range(w):
                    wa[k] = fa[y + dy, x + dx]
                    wb[k] = fb[y + dy, x + dx]
                    wf[k] = ff[y + dy, x + dx]
                    k += 1
            eq_a = _equal(wa, wf, l)
            if eq_a:
                va = 1.0
            else:
                hf, sf, sdf = _marginal(wf, l, w, pf, lf, cf)
                ha, sa, sda = _marginal(wa, l, w, pa, la, ca)
                va = _fmi_pair(pa, la, ca, ha, sa, sda, pf, lf, cf, hf, sf, sdf, l, bound)
                # the reference overwrites the fused window with its stretched version while scoring
                # A, so B is compared (for the equality shortcut and the stretch) with that window
                _stretch(wf, l, wf)
            if _equal(wb, wf, l):
                vb = 1.0
            else:
                if eq_a:  # else the marginals of the stretched window are those computed for A
                    hf, sf, sdf = _marginal(wf, l, w, pf, lf, cf)
                hb, sb, sdb = _marginal(wb, l, w, pb, lb, cb)
                vb = _fmi_pair(pb, lb, cb, hb, sb, sdb, pf, lf, cf, hf, sf, sdf, l, bound)
            total += (va + vb) / 2.0
    return total


def _fmi_map_mean(fa: np.ndarray, fb: np.ndarray, ff: np.ndarray, w: int) -> float:
    """Fast-FMI of two source feature images and the fused one: mean over w×w windows of
    (FMI(A, F) + FMI(B, F)) / 2, as Haghighat's ``fmi.m`` (MEFB's ``metricsFMI.m``)."""
    fa, fb, ff = (np.ascontiguousarray(x, dtype=np.float64) for x in (fa, fb, ff))
    n = (fa.shape[0] - w + 1) * (fa.shape[1] - w + 1)
    return float(_fmi_window_sum(fa, fb, ff, w)) / n


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

    from ._cache import cached

    def features(x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(fmi_features(x, feature), dtype=np.float64)

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        fa, fb = cached(f"fmi_{feature}", a, features), cached(f"fmi_{feature}", b, features)
        return _fmi_map_mean(fa, fb, features(f), window)

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
