"""Our methods beside the official networks' outputs, per task; the per-task method ranking.

Run:  python benchmarks/peer_tables.py [--shared ../shared] [--out runs] [--workers 2] [--refresh LABELS]

For each task, one ``imagefusion bench`` run (convention ``vifb``; VIFB's 13 metrics plus SCD, ``vif``
(Sheikh–Bovik VIF summed over the sources, CDDFuse's "VIF") and ``viff`` (Han et al.'s VIFF, MEFB's "VIF"))
with every method registered for the task, chosen variants, and the official networks' fused images of
``shared/peers`` as ``results:`` folders:

* ivif: ``ivif/tno`` and ``ivif/roadscene``, beside DenseFuse (feature average and l1), IFCNN, TarDAL;
  also the Siamese CNNs (``siamese-cnn``, ``cnn-liu2017:rule=pyramid``), measured for infrared–visible;
* mff: ``mff/lytro`` beside IFCNN; mif: ``medical/ct-mri`` beside IFCNN;
* mef: the 20 ``mef/mefb`` pairs the peers were run on (a folder of links, ``<out>/data/mef/mefb``),
  beside IFCNN.

Writes ``docs/benchmarks.md`` (one table per set: median ms per pair, the mean rank over VIFB's 13
metrics among the rows of the table, and each metric's mean) and
``src/imagefusion/data/method_ranking.json``: per task, the registered methods with their default
parameters ranked by their mean rank among themselves (peers and variants left out), averaged over the
task's sets; then each task's default (``benchmarks/default_speed.py``) into the same file, and the
which-method tables of the README and the docs (``benchmarks/docs_pages.py``). ``imagefusion methods
--task T``, the default method of ``imagefusion fuse`` and ``imagefusion.fuse``, ``imagefusion demo`` and
the web page read it.

Times: the bench's median fusion time per pair with ``--workers`` jobs sharing the cores; the peers'
times are theirs from ``shared/peers/timing.csv`` (one process, idle machine).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from imagefusion.bench import run_bench
from imagefusion.bench.runner import metric_sort_key
from imagefusion.metrics import get_metric
from imagefusion.registry import list_methods

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # default_speed, docs_pages
VIFB13 = ["ag", "ce", "ei", "en", "mi", "psnr", "qabf", "qcb", "qcv", "rmse", "sf", "ssim", "sd"]
METRICS = VIFB13 + ["scd", "vif", "viff"]
MEFB20 = ("507 AirBellowsGap AmikeusBeaverDam ArchSequence Arno ArtistPalette BalancedRock Balloons "
          "BarHarborSunrise Bathtub BelgiumHouse BloomingGorse Candle Cave Chair ChineseGarden Church "
          "ColorChecker Door Exploratorium").split()
VARIANTS = {
    "ivif": ["densefuse:rule=mean", "densefuse:rule=l1", "densefuse:rule=add", "cam-fusion:variant=paper", "cam-fusion:variant=l1",
             "siamese-cnn", "cnn-liu2017:rule=pyramid"],
}
PEERS = {"ivif": ["densefuse", "densefuse-l1", "ifcnn", "tardal"], "mff": ["ifcnn"], "mif": ["ifcnn"],
         "mef": ["ifcnn"]}


def _mefb20(shared: Path, out: Path) -> Path:
    root = out / "data" / "mef" / "mefb"
    for side in ("under", "over"):
        (root / side).mkdir(parents=True, exist_ok=True)
        for name in MEFB20:
            src = next((shared / "data/mef/mefb" / side).glob(f"{name}.*"))
            link = root / side / src.name
            if not link.is_symlink():
                link.symlink_to(src.resolve())
    return root


def ranks(summaries, labels: list[str], metrics: list[str]) -> dict[str, float]:
    """Mean over ``metrics`` of each label's rank among ``labels`` (ties share the mean rank)."""
    by = {s.method: s for s in summaries if s.method in labels}
    out: dict[str, list[float]] = {m: [] for m in by}
    for metric in metrics:
        key = metric_sort_key(metric)
        vals = {m: key(s.metrics[metric][0]) for m, s in by.items() if math.isfinite(s.metrics[metric][0])}
        ordered = sorted(vals.values())
        for m, v in vals.items():
            first = ordered.index(v) + 1
            last = len(ordered) - ordered[::-1].index(v)
            out[m].append((first + last) / 2)
    return {m: float(np.mean(v)) if v else float("nan") for m, v in out.items()}


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.1f}" if abs(v) >= 100 else f"{v:.3f}" if abs(v) >= 1 else f"{v:.4f}"


