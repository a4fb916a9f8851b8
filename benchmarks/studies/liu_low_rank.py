"""How much the rank-32 ``fc1`` of the shipped ``cnn-liu2017`` changes its weight maps on Lytro.

    git show c1a71f0~1:src/imagefusion/weights/cnn-liu2017.safetensors > runs/cnn-liu2017-full.safetensors
    python benchmarks/studies/liu_low_rank.py runs/cnn-liu2017-full.safetensors [--data ../shared/data/mff/lytro]

FULL is a full-rank ``cnn-liu2017`` weights file (the one trained before the export to rank 32 is
the parent of commit c1a71f0). Prints the singular values of FULL's ``fc1`` relative to the first,
and per Lytro pair the largest difference between the two weight maps W and the share of pixels
where ``W > 0.5`` differs, with their summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from imagefusion.color import split_colour
from imagefusion.io import read_image
from imagefusion.models.siamese import focus_map
from imagefusion.nn.weights import create_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("full", help="a full-rank cnn-liu2017 safetensors file")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/mff/lytro")
    args = ap.parse_args()
    full = create_network("cnn-liu2017", weights=args.full)
    if full.fc1_rank is not None:
        raise SystemExit(f"{args.full} is already factored (rank {full.fc1_rank})")
    s = torch.linalg.svdvals(full.fc1.weight.detach().reshape(256, -1).double())
    print("fc1 singular values / the first: " + ", ".join(f"s{i + 1} {float(s[i] / s[0]):.3f}" for i in (1, 15, 31, 63, 191)))
    print("\n| pair | max abs W difference | W > 0.5 differs, % of pixels |\n|---|---:|---:|")
    most, flips = [], []
    for name in sorted(p.name for p in (args.data / "a").iterdir()):
        lums, _ = split_colour([read_image(args.data / src / name) for src in "ab"])
        w_full = focus_map(lums[0], lums[1], "cnn-liu2017", weights=args.full)
        w_low = focus_map(lums[0], lums[1], "cnn-liu2017")
        most.append(float(np.abs(w_full - w_low).max()))
        flips.append(100 * float(((w_full > 0.5) != (w_low > 0.5)).mean()))
        print(f"| {name} | {most[-1]:.4f} | {flips[-1]:.3f} |", flush=True)
    print(f"| all {len(most)}: max / median | {max(most):.4f} / {np.median(most):.4f} | "
          f"mean {np.mean(flips):.3f}, max {max(flips):.3f} |")


if __name__ == "__main__":
    main()
