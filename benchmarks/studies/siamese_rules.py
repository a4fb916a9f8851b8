"""Q^AB/F (VIFB convention) on the 20 Lytro pairs for the fusion rules of the Siamese CNN weight map:
the paper's pyramid blending (t = 0.6), pyramid blending with t = -1.01 (always the weighted average),
Liu et al.'s decision map, and GFF for reference.

With ``--per-level`` it also shows where the pyramid rule loses Q^AB/F: the share of pixels in the
selection branch (S < t) at each level, and Q^AB/F when the rule is applied at one level only (the
weighted average at every other), and with Liu et al.'s refined decision map as the weight map.

    python benchmarks/studies/siamese_rules.py [--data ../shared/data/mff/lytro] [--per-level]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import imagefusion
from imagefusion.color import fuse_chroma, merge_luminance, split_colour, weighted_rule
from imagefusion.io import read_image
from imagefusion.methods._common import box_sum
from imagefusion.methods.pyramid import (
    gaussian_pyramid,
    laplacian_pyramid,
    max_levels,
    reconstruct_laplacian,
    similarity_rule,
)
from imagefusion.models.siamese import focus_map, refined_decision_map

VARIANTS = {
    "siamese-cnn, pyramid t=0.6 (default)": ("siamese-cnn", {}),
    "siamese-cnn, pyramid t=-1.01": ("siamese-cnn", {"threshold": -1.01}),
    "siamese-cnn, decision map": ("siamese-cnn", {"rule": "decision"}),
    "cnn-liu2017, decision map (default)": ("cnn-liu2017", {}),
    "cnn-liu2017, pyramid t=0.6": ("cnn-liu2017", {"rule": "pyramid"}),
    "gff": ("gff", {}),
}

AVERAGE = -1.01  # S ≥ −1 everywhere, so this threshold always takes the weighted average


def _pyramid(lums: list[np.ndarray], weight: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """The pyramid rule with its own threshold at each level (the first is the finest)."""
    n = len(thresholds) - 1
    pa, pb = (laplacian_pyramid(y, n) for y in lums)
    gw = gaussian_pyramid(weight.astype(np.float32), n)
    return reconstruct_laplacian([similarity_rule(a, b, g, t) for a, b, g, t in zip(pa, pb, gw, thresholds)])


def _selection_share(lums: list[np.ndarray], levels: int, t: float = 0.6) -> list[float]:
    """Fraction of the pixels of each level where S < t (the selection branch)."""
    shares = []
    for a, b in zip(*(laplacian_pyramid(y, levels) for y in lums)):
        e = box_sum(a * a, 3) + box_sum(b * b, 3)
        similar = (2.0 * box_sum(a * b, 3) >= t * e) | (e <= 0)
        shares.append(1.0 - float(similar.mean()))
    return shares


def per_level(data: Path, names: list[str]) -> None:
    """Print the per-level table (see the module docstring)."""
    rows: dict[str, list[float]] = {}
    shares: list[list[float]] = []
    for n in names:
        srcs = [str(data / "a" / n), str(data / "b" / n)]
        lums, chromas = split_colour([read_image(s) for s in srcs])
        w = focus_map(lums[0], lums[1], "siamese-cnn")
        chroma = fuse_chroma(chromas, weighted_rule(np.stack([w, 1 - w]))) if chromas else None
        levels = max_levels(lums[0].shape)
        shares.append(_selection_share(lums, levels))
        variants = {"t = 0.6 at every level (default)": [0.6] * (levels + 1),
                    "weighted average at every level": [AVERAGE] * (levels + 1)}
        for lv in range(min(3, levels + 1)):
            variants[f"t = 0.6 at level {lv} only"] = [0.6 if i == lv else AVERAGE for i in range(levels + 1)]
        for label, ts in variants.items():
            fused = merge_luminance(_pyramid(lums, w, ts), chroma)
            rows.setdefault(label, []).append(
                imagefusion.evaluate(np.clip(fused, 0, 1), srcs, metrics=["qabf"], convention="vifb")["qabf"])
        refined = refined_decision_map(lums[0], lums[1], w)
        chroma_r = fuse_chroma(chromas, weighted_rule(np.stack([refined, 1 - refined]))) if chromas else None
        fused = merge_luminance(_pyramid(lums, refined, [0.6] * (levels + 1)), chroma_r)
        rows.setdefault("t = 0.6, refined decision map as W", []).append(
            imagefusion.evaluate(np.clip(fused, 0, 1), srcs, metrics=["qabf"], convention="vifb")["qabf"])
    depth = min(len(s) for s in shares)
    print("\n| level (0 = finest) | " + " | ".join(str(i) for i in range(depth)) + " |")
    print("|---|" + "---:|" * depth)
    print("| pixels with S < 0.6 | " + " | ".join(f"{np.mean([s[i] for s in shares]):.3f}" for i in range(depth)) + " |")
    print("\n| siamese-cnn weight map, pyramid rule | Q^AB/F mean ± std |\n|---|---:|")
    for label, q in rows.items():
        print(f"| {label} | {np.mean(q):.4f} ± {np.std(q):.4f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/mff/lytro")
    ap.add_argument("--per-level", action="store_true", help="also the per-level diagnosis of the pyramid rule")
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
    if args.per_level:
        per_level(args.data, names)


if __name__ == "__main__":
    main()
