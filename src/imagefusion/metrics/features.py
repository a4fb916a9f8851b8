"""Image-feature metrics: SD, SF, AG, EI, Q^AB/F, N^AB/F, Q_M, Q_SF."""

from __future__ import annotations

import cv2
import numpy as np

from ._conventions import DEFAULT_CONVENTION, as_u8_values, check_convention, fused_channels, fused_planes, per_channel
from .registry import INF, register_metric

__all__ = ["sd", "sf", "ag", "ei", "qabf", "nabf", "qm", "qsf", "sobel_gradients"]


@register_metric('sd', higher_is_better=True, value_range=(0.0, 127.5), reference='Rao, Meas. Sci. Technol. 1997')
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

    References
    ----------
    Rao, Meas. Sci. Technol. 1997.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(sd((a + b) / 2), 4)
    51.7596
    """
    return float(np.mean([c.std() for c in fused_planes(fused, convention)]))


@register_metric('sf', higher_is_better=True, value_range=(0.0, INF), reference='Eskicioglu & Fisher, IEEE Trans. Commun. 1995')
def sf(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Spatial frequency SF of the fused image (higher is better).

    ``SF = sqrt(RF² + CF²)`` with row and column frequencies from first differences (Eskicioglu &
    Fisher, IEEE Trans. Commun. 43(12), 1995). vifb/mefb (``metricsSpatial_frequency.m``): the RGB
    planes are laid side by side as one M×3N image (so the two seams between planes count) and the
    squared differences are summed and divided by M·N·3; mefb: the same sums per channel, divided by
    M·N, averaged over channels; cddfuse: on grey, the means of the squared
    row and column differences.

    Parameters
    ----------
    fused : ndarray
        The fused image, (H, W) or (H, W, 3), float in [0, 1] or uint8/uint16.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Eskicioglu & Fisher, IEEE Trans. Commun. 1995.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(sf((a + b) / 2), 4)
    102.5534
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


@register_metric('ag', higher_is_better=True, value_range=(0.0, INF), reference='Cui et al., Opt. Commun. 2015', min_size=2)
def ag(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Average gradient AG of the fused image (higher is better).

    ``sqrt((∂x F² + ∂y F²)/2)`` with central differences inside and one-sided ones at the border
    (MATLAB ``gradient``), averaged (Cui et al., Optics Communications 341, 2015). vifb/mefb
    (``metricsAvg_gradient.m``): summed and divided by (M−1)(N−1), mean over RGB channels;
    cddfuse: the mean over all pixels of the grey image.

    Parameters
    ----------
    fused : ndarray
        The fused image, (H, W) or (H, W, 3), float in [0, 1] or uint8/uint16.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Cui et al., Opt. Commun. 2015.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(ag((a + b) / 2), 4)
    34.8573
    """
    values = []
    for c in fused_planes(fused, convention):
        gy, gx = np.gradient(c)
        s = np.sqrt((gx * gx + gy * gy) / 2.0)
        m, n = c.shape
        values.append(s.mean() if convention == "cddfuse" else s.sum() / ((m - 1) * (n - 1)))
    return float(np.mean(values))


