"""Wavelet fusion: discrete wavelet transform (PyWavelets) and dual-tree complex wavelet (dtcwt)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pywt
from scipy import ndimage

from ..registry import register_method
from ._common import argmax_label, choose, as_float_stack, parallel_map, select_max_abs

__all__ = ["dwt", "dtcwt"]


def _area_select(coeffs: list[np.ndarray], window: int, consistency: bool) -> np.ndarray:
    """Li et al. 1995 rule on the detail coefficients of N sources (each (h, w)): activity = max |c|
    in a window, the most active source wins, and a majority filter of the decisions over the same
    window enforces consistency."""
    if window > 1:
        activity = [ndimage.maximum_filter(np.abs(c), size=window, mode="reflect") for c in coeffs]
    else:
        activity = [np.abs(c) for c in coeffs]
    winner = argmax_label(activity)
    if consistency and window > 1:
        votes = [
            ndimage.uniform_filter((winner == n).astype(np.float32), size=window, mode="reflect")
            for n in range(len(coeffs))
        ]
        winner = argmax_label(votes)
    return choose(winner, coeffs)


@register_method(
    "dwt",
    tasks=("ivif", "mif", "mff", "mef"),
    family="wavelet",
    reference=(
        "Li, Manjunath & Mitra, 'Multisensor image fusion using the wavelet transform', "
        "Graphical Models and Image Processing 57(3), 1995"
    ),
    ranges={"wavelet": tuple(pywt.wavelist(kind="discrete")), "levels": (1, 10), "window": (1, 31)},
)
def dwt(
    images: Sequence[np.ndarray],
    *,
    wavelet: str = "db2",
    levels: int = 3,
    window: int = 3,
    consistency: bool = True,
) -> np.ndarray:
    """Discrete wavelet transform fusion.

    Li, Manjunath & Mitra 1995: each detail coefficient is taken from the source with the larger
    area-based activity (maximum absolute value in a ``window``×``window`` neighbourhood), the
    choices are made consistent by a majority filter over the same window, and the approximation
    band is averaged. ``window=1, consistency=False`` gives plain max-abs selection.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
    wavelet : str, default "db2"
        Any discrete wavelet name of PyWavelets (``"haar"``, ``"db4"``, ``"sym8"``, ``"bior2.2"``...).
    levels : int, default 3
        Decomposition levels (capped at PyWavelets' maximum for the image size).
    window : int, default 3
        Side of the activity and consistency window.
    consistency : bool, default True
        Apply the majority-filter consistency verification.

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    Li, Manjunath & Mitra, 'Multisensor image fusion using the wavelet transform', Graphical
    Models and Image Processing 57(3), 1995.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(dwt([a, a]) - a).max()) < 1e-4  # an image fused with itself is itself
    True
    """
    stack = as_float_stack(images).astype(np.float64)
    h, w = stack.shape[1:]
    wav = pywt.Wavelet(wavelet)
    n = max(1, min(int(levels), pywt.dwtn_max_level((h, w), wav) or 1))
    decs = parallel_map(lambda im: pywt.wavedec2(im, wav, mode="symmetric", level=n), stack)
    fused = [np.mean([d[0] for d in decs], axis=0)]
    for lev in range(1, n + 1):
        fused.append(tuple(
            _area_select([d[lev][k] for d in decs], window, consistency) for k in range(3)
        ))
    return pywt.waverec2(fused, wav, mode="symmetric")[:h, :w].astype(np.float32)


@register_method(
    "dtcwt",
    tasks=("ivif", "mif", "mff", "mef"),
    family="wavelet",
    reference=(
        "Lewis, O'Callaghan, Nikolov, Bull & Canagarajah, 'Pixel- and region-based image fusion with "
        "complex wavelets', Information Fusion 8(2), 2007"
    ),
    ranges={"levels": (1, 10), "biort": ("antonini", "legall", "near_sym_a", "near_sym_b", "near_sym_b_bp"), "qshift": ("qshift_06", "qshift_32", "qshift_a", "qshift_b", "qshift_c", "qshift_d", "qshift_b_bp")},
)
def dtcwt(
    images: Sequence[np.ndarray],
    *,
    levels: int = 4,
    biort: str = "near_sym_b",
    qshift: str = "qshift_b",
) -> np.ndarray:
    """Dual-tree complex wavelet transform fusion (pixel-based rule of Lewis et al. 2007).

    Each complex high-pass coefficient (6 orientations per level) is taken from the source of
    largest magnitude; the low-pass band is averaged. The image is padded by reflection to a
    multiple of ``2**levels`` for the transform and cropped back.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
    levels : int, default 4
    biort, qshift : str, default "near_sym_b", "qshift_b"
        Level-1 and higher-level filters of the ``dtcwt`` package.

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    Lewis, O'Callaghan, Nikolov, Bull & Canagarajah, 'Pixel- and region-based image fusion with
    complex wavelets', Information Fusion 8(2), 2007.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> float(np.abs(dtcwt([a, a]) - a).max()) < 1e-4
    True
    """
    dtcwt = _dtcwt_numpy()
    stack = as_float_stack(images).astype(np.float64)
    h, w = stack.shape[1:]
    n = max(1, min(int(levels), int(np.log2(min(h, w))) - 1))
    m = 2 ** n
    ph, pw = (-h) % m, (-w) % m
    padded = np.pad(stack, ((0, 0), (0, ph), (0, pw)), mode="symmetric")
    transform = dtcwt.Transform2d(biort=biort, qshift=qshift)
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # dtcwt logs a warning for every size it pads itself
    try:
        pyrs = parallel_map(lambda im: transform.forward(im, nlevels=n), padded)
        low = np.mean([p.lowpass for p in pyrs], axis=0)
        highs = []
        for lev in range(n):
            highs.append(select_max_abs([p.highpasses[lev] for p in pyrs]))
        out = transform.inverse(dtcwt.Pyramid(low, tuple(highs)))
    finally:
        logger.setLevel(level)
    return out[:h, :w].astype(np.float32)


def _dtcwt_numpy() -> Any:
    """The ``dtcwt`` package with its NumPy backend, imported without the TensorFlow backend its
    ``__init__`` loads whenever TensorFlow is installed (4.5 s per process, unused here): while it is
    imported, ``import tensorflow`` fails, which dtcwt's optional backend allows for."""
    import sys

    if "dtcwt" in sys.modules or "tensorflow" in sys.modules:
        import dtcwt

        return dtcwt
    sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        import dtcwt
    finally:
        del sys.modules["tensorflow"]
    return dtcwt
