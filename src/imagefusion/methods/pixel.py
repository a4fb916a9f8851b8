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
    """
    return select_max_abs([np.asarray(im, np.float32) for im in images])
