"""Structural-similarity metrics: SSIM, MS-SSIM, MEF-SSIM, Q_S, Q_W, Q_E, Q_C, Q_Y."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from ._conventions import DEFAULT_CONVENTION, per_channel
from .registry import register_metric

__all__ = ["ssim", "ssim_index", "ms_ssim", "ms_ssim_index", "qs", "qw", "qe", "qc", "qy", "mef_ssim"]


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)`` as its separable 1-D factor (the outer product of
    the returned vector with itself is the 2-D window)."""
    ax = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(ax * ax) / (2 * sigma * sigma))
    return g / g.sum()


def _filter_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``filter2(w ⊗ w, x, 'valid')`` for the symmetric separable window factor ``w``."""
    r = (w.size - 1) // 2
    full = cv2.sepFilter2D(x, cv2.CV_64F, w, w, borderType=cv2.BORDER_CONSTANT)
    return full[r: x.shape[0] - (w.size - 1 - r), r: x.shape[1] - (w.size - 1 - r)]


_W11 = _gaussian_window(11, 1.5)
_W7 = _gaussian_window(7, 1.5)
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


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

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((32, 32)) * 255
    >>> round(ssim_index(a, a), 4)
    1.0
    >>> round(ssim_index(a, 255 - a), 4) < 0
    True
    """
    if style == "wang":
        w = _W11
        c1, c2 = _C1, _C2
        mu_a, saa = _moments(a, w)
        mu_b, sbb = _moments(b, w)
        mu_ab = mu_a * mu_b
        sab = _filter_valid(a * b, w)
        sab -= mu_ab
        num = mu_ab
        num *= 2
        num += c1
        sab *= 2
        sab += c2
        num *= sab
        den = mu_a * mu_a
        den += mu_b * mu_b
        den += c1
        var = saa + sbb
        var += c2
        den *= var
        num /= den
        return float(num.mean())
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


def _local_moments(x: np.ndarray, window: np.ndarray = _W11) -> tuple[np.ndarray, np.ndarray]:
    """Local mean and variance under the separable ``window`` (default the 11×11 Gaussian window,
    σ = 1.5), 'valid' region: ``mu = filter2(w, x)``, ``filter2(w, x·x) − mu·mu``."""
    mu = _filter_valid(x, window)
    return mu, _filter_valid(x * x, window) - mu * mu


