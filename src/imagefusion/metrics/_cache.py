"""Sharing per-image intermediate results between metrics and channels within one evaluation.

``evaluate`` computes many metrics on the same few images, and the reference conventions repeat
work: every RGB channel of an infrared image stored as RGB is the same plane; ``normalize1``, Sobel
gradients, histograms and contrast responses of one plane are needed by several metrics. Inside
:func:`shared_features`, :func:`cached` remembers ``compute(x)`` under ``(tag, x's memory)``; outside
it, it just computes. The cache keeps a reference to each key array, so its memory cannot be reused
by another array while the entry lives, and it is dropped when the outermost ``shared_features``
exits, and it stops storing new entries past :data:`BUDGET_BYTES` (big images then recompute rather
than hold every intermediate plane). Arrays handed to metrics are never written in place, so the same memory means the same values.

A block can also span several evaluations that share their sources (``imagefusion bench`` scores
every method's fused image of one pair in one block): :func:`sweep`, called by ``evaluate`` at the
end of each evaluation inside an outer block, drops the entries that evaluation did not use, so
what depends only on the sources stays and the previous fused image's planes go.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
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
    token = _CACHE.set({"__bytes__": (None, 0), "__round__": (None, 0)})
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
    now = cache["__round__"][1]
    hit = cache.get(key)
    if hit is not None:
        hit[2] = now
        return hit[1]
    value = compute(x)
    size = _nbytes(value)
    used = cache["__bytes__"][1]
    if used + size <= BUDGET_BYTES:
        cache[key] = [x, value, now, size]
        cache["__bytes__"] = (None, used + size)
    return value


def cached_pair(tag: str, x: np.ndarray, y: np.ndarray, compute: Callable[[np.ndarray, np.ndarray], Any]) -> Any:
    """``compute(x, y)``, remembered under ``(tag, memory of x, memory of y)`` inside
    :func:`shared_features` (the entry keeps ``y`` too, so neither memory is reused while it lives)."""
    return cached_sources(tag, [x, y], lambda xs: compute(*xs))


def cached_sources(tag: str, xs: Sequence[np.ndarray], compute: Callable[[list[np.ndarray]], Any]) -> Any:
    """``compute(xs)``, remembered under ``(tag, memory of each array of xs)`` inside
    :func:`shared_features` (the entry keeps every array, so no memory is reused while it lives)."""
    first, rest = xs[0], list(xs[1:])
    tag_key = (tag, *(_key("", y) for y in rest))
    return cached(tag_key, first, lambda a: (rest, compute([a, *rest])))[1]  # type: ignore[arg-type]


def sweep() -> None:
    """End a round: drop the entries not used since the last sweep (see the module docstring).
    Outside a ``shared_features`` block it does nothing."""
    cache = _CACHE.get()
    if cache is None:
        return
    now = cache["__round__"][1]
    stale = [k for k, v in list(cache.items()) if isinstance(k, tuple) and v[2] < now]
    freed = sum(cache.pop(k)[3] for k in stale)
    cache["__bytes__"] = (None, cache["__bytes__"][1] - freed)
    cache["__round__"] = (None, now + 1)


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 64
