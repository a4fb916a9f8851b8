"""Seconds per image for the VIFB metric set (13 metrics), CDDFuse's set (12 metrics), every metric
(``all``, mefb convention; once per image unless --all-repeat), and FMI alone per feature.

Run:  python benchmarks/measure/bench_metrics.py [--golden ../shared/golden] [--repeat 3] [--all-repeat 1]

Images: the 6 fused VIFB images in ../shared/golden/vifb (real VIFB infrared-visible pairs, RGB,
about 630x460, fused by ADF and MSVD) with their sources, i.e. the images the golden values were
computed on. Each set is computed with ``imagefusion.evaluate`` on the decoded arrays (decoding not
timed); the median over images and repeats is printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from imagefusion.io import read_image_raw
from imagefusion.metrics import evaluate, list_metrics

VIFB13 = ["ag", "ce", "ei", "en", "mi", "psnr", "qabf", "qcb", "qcv", "rmse", "sf", "ssim", "sd"]
CDDFUSE12 = ["en", "sd", "sf", "mi", "scd", "vif", "qabf", "ssim", "ag", "mse", "cc", "psnr"]


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden", type=Path, default=here.parents[2] / "shared/golden")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--all-repeat", type=int, default=1, help="repeats for the 'all' and FMI rows")
    args = ap.parse_args()
    g = args.golden / "vifb"
    cases = []
    for fused in sorted((g / "fused").glob("*.jpg")):
        name = fused.stem.split("_")[0]
        cases.append((read_image_raw(fused), [read_image_raw(g / "ir" / f"{name}.jpg"), read_image_raw(g / "vi" / f"{name}.jpg")]))
    h, w = cases[0][0].shape[:2]
    print(f"{len(cases)} VIFB fused images ({w}x{h} and similar, RGB), {args.repeat} repeats")
    print()
    print("| metric set | convention | median s / image | min | max |")
    print("|---|---|---:|---:|---:|")
    every = [m.name for m in list_metrics()]
    sets = [("VIFB 13", VIFB13, "vifb", args.repeat), ("CDDFuse 12", CDDFUSE12, "cddfuse", args.repeat),
            (f"all {len(every)}", every, "mefb", args.all_repeat)]
    sets += [(name, [name], "mefb", args.all_repeat) for name in every if name.startswith("fmi")]
    for label, names, conv, repeat in sets:
        evaluate(cases[0][0], cases[0][1], names, convention=conv)  # warm-up
        times = []
        for fused, srcs in cases:
            for _ in range(repeat):
                t0 = time.perf_counter()
                evaluate(fused, srcs, names, convention=conv)
                times.append(time.perf_counter() - t0)
        print(f"| {label} | {conv} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")


if __name__ == "__main__":
    main()
