"""Human-perception metrics: Q_CB (Chen & Blum), Q_CV (Chen & Varshney), VIF (Sheikh & Bovik)."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import scipy.fft

from ._conventions import DEFAULT_CONVENTION, normalize1, per_channel
from ._prep import prepare
from .registry import INF, register_metric
from .structural import _filter_valid, _local_moments

__all__ = ["qcb", "qcv", "vif", "viff", "vif_index"]


def _freq_radius(shape: tuple[int, int], scale_rows: float, scale_cols: float) -> np.ndarray:
    """MATLAB ``freqspace(shape, 'meshgrid')`` scaled: radius of (u·cols_scale, v·rows_scale)."""
    h, w = shape
    fu = (np.arange(w) - np.floor(w / 2)) * (2.0 / w)
    fv = (np.arange(h) - np.floor(h / 2)) * (2.0 / h)
    u, v = np.meshgrid(fu * scale_cols, fv * scale_rows)
    return np.sqrt(u * u + v * v)


def _freq_filter(x: np.ndarray, half: np.ndarray) -> np.ndarray:
    """``real(ifft2(ifftshift(fftshift(fft2(x)) .* filt)))`` for a centred filter ``filt`` that is
    symmetric under the frequency reflection (as every radial filter here is), with real FFTs;
    ``half`` is ``_half_plane(filt)``."""
    return scipy.fft.irfft2(scipy.fft.rfft2(x, workers=-1) * half, s=x.shape, workers=-1)


def _half_plane(filt: np.ndarray) -> np.ndarray:
    """A centred frequency response → unshifted, the rfft half-plane only."""
    return np.ascontiguousarray(np.fft.ifftshift(filt)[:, : filt.shape[1] // 2 + 1])


@lru_cache(maxsize=8)
def _qcb_csf(h: int, w: int) -> np.ndarray:
    """Chen–Blum's DoG contrast-sensitivity filter for an h×w image (half-plane, unshifted)."""
    f0, f1, amp = 15.3870, 1.3456, 0.7622
    r = _freq_radius((h, w), h / 30.0, w / 30.0)
    return _half_plane(np.exp(-(r / f0) ** 2) - amp * np.exp(-(r / f1) ** 2))


@lru_cache(maxsize=8)
def _qcv_csf(h: int, w: int) -> np.ndarray:
    """Mannos–Sakrison CSF as in Chen–Varshney's code for an h×w image (half-plane, unshifted)."""
    r = _freq_radius((h, w), h / 8.0, w / 8.0)
    return _half_plane(2.6 * (0.0192 + 0.144 * r) * np.exp(-((0.144 * r) ** 1.1)))


def _gauss31(sigma: float) -> np.ndarray:
    """1-D factor of Liu's unnormalised 31×31 Gaussian ``exp(−r²/2σ²) / (2πσ²)``."""
    ax = np.arange(-15, 16)
    return np.exp(-(ax * ax) / (2 * sigma * sigma)) / np.sqrt(2 * np.pi * sigma * sigma)


_G1, _G2 = _gauss31(2.0), _gauss31(4.0)


def _qcb_core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    a, b, f = normalize1(a), normalize1(b), normalize1(f)
    sd = _qcb_csf(*a.shape)

    def contrast_response(x: np.ndarray) -> np.ndarray:
        y = _freq_filter(x, sd)
        b1 = cv2.sepFilter2D(y, cv2.CV_64F, _G1, _G1, borderType=cv2.BORDER_CONSTANT)
        b2 = cv2.sepFilter2D(y, cv2.CV_64F, _G2, _G2, borderType=cv2.BORDER_CONSTANT)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.divide(b1, b2, out=b1)
        c -= 1
        np.abs(c, out=c)
        c[~np.isfinite(c)] = 0.0  # no local luminance (b2 = 0): no contrast (the reference gives NaN)
        c2 = np.multiply(c, c, out=b2)
        c *= c2
        c2 += 0.0001
        c /= c2
        return c  # C^3 / (C^2 + Z): k = h = 1, p = 3, q = 2, Z = 1e-4

    from ._cache import cached

    ca, cb, cf = (cached("qcb_contrast", x, contrast_response) for x in (a, b, f))
    with np.errstate(divide="ignore", invalid="ignore"):
        qaf = np.minimum(ca, cf) / np.maximum(ca, cf)
        qbf = np.minimum(cb, cf) / np.maximum(cb, cf)
        ca2 = ca * ca
        lam_a = ca2 / (ca2 + cb * cb)
    # 0/0 only where contrasts vanish (the reference returns NaN for the whole image then):
    # no contrast in both -> preserved (1); no contrast in either source -> equal saliency.
    qaf[np.isnan(qaf)] = 1.0
    qbf[np.isnan(qbf)] = 1.0
    lam_a[np.isnan(lam_a)] = 0.5
    q = lam_a * qaf + (1 - lam_a) * qbf
    return float(np.mean(q))


