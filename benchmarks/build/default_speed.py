"""Each task's default method: the best-ranked method that runs offline in at most 3 s per 640×480 pair.

Run:  python benchmarks/build/default_speed.py [--shared ../shared] [--limit 3.0] [--repeat 3]

``benchmarks/build/peer_tables.py`` ranks every method of a task and calls this at its end; run alone, it
redoes only the timing and the choice. Per task it walks the ranking of
``src/imagefusion/data/method_ranking.json`` from the top, times ``imagefusion.fuse`` on one real pair
of the task's first set resized to 640×480 (as stored: grey or colour; the median of ``--repeat``
runs after one warm-up, all cores of this machine), and stops at the first method that needs no
download (``MethodSpec.downloads`` empty) and takes at most ``--limit`` seconds. It writes, per task,
``default`` (that method and its seconds) and ``timed`` (every method timed on the way, with its
seconds, or why it was passed over) into the same file; ``imagefusion fuse``, ``imagefusion.fuse(...,
task=...)``, ``imagefusion demo``, the web page and the README's table read them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import cv2

import imagefusion
from imagefusion.pairs import find_pairs
from imagefusion.registry import get_method

ROOT = Path(__file__).resolve().parents[2]
RANKING = ROOT / "src" / "imagefusion" / "data" / "method_ranking.json"
#: The pair each task is timed on (the task's first benchmark set; a typical scene).
PAIRS = {"ivif": ("ivif/tno", "01"), "mif": ("medical/ct-mri", "11"), "mff": ("mff/lytro", "lytro_01"),
         "mef": ("mef/mefb", "Candle")}


def pair_640x480(shared: Path, task: str) -> list:
    """The task's timing pair, each source resized to 640×480 (area interpolation), as float32."""
    folder, name = PAIRS[task]
    files = find_pairs(shared / "data" / folder).pairs[name]
    return [cv2.resize(imagefusion.read_image(f), (640, 480), interpolation=cv2.INTER_AREA) for f in files]


def seconds(method: str, sources: list, repeat: int) -> float:
    imagefusion.fuse(sources, method)  # warm-up: imports, weights, numba compilation
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        imagefusion.fuse(sources, method)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def choose(task: str, ranking: list[str], sources: list, limit: float, repeat: int) -> dict:
    """Walk ``ranking`` until a method qualifies; return the task's ``default`` and ``timed`` entries."""
    timed = []
    for method in ranking:
        spec = get_method(method)
        if spec.downloads:
            timed.append({"method": method, "seconds": None, "passed_over": f"downloads {spec.downloads.split(' (')[0]}"})
            continue
        sec = round(seconds(method, sources, repeat), 3)
        row = {"method": method, "seconds": sec}
        timed.append(row)
        if sec <= limit:
            return {"default": {"method": method, "seconds_640x480": sec}, "timed": timed}
        row["passed_over"] = f"over {limit:g} s"
    raise SystemExit(f"{task}: no method of the ranking runs offline in {limit} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--limit", type=float, default=3.0, help="seconds per 640x480 pair")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    data = json.loads(RANKING.read_text(encoding="utf-8"))
    for task, entry in data.items():
        ranking = [r["method"] for r in entry["ranking"]]
        entry.update(choose(task, ranking, pair_640x480(args.shared, task), args.limit, args.repeat))
        entry["default_rule"] = (f"the best-ranked method that needs no download and fuses a 640×480 pair in at "
                                 f"most {args.limit:g} s on {os.cpu_count()} CPU cores")
        entry["default_command"] = "python benchmarks/build/default_speed.py"
        d = entry["default"]
        print(f"{task}: default {d['method']} ({d['seconds_640x480']} s); best measured {ranking[0]}")
    RANKING.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RANKING}")


if __name__ == "__main__":
    main()
