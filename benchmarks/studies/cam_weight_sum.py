"""What the sum of the two CAM channel weights does to cam-fusion: the shipped CAM autoencoder with
the same constant weight c on both sources' features, φ_f = c·φ_ir + c·φ_vi, on TNO.

    python benchmarks/studies/cam_weight_sum.py [--data ../shared/data/ivif/tno] [--c 0.5,0.6,0.75,1.0]
                                        [--sharpen 1,3,10,1000]

Our classifier ties the visible weights to the infrared ones (one logit: W_vi = −W_ir), so
Ŵ_ir + Ŵ_vi = 1 for every channel and the rule stays near c = 0.5 (averaging). Two independent class
rows (W_ir, W_vi), each pulled towards the class-agnostic map by L_df, could give both weights above
0.5; this script measures how far that alone moves VIF and SCD. Prints a Markdown table.

The second table keeps the weights convex but makes them more decisive: the shipped classifier's
W_ir scaled by k, Ŵ_ir = 0.5·tanh(k·W_ir) + 0.5, Ŵ_vi = 1 − Ŵ_ir (k = 1 is ``cam-fusion``; a large k
takes every channel wholly from one source). It shows whether a classifier with larger weights could
move the result without breaking Ŵ_ir + Ŵ_vi = 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from imagefusion.pairs import find_pairs
from imagefusion.metrics import evaluate
from imagefusion.nn.inference import cpu_threads, tiled_apply
from imagefusion.nn.weights import inference_network
from imagefusion.train.data import load_grey

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ivif" / "tno")
    ap.add_argument("--c", default="0.5,0.6,0.75,1.0", help="comma-separated weights c")
    ap.add_argument("--sharpen", default="1,3,10,1000", help="comma-separated scales k of the class weights")
    args = ap.parse_args()
    ae = inference_network("cam-ae")
    found = find_pairs(args.data).pairs
    pairs = [[load_grey(p) for p in found[n]] for n in sorted(found)]
    print(f"{len(pairs)} pairs of {args.data.name}, VIFB convention\n")
    def table(label: str, weights: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        print(f"| {label} | viff | scd |\n|---:|---:|---:|")
        for key, (w_ir, w_vi) in weights.items():
            def run(parts: list[torch.Tensor], w_ir: torch.Tensor = w_ir, w_vi: torch.Tensor = w_vi) -> torch.Tensor:
                fi, fv = ae.encoder(2 * torch.cat(parts) - 1).split(1)
                return (ae.decoder(w_ir.to(fi.dtype) * fi + w_vi.to(fv.dtype) * fv) + 1) / 2

            rows = []
            with cpu_threads():
                for pair in pairs:
                    fused = np.clip(tiled_apply(run, pair, stride=ae.stride, halo=ae.radius), 0, 1)
                    rows.append(evaluate(fused, pair, metrics=["viff", "scd"], convention="vifb"))
            print(f"| {key} | {np.mean([r['viff'] for r in rows]):.4f} | {np.mean([r['scd'] for r in rows]):.4f} |",
                  flush=True)

    table("c (both sources)", {f"{c:g}": (torch.tensor(c), torch.tensor(c)) for c in map(float, args.c.split(","))})
    w = inference_network("cam-fwa", None, None, "float32").class_weights()[0].double()
    sharp = {}
    for k in map(float, args.sharpen.split(",")):
        w_ir = (0.5 * torch.tanh(k * w) + 0.5).float().view(1, -1, 1, 1)
        sharp[f"{k:g}"] = (w_ir, 1 - w_ir)
    print()
    table("k (Ŵ_ir = 0.5·tanh(k·W_ir) + 0.5)", sharp)

if __name__ == "__main__":
    main()
