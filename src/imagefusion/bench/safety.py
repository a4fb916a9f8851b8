"""Is a fused image one a person would keep? A check for white-outs, black-outs and brightness shifts.

Metric tables can hide a fused image that is mostly white (the DenseFuse addition rule) or that
shifted the scene's brightness. :func:`safety_check` compares the fused luminance with the sources':

* the share of clipped pixels (luminance ≤ 1/255 or ≥ 254/255) may exceed the largest share among
  the sources by at most ``clip_margin``;
* the mean luminance must lie between the mean of the per-pixel minimum of the sources and the mean
  of their per-pixel maximum, within ``mean_margin``;
* no value is NaN.

Every registered method passes it on real pairs of every task it lists (``tests/test_safety.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SafetyReport", "safety_check", "luminance"]


def luminance(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an RGB image (H, W, 3), or the image itself when grey (H, W).

    Parameters
    ----------
    image : ndarray, float, shape (H, W) or (H, W, 3), values in [0, 1]

    Returns
    -------
    ndarray, float64, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> round(float(luminance(np.full((2, 2, 3), 0.5))[0, 0]), 6)
    0.5
    """
    im = np.asarray(image, np.float64)
    return im @ np.array([0.299, 0.587, 0.114]) if im.ndim == 3 else im


@dataclass(frozen=True)
class SafetyReport:
    """The outcome of :func:`safety_check`.

    Attributes
    ----------
    clipped : float
        Share of the fused image's pixels with luminance ≤ 1/255 or ≥ 254/255, in [0, 1].
    clipped_limit : float
        The largest such share among the sources plus the margin.
    mean : float
        Mean luminance of the fused image, in [0, 1].
    mean_low, mean_high : float
        Means of the sources' per-pixel minimum and maximum luminance (without the margin).
    nan : int
        Number of NaN values.
    mean_margin : float

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.full((16, 16), 0.3), np.full((16, 16), 0.6)
    >>> report = safety_check(np.full((16, 16), 0.45), [a, b])
    >>> report.ok, round(report.mean, 2)
    (True, 0.45)
    """

    clipped: float
    clipped_limit: float
    mean: float
    mean_low: float
    mean_high: float
    nan: int
    mean_margin: float

    @property
    def ok(self) -> bool:
        """Whether the fused image passes every check."""
        return (self.nan == 0 and self.clipped <= self.clipped_limit
                and self.mean_low - self.mean_margin <= self.mean <= self.mean_high + self.mean_margin)

    def problems(self) -> list[str]:
        """One line per failed check (empty when :attr:`ok`)."""
        out = []
        if self.nan:
            out.append(f"{self.nan} NaN values")
        if self.clipped > self.clipped_limit:
            out.append(f"{100 * self.clipped:.1f} % of pixels clipped (limit {100 * self.clipped_limit:.1f} %)")
        if not self.mean_low - self.mean_margin <= self.mean <= self.mean_high + self.mean_margin:
            out.append(f"mean luminance {self.mean:.3f} outside [{self.mean_low:.3f}, {self.mean_high:.3f}] "
                       f"± {self.mean_margin}")
        return out


def _clipped(y: np.ndarray) -> float:
    return float(np.mean((y <= 1 / 255) | (y >= 254 / 255)))


def safety_check(fused: np.ndarray, sources: Sequence[np.ndarray], *, clip_margin: float = 0.01,
                 mean_margin: float = 0.02) -> SafetyReport:
    """Check a fused image for white-out, black-out, a brightness shift and NaN values.

    Parameters
    ----------
    fused : ndarray, float, shape (H, W) or (H, W, 3), values in [0, 1]
    sources : sequence of ndarray, float, shapes (H, W) or (H, W, 3), values in [0, 1]
        The sources it was fused from (luminance taken of colour ones).
    clip_margin : float, default 0.01
        How much the clipped share may exceed the largest source's (1 %).
    mean_margin : float, default 0.02
        Tolerance on the mean-luminance bounds.

    Returns
    -------
    SafetyReport

    Raises
    ------
    ValueError
        Images of different sizes, or no source.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.full((8, 8), 0.2); b = np.full((8, 8), 0.6)
    >>> safety_check((a + b) / 2, [a, b]).ok
    True
    >>> safety_check(np.ones((8, 8)), [a, b]).problems()[0]
    '100.0 % of pixels clipped (limit 1.0 %)'
    """
    if not sources:
        raise ValueError("safety_check needs the sources")
    y = luminance(fused)
    ys = [luminance(s) for s in sources]
    if any(s.shape != y.shape for s in ys):
        raise ValueError(f"fused image {y.shape} and sources {[s.shape for s in ys]} differ in size")
    nan = int(np.isnan(y).sum())
    stack = np.stack(ys)
    return SafetyReport(
        clipped=_clipped(np.nan_to_num(y, nan=0.5)), clipped_limit=max(_clipped(s) for s in ys) + clip_margin,
        mean=float(np.nanmean(y)) if nan < y.size else float("nan"), mean_low=float(stack.min(0).mean()),
        mean_high=float(stack.max(0).mean()), nan=nan, mean_margin=mean_margin)
