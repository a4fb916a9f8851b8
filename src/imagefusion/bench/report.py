"""Benchmark reports: per-image CSV, Markdown and self-contained HTML tables, plots and image grids."""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..io import read_image, write_bytes_atomic
from ..metrics import get_metric
from .results import BenchResult, metric_sort_key

__all__ = ["write_reports", "markdown_report", "html_report", "results_csv", "box_plots", "speed_quality_plot",
           "image_grid"]


def results_csv(result: BenchResult) -> str:
    """Per-image values: ``dataset,method,image,ms,rss_mib,<metric>...``.

    Parameters
    ----------
    result : BenchResult

    Returns
    -------
    str
        CSV text with a header line.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> results_csv(result).splitlines()[0]
    'dataset,method,image,ms,rss_mib,en'
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ["dataset", "method", "image", "ms", "rss_mib", *result.metrics]
    w.writerow(cols)
    for r in result.rows:
        w.writerow([r[c] if isinstance(r[c], str) else repr(float(r[c])) for c in cols])
    return buf.getvalue()


def _arrow(metric: str) -> str:
    spec = get_metric(metric)
    if spec.ideal is not None:
        return f"→{spec.ideal:g}"
    return "↑" if spec.higher_is_better else "↓"


def _best(result: BenchResult, dataset: str, metric: str) -> set[str]:
    key = metric_sort_key(metric)
    vals = {s.method: s.metrics[metric][0] for s in result.summaries if s.dataset == dataset}
    finite = {m: key(v) for m, v in vals.items() if math.isfinite(v)}
    if not finite:
        return set()
    best = min(finite.values())
    return {m for m, v in finite.items() if v == best}


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4f}"


def _num(v: float, digits: int) -> str:
    return f"{v:.{digits}f}" if math.isfinite(v) else "–"


def _table(result: BenchResult, dataset: str) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Header and rows of one dataset's table; each cell is (text, is_best)."""
    header = ["method", "ms ↓", "peak MiB ↓", "mean rank ↓"] + [f"{m} {_arrow(m)}" for m in result.metrics]
    sums = [s for s in result.summaries if s.dataset == dataset]
    best_ms = min((s.median_ms for s in sums if math.isfinite(s.median_ms)), default=None)
    best_rss = min((s.peak_rss_mib for s in sums if math.isfinite(s.peak_rss_mib)), default=None)
    ranks = [s.mean_rank for s in sums if math.isfinite(s.mean_rank)]
    best_rank = min(ranks) if ranks else None
    bests = {m: _best(result, dataset, m) for m in result.metrics}
    rows = []
    for s in sums:
        row = [(s.method, False), (_num(s.median_ms, 1), s.median_ms == best_ms),
               (_num(s.peak_rss_mib, 0), s.peak_rss_mib == best_rss),
               (_fmt(s.mean_rank), best_rank is not None and s.mean_rank == best_rank)]
        for m in result.metrics:
            mean, std = s.metrics[m]
            left = f" ({s.left_out[m]} left out)" if s.left_out.get(m) else ""
            row.append((f"{_fmt(mean)} ± {_fmt(std)}{left}", s.method in bests[m]))
        rows.append(row)
    return header, rows


def _intro(result: BenchResult) -> list[str]:
    return [
        f"Machine: {result.machine}. Convention: `{result.convention}`. "
        f"Times: median fusion milliseconds per pair (files not counted); memory: peak resident "
        f"memory of the worker process (interpreter and libraries included).",
        "Each cell: mean ± std over the dataset's images; the best value per column is in bold; ↑ higher "
        "is better, ↓ lower is better, →0 closer to 0 is better. Mean rank: the method's rank among the "
        "methods, averaged over the metrics (1 = best everywhere). Methods named results:FOLDER are "
        "images fused elsewhere (their time, when given, comes from the folder's timing file; – where unknown). "
        "\"(k left out)\": k images whose value was NaN or infinite are not in that mean.",
        *result.notes,
    ]


