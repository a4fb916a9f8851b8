"""DIDFuse: ours beside the authors' network on the same CPU, side by side — outputs and time; and the
reference crops the tests compare against.

Run:  python benchmarks/measure/didfuse_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

``--authors`` is a checkout of ``Zhaozixiang1228/IVIF-DIDFuse`` at commit 5f28730 (not part of this project);
its ``DIDFuse.py`` (the networks) and ``utils_didfuse.py`` (``l1_addition``, with its module-level
``device`` set to the CPU) are imported as they are. Their ``Test_fusion`` steps (grey images /255, the
encoder on each source, the features fused, the decoder; ``test.py`` saves with ``skimage.io.imsave``,
which rounds) are re-typed below without its CUDA calls and file paths. Both read the two weight files
from ``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``).

The table: one TNO and one RoadScene pair resized to 640×480, the authors' ``Sum`` rule (their
``test.py``) and ``l1_norm`` (VIF-Benchmark's), ours at its default precision and in float32; medians of
``--repeat`` runs after a warm-up, without file reading. ``--crops DIR`` also writes the authors'
outputs of both rules on the test pairs at full size, cropped to their top-left 128×128
(``tests/reference/didfuse/`` holds them).
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
RULES = {"sum": "Sum", "l1": "l1_norm"}


def _theirs(enc, dec, utils, ir: np.ndarray, vi: np.ndarray, mode: str) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    a = torch.from_numpy(ir.astype(np.float32) / 255).reshape(1, 1, *ir.shape)
    b = torch.from_numpy(vi.astype(np.float32) / 255).reshape(1, 1, *vi.shape)
    with torch.no_grad():
        fi, fv = enc(a), enc(b)
        if mode == "Sum":
            fused = [x + y for x, y in zip(fi, fv)]
        else:
            fused = [utils.l1_addition(x, y) for x, y in zip(fi, fv)]
        f1, f2, fb, fd = fused
        out = dec(f1, f2, fb, fd).numpy()[0, 0]
    return np.round(np.clip(out, 0, 1) * 255).astype(np.uint8), time.perf_counter() - t0  # skimage's imsave


def _grey(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    im = Image.open(path).convert("L")
    return np.asarray(im.resize(size, Image.BICUBIC) if size else im)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of IVIF-DIDFuse")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    sys.path.insert(0, str(args.authors))
    import DIDFuse  # noqa: E402  (the authors' files)
    import utils_didfuse  # noqa: E402

    utils_didfuse.device = "cpu"  # their module pins CUDA
    folder = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "didfuse" / "Models"
    enc, dec = DIDFuse.AE_Encoder(), DIDFuse.AE_Decoder()
    enc.load_state_dict(torch.load(folder / "Encoder_weight_IJCAI.pkl", map_location="cpu", weights_only=True)["weight"])
    dec.load_state_dict(torch.load(folder / "Decoder_weight_IJCAI.pkl", map_location="cpu", weights_only=True)["weight"])
    enc.eval(), dec.eval()
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for set_, name in CROP_PAIRS:
            ir, vi = (_grey(f) for f in find_pairs(args.shared / "data" / set_).pairs[name])
            for rule, mode in RULES.items():
                out, _ = _theirs(enc, dec, utils_didfuse, ir, vi, mode)
                target = args.crops / f"{set_.split('/')[1]}-{name}-{rule}.png"
                Image.fromarray(out[:128, :128]).save(target)
                print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| pair (640×480) | rule | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for set_, name in PAIRS:
        ir, vi = (_grey(f, (640, 480)) for f in find_pairs(args.shared / "data" / set_).pairs[name])
        sources = [ir.astype(np.float32) / 255, vi.astype(np.float32) / 255]
        for rule, mode in RULES.items():
            for precision in ("auto", "float32"):
                cells = side_by_side(lambda: imagefusion.fuse(sources, "didfuse", rule=rule, precision=precision),
                                     lambda: _theirs(enc, dec, utils_didfuse, ir, vi, mode), args.repeat)
                print(f"| {set_} {name} | {rule} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
