"""Fusion quality metrics, each implemented once, with the reference code's conventions by name.

Every metric is a plain function on arrays: fused-only metrics take ``metric(f)``, the others
``metric(a, b, f)`` (sources first, in the dataset's folder order, then the fused image). All take
``convention="vifb" | "mefb" | "cddfuse"``; see :mod:`imagefusion.metrics._conventions` for what each
convention does, and each function's docstring for the per-metric details. The default is
``"mefb"``: VIFB's and MEFB's MATLAB code is what most published tables were computed with, and
MEFB's code, which contains VIFB's, covers the most metrics.

=============  ===============================  ===========
name           function                         better
=============  ===============================  ===========
``en``         :func:`~.information.en`         higher
``ce``         :func:`~.information.ce`         lower
``mi``         :func:`~.information.mi`         higher
``nmi``        :func:`~.information.nmi`        higher
``qte``        :func:`~.information.qte`        higher
``qncie``      :func:`~.information.qncie`      higher
``fmi_pixel``  :func:`~.fmi.fmi_pixel`          higher
``fmi_w``      :func:`~.fmi.fmi_w`              higher
``fmi_dct``    :func:`~.fmi.fmi_dct`            higher
``fmi_edge``   :func:`~.fmi.fmi_edge`           higher
``sd``         :func:`~.features.sd`            higher
``sf``         :func:`~.features.sf`            higher
``ag``         :func:`~.features.ag`            higher
``ei``         :func:`~.features.ei`            higher
``qabf``       :func:`~.features.qabf`          higher
``nabf``       :func:`~.features.nabf`          lower
``qm``         :func:`~.features.qm`            higher
``qp``         :func:`~.phase.qp`               higher
``qsf``        :func:`~.features.qsf`           closer to 0
``ssim``       :func:`~.structural.ssim`        higher
``ms_ssim``    :func:`~.structural.ms_ssim`     higher
``mef_ssim``   :func:`~.structural.mef_ssim`    higher
``qs``         :func:`~.structural.qs`          higher
``qw``         :func:`~.structural.qw`          higher
``qe``         :func:`~.structural.qe`          higher
``qc``         :func:`~.structural.qc`          higher
``qy``         :func:`~.structural.qy`          higher
``qcb``        :func:`~.perception.qcb`         higher
``qcv``        :func:`~.perception.qcv`         lower
``vif``        :func:`~.perception.vif`         higher
``viff``       :func:`~.perception.viff`        higher
``psnr``       :func:`~.reference.psnr`         higher
``mse``        :func:`~.reference.mse`          lower
``rmse``       :func:`~.reference.rmse`         lower
``cc``         :func:`~.reference.cc`           higher
``scd``        :func:`~.reference.scd`          higher
=============  ===============================  ===========
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UnknownNameError
from ._cache import shared_features
from ._conventions import CONVENTIONS, DEFAULT_CONVENTION
from .features import ag, ei, nabf, qabf, qm, qsf, sd, sf
from .fmi import fmi_dct, fmi_edge, fmi_pixel, fmi_w
from .information import ce, en, mi, nmi, qncie, qte
from .perception import qcb, qcv, vif, viff
from .phase import phase_congruency, qp
from .reference import cc, mse, psnr, rmse, scd
from .structural import mef_ssim, ms_ssim, qc, qe, qs, qw, qy, ssim

__all__ = [
    "MetricSpec", "list_metrics", "get_metric", "evaluate", "load_image", "shared_features", "CONVENTIONS",
    "DEFAULT_CONVENTION",
    "en", "ce", "mi", "sd", "sf", "ag", "ei", "qabf", "ssim", "qcb", "qcv", "vif", "psnr", "mse", "rmse",
    "cc", "scd", "nmi", "qte", "qncie", "qs", "qw", "qe", "qc", "qy", "viff", "mef_ssim", "fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge",
    "qp", "phase_congruency", "nabf", "qm", "qsf", "ms_ssim",
]


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


_INF = float("inf")
_METRICS: dict[str, MetricSpec] = {
    s.name: s
    for s in [
        MetricSpec("en", en, True, (0.0, 8.0), False, "Roberts et al., J. Appl. Remote Sens. 2008"),
        MetricSpec("ce", ce, False, (0.0, _INF), True, "Bulanon et al., Biosyst. Eng. 2009"),
        MetricSpec("mi", mi, True, (0.0, _INF), True, "Qu, Zhang & Yan, Electron. Lett. 2002"),
        MetricSpec("nmi", nmi, True, (0.0, 2.0), True, "Hossny et al., Electron. Lett. 2008"),
        MetricSpec("fmi_pixel", fmi_pixel, True, (0.0, 1.0), True, "Haghighat et al., Comput. Electr. Eng. 2011", sources=2, min_size=3),
        MetricSpec("fmi_w", fmi_w, True, (0.0, 1.0), True, "Haghighat et al., Comput. Electr. Eng. 2011", sources=2),
        MetricSpec("fmi_dct", fmi_dct, True, (0.0, 1.0), True, "Haghighat et al., Comput. Electr. Eng. 2011", sources=2, min_size=3),
        MetricSpec("fmi_edge", fmi_edge, True, (0.0, 1.0), True, "Haghighat et al., Comput. Electr. Eng. 2011", sources=2, min_size=3),
        MetricSpec("qte", qte, True, (-_INF, _INF), True, "Cvejic et al., Electron. Lett. 2006"),
        MetricSpec("qncie", qncie, True, (0.0, 1.0), True, "Wang, Shen & Zhang, Physica D 2005", sources=2),
        MetricSpec("sd", sd, True, (0.0, 127.5), False, "Rao, Meas. Sci. Technol. 1997"),
        MetricSpec("sf", sf, True, (0.0, _INF), False, "Eskicioglu & Fisher, IEEE Trans. Commun. 1995"),
        MetricSpec("ag", ag, True, (0.0, _INF), False, "Cui et al., Opt. Commun. 2015", min_size=2),
        MetricSpec("ei", ei, True, (0.0, _INF), False, "Rajalingam & Priya, IJESI 2018"),
        MetricSpec("qabf", qabf, True, (0.0, 1.0), True, "Xydeas & Petrovic, Electron. Lett. 2000"),
        MetricSpec("nabf", nabf, False, (0.0, 1.0), True, "Shreyamsha Kumar, SIViP 2013 (modified N^AB/F)", sources=2),
        MetricSpec("qm", qm, True, (0.0, 3.0), True, "Wang & Liu, ICSP 2008"),
        MetricSpec("qp", qp, True, (0.0, 1.0), True, "Zhao, Laganiere & Liu, IJICIC 2007", sources=2),
        MetricSpec("qsf", qsf, False, (-1.0, _INF), True, "Zheng et al., Inf. Fusion 2007 (ideal 0)", ideal=0.0),
        MetricSpec("ssim", ssim, True, (-2.0, 2.0), True, "Wang et al., IEEE TIP 2004 (summed over sources)", min_size=11),
        MetricSpec("ms_ssim", ms_ssim, True, (0.0, 2.0), True, "Wang, Simoncelli & Bovik, Asilomar 2003 (summed)", min_size=11),
        MetricSpec("qs", qs, True, (-1.0, 1.0), True, "Piella & Heijmans, ICIP 2003", sources=2, min_size=11),
        MetricSpec("qw", qw, True, (-1.0, 1.0), True, "Piella & Heijmans, ICIP 2003", sources=2, min_size=11),
        MetricSpec("qe", qe, True, (-1.0, 1.0), True, "Piella & Heijmans, ICIP 2003", sources=2, min_size=11),
        MetricSpec("qc", qc, True, (-1.0, 1.0), True, "Cvejic et al., Int. J. Signal Process. 2005", sources=2),
        MetricSpec("qy", qy, True, (-1.0, 1.0), True, "Yang et al., Inf. Fusion 2008", sources=2),
        MetricSpec("mef_ssim", mef_ssim, True, (-1.0, 1.0), True, "Ma, Zeng & Wang, IEEE TIP 2015", min_size=44),
        MetricSpec("qcb", qcb, True, (0.0, 1.0), True, "Chen & Blum, Image Vis. Comput. 2009", sources=2),
        MetricSpec("qcv", qcv, False, (0.0, _INF), True, "Chen & Varshney, Inf. Fusion 2007", sources=2),
        MetricSpec("vif", vif, True, (0.0, _INF), True, "Sheikh & Bovik, IEEE TIP 2006; Han et al., Inf. Fusion 2013", min_size=25),
        MetricSpec("viff", viff, True, (0.0, _INF), True, "Han, Cai, Cao & Xu, Inf. Fusion 2013", sources=2, min_size=25),
        MetricSpec("psnr", psnr, True, (0.0, _INF), True, "Jagalingam & Hegde, Aquatic Procedia 2015"),
        MetricSpec("mse", mse, False, (0.0, 65025.0), True, "mean squared error, averaged over sources"),
        MetricSpec("rmse", rmse, False, (0.0, _INF), True, "Jagalingam & Hegde, Aquatic Procedia 2015"),
        MetricSpec("cc", cc, True, (-1.0, 1.0), True, "Pearson correlation, averaged over sources"),
        MetricSpec("scd", scd, True, (-2.0, 2.0), True, "Aslantas & Bendes, AEU 2015", sources=2),
    ]
}


def get_metric(name: str) -> MetricSpec:
    """The :class:`MetricSpec` of ``name``; :class:`UnknownNameError` lists the known names."""
    try:
        return _METRICS[name]
    except KeyError:
        raise UnknownNameError(f"unknown metric {name!r}; known: {', '.join(_METRICS)}") from None


def list_metrics() -> list[MetricSpec]:
    """All metrics, in the registry's order, with direction, range and reference."""
    return list(_METRICS.values())


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
    """
    from ._conventions import check_convention

    check_convention(convention)
    names = list(_METRICS) if metrics == "all" else ([metrics] if isinstance(metrics, str) else list(metrics))
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
    order = sorted(range(len(specs)), key=lambda i: -_COST.get(specs[i].name, 1))

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


# Relative cost of a metric (measured on 640x480 RGB), for scheduling; unlisted metrics count 1.
_COST = {"fmi_edge": 400, "fmi_pixel": 400, "fmi_w": 300, "fmi_dct": 300, "qp": 150, "viff": 40,
         "vif": 30, "mef_ssim": 30, "qcb": 30, "ms_ssim": 20, "qc": 20, "qy": 20, "qw": 15, "qs": 15,
         "qe": 25, "ssim": 12, "qcv": 10, "qabf": 10, "nabf": 10, "qncie": 8, "mi": 6, "nmi": 6,
         "qte": 6, "qm": 5}
