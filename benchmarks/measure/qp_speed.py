"""Q_P per 640×480 fused image on one core, with the sources' half shared as in a bench, and where its
time goes.

Run:  python benchmarks/measure/qp_speed.py [--shared ../shared] [--repeat 5]

Pairs: TNO ``01`` and ``02`` (grey), resized to 640×480 (``cv2.INTER_AREA``) and fused by ``gff``. The
fused image is scored with ``qp`` inside one ``shared_features`` block (the sources' phase congruency
and their side of the correlations computed once, as a bench scoring several methods does), with the
process pinned to one core; the median CPU milliseconds per fused image of ``qp`` and of the fused
image's phase congruency alone (``phase_congruency``: 24 inverse FFTs of 640×480, the per-pixel energy)
are printed with the value.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve()
PAIRS = [("ivif/tno", "01"), ("ivif/tno", "02")]


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import imagefusion
    from imagefusion.fusion import load_sources
    from imagefusion.metrics import evaluate
    from imagefusion.metrics._cache import shared_features
    from imagefusion.metrics.phase import phase_congruency

    print("| pair | qp (ms) | of which the fused image's phase congruency (ms) | value |")
    print("|---|---:|---:|---|")
    for dataset, name in PAIRS:
        root = args.shared / "data" / dataset
        files = [next((root / s).glob(f"{name}.*")) for s in ("ir", "vi")]
        images, _ = load_sources(files)
        images = [cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA) for im in images]
        fused = imagefusion.fuse(images, "gff")
        with shared_features():
            value = evaluate(fused, images, ["qp"])["qp"]  # compiles, and fills the sources' side
            qp_ms = _median_ms(lambda: evaluate(fused, images, ["qp"]), args.repeat)
        grey = np.asarray(fused, dtype=np.float64) * 255.0
        pc_ms = _median_ms(lambda: phase_congruency(grey), args.repeat)
        print(f"| {dataset.split('/')[-1]} {name} | {qp_ms:.0f} | {pc_ms:.0f} | {value!r} |")


if __name__ == "__main__":
    main()
