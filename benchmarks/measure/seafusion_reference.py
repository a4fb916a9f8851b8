"""SeAFusion: ours beside the authors' network on the same CPU, side by side — outputs and time; and the
reference crops the tests compare against.

Run:  python benchmarks/measure/seafusion_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

``--authors`` is the ``SeAFusion`` folder of ``Linfeng-Tang/VIF-Benchmark`` at commit 23f2e51 (not part of
this project); its ``FusionNet.py`` and ``utils.py`` are imported as they are. Their test loop
(``SeAFusion.py``: Pillow's RGB and L images as tensors, ``RGB2YCrCb``, the network, ``YCbCr2RGB``,
``tensor2img``'s min–max stretch and 8-bit truncation) is re-typed below, without its data loader.
Both read ``SeAFusion.pth`` from ``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``).

The table: one TNO and one RoadScene pair resized to 640×480, ours at its default (``precision=auto``)
and in float32, medians of ``--repeat`` runs after a warm-up, without file reading. ``--crops DIR``
also writes the authors' outputs on the test pairs at full size, cropped to their top-left 128×128
(``tests/reference/seafusion/`` holds them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("ivif/tno", "01"), ("ivif/roadscene", "FLIR_00977")]
CROP_PAIRS = [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977"), ("ivif/roadscene", "FLIR_04269")]


def _theirs(net, utils, ir_l: Image.Image, vi_rgb: Image.Image) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    vis = torch.from_numpy(np.asarray(vi_rgb, np.float32) / 255.0).permute(2, 0, 1)[None]
    ir = torch.from_numpy(np.asarray(ir_l, np.float32) / 255.0)[None, None]
    with torch.no_grad():
        vi_y, vi_cb, vi_cr = utils.RGB2YCrCb(vis)
        fused = utils.YCbCr2RGB(net(vi_y, ir), vi_cb, vi_cr)
    out = utils.tensor2img(fused[0], is_norm=True)
    return out, time.perf_counter() - t0


def _sources(path_ir: Path, path_vi: Path, size: tuple[int, int] | None = None):
    ir, vi = Image.open(path_ir).convert("L"), Image.open(path_vi).convert("RGB")
    if size:
        ir, vi = ir.resize(size, Image.BICUBIC), vi.resize(size, Image.BICUBIC)
    return ir, vi


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="VIF-Benchmark's SeAFusion folder")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    sys.path.insert(0, str(args.authors))
    import FusionNet  # noqa: E402  (the authors' files)
    import utils  # noqa: E402

    net = FusionNet.FusionNet(output=1)
    weights = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "seafusion/Checkpoint/SeAFusion/SeAFusion.pth"
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))  # their code: no .eval()
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for folder, name in CROP_PAIRS:
            ir, vi = _sources(*find_pairs(args.shared / "data" / folder).pairs[name])
            out, _ = _theirs(net, utils, ir, vi)
            target = args.crops / f"{folder.split('/')[1]}-{name}.png"
            Image.fromarray(out[:128, :128]).save(target)
            print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| pair (640×480) | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder, name in PAIRS:
        ir, vi = _sources(*find_pairs(args.shared / "data" / folder).pairs[name], size=(640, 480))
        sources = [np.asarray(ir, np.float32) / 255.0, np.asarray(vi, np.float32) / 255.0]
        for precision in ("auto", "float32"):
            cells = side_by_side(lambda: imagefusion.fuse(sources, "seafusion", precision=precision),
                                 lambda: _theirs(net, utils, ir, vi), args.repeat)
            print(f"| {folder} {name} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
