"""The metric registry: one name → one metric, declared where the metric is defined.

A metric module decorates its function with :func:`register_metric` (name, direction, range, reference,
how many sources, smallest image, cost); :func:`list_metrics` and :func:`get_metric` read the
registry. This module is a leaf: it imports no metric. ``import imagefusion.metrics`` imports every
metric module, which registers them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UnknownNameError

__all__ = ["INF", "MetricSpec", "register_metric", "get_metric", "list_metrics"]

#: Unbounded end of a value range.
INF = float("inf")

_METRICS: dict[str, "MetricSpec"] = {}


@dataclass(frozen=True)
class MetricSpec:
    """What the metric registry knows of one metric.

    Attributes
    ----------
    name : str
    func : callable
        ``func(f)`` or ``func(a, b, f)``, keyword ``convention``.
    higher_is_better : bool
    value_range : tuple of float
        (low, high); ``inf`` where unbounded.
    uses_sources : bool
        False for metrics of the fused image alone (EN, SD, SF, AG, EI).
    reference : str
    ideal : float or None
        A target value that is best (``qsf``: 0, where both signs are worse); then
        ``higher_is_better`` only tells how the metric is usually sorted and :attr:`direction` says
        ``"closer to 0"``.
    sources : int or None
        How many sources the metric is defined for: 2, or None for any number (metrics of the fused
        image alone, and those averaged or summed over the sources). :func:`evaluate` checks it.
    min_size : int
        The smallest image side, in pixels, the metric is defined for (its windows or scales must fit:
        11 for the 11×11-window SSIM family, 25 for VIF's four scales, 3 for FMI's 3×3 windows).
        :func:`evaluate` checks it.
    cost : float
        Relative CPU cost (measured on 640×480 RGB; 1 for the cheapest), so that
        :func:`imagefusion.metrics.evaluate` starts the costliest first.

    Examples
    --------
    >>> import imagefusion.metrics
    >>> spec = imagefusion.metrics.get_metric("mi")
    >>> spec.name, spec.higher_is_better, spec.uses_sources, spec.sources
    ('mi', True, True, None)
    """

    name: str
    func: Callable[..., float]
    higher_is_better: bool
    value_range: tuple[float, float]
    uses_sources: bool
    reference: str
    ideal: float | None = None
    sources: int | None = None
    min_size: int = 1
    cost: float = 1.0

    @property
    def module(self) -> str:
        """The module that defines the metric (``imagefusion.metrics.features``)."""
        return self.func.__module__

    @property
    def direction(self) -> str:
        """``"higher"``, ``"lower"`` or ``"closer to <ideal>"`` (is better)."""
        if self.ideal is not None:
            return f"closer to {self.ideal:g}"
        return "higher" if self.higher_is_better else "lower"


def register_metric(
    name: str,
    *,
    higher_is_better: bool,
    value_range: tuple[float, float],
    reference: str,
    ideal: float | None = None,
    sources: int | None = None,
    min_size: int = 1,
    cost: float = 1.0,
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator that registers a metric function under ``name`` (see :class:`MetricSpec`).

    A function whose first parameter is ``*images`` compares the fused image with its sources
    (``metric(a, b, f)``); one whose first parameter is the fused image alone is a fused-only metric.
    With ``sources`` given, the function returned checks the number of sources of every call
    (:class:`~imagefusion.errors.InvalidImageError` otherwise).

    Parameters
    ----------
    name : str
        The metric's registry name (lower case, as in ``imagefusion evaluate --metrics``).
    higher_is_better : bool
        Its direction.
    value_range : tuple of float
        Its range (``-inf``/``inf`` for open ends).
    reference : str
        Its paper, short (``"Xydeas & Petrović, Electron. Lett. 2000"``).
    ideal : float, optional
        The value of a perfect fusion, where defined.
    sources : int, optional
        The number of sources it is defined for (``None``: any number ≥ 1).
    min_size : int, default 1
        The smallest image side it is defined on, pixels.
    cost : float, default 1.0
        Its relative run time (the bench schedules expensive metrics first).

    Returns
    -------
    callable
        The decorator; it returns the function (wrapped with the source-count check where
        ``sources`` is given).

    Raises
    ------
    ValueError
        A name registered twice.

    Examples
    --------
    >>> @register_metric("example_mean", higher_is_better=True, value_range=(0.0, 255.0), reference="none")
    ... def example_mean(fused, *, convention="mefb"):
    ...     return float(fused.mean())
    >>> get_metric("example_mean").uses_sources
    False
    >>> _ = _METRICS.pop("example_mean")
    """

    def deco(func: Callable[..., float]) -> Callable[..., float]:
        if name in _METRICS:
            raise ValueError(f"metric {name!r} is registered twice")
        first = next(iter(inspect.signature(func).parameters.values()))
        uses_sources = first.kind is inspect.Parameter.VAR_POSITIONAL
        if uses_sources and sources is not None:  # a direct call with another number of sources
            import functools

            @functools.wraps(func)
            def checked(*images: Any, **kwargs: Any) -> float:
                if len(images) - 1 != sources:
                    from ..errors import InvalidImageError

                    raise InvalidImageError(f"{name} is defined for {sources} sources, got {len(images) - 1}")
                return func(*images, **kwargs)

            wrapped: Callable[..., float] = checked
        else:
            wrapped = func
        _METRICS[name] = MetricSpec(name, wrapped, higher_is_better, value_range, uses_sources, reference, ideal,
                                    sources, min_size, cost)
        return wrapped

    return deco


def get_metric(name: str) -> MetricSpec:
    """The :class:`MetricSpec` of ``name``.

    Parameters
    ----------
    name : str
        A registry name (``"qabf"``).

    Returns
    -------
    MetricSpec

    Raises
    ------
    UnknownNameError
        An unknown name (the message lists the known ones).

    Examples
    --------
    >>> import imagefusion.metrics  # registers the metrics
    >>> spec = get_metric("qabf")
    >>> spec.direction, spec.value_range
    ('higher', (0.0, 1.0))
    """
    try:
        return _METRICS[name]
    except KeyError:
        raise UnknownNameError(f"unknown metric {name!r}; known: {', '.join(_METRICS)}") from None


def list_metrics() -> list[MetricSpec]:
    """All metrics, in the registry's order, with direction, range and reference.

    Returns
    -------
    list of MetricSpec

    Examples
    --------
    >>> import imagefusion.metrics  # registers the metrics
    >>> len(list_metrics()), list_metrics()[0].name
    (36, 'en')
    """
    return list(_METRICS.values())
