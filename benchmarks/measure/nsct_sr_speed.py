"""``nsct-sr`` per 640×480 pair: today's compiled OMP against the Cholesky-per-atom one it replaced, same
inputs, alternating runs.

Run:  python benchmarks/measure/nsct_sr_speed.py [--shared ../shared] [--repeat 2]

Pairs: TNO ``01`` and ``02`` (grey, stored as three equal channels, read as grey) and RoadScene
``FLIR_00977`` (colour visible image: three channels coded against the grey infrared one), each resized to
640×480 (``cv2.INTER_AREA``). For each, ``imagefusion.fuse(sources, "nsct-sr")`` with today's coder and with
the previous one (``_cholesky_omp.py``, swapped in for ``imagefusion.methods._omp_kernel.omp_codes``); the
two alternate, ``--repeat`` times each after a warm-up, the median wall seconds on all cores are printed
with their ratio and the outputs' agreement (8-bit levels: PSNR, share of pixels that differ, largest
difference).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
PAIRS = [("ivif/tno", "01"), ("ivif/tno", "02"), ("ivif/roadscene", "FLIR_00977")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    import imagefusion
    import imagefusion.methods._omp_kernel as kernel
    from imagefusion.fusion import load_sources
    from _cholesky_omp import cholesky_omp_codes

    today = kernel.omp_codes
    print("| pair | size | today (s) | previous (s) | speed-up | PSNR (dB) | pixels that differ | largest (levels) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for dataset, name in PAIRS:
        root = args.shared / "data" / dataset
        files = [next((root / s).glob(f"{name}.*")) for s in ("ir", "vi")]
        images, _ = load_sources(files)
        images = [cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA) for im in images]
        times: dict[str, list[float]] = {"today": [], "previous": []}
        out = {}
        for rep in range(args.repeat + 1):
            for label, fn in (("today", today), ("previous", cholesky_omp_codes)):
                kernel.omp_codes = fn
                time.sleep(1.0)  # the previous run's worker threads go idle first
                t = time.perf_counter()
                out[label] = imagefusion.fuse(images, "nsct-sr")
                if rep:  # the first round compiles and warms up
                    times[label].append(time.perf_counter() - t)
        kernel.omp_codes = today
        a, b = (np.round(out[k].astype(np.float64) * 255) for k in ("today", "previous"))
        diff = np.abs(a - b)
        mse = float(np.mean(diff ** 2))
        psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
        t_new, t_old = statistics.median(times["today"]), statistics.median(times["previous"])
        kind = "RGB" if images[1].ndim == 3 else "grey"
        print(f"| {dataset}/{name} | 640×480 {kind} | {t_new:.2f} | {t_old:.2f} | {t_old / t_new:.2f}× | "
              f"{psnr:.1f} | {np.mean(diff > 0):.4%} | {diff.max():.0f} |")


if __name__ == "__main__":
    main()
