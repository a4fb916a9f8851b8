"""Where the time of ``imagefusion bench --metrics all`` goes: CPU seconds per fused image for each
metric, on one thread, with the sources' work shared as the bench shares it.

Run:  python benchmarks/measure/metric_costs.py [--shared ../shared] [--pairs lytro:lytro_01,tno:01,ct-mri:11] [--repeat 3]

For each pair, every classical method fuses it (``imagefusion.fuse`` on the sources as the bench
loads them, not timed); then each metric
is evaluated on every method's fused image inside one ``shared_features`` block (a metric at a time,
so what it keeps of the sources is reused by the next method, as in a bench scoring job) with the
process pinned to one core. The table gives the mean CPU seconds per fused image, largest first, and
the total; with ``--repeat`` the whole pass runs that many times, each in a new block, and each
metric's smallest mean counts (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import imagefusion
from imagefusion.fusion import load_sources
from imagefusion.io import read_image_raw
from imagefusion.pairs import find_pairs
from imagefusion.metrics import evaluate, list_metrics
from imagefusion.metrics._cache import shared_features

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tno_640 import one_core  # noqa: E402

SETS = {"lytro": "mff/lytro", "tno": "ivif/tno", "ct-mri": "medical/ct-mri"}
CLASSICAL = ["gff", "average", "max-abs", "contrast", "lp", "lp-similarity", "ratio", "dtcwt", "dwt"]


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=here.parents[2] / "shared")
    ap.add_argument("--pairs", default="lytro:lytro_01,tno:01,ct-mri:11", help="SET:NAME,... (sets: lytro, tno, ct-mri)")
    ap.add_argument("--repeat", type=int, default=1, help="passes; each metric's fastest counts")
    args = ap.parse_args()
    one_core()
    names = [m.name for m in list_metrics()]
    columns, costs = [], {}
    for item in args.pairs.split(","):
        key, stem = item.split(":")
        files = find_pairs(args.shared / "data" / SETS[key]).pairs[stem]
        images, _ = load_sources(files)  # as the bench fuses: grey stored as RGB is read as grey
        fused = [imagefusion.fuse(images, m) for m in CLASSICAL]
        sources = [read_image_raw(p) for p in files]  # as the bench scores: as stored
        evaluate(fused[0], sources, names)  # warm-up: imports and compiled kernels
        label = f"{key}/{stem} {fused[0].shape[1]}x{fused[0].shape[0]}" + (" RGB" if fused[0].ndim == 3 else " grey")
        columns.append(label)
        for _ in range(args.repeat):
            with shared_features():
                for n in names:
                    t0 = time.process_time()
                    for f in fused:
                        evaluate(f, sources, [n])
                    mean = (time.process_time() - t0) / len(fused)
                    slot = costs.setdefault(n, {})
                    slot[label] = min(mean, slot.get(label, mean))
    print(f"CPU seconds per fused image, one thread, {len(CLASSICAL)} classical methods per pair")
    print()
    print("| metric | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    order = sorted(costs, key=lambda n: -sum(costs[n].values()))
    for n in order:
        print(f"| {n} | " + " | ".join(f"{costs[n][c]:.3f}" for c in columns) + " |")
    print("| **total** | " + " | ".join(f"**{sum(costs[n][c] for n in costs):.2f}**" for c in columns) + " |")


if __name__ == "__main__":
    main()