@register_metric('qcb', higher_is_better=True, value_range=(0.0, 1.0), reference='Chen & Blum, Image Vis. Comput. 2009', sources=2, cost=30)
def qcb(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Chen–Blum metric Q_CB (Chen & Blum, "A new automated quality assessment algorithm for image
    fusion", Image and Vision Computing 27(10), 2009), higher is better.

    Z. Liu's implementation as used by VIFB/MEFB (``metricsQcb.m``): images min–max stretched to
    0–255 and rounded; contrast-sensitivity filtering in the frequency domain (DoG, f0 = 15.387,
    f1 = 1.3456, a = 0.7622, frequencies scaled by size/30); local contrast from 31×31 Gaussians
    (σ = 2 and 4, zero padding), ``C' = C³ / (C² + 1e-4)``; per-pixel preservation ratios weighted
    by the squared source contrasts; the mean. Two sources. vifb/mefb: per RGB channel, averaged.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qcb(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Chen & Blum, Image Vis. Comput. 2009.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qcb(a, b, (a + b) / 2), 4)
    0.5614
    """
    sources, fused, convention = prepare(images, convention)
    return per_channel(_qcb_core, sources, fused, convention)


def _block_reduce(x: np.ndarray, size: int, func) -> np.ndarray:
    """MATLAB ``blkproc`` with [size size] blocks: partial blocks are zero-padded."""
    h, w = x.shape
    ph, pw = (-h) % size, (-w) % size
    xp = np.pad(x, ((0, ph), (0, pw)))
    blocks = xp.reshape(xp.shape[0] // size, size, xp.shape[1] // size, size)
    return func(blocks)


def _qcv_core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    a, b, f = normalize1(a), normalize1(b), normalize1(f)
    win, alpha = 16, 5
    k1 = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)  # filter2 = correlation
    k2 = k1.T

    def strength(x: np.ndarray) -> np.ndarray:
        gx = cv2.filter2D(x, cv2.CV_64F, k1, borderType=cv2.BORDER_CONSTANT)
        gy = cv2.filter2D(x, cv2.CV_64F, k2, borderType=cv2.BORDER_CONSTANT)
        return np.sqrt(gx * gx + gy * gy)

    def pow5(x: np.ndarray) -> np.ndarray:  # x ** alpha for alpha = 5, without a float power
        x2 = x * x
        return x2 * x2 * x

    assert alpha == 5
    from ._cache import cached

    def saliency(x: np.ndarray) -> np.ndarray:
        return _block_reduce(pow5(strength(x)), win, lambda bl: bl.sum(axis=(1, 3)))

    lam_a, lam_b = cached("qcv_saliency", a, saliency), cached("qcv_saliency", b, saliency)
    theta_m = _qcv_csf(*a.shape)
    da = _block_reduce(_freq_filter(a - f, theta_m) ** 2, win, lambda bl: bl.mean(axis=(1, 3)))
    db = _block_reduce(_freq_filter(b - f, theta_m) ** 2, win, lambda bl: bl.mean(axis=(1, 3)))
    weight = np.sum(lam_a + lam_b)
    if weight == 0:  # no edges in either source: equal region weights (the reference divides 0 by 0)
        return float(np.mean(da + db) / 2)
    return float(np.sum(lam_a * da + lam_b * db) / weight)


@register_metric('qcv', higher_is_better=False, value_range=(0.0, INF), reference='Chen & Varshney, Inf. Fusion 2007', sources=2, cost=10)
def qcv(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Chen–Varshney metric Q_CV (Chen & Varshney, "A human perception inspired quality metric for
    image fusion based on regional information", Information Fusion 8(2), 2007), lower is better.

    Z. Liu's implementation as used by VIFB/MEFB (``metricsQcv.m``): images stretched to 0–255 and
    rounded; region saliency ``λ = Σ g^α`` (Sobel strength, α = 5) over 16×16 blocks; the
    Mannos–Sakrison CSF-filtered difference images' mean square per block; ``Q = Σ(λ_A D_A + λ_B D_B)
    / Σ(λ_A + λ_B)``. Partial blocks at the border are zero-padded to 16×16 as MATLAB's ``blkproc``
    does (their mean includes the padding). vifb/mefb: per RGB channel, averaged.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qcv(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Chen & Varshney, Inf. Fusion 2007.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qcv(a, b, (a + b) / 2), 4)
    2284.5863
    """
    sources, fused, convention = prepare(images, convention)
    return per_channel(_qcv_core, sources, fused, convention)


def _vif_windows() -> list[np.ndarray]:
    """1-D factors of ``fspecial('gaussian', N, N/5)`` for N = 17, 9, 5, 3. (fspecial's zeroing of
    values below eps·max never triggers at these sizes.)"""
    wins = []
    for scale in range(1, 5):
        n = 2 ** (4 - scale + 1) + 1
        sd = n / 5.0
        ax = np.arange(n) - (n - 1) / 2.0
        g = np.exp(-(ax * ax) / (2 * sd * sd))
        wins.append(g / g.sum())
    return wins


_VIF_WINDOWS = _vif_windows()


def vif_index(ref: np.ndarray, dist: np.ndarray) -> float:
    """Pixel-domain visual information fidelity VIFp of ``dist`` against ``ref``
    (Sheikh & Bovik, "Image information and visual quality", IEEE TIP 15(2), 2006; the pixel-domain
    multi-scale version of their ``vifvec`` release): 4 scales, Gaussian windows of 17, 9, 5, 3 pixels
    (σ = N/5), 'valid' filtering and 2× decimation between scales, σ_n² = 2.

    Parameters
    ----------
    ref, dist : ndarray, (H, W), values 0–255

    Returns
    -------
    float, ≥ 0 (1 where the reference has no variance)

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.random.default_rng(0).random((64, 64)) * 255
    >>> round(vif_index(ref, ref), 4)  # an image against itself
    1.0
    >>> round(vif_index(ref, ref * 0.5 + 64), 4) < 1
    True
    """
    num_maps, den_maps, _ = _vif_maps(ref, dist, 2.0)
    num = sum(float(np.sum(m)) for m in num_maps)
    den = sum(float(np.sum(m)) for m in den_maps)
    v = num / den if den > 0 else float("nan")
    return 1.0 if np.isnan(v) else float(v)


@register_metric('vif', higher_is_better=True, value_range=(0.0, INF), reference='Sheikh & Bovik, IEEE TIP 2006; Han et al., Inf. Fusion 2013', min_size=25, cost=30)
def vif(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Visual information fidelity VIF, summed over the sources (higher is better).

    ``VIF(A → F) + VIF(B → F)`` with :func:`vif_index` (Sheikh & Bovik 2006), as CDDFuse's
    ``VIFF``; the fusion use follows Han, Cai, Cao & Xu, Information Fusion 14(2), 2013.
    cddfuse: on grey; vifb/mefb: per RGB channel, averaged.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``vif(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Sheikh & Bovik, IEEE TIP 2006; Han et al., Inf. Fusion 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(vif(a, b, (a + b) / 2), 4)
    0.1941
    """
    sources, fused, convention = prepare(images, convention)
    return per_channel(lambda *x: sum(vif_index(s, x[-1]) for s in x[:-1]), sources, fused, convention)


def _vif_pyramid(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One image's side of :func:`_vif_maps` at each of its 4 scales: the image (filtered by the
    scale's window, 'valid', and decimated 2×, from the second scale on), its local mean and its
    local variance (clipped at 0) under that window. Shared inside ``shared_features``."""
    levels = []
    for scale, win in enumerate(_VIF_WINDOWS, 1):
        if scale > 1:
            x = _filter_valid(x, win)[::2, ::2]
        mu, var = _local_moments(x, win)
        var = np.maximum(var, 0)
        mu.setflags(write=False)  # shared: see _vif_maps, which copies the variance it edits
        var.setflags(write=False)
        levels.append((x, mu, var))
    return levels


def _vif_maps(ref: np.ndarray, dist: np.ndarray, sigma_nsq: float):
    """Per scale, the Sheikh–Bovik information maps log10(1 + g²σ_R²/(σ_V² + σ_n²)) (with
    distortion), log10(1 + σ_R²/σ_n²) (without), and the gain g; the reference code's guards."""
    from ._cache import cached

    num, den, gains = [], [], []
    ref_levels = cached("vif_pyramid", ref, _vif_pyramid)
    dist_levels = cached("vif_pyramid", dist, _vif_pyramid)
    for win, (ref, mu1, s1), (dist, mu2, s2) in zip(_VIF_WINDOWS, ref_levels, dist_levels):
        s1 = s1.copy()  # the shared one stays as computed
        s12 = _filter_valid(ref * dist, win) - mu1 * mu2
        g = s12 / (s1 + 1e-10)
        sv = s2 - g * s12
        low1 = s1 < 1e-10
        g[low1] = 0
        sv[low1] = s2[low1]
        s1[low1] = 0
        low2 = s2 < 1e-10
        g[low2] = 0
        sv[low2] = 0
        neg = g < 0
        sv[neg] = s2[neg]
        g[neg] = 0
        sv[sv <= 1e-10] = 1e-10
        gains.append(g)
        num.append(np.log10(1 + g * g * s1 / (sv + sigma_nsq)))
        den.append(np.log10(1 + s1 / sigma_nsq))
    return num, den, gains


@register_metric('viff', higher_is_better=True, value_range=(0.0, INF), reference='Han, Cai, Cao & Xu, Inf. Fusion 2013', sources=2, min_size=25, cost=40)
def viff(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Visual information fidelity for fusion VIFF (Han, Cai, Cao & Xu, "A new image fusion
    performance metric based on visual information fidelity", Information Fusion 14(2), 2013),
    higher is better.

    Sheikh–Bovik VIF statistics at 4 scales with visual noise σ_n² = 0.005·255²; at each position the
    source with the smaller gain g gives the distorted (VID) and undistorted (VIND) information;
    ``F_k = Σ(VID + C) / Σ(VIND + C)`` (C = 1e-7), ``VIFF = Σ_k p_k F_k`` with
    p = (1, 0, 0.15, 1)/2.15 (the authors' code, used by MEFB's ``metricsVIF.m``, whose "VIF" is
    this metric). Two sources.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``viff(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Han, Cai, Cao & Xu, Inf. Fusion 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(viff(a, b, (a + b) / 2), 4)
    0.326
    """
    sources, fused, convention = prepare(images, convention)
    p = np.array([1.0, 0.0, 0.15, 1.0]) / 2.15
    sq = 0.005 * 255 * 255

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        n1, d1, g1 = _vif_maps(a, f, sq)
        n2, d2, g2 = _vif_maps(b, f, sq)
        total = 0.0
        for k in range(4):
            pick1 = g1[k] < g2[k]
            vid = np.where(pick1, n1[k], n2[k])
            vind = np.where(pick1, d1[k], d2[k])
            # An image too small for scale k leaves no pixels there: that scale counts as 1.
            total += p[k] * (np.sum(vid + 1e-7) / np.sum(vind + 1e-7) if vid.size else 1.0)
        return float(total)

    return per_channel(core, sources, fused, convention)
