"""``semantic-opt`` at its default: the closed-form objective of its linear first layer against the
network's own forward and backward pass (autograd), on one pair per task.

Run:  python benchmarks/measure/semantic_opt_speed.py [--shared ../shared] [--repeat 3]

For each pair (RoadScene ``FLIR_00977`` resized to 640×480, TNO ``01``, CT–MRI ``11``, MEFB ``Candle``,
MFFW ``mffw_05``), ``imagefusion.methods.semantic.semantic_opt`` with its defaults, and the same with the
autograd objective (``_FirstLayerObjective.for_net`` answering None, so every step runs VGG's first
layer forward and backward) and no early stop, as the method ran before its closed form. Prints the
median seconds of each (after a warm-up), the iterations the default ran, and the PSNR between the two
outputs (dB, values in [0, 1]). Needs ImageNet VGG16 weights (``IMAGEFUSION_VGG16``; the shared copy is
used when it exists).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve()
PAIRS = [("ivif/roadscene", "FLIR_00977", (640, 480)), ("ivif/tno", "01", None), ("medical/ct-mri", "11", None),
         ("mef/mefb", "Candle", None), ("mff/mffw", "mffw_05", None)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    vgg = args.shared / "weights" / "vgg16_features_imagenet_fp16.safetensors"
    if "IMAGEFUSION_VGG16" not in os.environ and vgg.is_file():
        os.environ["IMAGEFUSION_VGG16"] = str(vgg)
    from imagefusion.fusion import load_sources
    from imagefusion.methods import semantic

    steps: list[int] = []
    optimise = semantic.optimise_image

    def counting(*a, **k):
        out, losses = optimise(*a, **k)
        steps.append(len(losses) - 1)
        return out, losses

    semantic.optimise_image = counting
    closed_form = semantic._FirstLayerObjective.for_net

    def timed(srcs, autograd: bool):
        semantic._FirstLayerObjective.for_net = (lambda *a, **k: None) if autograd else closed_form
        kwargs = {"tol": 0.0} if autograd else {}
        semantic.semantic_opt(srcs, **kwargs)  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = semantic.semantic_opt(srcs, **kwargs)
            times.append(time.perf_counter() - t0)
        return out, float(np.median(times)), steps[-1]

    print("| pair | size | autograd, 50 steps s | closed form s | speed-up | steps | PSNR dB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder, name, size in PAIRS:
        files = sorted(p for p in (args.shared / "data" / folder).glob(f"*/{name}.*"))
        srcs, _ = load_sources(files)
        if size is not None:
            srcs = [cv2.resize(s, size, interpolation=cv2.INTER_AREA) for s in srcs]
        if any(s.ndim == 3 for s in srcs):  # as imagefusion.fuse hands them over: grey beside colour repeated
            srcs = [np.repeat(s[..., None], 3, axis=2) if s.ndim == 2 else s for s in srcs]
        ref, t_ref, _ = timed(srcs, autograd=True)
        out, t_new, n = timed(srcs, autograd=False)
        mse = float(np.mean((out.astype(np.float64) - ref) ** 2))
        psnr = float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)
        h, w = out.shape[:2]
        print(f"| {folder}/{name} | {w}×{h}{'' if out.ndim == 2 else ' RGB'} | {t_ref:.2f} | {t_new:.2f} | "
              f"{t_ref / t_new:.1f}× | {n} | {psnr:.1f} |", flush=True)
    semantic._FirstLayerObjective.for_net = closed_form


if __name__ == "__main__":
    main()
