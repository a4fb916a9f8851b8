"""Sharing per-image intermediate results between metrics and channels within one evaluation.

``evaluate`` computes many metrics on the same few images, and the reference conventions repeat
work: every RGB channel of an infrared image stored as RGB is the same plane; ``normalize1``, Sobel
gradients, histograms and contrast responses of one plane are needed by several metrics. Inside
:func:`shared_features`, :func:`cached` remembers ``compute(x)`` under ``(tag, x's memory)``; outside
it, it just computes. The cache keeps a reference to each key array, so its memory cannot be reused
by another array while the entry lives, and it is dropped when the outermost ``shared_features``
exits, and it stops storing new entries past :data:`BUDGET_BYTES` (big images then recompute rather
than hold every intermediate plane). Arrays handed to metrics are never written in place, so the same memory means the same values.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

#: Bytes of cached results kept at most per ``shared_features`` block.
BUDGET_BYTES = 768 * 2**20

_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("imagefusion_metric_cache", default=None)


@contextmanager
def shared_features() -> Iterator[None]:
    """Context in which :func:`cached` results are kept (nested uses share the outer cache)."""
    if _CACHE.get() is not None:
        yield
        return
    token = _CACHE.set({"__bytes__": (None, 0)})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _key(tag: str, x: np.ndarray) -> tuple:
    ai = x.__array_interface__
    return (tag, ai["data"][0], x.shape, x.strides, x.dtype.str)


def cached(tag: str, x: np.ndarray, compute: Callable[[np.ndarray], Any]) -> Any:
    """``compute(x)``, remembered under ``(tag, memory of x)`` inside :func:`shared_features`."""
    cache = _CACHE.get()
    if cache is None:
        return compute(x)
    key = _key(tag, x)
    hit = cache.get(key)
    if hit is not None:
        return hit[1]
    value = compute(x)
    size = _nbytes(value)
    used = cache["__bytes__"][1]
    if used + size <= BUDGET_BYTES:
        cache[key] = (x, value)
        cache["__bytes__"] = (None, used + size)
    return value


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 64
