"""Information-theory metrics: EN, CE, MI (more follow: NMI, FMI, Q_TE, Q_NCIE)."""

from __future__ import annotations

import numpy as np

from ._conventions import DEFAULT_CONVENTION, fused_planes, normalize1, per_channel
from .registry import INF, register_metric

__all__ = ["en", "ce", "mi", "nmi", "qte", "qncie", "entropy_of", "mutual_information"]


def _hist256(x: np.ndarray) -> np.ndarray:
    return np.bincount(np.floor(x).astype(np.int64).ravel(), minlength=256)[:256].astype(np.float64)


def entropy_of(x: np.ndarray) -> float:
    """Shannon entropy in bits of the 256-bin grey-level histogram of ``x`` (values 0–255, floored).

    Parameters
    ----------
    x : ndarray
        Grey values 0–255 (floored into 256 bins).

    Returns
    -------
    float
        Bits, in [0, 8].

    Examples
    --------
    >>> import numpy as np
    >>> entropy_of(np.arange(256.0).reshape(16, 16))  # every level once: 8 bits
    8.0
    >>> entropy_of(np.full((4, 4), 7.0)) == 0  # one level: no information
    True
    """
    p = _hist256(x) / x.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@register_metric('en', higher_is_better=True, value_range=(0.0, 8.0), reference='Roberts et al., J. Appl. Remote Sens. 2008')
def en(fused: np.ndarray, *, convention: str = DEFAULT_CONVENTION) -> float:
    """Entropy EN of the fused image, in bits (higher is better).

    ``EN = −Σ_l p_l log2 p_l`` over the 256 grey-level histogram (Roberts, van Aardt & Ahmed,
    "Assessment of image fusion procedures using entropy, image quality, and multispectral
    classification", J. Appl. Remote Sens. 2(1), 2008, eq. 1). vifb/mefb: mean over the RGB channels;
    cddfuse: on the grey conversion.

    Parameters
    ----------
    fused : ndarray, (H, W) or (H, W, 3); uint8, uint16 or float in [0, 1]
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, in [0, 8]

    References
    ----------
    Roberts et al., J. Appl. Remote Sens. 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(en((a + b) / 2), 4)
    7.6622
    """
    return float(np.mean([entropy_of(c) for c in fused_planes(fused, convention)]))


def _kl_bits(src: np.ndarray, fused: np.ndarray) -> float:
    p = _hist256(src) / src.size
    q = _hist256(fused) / fused.size
    keep = (p > 0) & (q > 0)  # VIFB skips empty bins
    return float((p[keep] * np.log2(p[keep] / q[keep])).sum())


