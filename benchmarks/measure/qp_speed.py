"""Q_P per 640×480 fused image on one core, with the sources' half shared as in a bench, and where its
time goes.

Run:  python benchmarks/measure/qp_speed.py [--shared ../shared] [--repeat 5]

Pairs: TNO ``01`` and ``02`` (grey), resized to 640×480 (``cv2.INTER_AREA``) and fused by ``gff``. The
fused image is scored with ``qp`` inside one ``shared_features`` block (the sources' phase congruency
and their side of the correlations computed once, as a bench scoring several methods does), with the
process pinned to one core; the median (and the fastest) CPU milliseconds per fused image of ``qp`` and
of the fused image's phase congruency alone (``phase_congruency``: 24 inverse FFTs of 640×480, the
per-pixel energy) are printed with the value.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from _tno_640 import one_core, tno_640  # noqa: E402


def _median_ms(fn, repeat: int) -> str:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return f"{1000 * statistics.median(times):.0f} ({1000 * min(times):.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    one_core()
    from imagefusion.metrics import evaluate
    from imagefusion.metrics._cache import shared_features
    from imagefusion.metrics.phase import phase_congruency

    print("| pair | qp (ms): median (fastest) | of which the fused image's phase congruency (ms) | value |")
    print("|---|---:|---:|---|")
    for label, images, fused in tno_640(args.shared):
        with shared_features():
            value = evaluate(fused, images, ["qp"])["qp"]  # compiles, and fills the sources' side
            qp_ms = _median_ms(lambda: evaluate(fused, images, ["qp"]), args.repeat)
        grey = np.asarray(fused, dtype=np.float64) * 255.0
        pc_ms = _median_ms(lambda: phase_congruency(grey), args.repeat)
        print(f"| {label} | {qp_ms} | {pc_ms} | {value!r} |")


if __name__ == "__main__":
    main()
