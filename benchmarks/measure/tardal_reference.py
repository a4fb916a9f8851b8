"""TarDAL: ours beside the authors' generator on the same CPU, side by side — outputs and time.

Run:  python benchmarks/measure/tardal_reference.py --authors PATH/TO/generator.py [--shared ../shared] [--repeat 3]

``--authors`` is ``modules/generator.py`` of ``JinyuanLiu-CV/TarDAL`` at commit 8ef276f (not part of this
project), imported as it is; their per-image steps (``utils/image_pair.py``: OpenCV grey, /255, the
generator in eval mode, clip, and the colour path: the Y truncated to 8 bits with the visible image's
CrCb) are re-typed below. Both read ``tardal++.pt`` from ``$IMAGEFUSION_WEIGHTS_DIR`` (default
``<shared>/weights/official``). One TNO and one RoadScene pair, resized to 640×480; medians of
``--repeat`` runs after a warm-up, without file reading.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("ivif/tno", "01"), ("ivif/roadscene", "FLIR_00977")]


def _theirs(net, ir8: np.ndarray, vi_bgr: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    ir = torch.from_numpy(ir8 / 255.0).float()[None, None]
    vi = torch.from_numpy(cv2.cvtColor(vi_bgr, cv2.COLOR_BGR2GRAY) / 255.0).float()[None, None]
    with torch.no_grad():
        fus = net(ir, vi).clip(0.0, 1.0)
    fus = (fus.squeeze().numpy() * 255.0).astype(np.uint8)
    cbcr = cv2.cvtColor(vi_bgr, cv2.COLOR_BGR2YCrCb)[:, :, -2:]
    out = cv2.cvtColor(np.concatenate([fus[..., None], cbcr], axis=2), cv2.COLOR_YCrCb2BGR)[..., ::-1]
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="their modules/generator.py")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    spec = importlib.util.spec_from_file_location("tardal_generator", args.authors)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Generator(dim=32, depth=3)
    weights = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "tardal/Checkpoint/TarDAL/tardal++.pt"
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    net.eval()
    print("| pair (640×480) | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---:|---:|---:|---:|---:|")
    for folder, name in PAIRS:
        files = find_pairs(args.shared / "data" / folder).pairs[name]
        raw = [cv2.resize(imagefusion.io.read_image_raw(f), (640, 480), interpolation=cv2.INTER_AREA) for f in files]
        ir8 = raw[0] if raw[0].ndim == 2 else cv2.cvtColor(raw[0], cv2.COLOR_RGB2GRAY)
        vi_rgb = raw[1] if raw[1].ndim == 3 else np.repeat(raw[1][..., None], 3, axis=2)
        sources = [ir8.astype(np.float32) / 255.0, vi_rgb.astype(np.float32) / 255.0]
        vi_bgr = vi_rgb[..., ::-1].copy()
        cells = side_by_side(lambda: imagefusion.fuse(sources, "tardal"), lambda: _theirs(net, ir8, vi_bgr), args.repeat)
        print(f"| {folder} {name} | {cells} |")


if __name__ == "__main__":
    main()
