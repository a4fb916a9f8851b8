"""Folder evaluation: metrics for every fused image of a folder against its paired sources."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidImageError
from .io import write_bytes_atomic
from .pairs import find_pairs, images_by_stem
from .metrics import DEFAULT_CONVENTION, evaluate, get_metric, list_metrics

__all__ = ["FolderEvaluation", "evaluate_folder", "write_text_atomic"]


@dataclass
class FolderEvaluation:
    """Per-image metric values and their summary.

    Attributes
    ----------
    metrics : list of str
    convention : str
    rows : dict of str to dict of str to float
        Image name → metric → value.
    summary : dict of str to dict
        Metric → ``{"mean", "std", "n", "direction"}``: mean and population std over the ``n`` images
        whose value is finite (a NaN or infinite value is left out, and the Markdown summary says
        which images and how many, so a mean never silently becomes NaN or infinite).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib, imagefusion
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.6), ("fused", 0.4)):
    ...     _ = imagefusion.write_image(root / sub / "p1.png", np.full((16, 16), v))
    >>> ev = evaluate_folder(root / "fused", root, ["sd"])
    >>> ev.metrics, ev.rows
    (['sd'], {'p1': {'sd': 0.0}})
    """

    metrics: list[str]
    convention: str
    rows: dict[str, dict[str, float]]
    summary: dict[str, dict[str, float | str | int]]

    def to_csv(self) -> str:
        """Per-image values as CSV text: ``name,<metric>,...``."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["name", *self.metrics])
        for name, vals in self.rows.items():
            w.writerow([name, *(repr(vals[m]) for m in self.metrics)])
        return buf.getvalue()

    def to_markdown(self) -> str:
        """Mean ± std per metric as a Markdown table, with each metric's direction."""
        lines = [f"convention: `{self.convention}`, {len(self.rows)} images", "",
                 "| metric | better | mean ± std | images |", "|---|---|---:|---:|"]
        left = []
        for m in self.metrics:
            s = self.summary[m]
            arrow = "↑" if s["direction"] == "higher" else "↓"
            lines.append(f"| {m} | {arrow} | {s['mean']:.4f} ± {s['std']:.4f} | {s['n']} |")
            if s["n"] < len(self.rows):
                left.append(f"{m}: {len(self.rows) - s['n']} of {len(self.rows)} images left out (value NaN or infinite: "
                            + ", ".join(n for n, v in self.rows.items() if not math.isfinite(v[m])) + ")")
        if left:
            lines += ["", *left]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """Summary and per-image values as JSON text."""
        return json.dumps({"convention": self.convention, "metrics": self.metrics, "summary": self.summary,
                           "images": self.rows}, indent=2)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically (see :func:`imagefusion.io.write_bytes_atomic`).

    Parameters
    ----------
    path : path
        The file; its folder is created.
    text : str

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        The file cannot be written (see :func:`imagefusion.io.write_bytes_atomic`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_text_atomic(pathlib.Path(tempfile.mkdtemp()) / "r.md", "| a |")
    >>> p.read_text()
    '| a |'
    """
    return write_bytes_atomic(path, text.encode("utf-8"))


def evaluate_folder(
    fused_dir: str | os.PathLike,
    sources_dir: str | os.PathLike,
    metrics: Sequence[str] | str = "all",
    convention: str = DEFAULT_CONVENTION,
    progress: Callable[[str], None] | None = None,
) -> FolderEvaluation:
    """Evaluate every fused image in ``fused_dir`` against the matching pair in ``sources_dir``.

    Parameters
    ----------
    fused_dir : path
        Fused images named like the pairs (any image ending).
    sources_dir : path
        Paired folder (one sub-folder per source, matching names), e.g. ``shared/data/ivif/tno``.
    metrics : list of str or "all"
    convention : {"vifb", "mefb", "cddfuse"}
    progress : callable, optional
        Called with each image name when done.

    Returns
    -------
    FolderEvaluation

    Raises
    ------
    InvalidImageError
        A fused image without sources, a pair without a fused image (both listed by name), an
        unreadable image (named).
    SizeMismatchError
        A fused image whose size differs from its sources (both named with sizes).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib, imagefusion
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> for name in ("p1", "p2"):
    ...     ir, vi = rng.random((2, 32, 32))
    ...     _ = imagefusion.write_image(root / "pairs" / "ir" / f"{name}.png", ir)
    ...     _ = imagefusion.write_image(root / "pairs" / "vi" / f"{name}.png", vi)
    ...     _ = imagefusion.write_image(root / "fused" / f"{name}.png", (ir + vi) / 2)
    >>> ev = evaluate_folder(root / "fused", root / "pairs", ["en", "ssim"], convention="vifb")
    >>> sorted(ev.rows), round(ev.summary["en"]["mean"], 3)
    (['p1', 'p2'], 7.527)
    """
    from .errors import SizeMismatchError

    names = list_metrics() if metrics == "all" else [get_metric(m) for m in metrics]
    metric_names = [m.name for m in names]
    ps = find_pairs(sources_dir)
    fused_dir = Path(fused_dir)
    if not fused_dir.is_dir():
        raise InvalidImageError(f"{fused_dir}: not a folder")
    fused = images_by_stem(fused_dir, "fused images")
    orphans = sorted(set(fused) - set(ps.pairs))
    missing = sorted(set(ps.pairs) - set(fused))
    if orphans or missing:
        parts = []
        if orphans:
            parts.append(f"fused images with no sources in {sources_dir}: {', '.join(orphans[:10])}")
        if missing:
            parts.append(f"pairs with no fused image in {fused_dir}: {', '.join(missing[:10])}")
        raise InvalidImageError("; ".join(parts))
    rows: dict[str, dict[str, float]] = {}
    for name, files in ps.pairs.items():
        try:
            rows[name] = evaluate(fused[name], files, metric_names, convention=convention)
        except SizeMismatchError as exc:
            raise SizeMismatchError(f"{fused[name]} vs {files[0]}: {exc}") from None
        if progress is not None:
            progress(name)
    summary = {}
    for spec in names:
        vals = [rows[n][spec.name] for n in rows]
        finite = [v for v in vals if math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else float("nan")
        std = math.sqrt(sum((v - mean) ** 2 for v in finite) / len(finite)) if finite else float("nan")
        summary[spec.name] = {"mean": mean, "std": std, "n": len(finite), "direction": spec.direction}
    return FolderEvaluation(metric_names, convention, rows, summary)
