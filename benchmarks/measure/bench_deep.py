"""Speed and memory of the deep methods: seconds per 520x520 Lytro pair (median of repeats, model
loaded once, decoding not counted) and peak resident memory for fusing a 4096x4096 colour pair.

    python benchmarks/measure/bench_deep.py [--repeat 5] [--big 4096]

Prints a Markdown table. The memory figure is the peak RSS of a fresh process that builds the two
4096x4096 RGB sources and fuses them (interpreter, torch and libraries included).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LYTRO = ROOT.parent / "shared" / "data" / "mff" / "lytro"

BIG = """
import json, sys, time
import numpy as np, imagefusion, skimage.data, cv2
from imagefusion.runtime import peak_rss_mib
from imagefusion.train.data import synthetic_multifocus_pair
n = int(sys.argv[1]); method = sys.argv[2]
im = cv2.resize(skimage.data.astronaut(), (n, n), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
mask = np.zeros((n, n), bool); mask[:, : n // 2] = True
a, b = synthetic_multifocus_pair(im, mask)
del im, mask
t = time.perf_counter()
fused = imagefusion.fuse([a, b], method=method)
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mib": peak_rss_mib(),
                  "shape": list(fused.shape)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--big", type=int, default=4096)
    ap.add_argument("--methods", default="siamese-cnn,cnn-liu2017,gff,dwt")
    ap.add_argument("--big-methods", default="siamese-cnn,gff",
                    help="methods run on the big pair (cnn-liu2017's 8x8x512 fully connected layer takes minutes there)")
    args = ap.parse_args()
    import imagefusion

    names = sorted(p.name for p in (LYTRO / "a").iterdir())[:3]
    pairs = [[imagefusion.read_image(LYTRO / s / n) for s in ("a", "b")] for n in names]
    print(f"CPU: {platform.processor() or platform.machine()}; torch threads: default; pairs: {', '.join(names)}\n")
    print(f"| method | s per 520x520 pair (median) | peak MiB, {args.big}x{args.big} RGB pair | s, {args.big}x{args.big} |")
    print("|---|---:|---:|---:|")
    for method in args.methods.split(","):
        imagefusion.fuse(pairs[0], method=method)  # load the model, warm up
        times = []
        for _ in range(args.repeat):
            for p in pairs:
                t = time.perf_counter()
                imagefusion.fuse(p, method=method)
                times.append(time.perf_counter() - t)
        if method not in args.big_methods.split(","):
            print(f"| {method} | {np.median(times):.3f} | not run | not run |", flush=True)
            continue
        big = subprocess.run([sys.executable, "-c", BIG, str(args.big), method], capture_output=True, text=True)
        if big.returncode:
            print(big.stderr, file=sys.stderr)
            mem, secs = "failed", "failed"
        else:
            info = json.loads(big.stdout.strip().splitlines()[-1])
            mem, secs = f"{info['peak_mib']:.0f}", f"{info['seconds']:.1f}"
        print(f"| {method} | {np.median(times):.3f} | {mem} | {secs} |", flush=True)


if __name__ == "__main__":
    main()
