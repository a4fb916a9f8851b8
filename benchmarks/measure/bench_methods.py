"""Median milliseconds per 640x480 grey pair for every classical method, on real TNO pairs.

Run:  python benchmarks/measure/bench_methods.py [--data ../shared/data/ivif/tno] [--repeat 3]

Each TNO pair is resized to 640x480 (area interpolation), converted to float32 grey, and fused with
``imagefusion.fuse`` (the whole public path: validation, colour path, method). Every pair is fused
``--repeat`` times after one warm-up call; the table gives the median over all runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

import imagefusion
from imagefusion.bench.runner import cpu_name
from imagefusion.io import read_image
from imagefusion.pairs import find_pairs


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=here.parents[2] / "shared/data/ivif/tno")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--methods", default=None, help="comma-separated names (default: all classical)")
    args = ap.parse_args()
    ps = find_pairs(args.data)
    pairs = []
    for files in ps.pairs.values():
        imgs = [read_image(f) for f in files]
        imgs = [im.mean(axis=2) if im.ndim == 3 else im for im in imgs]
        pairs.append([cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA).astype(np.float32) for im in imgs])
    names = args.methods.split(",") if args.methods else [s.name for s in imagefusion.list_methods() if not s.needs_weights]
    print(f"CPU: {cpu_name()} ({cv2.getNumThreads()} OpenCV threads); {len(pairs)} pairs from {args.data}, 640x480 grey")
    print()
    print("| method | median ms / pair | min ms | max ms |")
    print("|---|---:|---:|---:|")
    for name in names:
        imagefusion.fuse(pairs[0], method=name)  # warm-up
        times = []
        for pair in pairs:
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                imagefusion.fuse(pair, method=name)
                times.append((time.perf_counter() - t0) * 1000)
        print(f"| {name} | {statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main()
