"""Which shipped networks may be stored in float16: the fused image of float16-stored weights against float32's.

Run:  python benchmarks/build/float16_weights.py [--shared ../shared] [--pairs 3] [--write]

For every listed method whose shipped weights are stored in float32, its weights are written once more
with their floating tensors in float16 (loading casts them back to float32, so only the storage
changes) and the method fuses the first ``--pairs`` pairs of each task it lists, as stored, both
ways, in float32 arithmetic. Prints per method the smallest PSNR (dB, 8-bit images) between the two
fused images. ``--write`` replaces the shipped file by its float16 copy where every PSNR is at least
40 dB (the model card then says ``"stored_as": "float16"``), halving it in the package.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import torch

import imagefusion
from imagefusion.nn.registry import shipped_weights_path
from imagefusion.nn.weights import create_network, save_weights
from imagefusion.pairs import find_pairs

ROOT = Path(__file__).resolve().parents[2]
#: Each shipped network: the method that runs it, and the parameter that takes its file.
METHODS = {"densefuse": ("densefuse", "weights"), "mff-gan": ("mff-gan", "weights"), "pmgi": ("pmgi", "weights"),
           "pmgi.mif": ("pmgi", "weights"), "pmgi.mff": ("pmgi", "weights"), "pmgi.mef": ("pmgi", "weights"),
           "ddcgan": ("ddcgan", "weights"), "fusiongan": ("fusiongan", "weights"),
           "cnn-liu2017": ("cnn-liu2017", "weights"), "siamese-cnn": ("siamese-cnn", "weights"),
           "mfenet": ("mfenet", "weights"), "cam-ae": ("cam-fusion", "weights"), "cam-fwa": ("cam-fusion", "classifier")}
SETS = {"ivif": "ivif/tno", "mif": "medical/ct-mri", "mff": "mff/lytro", "mef": "mef/mefb"}
LIMIT_DB = 40.0


def psnr_8bit(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of two [0, 1] images as 8-bit files would hold them (inf when equal)."""
    x, y = (np.round(np.clip(v, 0, 1) * 255).astype(np.float64) for v in (a, b))
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def check(network: str, shared: Path, n_pairs: int) -> tuple[float, Path]:
    """The smallest PSNR between float32- and float16-stored weights, and the float16 file."""
    method, param = METHODS[network]
    path = shipped_weights_path(network)
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    half = Path(tempfile.mkdtemp()) / path.name
    save_weights(create_network(network, weights=path), half, {**card, "stored_as": "float16"}, dtype=torch.float16)
    worst = math.inf
    for task in imagefusion.get_method(method).tasks:
        pairs = find_pairs(shared / "data" / SETS[task]).pairs
        for name in sorted(pairs)[:n_pairs]:
            full = imagefusion.fuse(pairs[name], method, **{param: str(path)}, precision="float32")
            small = imagefusion.fuse(pairs[name], method, **{param: str(half)}, precision="float32")
            worst = min(worst, psnr_8bit(full, small))
    return worst, half


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    print("| network | float32 MB | smallest PSNR, float16 vs float32 storage (dB) | stored |")
    print("|---|---:|---:|---|")
    for network in METHODS:
        path = shipped_weights_path(network)
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if card.get("stored_as") == "float16":
            continue
        worst, half = check(network, args.shared, args.pairs)
        ok = worst >= LIMIT_DB
        size = path.stat().st_size / 1e6
        if ok and args.write:
            half.replace(path)
            half.with_suffix(".json").replace(path.with_suffix(".json"))
        print(f"| `{network}` | {size:.2f} | {worst:.1f} | {'float16' if ok and args.write else 'float32'} |", flush=True)


if __name__ == "__main__":
    main()