def table(result, ds: str) -> list[str]:
    sums = [s for s in result.summaries if s.dataset == ds]
    labels = [s.method for s in sums]
    r = ranks(sums, labels, VIFB13)
    best = {}
    for m in METRICS:
        key = metric_sort_key(m)
        vals = [key(s.metrics[m][0]) for s in sums if math.isfinite(s.metrics[m][0])]
        best[m] = min(vals) if vals else None
    arrow = {m: "↑" if get_metric(m).higher_is_better else "↓" for m in METRICS}
    lines = ["| method | ms ↓ | mean rank ↓ | " + " | ".join(f"{m} {arrow[m]}" for m in METRICS) + " |",
             "|---|" + "---:|" * (2 + len(METRICS))]
    best_rank = min(v for v in r.values() if math.isfinite(v))
    for s in sorted(sums, key=lambda s: r[s.method]):
        cells = [f"`{s.method}`", f"{s.median_ms:.0f}" if math.isfinite(s.median_ms) else "–", ("**%s**" if r[s.method] == best_rank else "%s") % f"{r[s.method]:.2f}"]
        for m in METRICS:
            v = s.metrics[m][0]
            t = _fmt(v)
            cells.append(f"**{t}**" if best[m] is not None and math.isfinite(v) and metric_sort_key(m)(v) == best[m] else t)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


TASK_NAMES = {"ivif": "infrared–visible", "mif": "medical", "mff": "multi-focus", "mef": "multi-exposure"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "runs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", default="ivif,mff,mif,mef")
    ap.add_argument("--refresh", default="", help="comma-separated labels to fuse and score again")
    args = ap.parse_args()
    vgg16 = args.shared / "weights" / "vgg16_features_imagenet_fp16.safetensors"
    if "IMAGEFUSION_VGG16" not in os.environ and vgg16.is_file():  # dlf's and the semantic methods' VGG16, offline
        os.environ["IMAGEFUSION_VGG16"] = str(vgg16)
    data = args.shared / "data"
    sets = {"ivif": [data / "ivif/tno", data / "ivif/roadscene"], "mff": [data / "mff/lytro"],
            "mif": [data / "medical/ct-mri"], "mef": [_mefb20(args.shared, args.out)]}
    doc = ["# Benchmarks: our methods beside the official networks", "",
           "Made by `python benchmarks/peer_tables.py` (see its docstring for the exact runs). Convention "
           "`vifb`; each cell is the mean over the set's pairs. *mean rank*: the method's rank among the "
           "rows of the table, averaged over VIFB's 13 metrics (ag … sd; 1 = best everywhere). "
           "`results:NAME` rows are the fused images of the official code with its authors' weights "
           "(`shared/peers`, see its README); their times are from its `timing.csv` (one process on the "
           "same 2-core machine, idle), ours are the bench's median with two jobs sharing the cores. "
           "`vif` is Sheikh–Bovik VIF summed over the sources (CDDFuse's \"VIF\"), `viff` Han et al.'s VIFF "
           "(MEFB's \"VIF\", the one the CAM paper's tables use).", ""]
    ranking_path = ROOT / "src/imagefusion/data/method_ranking.json"
    ranking = json.loads(ranking_path.read_text()) if ranking_path.exists() else {}
    refresh = [m for m in args.refresh.split(",") if m]
    for task in args.tasks.split(","):
        # a method with one weights file per task (pmgi) runs with that task's
        ours = [s.name + (f":task={task}" if "task" in s.params and s.params["task"] != task else "")
                for s in list_methods(task)]
        labels = ours + [v for v in VARIANTS.get(task, []) if v not in ours]
        labels += [f"results:{args.shared / 'peers' / p}" for p in PEERS[task]]
        print(f"{task}: {len(labels)} methods on {', '.join(d.name for d in sets[task])}", file=sys.stderr, flush=True)
        result = run_bench(labels, sets[task], args.out / f"peers-{task}", metrics=METRICS, convention="vifb",
                           workers=args.workers, refresh=[r for r in refresh if r in labels])
        per_set = []
        for ds in result.datasets:
            n = len(result.pairs[ds])
            doc += [f"## {task}: {ds} ({n} pairs)", "", *table(result, ds), ""]
            per_set.append(ranks([s for s in result.summaries if s.dataset == ds], ours, VIFB13))
        mean = {m: float(np.mean([p[m] for p in per_set if m in p])) for m in ours if any(m in p for p in per_set)}
        ranking[task] = {
            "sets": [str(Path(*d.parts[-2:])) for d in sets[task]], "metrics": VIFB13, "convention": "vifb",
            "command": "python benchmarks/peer_tables.py",
            "ranking": [{"method": m.split(":task=")[0], "mean_rank": round(v, 3)}
                        for m, v in sorted(mean.items(), key=lambda kv: kv[1])],
        }
    import default_speed
    import docs_pages

    doc[doc.index("") + 1:doc.index("") + 1] = ["## Which method for which task", "", docs_pages.START,
                                                docs_pages.END, ""]
    ranking_path.parent.mkdir(parents=True, exist_ok=True)
    ranking_path.write_text(json.dumps(ranking, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {ranking_path}", file=sys.stderr)
    default_speed.main(["--shared", str(args.shared)])  # each task's default, into the same file
    if set(args.tasks.split(",")) == {"ivif", "mff", "mif", "mef"}:
        (ROOT / "docs/benchmarks.md").write_text("\n".join(doc) + "\n", encoding="utf-8")
    else:
        print("\n".join(doc))
    docs_pages.main()  # the which-method table of the README, docs/index.md and docs/benchmarks.md


if __name__ == "__main__":
    main()
