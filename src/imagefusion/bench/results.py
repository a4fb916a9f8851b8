"""What a benchmark run measured: :class:`BenchResult`, :class:`MethodSummary`, and the metric ordering
both the runner and the reports use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..metrics import get_metric

__all__ = ["BenchResult", "MethodSummary", "metric_sort_key"]


@dataclass
class MethodSummary:
    """One method on one dataset.

    Attributes
    ----------
    method, dataset : str
    median_ms : float
        Median fusion time per pair, milliseconds (reading and writing files excluded).
    peak_rss_mib : float
        Peak resident memory of the worker process that ran the method, MiB (includes the Python
        interpreter and the imported libraries, about 150 MiB).
    metrics : dict of str to (mean, std)
        Per metric over the dataset's images (population std; NaN values skipped).
    mean_rank : float
        Mean over metrics of the method's rank among the methods on this dataset (1 = best).
    left_out : dict of str to int
        Per metric, how many images had a NaN or infinite value and were left out of the mean (only
        metrics with some).

    Examples
    --------
    >>> s = MethodSummary("lp", "tno", 12.5, 80.0, {"en": (6.8, 0.3)}, mean_rank=1.5)
    >>> s.method, s.metrics["en"][0], s.left_out
    ('lp', 6.8, {})
    """

    method: str
    dataset: str
    median_ms: float
    peak_rss_mib: float
    metrics: dict[str, tuple[float, float]]
    mean_rank: float = float("nan")
    left_out: dict[str, int] = field(default_factory=dict)


@dataclass
class BenchResult:
    """Everything a benchmark run measured.

    Attributes
    ----------
    methods, datasets, metrics : list of str
        Method names, dataset names (folder names) and metric names, in order.
    convention : str
    rows : list of dict
        One per (dataset, method, image): ``dataset, method, image, ms, rss_mib`` and each metric.
    summaries : list of MethodSummary
    machine : str
        CPU (and GPU, if one was used) description.
    fused_dirs : dict of (dataset, method) to Path
    pairs : dict of dataset to dict of image name to list of source paths
    fusions_run : int
        How many fusions this run performed (0 for a fully cached run).
    seconds : float
        Wall-clock time of the run.
    dataset_roots : dict of dataset to Path
    fused_files : dict of (dataset, method, image) to Path
        Every fused image scored.
    notes : list of str
        What the run could not include, e.g. a results folder without a dataset.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> result.methods, result.datasets, [round(r["en"], 3) for r in result.rows]
    (['average'], ['set'], [0.201])
    """

    methods: list[str]
    datasets: list[str]
    metrics: list[str]
    convention: str
    rows: list[dict[str, Any]]
    summaries: list[MethodSummary]
    machine: str
    fused_dirs: dict[tuple[str, str], Path]
    pairs: dict[str, dict[str, list[Path]]]
    fusions_run: int = 0
    seconds: float = 0.0
    dataset_roots: dict[str, Path] = field(default_factory=dict)
    fused_files: dict[tuple[str, str, str], Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def fused_file(self, dataset: str, method: str, image: str) -> Path:
        """The fused image of ``method`` for one pair (a results folder's file keeps its own name)."""
        return self.fused_files.get((dataset, method, image), self.fused_dirs[dataset, method] / f"{image}.png")

    def summary(self, dataset: str, method: str) -> MethodSummary:
        """The :class:`MethodSummary` of ``method`` on ``dataset``."""
        for s in self.summaries:
            if s.dataset == dataset and s.method == method:
                return s
        raise KeyError((dataset, method))


def metric_sort_key(metric: str) -> Callable[[float], float]:
    """A key under which smaller is better for ``metric`` (its direction, or distance to its ideal).

    Parameters
    ----------
    metric : str
        A metric's registry name.

    Returns
    -------
    callable
        ``key(value) -> float``: smaller is better (values of higher-is-better metrics negated; of
        metrics with an ideal value, the distance to it).

    Examples
    --------
    >>> import imagefusion.metrics
    >>> metric_sort_key("en")(7.0) < metric_sort_key("en")(6.0), metric_sort_key("rmse")(0.1)
    (True, 0.1)
    """
    spec = get_metric(metric)
    if spec.ideal is not None:
        return lambda v: abs(v - spec.ideal)
    return (lambda v: -v) if spec.higher_is_better else (lambda v: v)
