"""Fusion quality metrics, each implemented once, with the reference code's conventions by name.

Every metric is a plain function on arrays: fused-only metrics take ``metric(f)``, the others
``metric(a, b, f)`` (sources first, in the dataset's folder order, then the fused image). All take
``convention="vifb" | "mefb" | "cddfuse"``; see :mod:`imagefusion.metrics._conventions` for what each
convention does, and each function's docstring for the per-metric details. The default is
``"mefb"``: VIFB's and MEFB's MATLAB code is what most published tables were computed with, and
MEFB's code, which contains VIFB's, covers the most metrics.

Each metric is registered where it is defined (``@register_metric`` in its module, see
:mod:`imagefusion.metrics.registry`): ``list_metrics()`` or ``imagefusion metrics`` lists them with
their direction, range, number of sources, reference and module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._cache import shared_features
from ._conventions import CONVENTIONS, DEFAULT_CONVENTION
from .registry import MetricSpec, get_metric, list_metrics, register_metric
# Importing a metric module registers its metrics; the order here is the order of list_metrics():
# information theory, FMI, image features and gradients, phase congruency, structural similarity,
# human perception, reference-based. A new module is one more line here.
from .information import ce, en, mi, nmi, qncie, qte  # noqa: I001
from .fmi import fmi_dct, fmi_edge, fmi_pixel, fmi_w
from .features import ag, ei, nabf, qabf, qm, qsf, sd, sf
from .phase import phase_congruency, qp
from .structural import mef_ssim, ms_ssim, qc, qe, qs, qw, qy, ssim
from .perception import qcb, qcv, vif, viff
from .reference import cc, mse, psnr, rmse, scd

__all__ = [
    "MetricSpec", "register_metric", "list_metrics", "get_metric", "evaluate", "load_image", "shared_features", "CONVENTIONS",
    "DEFAULT_CONVENTION",
    "en", "ce", "mi", "sd", "sf", "ag", "ei", "qabf", "ssim", "qcb", "qcv", "vif", "psnr", "mse", "rmse",
    "cc", "scd", "nmi", "qte", "qncie", "qs", "qw", "qe", "qc", "qy", "viff", "mef_ssim", "fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge",
    "qp", "phase_congruency", "nabf", "qm", "qsf", "ms_ssim",
]


def load_image(x: Any, name: str = "image") -> np.ndarray:
    """An image as the metrics read it: a file as stored (colour kept; 16-bit files scaled to 8-bit
    values and rounded, as the reference code's ``imread`` then ``uint8``), an array unchanged.

    Parameters
    ----------
    x : path or ndarray
    name : str
        Unused (kept for the error messages of callers).

    Returns
    -------
    ndarray, uint8 (files) or the array's dtype; shape (H, W) or (H, W, 3)

    Raises
    ------
    InvalidImageError
        An unreadable file (named).

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.zeros((2, 2), np.uint8)).shape
    (2, 2)
    """
    if isinstance(x, (str, os.PathLike)):
        from ..io import read_image_raw

        raw = read_image_raw(x)
        if raw.dtype == np.uint16:
            raw = np.round(raw / 257.0).astype(np.uint8)
        elif raw.dtype == np.float32:  # a float TIFF in [0, 1], scored on the 8-bit scale
            raw = np.round(raw * 255.0).astype(np.uint8)
        return raw
    return np.asarray(x)


def evaluate(
    fused: Any,
    sources: Sequence[Any],
    metrics: Sequence[str] | str = "all",
    convention: str = DEFAULT_CONVENTION,
) -> dict[str, float]:
    """Compute fusion quality metrics.

    Parameters
    ----------
    fused : ndarray or path
        The fused image: uint8, uint16 or float in [0, 1]; (H, W) or (H, W, 3). Files are read as
        stored (colour kept, 8-bit values), as the reference code's ``imread``.
    sources : sequence of ndarray or path
        The source images in the dataset's folder order (``[ir, vi]``, ``[ct, mri]``, ...).
    metrics : list of str or "all"
        Names from :func:`list_metrics`.
    convention : {"vifb", "mefb", "cddfuse"}

    Returns
    -------
    dict of str to float
        In the order asked.

    Raises
    ------
    UnknownNameError
        Unknown metric or convention.
    InvalidImageError, SizeMismatchError
        Bad or mismatched images, a metric defined for two sources (``MetricSpec.sources``) asked
        for another number of sources, or an image smaller than a metric's ``min_size``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((2, 64, 64))
    >>> values = evaluate((a + b) / 2, [a, b], ["en", "qabf", "ssim"], convention="vifb")
    >>> {k: round(v, 4) for k, v in values.items()}
    {'en': 7.6622, 'qabf': 0.2754, 'ssim': 1.3067}
    """
    from ._conventions import check_convention

    check_convention(convention)
    names = [s.name for s in list_metrics()] if metrics == "all" else ([metrics] if isinstance(metrics, str) else list(metrics))
    specs = [get_metric(n) for n in names]
    two = [s.name for s in specs if s.sources is not None and s.sources != len(sources)]
    if two:
        from ..errors import InvalidImageError

        raise InvalidImageError(f"{', '.join(two)} {'is' if len(two) == 1 else 'are'} defined for two sources, got "
                                f"{len(sources)}; leave {'it' if len(two) == 1 else 'them'} out for {len(sources)} sources")
    f = load_image(fused, "fused")
    srcs = [load_image(s, f"source {i}") for i, s in enumerate(sources, 1)]
    side = min(np.asarray(f).shape[:2]) if np.asarray(f).ndim >= 2 else 0
    small = [s for s in specs if side < s.min_size]
    if small:
        from ..errors import InvalidImageError

        need = max(s.min_size for s in small)
        h, w = np.asarray(f).shape[:2]
        raise InvalidImageError(f"{', '.join(s.name for s in small)} need{'s' if len(small) == 1 else ''} images of at "
                                f"least {need}x{need} pixels, got {w}x{h}")
    from ..runtime import parallel_map
    from ._cache import shared_features, sweep

    # Metrics run on a thread pool, the costliest first, sharing per-plane intermediate results.
    order = sorted(range(len(specs)), key=lambda i: -specs[i].cost)

    def run(i: int) -> float:
        spec = specs[i]
        args = (*srcs, f) if spec.uses_sources else (f,)
        return float(spec.func(*args, convention=convention))

    with shared_features():
        values = dict(zip(order, parallel_map(run, order)))
    # Inside an outer block shared by several evaluations, keep only what this one used (the
    # sources'); otherwise the block has just closed and this does nothing.
    sweep()
    return {specs[i].name: values[i] for i in range(len(specs))}

