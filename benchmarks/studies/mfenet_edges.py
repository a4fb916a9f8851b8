"""How MFEnet's edge enhancement (eq. 2) moves the metrics, over its gain and Canny thresholds — the
sweep that chose the defaults. It runs on the *training* sets (``medical/pet-mri``,
``medical/spect-mri``: MRI and the PET/SPECT luminance), never on the ``medical/ct-mri`` evaluation set.

    python benchmarks/studies/mfenet_edges.py [--data ../shared/data] [--pairs 12] [--weights FILE]

Prints a Markdown table of the mean of each metric (VIFB convention) per setting.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import imagefusion
from imagefusion.pairs import find_pairs
from imagefusion.metrics import evaluate
from imagefusion.train.data import MEDICAL_TRAINING_SETS, load_grey

ROOT = Path(__file__).resolve().parents[2]
METRICS = ["fmi_pixel", "scd", "ssim", "qy", "qabf", "ag"]
#: (label, method, parameters)
SETTINGS = [
    ("mfenet edges=false", "mfenet", {"edges": False}),
    ("gain 1/255, Canny 50/150", "mfenet", {"edge_gain": 1 / 255}),
    ("gain 0.02, Canny 50/150", "mfenet", {"edge_gain": 0.02}),
    ("gain 0.05, Canny 50/150", "mfenet", {"edge_gain": 0.05}),
    ("gain 0.1, Canny 50/150", "mfenet", {"edge_gain": 0.1}),
    ("gain 0.2, Canny 50/150", "mfenet", {"edge_gain": 0.2}),
    ("gain 1, Canny 50/150", "mfenet", {"edge_gain": 1.0}),
    ("gain 0.02, Canny 100/200", "mfenet", {"edge_gain": 0.02, "canny_low": 100.0, "canny_high": 200.0}),
    ("gain 0.02, Canny 25/75", "mfenet", {"edge_gain": 0.02, "canny_low": 25.0, "canny_high": 75.0}),
    ("gff", "gff", {}),
    ("lp", "lp", {}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--pairs", type=int, default=12, help="pairs per set (the first ones by name)")
    ap.add_argument("--weights", default="", help="an mfenet safetensors file (default: the shipped one)")
    args = ap.parse_args()
    pairs = []
    for rel in MEDICAL_TRAINING_SETS:
        found = find_pairs(args.data / rel).pairs
        for name in sorted(found)[: args.pairs]:
            pairs.append([load_grey(p) for p in found[name]])
    print(f"{len(pairs)} pairs of {', '.join(MEDICAL_TRAINING_SETS)} (luminance), VIFB convention\n")
    print("| setting | " + " | ".join(METRICS) + " |\n|---|" + "---:|" * len(METRICS))
    for label, method, params in SETTINGS:
        if method == "mfenet" and args.weights:
            params = {**params, "weights": args.weights}
        rows = [evaluate(imagefusion.fuse(p, method, **params), p, metrics=METRICS, convention="vifb") for p in pairs]
        print(f"| {label} | " + " | ".join(f"{np.mean([r[m] for r in rows]):.4f}" for m in METRICS) + " |")


if __name__ == "__main__":
    main()
