"""What the sum of the two CAM channel weights does to cam-fusion: the shipped CAM autoencoder with
the same constant weight c on both sources' features, φ_f = c·φ_ir + c·φ_vi, on TNO.

    python benchmarks/cam_weight_sum.py [--data ../shared/data/ivif/tno] [--c 0.5,0.6,0.75,1.0]

Our classifier ties the visible weights to the infrared ones (one logit: W_vi = −W_ir), so
Ŵ_ir + Ŵ_vi = 1 for every channel and the rule stays near c = 0.5 (averaging). Two independent class
rows (W_ir, W_vi), each pulled towards the class-agnostic map by L_df, could give both weights above
0.5; this script measures how far that alone moves VIF and SCD. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from imagefusion.io import find_pairs
from imagefusion.metrics import evaluate
from imagefusion.nn.inference import cpu_threads, tiled_apply
from imagefusion.nn.weights import inference_network
from imagefusion.train.data import load_grey

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ivif" / "tno")
    ap.add_argument("--c", default="0.5,0.6,0.75,1.0", help="comma-separated weights c")
    args = ap.parse_args()
    ae = inference_network("cam-ae")
    found = find_pairs(args.data).pairs
    pairs = [[load_grey(p) for p in found[n]] for n in sorted(found)]
    print(f"{len(pairs)} pairs of {args.data.name}, VIFB convention\n")
    print("| c (both sources) | viff | scd |\n|---:|---:|---:|")
    for c in (float(v) for v in args.c.split(",")):
        def run(parts: list[torch.Tensor], c: float = c) -> torch.Tensor:
            fi, fv = ae.encoder(2 * torch.cat(parts) - 1).split(1)
            return (ae.decoder(c * fi + c * fv) + 1) / 2

        rows = []
        with cpu_threads():
            for pair in pairs:
                fused = np.clip(tiled_apply(run, pair, stride=ae.stride, halo=ae.radius), 0, 1)
                rows.append(evaluate(fused, pair, metrics=["viff", "scd"], convention="vifb"))
        print(f"| {c:g} | {np.mean([r['viff'] for r in rows]):.4f} | {np.mean([r['scd'] for r in rows]):.4f} |")


if __name__ == "__main__":
    main()