def markdown_report(result: BenchResult) -> str:
    """The report as Markdown: one table per dataset.

    Parameters
    ----------
    result : BenchResult

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> "| average |" in markdown_report(result)
    True
    """
    lines = ["# imagefusion bench", "", *(_intro(result)), ""]
    for ds in result.datasets:
        n = len(result.pairs[ds])
        lines += [f"## {ds} ({n} pairs)", ""]
        header, rows = _table(result, ds)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        for row in rows:
            lines.append("| " + " | ".join(f"**{t}**" if b else t for t, b in row) + " |")
        lines.append("")
    return "\n".join(lines)


def _png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _fig_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def box_plots(result: BenchResult, dataset: str) -> bytes:
    """PNG: one box plot per metric, the methods side by side (per-image values).

    Parameters
    ----------
    result : BenchResult
    dataset : str
        A dataset's folder name.

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average", "lp"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> box_plots(result, "set")[1:4]  # a PNG file's signature
    b'PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = result.metrics
    cols = min(6, len(metrics))
    nrows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.0 * cols, 2.6 * nrows), squeeze=False)
    for ax, m in zip(axes.flat, metrics):
        data = []
        for method in result.methods:
            vals = [r[m] for r in result.rows if r["dataset"] == dataset and r["method"] == method and math.isfinite(r[m])]
            data.append(vals if vals else [np.nan])
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(result.methods) + 1), result.methods, rotation=60, fontsize=7)
        ax.set_title(f"{m} {_arrow(m)}", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"{dataset}: per-image metric values", fontsize=11)
    fig.tight_layout()
    return _fig_png(fig)


def speed_quality_plot(result: BenchResult) -> bytes:
    """PNG: median milliseconds per pair (log scale) against mean rank, one point per method and
    dataset.

    Parameters
    ----------
    result : BenchResult

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average", "lp"], [root / "set"], root / "out", metrics=["en", "ssim"], report=False)
    >>> speed_quality_plot(result)[1:4]  # a PNG file's signature
    b'PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    markers = "osD^v<>p*h"
    for k, ds in enumerate(result.datasets):
        # the x axis is logarithmic: a median of 0 ms cannot be drawn on it (a one-method run of cached pairs crashed here)
        sums = [s for s in result.summaries if s.dataset == ds and math.isfinite(s.median_ms) and s.median_ms > 0]
        ax.scatter([s.median_ms for s in sums], [s.mean_rank for s in sums], marker=markers[k % len(markers)], label=ds)
        for s in sums:
            ax.annotate(s.method, (s.median_ms, s.mean_rank), fontsize=7, xytext=(3, 2), textcoords="offset points")
    if ax.collections and any(len(c.get_offsets()) for c in ax.collections):
        ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("median ms per pair (log)")
    ax.set_ylabel("mean rank over metrics (1 = best)")
    ax.set_title("speed versus quality")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _fig_png(fig)


