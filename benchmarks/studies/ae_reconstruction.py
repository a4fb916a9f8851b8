"""Held-out reconstruction SSIM of the shipped autoencoders (``densefuse``, ``cam-ae``).

    python benchmarks/studies/ae_reconstruction.py [--data ../shared/data] [--weights NAME=FILE ...]

Images never seen in training: ``cameraman`` (scikit-image) and the 99 BSDS500 ``val`` images (grey
Y). Each is cropped to a multiple of the network's stride, reconstructed in float32 on the CPU
(``cam-ae`` works in [−1, 1]) and compared with SSIM (``imagefusion.metrics.structural.ssim_index``
on 0–255 values). Prints a Markdown table: cameraman, and the BSDS500 val mean and minimum.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import skimage.data
import torch

from imagefusion.metrics.structural import ssim_index
from imagefusion.nn.weights import create_network
from imagefusion.train.data import bsds500_images, load_grey

ROOT = Path(__file__).resolve().parents[2]


def reconstruction_ssim(net: torch.nn.Module, image: np.ndarray, signed: bool, stride: int) -> float:
    """SSIM between ``image`` (float in [0, 1], (H, W)) and its reconstruction by ``net``."""
    h, w = (s - s % stride for s in image.shape)
    im = np.ascontiguousarray(image[:h, :w], dtype=np.float32)
    with torch.inference_mode():
        x = torch.from_numpy(2 * im - 1 if signed else im)[None, None]
        y = net(x)[0, 0].numpy()
    rec = np.clip((y + 1) / 2 if signed else y, 0, 1)
    return float(ssim_index(im * 255, rec * 255))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--weights", nargs="*", default=[], help="NAME=FILE: score these weights instead of the shipped ones")
    args = ap.parse_args()
    own = dict(item.split("=", 1) for item in args.weights)
    camera = skimage.data.camera().astype(np.float32) / 255
    _, val_paths = bsds500_images(args.data)
    val = [load_grey(p).astype(np.float32) for p in val_paths]
    print(f"held-out images: cameraman 512x512 and {len(val)} BSDS500 val images\n")
    print("| network | cameraman | BSDS500 val mean | BSDS500 val min |\n|---|---:|---:|---:|")
    for name, signed in (("densefuse", False), ("cam-ae", True)):
        net = create_network(name, weights=own.get(name)).float()
        stride = getattr(net, "stride", 1)
        scores = [reconstruction_ssim(net, im, signed, stride) for im in val]
        cam = reconstruction_ssim(net, camera, signed, stride)
        print(f"| {name} | {cam:.4f} | {np.mean(scores):.4f} | {np.min(scores):.4f} |")


if __name__ == "__main__":
    main()
