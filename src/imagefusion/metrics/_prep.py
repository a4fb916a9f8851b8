"""Argument handling shared by the metrics that compare the fused image with its sources."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidImageError, SizeMismatchError
from ._conventions import check_convention, u8_values


def prepare(
    images: Sequence[np.ndarray], convention: str, *, two_sources: str | None = None
) -> tuple[list[np.ndarray], np.ndarray, str]:
    """``(a, b, ..., f)`` → (sources as 0–255 float64, fused as 0–255 float64, convention).

    ``two_sources``: the metric's name, for metrics defined for exactly two sources.

    Raises
    ------
    InvalidImageError
        Fewer than one source (or not two, with ``two_sources``), or an invalid image.
    SizeMismatchError
        Images of different sizes.
    """
    check_convention(convention)
    if len(images) < 2:
        raise InvalidImageError("this metric needs the source image(s) and the fused image: metric(a, b, f)")
    *srcs, fused = images
    if two_sources is not None and len(srcs) != 2:
        raise InvalidImageError(f"{two_sources} is defined for two sources, got {len(srcs)}")
    names = [f"source {i}" for i in range(1, len(srcs) + 1)] + ["fused"]
    arrays = [u8_values(x, n) for x, n in zip([*srcs, fused], names)]
    h, w = arrays[-1].shape[:2]
    for arr, name in zip(arrays[:-1], names):
        if arr.shape[:2] != (h, w):
            raise SizeMismatchError(f"{name} is {arr.shape[1]}x{arr.shape[0]} but fused is {w}x{h}")
    return arrays[:-1], arrays[-1], convention