@register_metric('ei', higher_is_better=True, value_range=(0.0, INF), reference='Rajalingam & Priya, IJESI 2018')
def ei(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Edge intensity EI of the fused image (higher is better).

    The mean Sobel gradient magnitude, with replicated borders (``imfilter(F, fspecial('sobel'),
    'replicate')``; Rajalingam & Priya, Int. J. Eng. Sci. Invent. 2018). vifb/mefb: over all RGB
    channels; cddfuse (which has no EI): on the grey conversion.

    Parameters
    ----------
    fused : ndarray
        The fused image, (H, W) or (H, W, 3), float in [0, 1] or uint8/uint16.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Rajalingam & Priya, IJESI 2018.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(ei((a + b) / 2), 4)
    229.8974
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

    Parameters
    ----------
    image : ndarray, (H, W), float64
        Grey values (any scale).

    Returns
    -------
    g, alpha : ndarray, float64, shape of ``image``

    Examples
    --------
    >>> import numpy as np
    >>> img = np.tile(np.arange(8.0), (8, 1))  # a ramp along x: vertical edges everywhere
    >>> g, alpha = sobel_gradients(img)
    >>> float(g[4, 4]), float(alpha[4, 4]) == 0.0
    (8.0, True)
    """
    sx = cv2.filter2D(image, cv2.CV_64F, _H3[::-1, ::-1], borderType=cv2.BORDER_CONSTANT)
    sy = cv2.filter2D(image, cv2.CV_64F, _H1[::-1, ::-1], borderType=cv2.BORDER_CONSTANT)
    g = np.sqrt(sx * sx + sy * sy)
    zero = sx == 0
    alpha = np.arctan(sy / np.where(zero, 1.0, sx))
    alpha[zero] = np.pi / 2
    return g, alpha


def _edge_preservation(g_s: np.ndarray, a_s: np.ndarray, g_f: np.ndarray, a_f: np.ndarray) -> np.ndarray:
    """Q^SF = Q_g · Q_α per pixel (in-place arithmetic on temporaries: this runs per channel and
    source)."""
    tg, kg, dg, ta, ka, da = 0.9994, -15.0, 0.5, 0.9879, -22.0, 0.8
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.minimum(g_s, g_f)
        G /= np.maximum(g_s, g_f)
    equal = g_s == g_f
    G[equal] = g_f[equal]
    # Q_g = tg / (1 + exp(kg (G − dg)))
    G -= dg
    G *= kg
    np.exp(G, out=G)
    G += 1.0
    # Q_α = ta / (1 + exp(ka (A − da))), A = 1 − |α_S − α_F| / (π/2)
    A = np.subtract(a_s, a_f)
    np.abs(A, out=A)
    A *= -ka / (np.pi / 2)
    A += ka * (1.0 - da)
    np.exp(A, out=A)
    A += 1.0
    A *= G
    return np.divide(tg * ta, A, out=A)


def _qabf_core(scale: float):
    from ._cache import cached

    def gradients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sobel_gradients(x * scale)

    def core(*x: np.ndarray) -> float:
        gf, af = cached(f"qabf_sobel_{scale}", x[-1], gradients)
        num = den = 0.0
        for s in x[:-1]:
            gs, as_ = cached(f"qabf_sobel_{scale}", s, gradients)
            num += float(np.sum(_edge_preservation(gs, as_, gf, af) * gs))
            den += float(np.sum(gs))
        return num / den if den > 0 else 0.0
    return core


@register_metric('qabf', higher_is_better=True, value_range=(0.0, 1.0), reference='Xydeas & Petrovic, Electron. Lett. 2000', cost=10)
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

    References
    ----------
    Xydeas & Petrovic, Electron. Lett. 2000.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qabf(a, b, (a + b) / 2), 4)
    0.2754
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    scale = 1.0 if convention == "cddfuse" else 255.0
    return per_channel(_qabf_core(scale), sources, fused, convention)


def _kumar_sobel(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shreyamsha Kumar's ``sobel_fn``: Sobel kernels / 8, correlated with the image extended by
    mirroring without repeating the edge (his ``per_extn_im_fn``). Returns (gv, gh), the responses
    to ``[-1 0 1; -2 0 2; -1 0 1]/8`` and ``[-1 -2 -1; 0 0 0; 1 2 1]/8``."""
    kv = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64) / 8
    gv = cv2.filter2D(x, cv2.CV_64F, kv, borderType=cv2.BORDER_REFLECT_101)
    gh = cv2.filter2D(x, cv2.CV_64F, kv.T, borderType=cv2.BORDER_REFLECT_101)
    return gv, gh


_NABF_TD, _NABF_WT_MIN, _NABF_LG = 2.0, 0.001, 1.5  # edge threshold, weight where below it, weight exponent


