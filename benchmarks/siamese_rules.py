"""Q^AB/F (VIFB convention) on the 20 Lytro pairs for the fusion rules of the Siamese CNN weight map:
the paper's pyramid blending (t = 0.6), pyramid blending with t = -1.01 (always the weighted average),
Liu et al.'s decision map, and GFF for reference.

    python benchmarks/siamese_rules.py [--data ../shared/data/mff/lytro]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import imagefusion

VARIANTS = {
    "siamese-cnn, pyramid t=0.6 (default)": ("siamese-cnn", {}),
    "siamese-cnn, pyramid t=-1.01": ("siamese-cnn", {"threshold": -1.01}),
    "siamese-cnn, decision map": ("siamese-cnn", {"rule": "decision"}),
    "cnn-liu2017, decision map (default)": ("cnn-liu2017", {}),
    "cnn-liu2017, pyramid t=0.6": ("cnn-liu2017", {"rule": "pyramid"}),
    "gff": ("gff", {}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/mff/lytro")
    args = ap.parse_args()
    names = sorted(p.name for p in (args.data / "a").iterdir())
    print("| variant | Q^AB/F mean ± std |\n|---|---:|")
    for label, (method, params) in VARIANTS.items():
        q = []
        for n in names:
            srcs = [str(args.data / "a" / n), str(args.data / "b" / n)]
            fused = imagefusion.fuse(srcs, method=method, **params)
            q.append(imagefusion.evaluate(fused, srcs, metrics=["qabf"], convention="vifb")["qabf"])
        print(f"| {label} | {np.mean(q):.4f} ± {np.std(q):.4f} |", flush=True)


if __name__ == "__main__":
    main()
