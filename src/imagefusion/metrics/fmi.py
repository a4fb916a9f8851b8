"""Feature mutual information FMI (Haghighat, Aghagolzadeh & Seyedarabi 2011; Fast-FMI, Haghighat &
Razian 2014) on pixels, wavelet, DCT and edge features."""

from __future__ import annotations

import numpy as np
import pywt
import scipy.fft

from ._conventions import DEFAULT_CONVENTION, per_channel
from ._prep import prepare
from .registry import register_metric

__all__ = ["fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge", "fmi", "fmi_features", "octave_sobel_edges"]


def _fmi_map_mean(fa: np.ndarray, fb: np.ndarray, ff: np.ndarray, w: int) -> float:
    """Fast-FMI of two source feature images and the fused one: mean over w×w windows of
    (FMI(A, F) + FMI(B, F)) / 2, as Haghighat's ``fmi.m`` (MEFB's ``metricsFMI.m``)."""
    from ._fmi_kernel import fmi_window_sum  # numba is imported only when a compiled metric runs

    fa, fb, ff = (np.ascontiguousarray(x, dtype=np.float64) for x in (fa, fb, ff))
    n = (fa.shape[0] - w + 1) * (fa.shape[1] - w + 1)
    return float(fmi_window_sum(fa, fb, ff, w)) / n


def octave_sobel_edges(image: np.ndarray) -> np.ndarray:
    """Binary Sobel edge map as GNU Octave's ``edge(image)`` (image package 2.14) computes it.

    Parameters
    ----------
    image : ndarray, (H, W), float in [0, 1]

    Returns
    -------
    ndarray, bool, (H, W)
        True on the thinned edge pixels above Octave's automatic threshold.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((32, 32)); img[8:24, 8:24] = 1.0  # a bright square
    >>> np.argwhere(octave_sobel_edges(img)).tolist()  # Octave's automatic threshold keeps its corners
    [[8, 8], [8, 23], [23, 8], [23, 23]]
    """
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

    Returns
    -------
    ndarray, float64, (H, W) (``wavelet``: the DWT's layout, about the image's size)

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((32, 32)); img[8:24, 8:24] = 255  # a bright square
    >>> fmi_features(img, "dct").shape, float(fmi_features(img, "none").max())
    ((32, 32), 255.0)
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

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``fmi(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in [0, 1]
        or uint8/uint16, all of one size.
    feature : {"none", "wavelet", "dct", "edge"}, default "none"
        The feature image compared (:func:`fmi_features`).
    window : int, default 3
        The side of the square windows, pixels.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(fmi(a, b, a, feature="dct"), 4) > round(fmi(a, b, (a + b) / 2, feature="dct"), 4)
    True
    """

    sources, fused, convention = prepare(images, convention, two_sources="FMI")

    from ._cache import cached

    def features(x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(fmi_features(x, feature), dtype=np.float64)

    def core(a: np.ndarray, b: np.ndarray, f: np.ndarray) -> float:
        fa, fb = cached(f"fmi_{feature}", a, features), cached(f"fmi_{feature}", b, features)
        return _fmi_map_mean(fa, fb, features(f), window)

    return per_channel(core, sources, fused, convention)


@register_metric('fmi_pixel', higher_is_better=True, value_range=(0.0, 1.0), reference='Haghighat et al., Comput. Electr. Eng. 2011', sources=2, min_size=3, cost=60)
def fmi_pixel(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on raw pixels (:func:`fmi` with ``feature="none"``), higher is better. Range [0, 1].

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``fmi_pixel(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Haghighat et al., Comput. Electr. Eng. 2011.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(fmi_pixel(a, b, (a + b) / 2), 4)
    0.3716
    """
    return fmi(*images, feature="none", convention=convention)


@register_metric('fmi_w', higher_is_better=True, value_range=(0.0, 1.0), reference='Haghighat et al., Comput. Electr. Eng. 2011', sources=2, cost=85)
def fmi_w(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on discrete Meyer wavelet features (:func:`fmi` with ``feature="wavelet"``), higher is
    better. Range [0, 1].

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``fmi_w(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Haghighat et al., Comput. Electr. Eng. 2011.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(fmi_w(a, b, (a + b) / 2), 4)
    0.3864
    """
    return fmi(*images, feature="wavelet", convention=convention)


@register_metric('fmi_dct', higher_is_better=True, value_range=(0.0, 1.0), reference='Haghighat et al., Comput. Electr. Eng. 2011', sources=2, min_size=3, cost=65)
def fmi_dct(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on 2-D DCT features (:func:`fmi` with ``feature="dct"``), higher is better. Range [0, 1].

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``fmi_dct(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Haghighat et al., Comput. Electr. Eng. 2011.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(fmi_dct(a, b, (a + b) / 2), 4)
    0.3764
    """
    return fmi(*images, feature="dct", convention=convention)


@register_metric('fmi_edge', higher_is_better=True, value_range=(0.0, 1.0), reference='Haghighat et al., Comput. Electr. Eng. 2011', sources=2, min_size=3, cost=20)
def fmi_edge(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """FMI on binary Sobel edge maps (:func:`fmi` with ``feature="edge"``; MEFB's "FMI"), higher is
    better. Range [0, 1].

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``fmi_edge(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [0, 1]

    References
    ----------
    Haghighat et al., Comput. Electr. Eng. 2011.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(fmi_edge(a, b, (a + b) / 2), 4)
    0.8504
    """
    return fmi(*images, feature="edge", convention=convention)