def image_grid(result: BenchResult, dataset: str, image: str | None = None,
               methods: Sequence[str] | None = None) -> bytes:
    """PNG: the sources and every method's result (or ``methods``') side by side, with a zoomed centre
    crop below.

    Parameters
    ----------
    result : BenchResult
    dataset : str
        A dataset's folder name.
    image : str, optional
        A pair's name (default: the dataset's first).
    methods : sequence of str, optional
        The method labels to show (default all; :func:`method_groups` splits a long list).

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> image_grid(result, "set")[1:4]  # a PNG file's signature
    b'PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import cv2

    names = list(result.pairs[dataset])
    image = image or names[0]
    panels = [(Path(p).parent.name, read_image(p)) for p in result.pairs[dataset][image]]
    for method in (result.methods if methods is None else methods):
        if (dataset, method) not in result.fused_dirs:
            continue
        f = result.fused_file(dataset, method, image)
        if f.exists():
            panels.append((method, read_image(f)))
    h, w = panels[0][1].shape[:2]
    ch, cw = max(h // 4, 8), max(w // 4, 8)
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    scale = min(1.0, 200.0 / max(h, w))  # the overview is shown small: shrink it first (area average)
    fig, axes = plt.subplots(2, len(panels), figsize=(2.2 * len(panels), 4.6), squeeze=False)
    for k, (label, img) in enumerate(panels):
        cmap = "gray" if img.ndim == 2 else None
        small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else img
        axes[0, k].imshow(np.clip(small, 0, 1), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        axes[0, k].add_patch(plt.Rectangle((x0 * scale - 0.5, y0 * scale - 0.5), cw * scale, ch * scale, fill=False,
                                           edgecolor="yellow", linewidth=1))
        axes[0, k].set_title(label, fontsize=9)
        axes[1, k].imshow(img[y0:y0 + ch, x0:x0 + cw], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1, 0].set_ylabel("centre ×4", fontsize=8)
    fig.suptitle(f"{dataset} / {image}", fontsize=10)
    fig.tight_layout()
    return _fig_png(fig)


#: The most methods one image grid shows; a longer list is split (:func:`method_groups`).
GRID_METHODS = 10


def method_groups(labels: Sequence[str], size: int = GRID_METHODS) -> list[tuple[str, list[str]]]:
    """Method labels in groups for the image grids: by family (the registry's ``family``; external
    results together), each group cut into pieces of at most ``size``.

    Parameters
    ----------
    labels : sequence of str
        The bench's method labels (``NAME[:KEY=VALUE...]`` or ``results:NAME``).
    size : int, default GRID_METHODS

    Returns
    -------
    list of (group name, labels)

    Examples
    --------
    >>> method_groups(["lp", "average", "lp-similarity", "max-abs", "results:ifcnn", "contrast"], size=2)
    [('pyramid 1', ['lp', 'lp-similarity']), ('pyramid 2', ['contrast']), ('pixel', ['average', 'max-abs']), ('external results', ['results:ifcnn'])]
    """
    from ..registry import get_method

    by: dict[str, list[str]] = {}
    for label in labels:
        family = "external results" if label.startswith("results:") else get_method(label.split(":")[0]).family
        by.setdefault(family, []).append(label)
    groups = []
    for family, members in by.items():
        pieces = [members[i:i + size] for i in range(0, len(members), size)]
        groups += [(family if len(pieces) == 1 else f"{family} {k + 1}", piece) for k, piece in enumerate(pieces)]
    return groups


def html_report(result: BenchResult, figures: dict[str, bytes]) -> str:
    """The report as one self-contained HTML page (figures embedded as data URIs).

    A small script records, once the page has loaded, how many tables it has and how many images
    decoded (``data-tables`` / ``data-images-loaded`` on ``<body>``), so a headless browser can check
    the rendering.

    Parameters
    ----------
    result : BenchResult
    figures : dict of str to bytes
        PNG figures by key (``box:<dataset>``, ``speed_quality``, ``grid:<dataset>:<method group>``).

    Returns
    -------
    str
        One HTML page, the figures embedded as data URIs.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average"], [root / "set"], root / "out", metrics=["en"], report=False)
    >>> html_report(result, {})[:15]
    '<!DOCTYPE html>'
    """
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>imagefusion bench</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
        "font-size:12px;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;"
        "white-space:nowrap}th{background:#f0f0f0;position:sticky;top:0}td:first-child,th:first-child"
        "{text-align:left}td.best{font-weight:bold;background:#e3f5e1}.scroll{overflow-x:auto}"
        "img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}</style></head><body>",
        "<h1>imagefusion bench</h1>",
        *(f"<p>{esc(t)}</p>" for t in _intro(result)),
    ]
    if "speed_quality" in figures:
        parts.append(f"<h2>Speed versus quality</h2><img alt='speed versus quality' src='{_png_data_uri(figures['speed_quality'])}'>")
    for ds in result.datasets:
        header, rows = _table(result, ds)
        parts.append(f"<h2>{esc(ds)} ({len(result.pairs[ds])} pairs)</h2><div class='scroll'><table><thead><tr>")
        parts.extend(f"<th>{esc(h)}</th>" for h in header)
        parts.append("</tr></thead><tbody>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td class='best'>{esc(t)}</td>" if b else f"<td>{esc(t)}</td>"
                                          for t, b in row) + "</tr>")
        parts.append("</tbody></table></div>")
        for key in [k for k in figures if k.startswith(f"grid:{ds}:")] + [f"box:{ds}"]:
            png = figures.get(key)
            if png:
                title = f"sources and results, {key.split(':', 2)[2]}" if key.startswith("grid:") else "per-image values"
                parts.append(f"<h3>{esc(ds)}: {esc(title)}</h3><img alt='{esc(ds)} {esc(title)}' src='{_png_data_uri(png)}'>")
    parts.append(
        "<script>window.addEventListener('load',function(){var b=document.body;"
        "b.setAttribute('data-tables',document.querySelectorAll('table').length);"
        "var n=0;document.querySelectorAll('img').forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});"
        "b.setAttribute('data-images-loaded',n);});</script></body></html>")
    return "".join(parts)


def write_reports(result: BenchResult, out: str | Path) -> dict[str, Path]:
    """Write ``results.csv``, ``report.md``, ``report.html`` and ``plots/*.png`` into ``out``
    (atomically). Returns the paths by kind.

    Parameters
    ----------
    result : BenchResult
        What :func:`~imagefusion.bench.runner.run_bench` returned.
    out : path
        The bench's output folder.

    Returns
    -------
    dict of str to Path
        The files written, by kind.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> from imagefusion.bench import run_bench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("ir", 0.2), ("vi", 0.7)):
    ...     _ = write_image(root / "set" / sub / "p1.png", np.full((32, 32), v) + 0.1 * np.eye(32))
    >>> result = run_bench(["average", "lp"], [root / "set"], root / "out", metrics=["en", "ssim"], report=False)
    >>> sorted(p.name for p in write_reports(result, root / "out").values())[:3]
    ['box_set.png', 'grid_set_pixel.png', 'grid_set_pyramid.png']
    """
    import hashlib

    out = Path(out)
    figures: dict[str, bytes] = {}
    paths: dict[str, Path] = {}
    csv_text = results_csv(result)
    # Reports depend only on the results, the fused images (whose names are in the cache keys) and
    # this code's version: an identical rerun keeps the existing reports.
    from .. import __version__

    digest = hashlib.sha256((__version__ + csv_text + repr(sorted(map(str, result.fused_dirs.values())))).encode()).hexdigest()
    stamp = out / "cache" / "reports.sha256"
    names = {"csv": "results.csv", "markdown": "report.md", "html": "report.html"}
    if stamp.exists() and stamp.read_text().strip() == digest and all((out / n).exists() for n in names.values()):
        return {k: out / n for k, n in names.items()}
    if result.rows:
        figures["speed_quality"] = speed_quality_plot(result)
        for ds in result.datasets:
            figures[f"box:{ds}"] = box_plots(result, ds)
            shown = [m for m in result.methods if (ds, m) in result.fused_dirs]
            for group, labels in method_groups(shown):
                figures[f"grid:{ds}:{group}"] = image_grid(result, ds, methods=labels)
    for name, png in figures.items():
        stem = name.replace(":", "_").replace(" ", "-")  # grid:tno:multiscale 2 -> grid_tno_multiscale-2
        paths[name] = write_bytes_atomic(out / "plots" / f"{stem}.png", png)
    paths["csv"] = write_bytes_atomic(out / "results.csv", csv_text.encode())
    paths["markdown"] = write_bytes_atomic(out / "report.md", markdown_report(result).encode())
    paths["html"] = write_bytes_atomic(out / "report.html", html_report(result, figures).encode())
    write_bytes_atomic(stamp, digest.encode())
    return paths
