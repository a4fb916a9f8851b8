"""Learn the sparse-representation dictionary of ``lp-sr`` and ``rp-sr`` from natural training images.

Liu, Liu & Wang (Information Fusion 2015) fuse the low-pass band of a multi-scale transform by sparse
coding 8×8 patches over a dictionary of 256 atoms learned by K-SVD from 100 000 natural-image patches
(their ``D_100000_256_8.mat``). This script learns the project's own dictionary of the same shape with
scikit-learn's ``MiniBatchDictionaryLearning`` (online dictionary learning, Mairal et al. 2009) from
100 000 mean-removed 8×8 patches of the BSDS500 training images (``natural/bsds500/images/train``: never
an evaluation image), on the 0–255 grey scale, atoms normalised to unit length. It writes
``src/imagefusion/data/sr_dictionary.npy`` (float32, 64 × 256) and its model card ``sr_dictionary.json``.

Run: ``pip install scikit-learn && python benchmarks/build/learn_sr_dictionary.py [--data ../shared/data]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    from sklearn.decomposition import MiniBatchDictionaryLearning

    from imagefusion.bench.runner import machine_description
    from imagefusion.train.data import list_images, load_grey

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--patches", type=int, default=100_000)
    ap.add_argument("--atoms", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "imagefusion" / "data" / "sr_dictionary.npy")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    files = list_images(args.data / "natural" / "bsds500" / "images" / "train")
    per_image = int(np.ceil(args.patches / len(files)))
    patches = []
    for f in files:
        img = load_grey(f).astype(np.float64) * 255.0
        ys = rng.integers(0, img.shape[0] - 7, per_image)
        xs = rng.integers(0, img.shape[1] - 7, per_image)
        for y, x in zip(ys, xs):
            # column-major, as MATLAB's patch(:) (the fusion reads patches the same way)
            patches.append(img[y:y + 8, x:x + 8].ravel(order="F"))
    x = np.asarray(patches[: args.patches])
    x -= x.mean(axis=1, keepdims=True)
    t0 = time.time()
    learner = MiniBatchDictionaryLearning(n_components=args.atoms, alpha=1.0, batch_size=512, max_iter=10,
                                          random_state=args.seed, transform_algorithm="omp")
    learner.fit(x)
    seconds = time.time() - t0
    d = learner.components_.T.astype(np.float64)
    d /= np.linalg.norm(d, axis=0, keepdims=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, d.astype(np.float32))
    card = {
        "name": "sr-dictionary", "shape": list(d.shape), "atoms": args.atoms, "patch": "8x8, column-major, mean removed",
        "scale": "grey levels 0-255", "data": f"{len(x)} patches of natural/bsds500/images/train ({len(files)} images)",
        "learner": "sklearn.decomposition.MiniBatchDictionaryLearning(alpha=1.0, batch_size=512, max_iter=10)",
        "seed": args.seed, "training_seconds": round(seconds, 1),
        "hardware": machine_description(),
        "command": "python benchmarks/build/learn_sr_dictionary.py", "licence": "MIT (learned by this project)",
        "used_by": ["lp-sr", "rp-sr"],
        "reference": "Liu, Liu & Wang, Information Fusion 24, 2015 (their K-SVD dictionary has the same shape)",
    }
    args.out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