def _moments(x: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_local_moments` of ``x``, shared inside ``shared_features`` (the sources' by every fused
    image of a pair, the fused image's by every metric of an evaluation)."""
    from ._cache import cached

    def compute(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        moments = _local_moments(arr, window)
        for m in moments:
            m.setflags(write=False)  # shared: a metric that wrote into one would change the next's input
        return moments

    return cached(f"ssim_moments_{window.size}", x, compute)


@register_metric('ssim', higher_is_better=True, value_range=(-2.0, 2.0), reference='Wang et al., IEEE TIP 2004 (summed over sources)', min_size=11, cost=12)
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

    References
    ----------
    Wang et al., IEEE TIP 2004 (summed over sources).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(ssim(a, b, (a + b) / 2), 4)
    1.3067
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    style = "skimage-0.19-float" if convention == "cddfuse" else "wang"
    return per_channel(lambda *x: sum(ssim_index(s, x[-1], style=style) for s in x[:-1]), sources, fused, convention)


def _ssim_maps(a: np.ndarray, b: np.ndarray, window: np.ndarray, c1: float, c2: float):
    """SSIM map and local statistics ('valid' region), as Wang's / Liu's ``ssim_index``."""
    (mu_a, saa), (mu_b, sbb) = _moments(a, window), _moments(b, window)
    sab = _filter_valid(a * b, window) - mu_a * mu_b
    with np.errstate(divide="ignore", invalid="ignore"):
        m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return m, saa, sbb, sab


def _piella_sources(a: np.ndarray, b: np.ndarray) -> tuple:
    """What Piella's indices need of the two sources alone: the saliency weight λ = σ_A² / (σ_A² + σ_B²)
    (0.5 each where both are 0), 1 − λ, and the normalised overall saliency max(σ_A², σ_B²) / Σ (None
    where it sums to 0)."""
    (_, sa), (_, sb) = _moments(a, _W11), _moments(b, _W11)  # the local variances
    both0 = (sa + sb) == 0
    sa = sa + 0.5 * both0
    sb = sb + 0.5 * both0
    lam = sa / (sa + sb)
    cw = np.maximum(sa, sb)
    total = cw.sum()
    return lam, 1 - lam, (cw / total if total != 0 else None)


def _piella(a: np.ndarray, b: np.ndarray, f: np.ndarray, weighted: bool) -> float:
    from ._cache import cached_pair

    lam, rest, cw = cached_pair("piella_sources", a, b, _piella_sources)
    m1 = _ssim_maps(f, a, _W11, _C1, _C2)[0]
    m2 = _ssim_maps(f, b, _W11, _C1, _C2)[0]
    q = lam * m1 + rest * m2
    if not weighted or cw is None:  # flat sources: equal weights (the reference divides 0 by 0)
        return float(q.mean())
    return float(np.sum(cw * q))


def _prewitt(x: np.ndarray) -> np.ndarray:
    """:func:`_prewitt_strength`, shared inside ``shared_features``."""
    from ._cache import cached

    return cached("prewitt_strength", x, _prewitt_strength)


def _prewitt_strength(x: np.ndarray) -> np.ndarray:
    k1 = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], np.float64)
    k2 = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], np.float64)
    gx = cv2.filter2D(x, cv2.CV_64F, k1, borderType=cv2.BORDER_CONSTANT)
    gy = cv2.filter2D(x, cv2.CV_64F, k2, borderType=cv2.BORDER_CONSTANT)
    return np.sqrt(gx * gx + gy * gy)


@register_metric('qs', higher_is_better=True, value_range=(-1.0, 1.0), reference='Piella & Heijmans, ICIP 2003', sources=2, min_size=11, cost=15)
def qs(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Piella's fusion quality index Q_S (Piella & Heijmans, "A new quality metric for image fusion",
    ICIP 2003, eq. 5), higher is better.

    ``mean(λ SSIM(F, A) + (1 − λ) SSIM(F, B))`` with the local-variance saliency
    ``λ = σ_A² / (σ_A² + σ_B²)`` (0.5 each where both are 0); SSIM maps with Wang's 11×11 Gaussian
    window, 'valid' region (Z. Liu's ``metricPeilla.m``, case 1). Two sources.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qs(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Piella & Heijmans, ICIP 2003.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qs(a, b, (a + b) / 2), 4)
    0.6569
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    return per_channel(lambda a, b, f: _piella(a, b, f, False), sources, fused, convention)


@register_metric('qw', higher_is_better=True, value_range=(-1.0, 1.0), reference='Piella & Heijmans, ICIP 2003', sources=2, min_size=11, cost=15)
def qw(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Piella's weighted fusion quality index Q_W (Piella & Heijmans, ICIP 2003, eq. 6), higher is
    better.

    vifb/cddfuse: ``Σ c(w) (λ SSIM(F, A) + (1 − λ) SSIM(F, B))`` with the overall saliency
    ``c = max(σ_A², σ_B²)`` normalised to sum to 1 (Z. Liu's code, case 2).
    mefb: what MEFB's ``metricsQw.m`` returns — it runs case 3 of that code, the same weighted
    index computed on the Prewitt edge-strength images of A, B and F (Piella's edge image term of
    Q_E with α = 1, without the Q_W factor). This is kept so that values match MEFB's tables.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qw(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Piella & Heijmans, ICIP 2003.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qw(a, b, (a + b) / 2), 4)
    0.407
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    if convention == "mefb":
        core = lambda a, b, f: _piella(_prewitt(a), _prewitt(b), _prewitt(f), True)  # noqa: E731
    else:
        core = lambda a, b, f: _piella(a, b, f, True)  # noqa: E731
    return per_channel(core, sources, fused, convention)


@register_metric('qe', higher_is_better=True, value_range=(-1.0, 1.0), reference='Piella & Heijmans, ICIP 2003', sources=2, min_size=11, cost=25)
def qe(*images: np.ndarray, convention: str = DEFAULT_CONVENTION, alpha: float = 1.0) -> float:
    """Piella's edge-dependent fusion quality index Q_E (Piella & Heijmans, ICIP 2003, eq. 8), higher
    is better.

    ``Q_E = Q_W(A, B, F) · Q_W(A', B', F')^α`` where ' marks the Prewitt edge-strength images and
    Q_W is the weighted index (:func:`qw`, vifb form); α = 1.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qe(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).
    alpha : float, default 1.0
        The exponent α of the edge images' index in Q_E (eq. 8).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Piella & Heijmans, ICIP 2003.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qe(a, b, (a + b) / 2), 4)
    0.2675
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        q = _piella(a, b, f, True)
        qedge = _piella(_prewitt(a), _prewitt(b), _prewitt(f), True)
        return q * np.sign(qedge) * abs(qedge) ** alpha

    return per_channel(core, sources, fused, convention)


def _mean_of_defined(q: np.ndarray, m_af: np.ndarray, m_bf: np.ndarray) -> float:
    """Mean of a quality map over its non-NaN pixels, as Z. Liu's code does. Where no pixel is
    defined (every window flat in both sources, which makes the reference return NaN), the
    equal-weight average of the two SSIM maps is used instead (1 if that is undefined too)."""
    keep = ~np.isnan(q)
    if keep.any():
        return float(q[keep].mean())
    both = (m_af + m_bf) / 2
    return float(np.nanmean(both)) if np.isfinite(both).any() else 1.0


@register_metric('qc', higher_is_better=True, value_range=(-1.0, 1.0), reference='Cvejic et al., Int. J. Signal Process. 2005', sources=2, cost=20)
def qc(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Cvejić's metric Q_C (Cvejić, Łoza, Bull & Canagarajah, "A similarity metric for assessment of
    image fusion algorithms", Int. J. Signal Process. 2(3), 2005, eqs. 3–4), higher is better.

    ``sim = σ_AF / (σ_AF + σ_BF)`` clipped to [0, 1] (set to 0 below 0 and 1 above 1, after mixing,
    as the code does), ``Q = mean(sim SSIM(A, F) + (1 − sim) SSIM(B, F))`` over non-NaN pixels, with
    a 7×7 Gaussian window (σ = 1.5) and C1 = C2 = 2e-16 (Z. Liu's ``metricCvejic.m`` in MEFB).

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qc(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Cvejic et al., Int. J. Signal Process. 2005.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qc(a, b, (a + b) / 2), 4)
    0.6537
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        m_af, _, _, s_af = _ssim_maps(a, f, _W7, 2e-16, 2e-16)
        m_bf, _, _, s_bf = _ssim_maps(b, f, _W7, 2e-16, 2e-16)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = s_af / (s_af + s_bf)
            sim = w * m_af + (1 - w) * m_bf
        sim[w < 0] = 0
        sim[w > 1] = 1
        return _mean_of_defined(sim, m_af, m_bf)

    return per_channel(core, sources, fused, convention)


@register_metric('qy', higher_is_better=True, value_range=(-1.0, 1.0), reference='Yang et al., Inf. Fusion 2008', sources=2, cost=20)
def qy(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Yang's metric Q_Y (Yang, Zhang, Wang & Liu, "A novel similarity based quality metric for
    image fusion", Information Fusion 9(2), 2008, eq. 5), higher is better.

    Where the sources are locally similar (``SSIM(A, B) ≥ 0.75``): ``λ SSIM(A, F) + (1 − λ) SSIM(B, F)``
    with ``λ = σ_A² / (σ_A² + σ_B²)``; elsewhere ``max(SSIM(A, F), SSIM(B, F))``; the mean over
    non-NaN pixels. 7×7 Gaussian window (σ = 1.5), C1 = C2 = 2e-16, 'valid' region (Z. Liu's
    ``metricYang.m`` as MEFB's ``metricsQy.m`` runs it, which drops NaN pixels; Liu's original takes
    the plain mean, so one NaN makes it NaN).

    Where both sources are flat over a window, rounding in the local moments can leave
    ``σ_A² + σ_B² = 0`` with ``σ_A² ≠ 0``; MEFB's code then divides by zero (λ = ±∞) and returns
    ±inf for the whole image (e.g. constant images, or ``mff/classic`` ``books`` fused by ``gff``).
    Such windows take λ = 1/2 here (both sources equally flat), so the value stays finite; windows
    where λ is 0/0 are left out of the mean, as in the reference.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qy(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Yang et al., Inf. Fusion 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qy(a, b, (a + b) / 2), 4)
    0.6741
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        m_ab, sa, sb, _ = _ssim_maps(a, b, _W7, 2e-16, 2e-16)
        m_af = _ssim_maps(a, f, _W7, 2e-16, 2e-16)[0]
        m_bf = _ssim_maps(b, f, _W7, 2e-16, 2e-16)[0]
        similar = m_ab >= 0.75
        with np.errstate(divide="ignore", invalid="ignore"):
            total = sa + sb
            # both sources flat, their moments' rounding cancelling (σ_A² = −σ_B² ≠ 0): equal weights
            # instead of the reference's ±inf; 0/0 stays NaN and is left out, as the reference does
            lam = np.where((total == 0) & (sa != 0), 0.5, sa / total)
            q = (lam * m_af + (1 - lam) * m_bf) * similar + np.maximum(m_af, m_bf) * ~similar
        return _mean_of_defined(q, m_af, m_bf)

    return per_channel(core, sources, fused, convention)


def _box_valid(x: np.ndarray, size: int) -> np.ndarray:
    k = np.full(size, 1.0 / size)
    return _filter_valid(x, k)


def _mef_source_scale(seq: list[np.ndarray]) -> tuple:
    """The sources' side of one scale of Ma, Zeng & Wang's MEF-SSIM (the authors' ``mef_ssim.m``),
    vectorised: the per-window desired structure r = s · Σ_k c_k (x_k − μ_k) is linear in the
    sources, so its Gaussian-weighted mean ``mu1`` and variance ``s1`` follow from filtered products
    of the sources. Returns (the sources, coef c_k, box means μ_k, the contrast scale s, mu1, s1): all
    that :func:`_mef_ssim_scale` needs of the sources to score a fused image."""
    n = 11
    eps = np.finfo(float).eps
    k = len(seq)
    mu = [_box_valid(x, n) for x in seq]
    var = [np.maximum(_box_valid(x * x, n) - m * m, 0) for x, m in zip(seq, mu)]
    ed = [np.sqrt(n * n * v) + 0.001 for v in var]
    total = sum(seq)
    mu_t = _box_valid(total, n)
    num = np.sqrt(np.maximum(n * n * (_box_valid(total * total, n) - mu_t * mu_t), 0))
    den = sum(np.sqrt(n * n * v) for v in var)
    r = (num + eps) / (den + eps)
    r[r > 1] = 1 - eps
    r[r < 0] = eps
    p = np.tan(np.pi / 2 * r)
    p[p > 10] = 10
    w = [(e / n) ** p + eps for e in ed]
    wsum = sum(w)
    coef = [wi / wsum / e for wi, e in zip(w, ed)]  # c_k = w_k / ed_k
    max_ed = np.maximum.reduce(ed)
    # ||Σ c_k (x_k − μ_k)||² over the square window = n² Σ_kl c_k c_l cov_box(k, l)
    norm2 = np.zeros_like(mu[0])
    gauss = {}
    for i in range(k):
        for j in range(i, k):
            cov = _box_valid(seq[i] * seq[j], n) - mu[i] * mu[j]
            norm2 += (1 if i == j else 2) * coef[i] * coef[j] * n * n * cov
            gauss[i, j] = _filter_valid(seq[i] * seq[j], _W11)
    norm = np.sqrt(np.maximum(norm2, 0))
    scale = np.where(norm > 0, max_ed / np.where(norm > 0, norm, 1), 1.0)
    g = [_filter_valid(x, _W11) for x in seq]
    mu1 = scale * sum(ci * (gi - mi) for ci, gi, mi in zip(coef, g, mu))
    second = np.zeros_like(mu1)
    for i in range(k):
        for j in range(i, k):
            term = gauss[i, j] - mu[i] * g[j] - mu[j] * g[i] + mu[i] * mu[j]
            second += (1 if i == j else 2) * coef[i] * coef[j] * term
    s1 = scale * scale * second - mu1 * mu1
    return seq, coef, mu, scale, mu1, s1


def _mef_sources(seq: list[np.ndarray]) -> list[tuple]:
    """The sources' side of MEF-SSIM at its three scales (:func:`_mef_source_scale`, each scale's
    sources halved by :func:`_halve`). Depends on the sources only, so a bench scoring many fused
    images of one exposure sequence computes it once."""
    sides = []
    for level in range(3):
        sides.append(_mef_source_scale(seq))
        if level < 2:
            seq = [_halve(x) for x in seq]
    return sides


def _mef_ssim_scale(side: tuple, f: np.ndarray, c: float) -> float:
    """One scale of MEF-SSIM: the fused image ``f``'s local structure and contrast against the desired
    patch of the sources' ``side`` (:func:`_mef_source_scale`)."""
    seq, coef, mu, scale, mu1, s1 = side
    gf, s2 = _moments(f, _W11)
    gxf = [_filter_valid(x * f, _W11) for x in seq]
    s12 = scale * sum(ci * (gxi - mi * gf) for ci, gxi, mi in zip(coef, gxf, mu)) - mu1 * gf
    q = (2 * s12 + c) / (s1 + s2 + c)
    return float(q.mean())


def _halve(x: np.ndarray) -> np.ndarray:
    """``imfilter(x, ones(2)/4, 'symmetric', 'same')`` then every second pixel from the first."""
    xp = np.pad(x, ((0, 1), (0, 1)), mode="symmetric")
    avg = (xp[:-1, :-1] + xp[1:, :-1] + xp[:-1, 1:] + xp[1:, 1:]) / 4
    return avg[::2, ::2]


@register_metric('mef_ssim', higher_is_better=True, value_range=(-1.0, 1.0), reference='Ma, Zeng & Wang, IEEE TIP 2015', min_size=44, cost=30)
def mef_ssim(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """MEF-SSIM (Ma, Zeng & Wang, "Perceptual quality assessment for multi-exposure image fusion",
    IEEE TIP 24(11), 2015, eqs. 4–16), higher is better.

    Per 11×11 window, a desired local structure is built from the sources' mean-removed patches
    (weights from their contrast, with an exponent from the structural consistency of the sources),
    its contrast set to the sources' largest, and compared with the fused patch by SSIM's
    structure/contrast term (Gaussian window σ = 1.5, C = (0.03·255)²); three scales (2×2 average
    and decimation) combined with weights (0.0448, 0.2856, 0.3001)/Σ, as the authors' ``mef_ms_ssim.m``
    used by MEFB. Images are converted to grey first (MATLAB ``rgb2gray`` for vifb/mefb, the CDDFuse
    grey for cddfuse); any number of sources (an exposure sequence).

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``mef_ssim(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    Raises
    ------
    InvalidImageError
        An image whose short side is under 44 pixels (the coarsest scale needs an 11×11 window).

    References
    ----------
    Ma, Zeng & Wang, IEEE TIP 2015.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(mef_ssim(a, b, (a + b) / 2), 4)
    0.9332
    """
    from ..errors import InvalidImageError
    from ._cache import cached_sources
    from ._conventions import cddfuse_grey, matlab_rgb2gray
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    grey = cddfuse_grey if convention == "cddfuse" else (lambda x: matlab_rgb2gray(x) if x.ndim == 3 else x)
    f = grey(fused)
    if min(f.shape) / 4 < 11:
        raise InvalidImageError(f"MEF-SSIM needs images of at least 44x44 pixels, got {f.shape[1]}x{f.shape[0]}")
    weights = np.array([0.0448, 0.2856, 0.3001])
    weights = weights / weights.sum()
    c = (0.03 * 255) ** 2
    # the sources' side depends on the grey conversion only through the convention's kind of grey
    sides = cached_sources(f"mef_ssim_{convention == 'cddfuse'}", sources,
                           lambda xs: _mef_sources([grey(x) for x in xs]))
    q = []
    for level, side in enumerate(sides):
        q.append(_mef_ssim_scale(side, f, c))
        if level < 2:
            f = _halve(f)
    q = np.array(q)
    return float(np.prod(np.sign(q) * np.abs(q) ** weights))


_MS_WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


def _ms_pyramid(x: np.ndarray, levels: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One image's side of :func:`ms_ssim_index`: per scale the image (2×2 average and decimation
    between scales, :func:`_halve`) with its local mean and variance (:func:`_moments`: the full-size
    image's are SSIM's)."""
    out = []
    for lev in range(levels):
        if lev:
            x = _halve(x)
        out.append((x, *_moments(x, _W11)))
    return out


def ms_ssim_index(a: np.ndarray, b: np.ndarray) -> float:
    """Multi-scale SSIM of two grey images (Wang, Simoncelli & Bovik, "Multiscale structural
    similarity for image quality assessment", Asilomar 2003, eq. 7), as the authors' ``msssim.m``.

    Five scales, weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); per scale the 11×11 Gaussian window
    (σ = 1.5), K1 = 0.01, K2 = 0.03, L = 255, means over fully covered windows ('valid'); contrast-
    structure terms at scales 1–4 and full SSIM at scale 5, multiplied with the weights as exponents;
    between scales a 2×2 average (symmetric border) and decimation. Images too small for five scales
    (short side under 176 pixels) use as many scales as fit, with the first weights renormalised to
    sum to 1. Negative terms are clipped to 0 before the fractional powers (MATLAB would return a
    complex number).

    Parameters
    ----------
    a, b : ndarray, (H, W), float, values 0–255

    Returns
    -------
    float, in [0, 1]

    Raises
    ------
    InvalidImageError
        An image whose short side is under 11 pixels.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((192, 192)) * 255
    >>> round(ms_ssim_index(a, a), 4)
    1.0
    """
    from ..errors import InvalidImageError

    if min(a.shape) < 11:
        raise InvalidImageError(f"MS-SSIM needs images of at least 11x11 pixels, got {a.shape[1]}x{a.shape[0]}")
    levels = 1
    while levels < 5 and min(a.shape) // 2 ** levels >= 11:
        levels += 1
    weights = _MS_WEIGHTS[:levels] / _MS_WEIGHTS[:levels].sum()
    from ._cache import cached

    value = 1.0
    pyr_a = cached(f"ms_ssim_pyramid_{levels}", a, lambda x: _ms_pyramid(x, levels))
    pyr_b = cached(f"ms_ssim_pyramid_{levels}", b, lambda x: _ms_pyramid(x, levels))
    for lev in range(levels):
        (a, mu_a, saa), (b, mu_b, sbb) = pyr_a[lev], pyr_b[lev]
        sab = _filter_valid(a * b, _W11) - mu_a * mu_b
        cs = float(np.mean((2 * sab + _C2) / (saa + sbb + _C2)))
        if lev == levels - 1:
            lum = (2 * mu_a * mu_b + _C1) / (mu_a ** 2 + mu_b ** 2 + _C1)
            term = float(np.mean(lum * (2 * sab + _C2) / (saa + sbb + _C2)))
        else:
            term = cs
        value *= max(term, 0.0) ** weights[lev]
    return float(value)


@register_metric('ms_ssim', higher_is_better=True, value_range=(0.0, 2.0), reference='Wang, Simoncelli & Bovik, Asilomar 2003 (summed)', min_size=11, cost=20)
def ms_ssim(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """MS-SSIM between each source and the fused image, summed over the sources like :func:`ssim`
    (higher is better; ideal N for N sources).

    :func:`ms_ssim_index` of each source with the fused image. None of the three reference evaluators
    has MS-SSIM; it is applied the way each applies SSIM: vifb/mefb per RGB channel, averaged;
    cddfuse on the grey conversions (with the Gaussian-window MS-SSIM, not scikit-image's).

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``ms_ssim(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [0, N] for N sources

    References
    ----------
    Wang, Simoncelli & Bovik, Asilomar 2003 (summed).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(ms_ssim(a, b, (a + b) / 2), 4)
    1.3576
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    return per_channel(lambda *x: sum(ms_ssim_index(s, x[-1]) for s in x[:-1]), sources, fused, convention)