@register_metric('ce', higher_is_better=False, value_range=(0.0, INF), reference='Bulanon et al., Biosyst. Eng. 2009')
def ce(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Cross entropy CE between the sources and the fused image, in bits (lower is better).

    The mean over sources of the Kullback–Leibler divergence ``Σ_l p_S(l) log2(p_S(l)/p_F(l))`` of the
    grey-level histograms, skipping bins empty in either image, as VIFB/MEFB's
    ``metricsCross_entropy.m`` (Bulanon, Burks & Alchanatis, Biosyst. Eng. 103(1), 2009).

    Parameters
    ----------
    *images : ndarray
        The sources then the fused image: ``ce(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Bulanon et al., Biosyst. Eng. 2009.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(ce(a, b, (a + b) / 2), 4)
    0.3688
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    return per_channel(lambda *x: np.mean([_kl_bits(s, x[-1]) for s in x[:-1]]), sources, fused, convention)


def mutual_information(a: np.ndarray, b: np.ndarray, normalise: bool = False) -> float:
    """Mutual information in nats of two grey-level images (256×256 joint histogram).

    Parameters
    ----------
    a, b : ndarray, (H, W), values 0–255
    normalise : bool
        Min–max stretch each image to [0, 255] and round half away from zero first (VIFB's
        ``mutinf``); otherwise the integer grey levels are used as they are (CDDFuse's
        ``sklearn.metrics.mutual_info_score``).

    Returns
    -------
    float, ≥ 0

    Examples
    --------
    >>> import numpy as np
    >>> a = np.repeat(np.arange(4.0) * 60, 4).reshape(4, 4)  # four equally likely levels
    >>> round(mutual_information(a, a), 4)  # = the entropy, ln 4 nats
    1.3863
    >>> round(mutual_information(a, 255 - a, normalise=True), 4)  # inverted levels: the same information
    1.3863
    """
    if normalise:
        a, b = normalize1(a), normalize1(b)
    p = _joint_prob(a, b)

    def h(q: np.ndarray) -> float:
        q = q[q > 0]
        return float(-(q * np.log(q)).sum())

    return h(p.sum(axis=1)) + h(p.sum(axis=0)) - h(p)


@register_metric('mi', higher_is_better=True, value_range=(0.0, INF), reference='Qu, Zhang & Yan, Electron. Lett. 2002', cost=6)
def mi(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Mutual information MI, summed over the sources, in nats (higher is better).

    ``MI = I(A; F) + I(B; F)`` (Qu, Zhang & Yan, "Information measure for performance of image
    fusion", Electronics Letters 38(7), 2002, eq. 4). vifb/mefb: each image min–max stretched to
    0–255 first (``metricsMutinf.m``), per RGB channel, averaged; cddfuse: grey levels as they are
    (``mutual_info_score``), on the grey conversions.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``mi(a, b, f)``.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Qu, Zhang & Yan, Electron. Lett. 2002.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(mi(a, b, (a + b) / 2), 4)
    5.174
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)
    norm = convention != "cddfuse"
    return per_channel(lambda *x: sum(mutual_information(s, x[-1], norm) for s in x[:-1]), sources, fused, convention)


def _joint_prob(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ia = np.clip(a, 0, 255).astype(np.int64).ravel()
    ib = np.clip(b, 0, 255).astype(np.int64).ravel()
    h = np.bincount(ia * 256 + ib, minlength=65536).astype(np.float64).reshape(256, 256)
    return h / h.sum()


def _h_bits(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@register_metric('nmi', higher_is_better=True, value_range=(0.0, 2.0), reference='Hossny et al., Electron. Lett. 2008', cost=6)
def nmi(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Normalised mutual information NMI (Hossny, Nahavandi & Creighton, "Comments on 'Information
    measure for performance of image fusion'", Electronics Letters 44(18), 2008), higher is better.

    ``NMI = 2 Σ_S I(S; F) / (H(S) + H(F))`` with entropies in bits of 256-bin histograms after
    Z. Liu's ``normalize1`` (min–max stretch to 0–255, rounded), as MEFB's ``metricsNMI.m``.
    Per RGB channel, averaged (vifb/mefb); grey (cddfuse).

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``nmi(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 2] for two sources

    References
    ----------
    Hossny et al., Electron. Lett. 2008.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(nmi(a, b, (a + b) / 2), 4)
    0.956
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def core(*x: np.ndarray) -> float:
        f = normalize1(x[-1])
        total = 0.0
        for s in x[:-1]:
            p = _joint_prob(normalize1(s), f)
            hs, hf = _h_bits(p.sum(axis=1)), _h_bits(p.sum(axis=0))
            total += (hs + hf - _h_bits(p)) / (hs + hf) if hs + hf > 0 else 0.0
        return 2.0 * total

    return per_channel(core, sources, fused, convention)


@register_metric('qte', higher_is_better=True, value_range=(-INF, INF), reference='Cvejic et al., Electron. Lett. 2006', cost=6)
def qte(*images: np.ndarray, convention: str = DEFAULT_CONVENTION, q: float = 1.85) -> float:
    """Tsallis-entropy metric Q_TE (Cvejic, Canagarajah & Bull, "Image fusion metric based on mutual
    information and Tsallis entropy", Electronics Letters 42(11), 2006), higher is better.

    ``Σ_S (1 − Σ_ij p_SF(i, j)^q / (m(i) m'(j))^{q−1}) / (1 − q)`` with q = 1.85, after ``normalize1``.
    Z. Liu's code (used by MEFB's ``metricsTE.m``) pairs the joint histogram's row index with the
    *fused* image's marginal and the column index with the source's (its marginals are swapped);
    this is reproduced, which is why values are in the thousands.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qte(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).
    q : float, default 1.85
        The Tsallis entropy's order (the reference code's q).

    Returns
    -------
    float

    References
    ----------
    Cvejic et al., Electron. Lett. 2006.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qte(a, b, (a + b) / 2), 4)
    43.6444
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def tsallis(a: np.ndarray, b: np.ndarray) -> float:
        p = _joint_prob(a, b)              # p[i, j]: a = i, b = j
        m_first = p.sum(axis=0)            # Liu's im1_marg = sum(h): the column (b) marginal
        m_second = p.sum(axis=1)           # Liu's im2_marg = sum(h'): the row (a) marginal
        buff = m_first[:, None] * m_second[None, :]
        keep = buff != 0
        result = np.sum(p[keep] ** q / buff[keep] ** (q - 1))
        return float((1 - result) / (1 - q))

    def core(*x: np.ndarray) -> float:
        f = normalize1(x[-1])
        return sum(tsallis(normalize1(s), f) for s in x[:-1])

    return per_channel(core, sources, fused, convention)


@register_metric('qncie', higher_is_better=True, value_range=(0.0, 1.0), reference='Wang, Shen & Zhang, Physica D 2005', sources=2, cost=8)
def qncie(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Nonlinear correlation information entropy Q_NCIE (Wang, Shen & Zhang, Physica D 200, 2005;
    Wang, Shen & Jin, "Performance evaluation of image fusion techniques", in Image Fusion:
    Algorithms and Applications, 2008, ch. 19), higher is better.

    Nonlinear correlation coefficients ``NCC = H(X) + H(Y) − H(X, Y)`` (entropies in base 256 after
    ``normalize1``) of the pairs (A, B), (A, F), (B, F) fill a 3×3 correlation matrix R with
    eigenvalues λ; ``Q = 1 + Σ (λ/3) log_256(λ/3)``. Two sources, as MEFB's ``metricsQncie.m``.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``qncie(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Wang, Shen & Zhang, Physica D 2005.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(qncie(a, b, (a + b) / 2), 4)
    0.8397
    """
    from ._prep import prepare

    sources, fused, convention = prepare(images, convention)

    def ncc(a: np.ndarray, b: np.ndarray) -> float:
        p = _joint_prob(a, b)
        return (_h_bits(p.sum(axis=1)) + _h_bits(p.sum(axis=0)) - _h_bits(p)) / 8.0

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        a, b, f = normalize1(a), normalize1(b), normalize1(f)
        xy, xf, yf = ncc(a, b), ncc(a, f), ncc(b, f)
        r = np.linalg.eigvalsh(np.array([[1, xy, xf], [xy, 1, yf], [xf, yf, 1]]))
        hr = -np.sum(r * np.log2(r / 3) / 3) / 8.0
        return float(1 - hr)

    return per_channel(core, sources, fused, convention)
