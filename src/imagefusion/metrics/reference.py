"""Metrics against the sources (or a reference): PSNR, MSE, RMSE, CC, SCD."""

from __future__ import annotations

import numpy as np

from ._conventions import DEFAULT_CONVENTION, per_channel
from ._prep import prepare
from .registry import INF, register_metric

__all__ = ["psnr", "mse", "rmse", "cc", "scd"]


def _vifb_error(s: np.ndarray, f: np.ndarray) -> float:
    # VIFB/MEFB's "mse": sqrt of the sum of squared errors divided by the pixel count.
    return float(np.sqrt(np.sum((s - f) ** 2)) / s.size)


@register_metric('mse', higher_is_better=False, value_range=(0.0, 65025.0), reference='mean squared error, averaged over sources')
def mse(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Mean squared error between the fused image and the sources, averaged over the sources
    (lower is better).

    ``(mean((A − F)²) + mean((B − F)²)) / 2`` in grey levels², as CDDFuse's ``MSE``. vifb/mefb
    (which have no MSE): the same formula per RGB channel, averaged.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``mse(a, b, f)``.

    Returns
    -------
    float, in [0, 65025]

    References
    ----------
    mean squared error, averaged over sources.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(mse(a, b, (a + b) / 2), 4)
    2765.4728
    """
    sources, fused, convention = prepare(images, convention)
    return per_channel(_mse_core, sources, fused, convention)


def _mse_core(*x: np.ndarray) -> float:
    return float(np.mean([np.mean((s - x[-1]) ** 2) for s in x[:-1]]))


@register_metric('rmse', higher_is_better=False, value_range=(0.0, INF), reference='Jagalingam & Hegde, Aquatic Procedia 2015')
def rmse(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Root mean squared error (lower is better).

    vifb/mefb (``metricsRmse.m``): the reference code's quantity, ``sqrt(Σ (S − F)²) / (M·N)``
    averaged over the sources and RGB channels (so values are about 0.04–0.3, not grey levels);
    cddfuse (which has no RMSE): ``sqrt`` of :func:`mse` on grey, in grey levels.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``rmse(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, ≥ 0

    References
    ----------
    Jagalingam & Hegde, Aquatic Procedia 2015.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(rmse(a, b, (a + b) / 2), 4)
    0.8217
    """
    sources, fused, convention = prepare(images, convention)
    if convention == "cddfuse":
        return float(np.sqrt(per_channel(_mse_core, sources, fused, convention)))
    return per_channel(lambda *x: np.mean([_vifb_error(s, x[-1]) for s in x[:-1]]), sources, fused, convention)


@register_metric('psnr', higher_is_better=True, value_range=(0.0, INF), reference='Jagalingam & Hegde, Aquatic Procedia 2015')
def psnr(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Peak signal-to-noise ratio of the fused image against the sources, in dB (higher is better).

    vifb/mefb (``metricsPsnr.m``): ``20 log10(255 / sqrt(E))`` with E the reference code's error
    ``sqrt(Σ (S − F)²) / (M·N)`` averaged over the sources, per RGB channel, averaged (values about
    53–62 dB); cddfuse: ``10 log10(max(F)² / MSE)`` with :func:`mse` on grey (values about 9–20 dB).
    Jagalingam & Hegde, Aquatic Procedia 4, 2015.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``psnr(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in dB (inf when the fused image equals the sources; with cddfuse, −inf for an all-black
    fused image, whose peak is 0)

    References
    ----------
    Jagalingam & Hegde, Aquatic Procedia 2015.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(psnr(a, b, (a + b) / 2), 4)
    48.9838
    """
    sources, fused, convention = prepare(images, convention)
    if convention == "cddfuse":
        from ._conventions import cddfuse_grey

        m = per_channel(_mse_core, sources, fused, convention)
        peak = cddfuse_grey(fused).max()
        if m == 0:
            return float("inf")
        return float(10 * np.log10(peak ** 2 / m)) if peak > 0 else float("-inf")

    def core(*x: np.ndarray) -> float:
        e = np.mean([_vifb_error(s, x[-1]) for s in x[:-1]])
        return 20 * np.log10(255.0 / np.sqrt(e)) if e > 0 else float("inf")

    return per_channel(core, sources, fused, convention)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    xc, yc = x - x.mean(), y - y.mean()
    den = np.sqrt(np.sum(xc * xc) * np.sum(yc * yc))
    return float(np.sum(xc * yc) / den) if den > 0 else 0.0


@register_metric('cc', higher_is_better=True, value_range=(-1.0, 1.0), reference='Pearson correlation, averaged over sources')
def cc(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Correlation coefficient between each source and the fused image, averaged over the sources
    (higher is better); CDDFuse's ``CC``. Pearson correlation; 0 where an image is constant.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``cc(a, b, f)`` (one or more sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−1, 1]

    References
    ----------
    Pearson correlation, averaged over sources.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(cc(a, b, (a + b) / 2), 4)
    0.7014
    """
    sources, fused, convention = prepare(images, convention)
    return per_channel(lambda *x: np.mean([_corr(s, x[-1]) for s in x[:-1]]), sources, fused, convention)


@register_metric('scd', higher_is_better=True, value_range=(-2.0, 2.0), reference='Aslantas & Bendes, AEU 2015', sources=2)
def scd(*images: np.ndarray, convention: str = DEFAULT_CONVENTION) -> float:
    """Sum of the correlations of differences SCD (Aslantas & Bendes, "A new image quality metric
    for image fusion: the sum of the correlations of differences", AEÜ 69(12), 2015, eq. 4), higher
    is better.

    ``SCD = r(F − B, A) + r(F − A, B)``: the information each source brings that the other lacks.
    Two sources only. cddfuse: on grey; vifb/mefb: per RGB channel, averaged.

    Parameters
    ----------
    *images : ndarray
        Sources then fused: ``scd(a, b, f)`` (two sources); each (H, W) or (H, W, 3), float in
        [0, 1] or uint8/uint16, all of one size.
    convention : {"vifb", "mefb", "cddfuse"}, default "mefb"
        Whose reference code to follow (:data:`imagefusion.metrics.CONVENTIONS`).

    Returns
    -------
    float, in [−2, 2]

    Raises
    ------
    InvalidImageError
        Not exactly two sources.

    References
    ----------
    Aslantas & Bendes, AEU 2015.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> round(scd(a, b, (a + b) / 2), 4)
    1.4255
    """

    sources, fused, convention = prepare(images, convention, two_sources="SCD")
    return per_channel(lambda a, b, f: _corr(f - b, a) + _corr(f - a, b), sources, fused, convention)
