"""Pixel-level baselines: average and max-abs selection."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import as_float_stack, select_max_abs

__all__ = ["average", "max_abs"]


@register_method(
    "average",
    tasks=("ivif", "mif", "mff", "mef"),
    family="pixel",
    reference="the pixel-average baseline (e.g. Zhang, 'VIFB', CVPRW 2020; Zhang, 'MEFB', Inf. Fusion 2021)",
)
def average(images: Sequence[np.ndarray]) -> np.ndarray:
    """Pixel average ``F = (1/N) Σ_n I_n``.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    the pixel-average baseline (e.g. Zhang, 'VIFB', CVPRW 2020; Zhang, 'MEFB', Inf. Fusion
    2021).

    Examples
    --------
    >>> import numpy as np
    >>> average([np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)]).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    return as_float_stack(images).mean(axis=0)


@register_method(
    "max-abs",
    tasks=("ivif", "mif", "mff", "mef"),
    family="pixel",
    reference="the max-abs selection baseline (e.g. Li, Manjunath & Mitra, Graph. Models Image Process. 57(3), 1995)",
)
def max_abs(images: Sequence[np.ndarray]) -> np.ndarray:
    """Max-abs selection: each pixel from the source of largest magnitude.

    For intensities in [0, 1] this is the pixel-wise maximum.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]

    Returns
    -------
    ndarray, float32, shape (H, W)

    References
    ----------
    the max-abs selection baseline (e.g. Li, Manjunath & Mitra, Graph. Models Image Process.
    57(3), 1995).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.2, 0.9]], np.float32); b = np.array([[0.7, 0.1]], np.float32)
    >>> np.round(max_abs([a, b]).astype(float), 2).tolist()
    [[0.7, 0.9]]
    """
    return select_max_abs([np.asarray(im, np.float32) for im in images])
