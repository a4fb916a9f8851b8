"""Why some VIFB ports are not listed for a task, or not with the code's rule: the registry-wide safety
check (:mod:`imagefusion.bench.safety`) on the infrared–visible pairs of ``tests/test_safety.py``, and
ADF's PCA weights as the code computes them (first channel) on those pairs and on VIFB's ``snow``.

Run: ``python benchmarks/measure/unlisted_safety.py [--data ../shared/data]``; prints one line per method and pair.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import imagefusion
from imagefusion.bench.runner import parse_method_label
from imagefusion.bench.safety import safety_check
from imagefusion.fusion import load_sources

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["lp-sr", "rp-sr", "rp-sr:rule=code", "gfce", "latlrr:details=code", "adf:pca=code", "fpde:pca=code"]
PAIRS = [("ivif/tno", "01"), ("ivif/roadscene", "FLIR_00977")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    import numpy as np

    from imagefusion.io import read_image_raw
    from imagefusion.methods.adf import anisotropic_diffusion, pca_detail_weights

    golden = args.data.parent / "golden" / "vifb"
    for ir_f, vi_f in [(next((args.data / ds / "ir").glob(f"{n}.*")), next((args.data / ds / "vi").glob(f"{n}.*")))
                       for ds, n in PAIRS] + [(golden / "ir/snow.jpg", golden / "vi/snow.jpg")]:
        ir, vi = (read_image_raw(f).astype(np.float64) for f in (ir_f, vi_f))
        ir, vi = (x[..., 0] if x.ndim == 3 else x for x in (ir, vi))
        w = pca_detail_weights(ir - anisotropic_diffusion(ir), vi - anisotropic_diffusion(vi), rule="code")
        print(f"ADF's PCA weights (the code's rule) on {vi_f.parent.parent.name}/{vi_f.stem}: "
              f"{w[0]:.2f}, {w[1]:.2f}", flush=True)
    for ds, name in PAIRS:
        files = [next((args.data / ds / s).glob(f"{name}.*")) for s in ("ir", "vi")]
        sources, _ = load_sources(files)
        for label in LABELS:
            base, params = parse_method_label(label)
            report = safety_check(imagefusion.fuse(sources, base, **params), sources)
            verdict = "passes" if report.ok else "; ".join(report.problems())
            print(f"{label} on {ds}/{name}: mean {report.mean:.3f}, {100 * report.clipped:.1f} % clipped — {verdict}",
                  flush=True)


if __name__ == "__main__":
    main()