def _nabf_strength_angle(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kumar's edge strength and angle ``atan(gv/gh)`` (0 where both are 0; atan(±inf) = ±π/2)."""
    gv, gh = _kumar_sobel(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        ang = np.where((gv == 0) & (gh == 0), 0.0, np.arctan(gv / gh))
    return np.sqrt(gv * gv + gh * gh), ang


def _nabf_source(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A source's side of N^AB/F: edge strength, angle, the weight map and its sum."""
    g, ang = _nabf_strength_angle(x)
    wt = np.where(g >= _NABF_TD, g ** _NABF_LG, _NABF_WT_MIN)
    return g, ang, wt, float(wt.sum())


def _nabf_core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
    from ._cache import cached

    nrg, kg, sg, nra, ka, sa = 0.9999, 19.0, 0.5, 0.9995, 22.0, 0.5
    g_f, a_f = cached("nabf_strength", f, _nabf_strength_angle)
    num = 0.0
    wt_sum = 0.0
    artefact = np.ones(f.shape, bool)
    terms = []
    for s in (a, b):
        g_s, a_s, wt, total = cached("nabf_source", s, _nabf_source)
        artefact &= g_f > g_s
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where((g_s == 0) | (g_f == 0), 0.0, np.where(g_s > g_f, g_f / g_s, g_s / g_f))
        ang = np.abs(np.abs(a_s - a_f) - np.pi / 2) * 2 / np.pi
        q_g = nrg / (1 + np.exp(-kg * (rel - sg)))
        q_a = nra / (1 + np.exp(-ka * (ang - sa)))
        q = np.sqrt(q_g * q_a)
        wt_sum += total
        terms.append((1 - q) * wt)
    num = float(np.sum(np.where(artefact, terms[0] + terms[1], 0.0)))
    return num / wt_sum


@register_metric('nabf', higher_is_better=False, value_range=(0.0, 1.0), reference='Shreyamsha Kumar, SIViP 2013 (modified N^AB/F)', sources=2, cost=10)
def nabf(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Fusion artefacts N^AB/F, modified by Shreyamsha Kumar (lower is better).

    Petrović's edge-preservation framework (Petrović & Xydeas, "Objective image fusion performance
    characterisation", ICCV 2005) with Kumar's modified artefact measure ("Multifocus and
    multispectral image fusion based on pixel significance using discrete cosine harmonic wavelet
    transform", Signal Image Video Process. 7(6), 2013, eq. 24): where the fused edge is stronger than
    both sources' (an artefact),
    ``N = Σ [(1 − Q^AF) w^A + (1 − Q^BF) w^B] / Σ (w^A + w^B)``, with
    ``Q^SF = sqrt(Q_g Q_α)`` (Γg = 0.9999, κg = 19, σg = 0.5; Γα = 0.9995, κα = 22, σα = 0.5) and
    ``w = g^1.5`` where the source's edge strength g ≥ 2, else 0.001. As Kumar's
    ``objective_fusion_perform_fn.m`` (used by DenseFuse's and many later papers' evaluations): Sobel
    kernels divided by 8 on mirrored borders, ``atan(gv/gh)`` with 0 where both are 0, relative
    strength 0 where either is 0, values 0–255. vifb/mefb: per RGB channel, averaged; cddfuse (which has
    no N^AB/F): on the grey conversions.

    Parameters
    ----------
    *images : ndarray
        Two sources then the fused image: ``nabf(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [0, 1]; 0 for a fused image without artefacts (e.g. one equal to a source)

    Raises
    ------
    InvalidImageError
        Not exactly two sources.

    References
    ----------
    Shreyamsha Kumar, SIViP 2013 (modified N^AB/F).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(nabf(a, b, (a + b) / 2), 4)
    0.0
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention, two_sources="N^AB/F")
    return per_channel(_nabf_core, sources, fused, convention)


def _haar_details(x: np.ndarray, levels: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    import pywt

    coeffs = pywt.wavedec2(x, "haar", mode="periodization", level=levels)
    return [tuple(c) for c in coeffs[:0:-1]]  # finest level first


def _qm_core(*x: np.ndarray) -> float:
    *srcs, f = x
    levels = 2
    det_f = _haar_details(f, levels)
    det_s = [_haar_details(s, levels) for s in srcs]
    q = []
    for lev in range(levels):
        num = den = 0.0
        hf, vf, df = det_f[lev]
        for det in det_s:
            h, v, d = det[lev]
            w = h * h + v * v + d * d
            ep = np.exp(-np.abs(h - hf)) + np.exp(-np.abs(v - vf)) + np.exp(-np.abs(d - df))
            num += float(np.sum(ep * w))
            den += float(np.sum(w))
        q.append(num / den if den > 0 else 3.0)
    return float(q[0] ** (2 / 3) * q[1] ** (1 / 3))


@register_metric('qm', higher_is_better=True, value_range=(0.0, 3.0), reference='Wang & Liu, ICSP 2008', cost=5)
def qm(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Multiscale edge-preservation metric Q_M (Wang & Liu, "A novel image fusion metric based on
    multi-scale analysis", ICSP 2008, eqs. 3–6), higher is better.

    Two-level Haar wavelet decomposition of every image; per level the edge preservation
    ``EP = e^{−|H_S − H_F|} + e^{−|V_S − V_F|} + e^{−|D_S − D_F|}`` weighted by the source's detail
    energy ``w = H² + V² + D²``: ``Q_l = Σ_S Σ EP·w / Σ_S Σ w``, and ``Q_M = Q_1^{2/3} Q_2^{1/3}``. As Z.
    Liu's ``metricPWW.m`` (values 0–255; orthonormal Haar, as Simoncelli's ``buildWpyr``): EP sums the
    three bands without dividing by 3, so the ideal value is 3. The reference needs even sizes; other
    sizes are decomposed with periodic extension (PyWavelets ``periodization``). vifb/mefb: per RGB
    channel, averaged; cddfuse: on the grey conversions. Any number of sources.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qm(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 3]; 3 when the fused image equals every source

    References
    ----------
    Wang & Liu, ICSP 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qm(a, b, (a + b) / 2), 4)
    0.0399
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    return per_channel(_qm_core, sources, fused, convention)


_WD = np.sqrt(2) / 2  # Zheng et al.'s distance weight of the diagonal differences


def _four_differences(x: np.ndarray) -> list[np.ndarray]:
    """First differences along rows, columns, the main and the secondary diagonal."""
    return [x[:, :-1] - x[:, 1:], x[:-1, :] - x[1:, :], x[1:, 1:] - x[:-1, :-1], x[1:, :-1] - x[:-1, 1:]]


def _qsf_core(*x: np.ndarray) -> float:
    *srcs, f = x
    n = f.size
    weights = (1.0, 1.0, _WD, _WD)
    sf_f = np.sqrt(sum(w * float(np.sum(d * d)) / n for w, d in zip(weights, _four_differences(f))))
    diffs = [_four_differences(s) for s in srcs]
    sf_r = 0.0
    for k, w in enumerate(weights):
        grad = np.maximum.reduce([np.abs(d[k]) for d in diffs])
        sf_r += w * float(np.sum(grad * grad)) / n
    sf_r = np.sqrt(sf_r)
    return (sf_f - sf_r) / sf_r if sf_r > 0 else 0.0


@register_metric('qsf', higher_is_better=False, value_range=(-1.0, INF), reference='Zheng et al., Inf. Fusion 2007 (ideal 0)', ideal=0.0)
def qsf(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Spatial-frequency metric Q_SF, the ratio of SF error rSFe (Zheng, Essock, Hansen & Haun, "A new
    metric based on extended spatial frequency and its application to DWT based fusion algorithms",
    Information Fusion 8(2), 2007, eqs. 5–9); its ideal value is 0 (negative: detail lost; positive:
    detail or noise added).

    ``SF² = RF² + CF² + MDF² + SDF²`` from row, column, main- and secondary-diagonal first differences
    (the diagonal sums weighted by √2/2), all divided by the pixel count M·N;
    the reference SF takes, per difference, the larger absolute source difference;
    ``Q_SF = (SF_F − SF_R) / SF_R``. As Z. Liu's ``metricZheng.m`` (values 0–255; his note: it
    corrects the paper's eqs. 7–8). vifb/mefb: per RGB channel, averaged; cddfuse: on the grey
    conversions. Any number of sources; 0 when sources and fused image are all flat.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qsf(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ −1; 0 is best

    References
    ----------
    Zheng et al., Inf. Fusion 2007 (ideal 0).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qsf(a, b, (a + b) / 2), 4)
    -0.4465
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    return per_channel(_qsf_core, sources, fused, convention)
