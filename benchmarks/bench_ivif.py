"""Seconds per 640x480 infrared-visible pair for the autoencoder methods and the classical baselines
(median of repeats after one warm-up run; networks loaded once; decoding not counted).

    python benchmarks/bench_ivif.py [--repeat 5] [--data ../shared/data/ivif/tno]

The pair is TNO pair 01 resized to 640x480 (grey, as TNO is). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

import imagefusion
from imagefusion.bench.runner import machine_description, parse_method_label
from imagefusion.io import read_image

ROOT = Path(__file__).resolve().parent.parent
METHODS = ["densefuse", "densefuse:rule=l1", "cam-fusion", "cam-fusion:variant=no-ldf", "cam-fusion:variant=l1",
           "gff", "lp"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ivif" / "tno")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args()
    name = sorted((args.data / "ir").iterdir())[0].name
    pair = []
    for src in ("ir", "vi"):
        im = read_image(args.data / src / name)
        im = im if im.ndim == 2 else im.mean(2)
        pair.append(cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA).astype(np.float32))
    print(f"Machine: {machine_description()}; pair {args.data.name}/{name} resized to 640x480\n")
    print("| method | median s per 640x480 pair |\n|---|---:|")
    for label in args.methods.split(","):
        base, params = parse_method_label(label)
        imagefusion.fuse(pair, base, **params)  # warm-up: loads the network, builds kernels
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            imagefusion.fuse(pair, base, **params)
            times.append(time.perf_counter() - t)
        print(f"| {label} | {statistics.median(times):.3f} |")


if __name__ == "__main__":
    main()
