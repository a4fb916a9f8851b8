"""Seconds per fused pair at one image size, for a set of methods (median of repeats after one
warm-up run; networks loaded once; decoding not counted).

    python benchmarks/measure/bench_pair.py ivif [--repeat 5] [--data ../shared/data]
    python benchmarks/measure/bench_pair.py mif  [--repeat 5] [--data ../shared/data]

Presets: ``ivif`` fuses TNO pair 01 resized to 640x480 with the autoencoder methods and their
baselines; ``mif`` fuses CT-MRI pair 11 (256x256, as stored) with MFEnet, its variants and the
baselines. Prints a Markdown table.
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

ROOT = Path(__file__).resolve().parents[2]
#: preset → (data set, sources, size (W, H), methods)
PRESETS = {
    "ivif": ("ivif/tno", ("ir", "vi"), (640, 480),
             ["densefuse", "densefuse:rule=add", "densefuse:rule=l1", "cam-fusion", "cam-fusion:variant=paper", "cam-fusion:variant=no-ldf", "cam-fusion:variant=l1",
              "gff", "lp"]),
    "mif": ("medical/ct-mri", ("ct", "mri"), (256, 256),
            ["mfenet", "mfenet:edges=false", "mfenet:rule=add", "mfenet:rule=average", "mfenet:rule=softmax",
             "mfenet:precision=float32", "gff", "dwt", "lp", "siamese-cnn"]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("preset", choices=sorted(PRESETS))
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--methods", default=None, help="comma-separated method labels (default: the preset's)")
    args = ap.parse_args()
    rel, sources, size, methods = PRESETS[args.preset]
    folder = args.data / rel
    name = sorted((folder / sources[0]).iterdir())[0].name
    pair = []
    for src in sources:
        im = read_image(folder / src / name)
        im = im if im.ndim == 2 else im.mean(2)
        if im.shape[::-1] != size:
            im = cv2.resize(im, size, interpolation=cv2.INTER_AREA)
        pair.append(np.ascontiguousarray(im, np.float32))
    w, h = size
    print(f"Machine: {machine_description()}; pair {rel}/{name} at {w}x{h}\n")
    print(f"| method | median s per {w}x{h} pair |\n|---|---:|")
    for label in (args.methods.split(",") if args.methods else methods):
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
