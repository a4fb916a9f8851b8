"""FMI per 640×480 image: the window loop vectorised across windows (``imagefusion.metrics._fmi_kernel``)
against the scalar loop it replaced (``_scalar_fmi.py``), same inputs, alternating runs, one core.

Run:  python benchmarks/measure/fmi_speed.py [--shared ../shared] [--repeat 5]

Pairs: TNO ``01`` and ``02`` (grey), resized to 640×480 (``cv2.INTER_AREA``) and fused by ``gff``. For
each of ``fmi_pixel``, ``fmi_w``, ``fmi_dct`` and ``fmi_edge`` the fused image is scored inside one
``shared_features`` block (the sources' feature images computed once, as a bench scoring several methods does), with the
process pinned to one core; the two loops alternate, ``--repeat`` times each after a warm-up, and the
median milliseconds per fused image are printed with their ratio and the values' relative difference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from _tno_640 import one_core, tno_640  # noqa: E402
METRICS = ["fmi_pixel", "fmi_w", "fmi_dct", "fmi_edge"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    one_core()
    import imagefusion.metrics._fmi_kernel as kernel
    from imagefusion.metrics import evaluate
    from imagefusion.metrics._cache import shared_features
    from _scalar_fmi import fmi_window_sum as scalar

    today = kernel.fmi_window_sum
    print("| pair | metric | today (ms) | previous (ms) | speed-up | relative difference |")
    print("|---|---|---:|---:|---:|---:|")
    for label_pair, images, fused in tno_640(args.shared):
        with shared_features():
            for metric in METRICS:
                times: dict[str, list[float]] = {"today": [], "previous": []}
                value = {}
                for rep in range(args.repeat + 1):
                    for label, fn in (("today", today), ("previous", scalar)):
                        kernel.fmi_window_sum = fn
                        t = time.process_time()
                        value[label] = evaluate(fused, images, [metric])[metric]
                        if rep:  # the first round compiles, warms up and fills the sources' cache
                            times[label].append(time.process_time() - t)
                kernel.fmi_window_sum = today
                t, p = (1000 * statistics.median(times[k]) for k in ("today", "previous"))
                diff = abs(value["today"] - value["previous"]) / abs(value["previous"])
                print(f"| {label_pair} | {metric} | {t:.0f} | {p:.0f} | {p / t:.2f}× | {diff:.1e} |")
    print()
    print(f"values: today {value['today']!r}, previous {value['previous']!r} (last row)")


if __name__ == "__main__":
    main()
