"""The per-task method ranking, each task scored with its own benchmark's metrics on every set we have.

Run:  python benchmarks/build/peer_tables.py [--shared ../shared] [--out runs] [--workers 2] [--tasks ivif,mff,mif,mef]
      [--refresh LABELS]

One ``imagefusion bench`` run per task with every method registered for the task, chosen variants
(another rule, the authors' weights of a network we also train) and, where ``shared/peers`` has
them, the official networks' fused images as ``results:`` folders. Each task is scored with the
metrics and the reference convention of its field's benchmark (``TASKS``):

* ivif — VIFB's 13 metrics, convention ``vifb``, on ``ivif/tno`` (25) and ``ivif/roadscene`` (50);
* mff — MFIFB's 20, convention ``mefb`` (MFIFB's metric code is MEFB's), on ``mff/lytro`` (20),
  ``mff/mffw`` (13) and ``mff/classic`` (72);
* mif — CDDFuse's 8 (the set of the recent medical comparisons, see ``TASKS``), convention ``cddfuse``,
  on ``medical/ct-mri`` (21), ``medical/pet-mri`` (42) and ``medical/spect-mri`` (73);
* mef — MEFB's 20 (MEF-SSIM among them), convention ``mefb``, on ``mef/mefb`` (100); the official
  IFCNN's outputs exist for 20 of them, so they get their own table on those 20 (no fusion is
  repeated: the bench's cache is keyed by the sources).

Writes per task its section of ``docs/benchmarks.md`` (one table per set: median ms per pair, the
mean rank over the task's metrics among the rows of the table, each metric's mean) and its entry
of ``src/imagefusion/data/method_ranking.json``: the registered methods with their default
parameters ranked by their mean rank among themselves (variants and peers left out), averaged over
the task's sets. Then each task's default (``benchmarks/build/default_speed.py``) into the same file, and
the which-method tables of the README and the docs (``benchmarks/build/docs_pages.py``). ``imagefusion
methods --task T``, the default of ``imagefusion fuse`` and ``imagefusion.fuse``, ``imagefusion
demo`` and the web page read that file. The bench caches every fused image and metric value under
``--out``: an interrupted run resumes where it stopped. The methods are benched a few at a time
(``CHUNK``), each chunk fused and scored before the next. Every record of that cache (time, memory and
metric values of one method on one pair, keyed by method, weights, parameters and sources) is also kept
in ``benchmarks/results/ranking-TASK.jsonl.gz``, which the repository holds: a run starts by restoring
those records, so the tables are remade, and a run is resumed, on any machine without fusing again what
they hold (``--save`` writes the records of the runs so far and exits, for a run still going).

Times: the bench's median fusion time per pair with ``--workers`` jobs sharing the cores; the peers'
times are theirs from ``shared/peers/timing.csv`` (one process, idle machine).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from imagefusion.bench import run_bench
from imagefusion.bench.runner import metric_sort_key
from imagefusion.metrics import get_metric
from imagefusion.registry import list_methods

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # default_speed, docs_pages
VIFB13 = ["ag", "ce", "ei", "en", "mi", "psnr", "qabf", "qcb", "qcv", "rmse", "sf", "ssim", "sd"]
#: MEFB's 20 (``util/configMetrics.m``): its "FMI" is FMI on edge maps, "TE" Tsallis entropy, "VIF" Han et al.'s VIFF.
MEFB20_METRICS = ["ce", "en", "fmi_edge", "nmi", "psnr", "qncie", "qte", "ag", "ei", "qabf", "qp", "sd", "sf",
                  "qc", "qw", "qy", "mef_ssim", "qcb", "qcv", "viff"]
#: MFIFB's 20 (its README's list): MEFB's with SSIM in the place of MEF-SSIM.
MFIFB20 = [m if m != "mef_ssim" else "ssim" for m in MEFB20_METRICS]
#: CDDFuse's 8 (``utils/Evaluator.py``; also DDFM's and EMMA's medical tables).
CDDFUSE8 = ["en", "sd", "sf", "mi", "scd", "vif", "qabf", "ssim"]
#: Per task: (convention, metrics, short name, where the set comes from and why, the sets under ``shared/data``).
TASKS = {
    "ivif": ("vifb", VIFB13, "VIFB's 13", "VIFB's 13 metrics (Zhang, Ye & Xiao, CVPRW 2020)",
             ["ivif/tno", "ivif/roadscene"]),
    "mff": ("mefb", MFIFB20, "MFIFB's 20", "MFIFB's 20 metrics (Zhang, 'Multi-focus image fusion: a benchmark', "
            "2020; its metric code is MEFB's)", ["mff/lytro", "mff/mffw", "mff/classic"]),
    "mif": ("cddfuse", CDDFUSE8, "CDDFuse's 8", "CDDFuse's 8 metrics (Zhao et al., CVPR 2023), on grey conversions: "
            "medical fusion has no benchmark of its own, and this is the set the recent medical comparisons report "
            "(CDDFuse, DDFM, EMMA), with a reference implementation we reproduce",
            ["medical/ct-mri", "medical/pet-mri", "medical/spect-mri"]),
    "mef": ("mefb", MEFB20_METRICS, "MEFB's 20", "MEFB's 20 metrics (Zhang, Information Fusion 2021), MEF-SSIM among "
            "them", ["mef/mefb"]),
}
#: The metric set of the caches other scripts share (``gan_tables.py``): the infrared–visible run's.
METRICS = VIFB13
MEFB20 = ("507 AirBellowsGap AmikeusBeaverDam ArchSequence Arno ArtistPalette BalancedRock Balloons "
          "BarHarborSunrise Bathtub BelgiumHouse BloomingGorse Candle Cave Chair ChineseGarden Church "
          "ColorChecker Door Exploratorium").split()
VARIANTS = {
    "ivif": ["densefuse:rule=mean", "densefuse:rule=l1", "densefuse:rule=add", "cam-fusion:variant=paper",
             "cam-fusion:variant=l1", "cnn-liu2017:rule=pyramid", "pmgi:weights=authors"],
    "mff": ["mff-gan:weights=authors", "pmgi:task=mff:weights=authors"],
    "mif": ["pmgi:task=mif:weights=authors"],
    "mef": ["pmgi:task=mef:weights=own"],  # the authors' weights are pmgi's default on exposures
}
PEERS = {"ivif": ["densefuse", "densefuse-l1", "ifcnn", "tardal"], "mff": ["ifcnn"], "mif": ["ifcnn"],
         "mef": ["ifcnn"]}
START, END = "<!-- task {} start -->", "<!-- task {} end -->"
RESULTS = ROOT / "benchmarks" / "results"
#: Methods benched at a time: each chunk is fused, scored and its records kept before the next starts,
#: so a run stopped at any moment loses at most one chunk's work.
CHUNK = 4
#: Benched last (tens of seconds per pair): a run cut short has kept every other method's records.
SLOW = ("latlrr", "nsct-sr")


def restore_records(task: str, out: Path) -> int:
    """Write the task's kept records into the bench cache under ``out`` where it lacks them; return how many."""
    kept = RESULTS / f"ranking-{task}.jsonl.gz"
    if not kept.is_file():
        return 0
    n = 0
    with gzip.open(kept, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            path = out / f"ranking-{task}" / "cache" / rec["key"][:2] / f"{rec['key']}.json"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                rec = {k: v for k, v in rec.items() if k != "key"} | {"restored": True}  # stands without its image
                path.write_text(json.dumps(rec, indent=1), encoding="utf-8")
                n += 1
    return n


def save_records(task: str, out: Path) -> int:
    """Keep every scored record of the task's bench cache in ``benchmarks/results``; return how many."""
    cache = out / f"ranking-{task}" / "cache"
    recs = []
    for path in sorted(cache.glob("*/*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue  # a record being written
        if "ms" in rec and rec.get("metrics"):
            rec.pop("restored", None)
            recs.append(json.dumps({"key": path.stem, **rec}, sort_keys=True, separators=(",", ":")))
    if not recs:
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS / f".ranking-{task}.jsonl.gz.tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:  # same records, same bytes
        fh.write(("\n".join(recs) + "\n").encode("utf-8"))
    tmp.replace(RESULTS / f"ranking-{task}.jsonl.gz")
    return len(recs)


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


def table(result, ds: str, metrics: list[str]) -> list[str]:
    sums = [s for s in result.summaries if s.dataset == ds]
    labels = [s.method for s in sums]
    r = ranks(sums, labels, metrics)
    best = {}
    for m in metrics:
        key = metric_sort_key(m)
        vals = [key(s.metrics[m][0]) for s in sums if math.isfinite(s.metrics[m][0])]
        best[m] = min(vals) if vals else None
    arrow = {m: "↑" if get_metric(m).higher_is_better else "↓" for m in metrics}
    lines = ["| method | ms ↓ | mean rank ↓ | " + " | ".join(f"{m} {arrow[m]}" for m in metrics) + " |",
             "|---|" + "---:|" * (2 + len(metrics))]
    best_rank = min(v for v in r.values() if math.isfinite(v))
    for s in sorted(sums, key=lambda s: r[s.method]):
        cells = [f"`{s.method}`", f"{s.median_ms:.0f}" if math.isfinite(s.median_ms) else "–",
                 ("**%s**" if r[s.method] == best_rank else "%s") % f"{r[s.method]:.2f}"]
        for m in metrics:
            v = s.metrics[m][0]
            t = _fmt(v)
            cells.append(f"**{t}**" if best[m] is not None and math.isfinite(v) and metric_sort_key(m)(v) == best[m] else t)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


TASK_NAMES = {"ivif": "infrared–visible", "mif": "medical", "mff": "multi-focus", "mef": "multi-exposure"}
PAGE = ROOT / "docs/benchmarks.md"


def page_head() -> list[str]:
    from docs_pages import END as WHICH_END, START as WHICH_START

    lines = ["# Benchmarks: every method on every set, per task", "",
             "## Which method for which task", "", WHICH_START, WHICH_END, "",
             "## How the tables are made", "",
             "`python benchmarks/build/peer_tables.py` runs `imagefusion bench` once per task with every method "
             "registered for it, a few variants (another fusion rule, the authors' weights of a network we also "
             "train) and the official networks' own outputs where `shared/peers` has them (`results:NAME` rows; "
             "their times are from its `timing.csv`, one process on an idle 2-core machine; ours are the bench's "
             "median with two jobs sharing the same two cores). Each task is scored with its field's benchmark "
             "metrics and that benchmark's reference convention:", "",
             "| task | metrics | convention | sets |", "|---|---|---|---|"]
    for task, (convention, metrics, _, why, sets) in TASKS.items():
        lines.append(f"| {TASK_NAMES[task]} | {why}: {', '.join(metrics)} | `{convention}` | {', '.join(sets)} |")
    lines += ["", "Each cell is the mean over the set's pairs. *Mean rank*: the method's rank among the rows "
              "of the table, averaged over the task's metrics (1 = best on every metric). The ranking that "
              "`imagefusion methods --task T` prints is the mean over the task's sets of the rank among our "
              "methods with their default parameters.", ""]
    return lines


def write_section(task: str, lines: list[str]) -> None:
    """Replace the task's section of docs/benchmarks.md (between its markers), keeping the others."""
    text = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    head = "\n".join(page_head())
    sections = {}
    for t in TASKS:
        a, b = START.format(t), END.format(t)
        if a in text and b in text:
            sections[t] = text[text.index(a):text.index(b) + len(b)]
    sections[task] = "\n".join([START.format(task), *lines, END.format(task)])
    body = "\n\n".join(sections[t] for t in TASKS if t in sections)
    PAGE.write_text(head + "\n" + body + "\n", encoding="utf-8")


def _progress(task: str):
    def show(done: int, total: int) -> None:
        print(f"{task}: {done}/{total} jobs ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
    return show


def run_task(task: str, args, refresh: list[str]) -> dict:
    """Bench one task; write its section of the page; return its ranking entry."""
    convention, metrics, short, why, set_names = TASKS[task]
    data = args.shared / "data"
    sets = [data / s for s in set_names]
    # a method with one weights file per task (pmgi) runs with that task's
    ours = [s.name + (f":task={task}" if "task" in s.params and s.params["task"] != task else "")
            for s in list_methods(task)]
    labels = ours + [v for v in VARIANTS.get(task, []) if v not in ours]
    peers = [f"results:{args.shared / 'peers' / p}" for p in PEERS[task]]
    full_peers = [p for p in peers if task != "mef"]  # the mef peer has 20 of the 100 MEFB pairs
    print(f"{task}: {len(labels)} methods on {', '.join(set_names)}", file=sys.stderr, flush=True)
    out = args.out / f"ranking-{task}"
    print(f"{task}: {restore_records(task, args.out)} records restored from {RESULTS}", file=sys.stderr, flush=True)
    todo = sorted(labels + full_peers, key=lambda lb: lb.split(":")[0] in SLOW)  # the slow ones last
    for i in range(0, len(todo), CHUNK):  # fused and scored a few methods at a time, each chunk's records kept
        chunk = todo[i:i + CHUNK]
        run_bench(chunk, sets, out, metrics=metrics, convention=convention, workers=args.workers,
                  refresh=[r for r in refresh if r in chunk], report=False, progress=_progress(f"{task} {', '.join(chunk)}"))
        save_records(task, args.out)
    result = run_bench(labels + full_peers, sets, out, metrics=metrics, convention=convention,
                       workers=args.workers, report=False, progress=_progress(task))
    lines = [f"## {TASK_NAMES[task]}", "", f"{why}, convention `{convention}`.", ""]
    per_set = []
    for ds, root in zip(result.datasets, set_names):
        n = len(result.pairs[ds])
        lines += [f"### {root} ({n} pairs)", "", *table(result, ds, metrics), ""]
        per_set.append(ranks([s for s in result.summaries if s.dataset == ds], ours, metrics))
    if task == "mef":  # beside the official IFCNN on the 20 pairs it was run on: the same cached results
        sub = run_bench(labels + peers, [_mefb20(args.shared, out)], out, metrics=metrics, convention=convention,
                        workers=args.workers, report=False)
        lines += ["### mef/mefb, the 20 pairs of the official IFCNN's outputs", "",
                  *table(sub, sub.datasets[0], metrics), ""]
    print(f"{task}: {save_records(task, args.out)} records kept in {RESULTS}", file=sys.stderr, flush=True)
    mean = {m: float(np.mean([p[m] for p in per_set if m in p])) for m in ours if any(m in p for p in per_set)}
    write_section(task, lines[:-1])
    return {"sets": set_names, "metrics": metrics, "convention": convention, "metric_set": short,
            "command": "python benchmarks/build/peer_tables.py",
            "ranking": [{"method": m.split(":task=")[0], "mean_rank": round(v, 3)}
                        for m, v in sorted(mean.items(), key=lambda kv: kv[1])]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "runs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", default="ivif,mff,mif,mef")
    ap.add_argument("--refresh", default="", help="comma-separated labels to fuse and score again")
    ap.add_argument("--save", action="store_true", help="keep the scored records of the tasks' caches and exit")
    args = ap.parse_args()
    if args.save:
        for task in args.tasks.split(","):
            print(f"{task}: {save_records(task, args.out)} records kept in {RESULTS}")
        return
    vgg16 = args.shared / "weights" / "vgg16_features_imagenet_fp16.safetensors"
    if "IMAGEFUSION_VGG16" not in os.environ and vgg16.is_file():  # dlf's and the semantic methods' VGG16, offline
        os.environ["IMAGEFUSION_VGG16"] = str(vgg16)
    official = args.shared / "weights" / "official"
    if "IMAGEFUSION_WEIGHTS_DIR" not in os.environ and official.is_dir():  # the authors' weight files, offline
        os.environ["IMAGEFUSION_WEIGHTS_DIR"] = str(official)
    ranking_path = ROOT / "src/imagefusion/data/method_ranking.json"
    ranking = json.loads(ranking_path.read_text()) if ranking_path.exists() else {}
    refresh = [m for m in args.refresh.split(",") if m]
    for task in args.tasks.split(","):
        ranking[task] = {**run_task(task, args, refresh),
                         **{k: v for k, v in ranking.get(task, {}).items() if k in ("default", "timed")}}
        ranking_path.write_text(json.dumps(ranking, indent=1) + "\n", encoding="utf-8")  # each task as it ends
        print(f"wrote {ranking_path} ({task})", file=sys.stderr, flush=True)
    import default_speed
    import docs_pages

    default_speed.main(["--shared", str(args.shared)])  # each task's default, into the same file
    docs_pages.main()  # the which-method tables of the README, docs/index.md and docs/benchmarks.md


if __name__ == "__main__":
    main()
