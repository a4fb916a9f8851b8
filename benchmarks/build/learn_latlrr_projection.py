"""Learn the latent-LRR projection matrix of ``latlrr`` (MDLatLRR) from natural training images.

Li, Wu & Kittler (MDLatLRR, IEEE TIP 2020) learn a 64 × 64 projection L of 8×8 patches by latent
low-rank representation (Liu & Yan, ICCV 2011) of 1200 random non-overlapping patches of their training
images, λ = 0.4 (their ``train_models.m``, ``latent_matrix.m``). This script does the same with the
project's solver (:func:`imagefusion.methods.latlrr.latent_lrr`) on the BSDS500 training images
(``natural/bsds500/images/train``: never an evaluation image), grey, [0, 1], and writes
``src/imagefusion/data/latlrr_projection.npy`` and its model card ``latlrr_projection.json``.

Run: ``python benchmarks/build/learn_latlrr_projection.py [--data ../shared/data]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    from imagefusion.bench.runner import machine_description
    from imagefusion.methods.latlrr import latent_lrr
    from imagefusion.train.data import list_images, load_grey

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--patches", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "imagefusion" / "data" / "latlrr_projection.npy")
    args = ap.parse_args()
    columns = []
    files = list_images(args.data / "natural" / "bsds500" / "images" / "train")
    for f in files:  # every non-overlapping 8×8 block (MATLAB's im2col 'distinct'), column-major
        img = load_grey(f).astype(np.float64)
        h, w = (img.shape[0] // 8) * 8, (img.shape[1] // 8) * 8
        blocks = img[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(3, 1, 2, 0).reshape(64, -1)
        columns.append(blocks)
    b = np.concatenate(columns, axis=1)
    rng = np.random.default_rng(args.seed)
    x = b[:, rng.choice(b.shape[1], args.patches, replace=False)]
    t0 = time.time()
    _, proj, _ = latent_lrr(x, 0.4)
    seconds = time.time() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, proj.astype(np.float32))
    card = {
        "name": "latlrr-projection", "shape": list(proj.shape), "patch": "8x8, column-major", "scale": "[0, 1]",
        "data": f"{args.patches} random non-overlapping 8x8 blocks of natural/bsds500/images/train ({len(files)} images)",
        "learner": "latent low-rank representation, inexact ALM (imagefusion.methods.latlrr.latent_lrr), lambda 0.4",
        "seed": args.seed, "training_seconds": round(seconds, 1), "hardware": machine_description(),
        "command": "python benchmarks/build/learn_latlrr_projection.py", "licence": "MIT (learned by this project)",
        "used_by": ["latlrr"],
        "reference": "Li, Wu & Kittler, IEEE TIP 29, 2020 (their L_8 has the same shape and recipe)",
    }
    args.out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
