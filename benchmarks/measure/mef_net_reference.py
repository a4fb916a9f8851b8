"""MEF-Net: ours beside the authors' model on the same CPU, side by side — outputs and time; and the
reference crops the tests compare against.

Run:  python benchmarks/measure/mef_net_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

``--authors`` is a checkout of ``makedede/MEFNet`` at commit d2b87b4 (not part of this project); its
``e2emef.py`` (the model with their fast guided filter, ``guided_filter_pytorch/``) and
``batch_transformers.py`` (their YCbCr conversions) are imported as they are, with a stand-in for the
two torchvision transforms that module imports (Pillow's bilinear ``Resize`` of the short side, and
``ToTensor``). Their ``TrainModel.eval`` steps (the low-resolution and full-resolution YCbCr stacks, the
model, the chroma weights, ``YCbCrToRGB``, ``save_image``'s clip and rounding) are re-typed below.
The checkpoint is read with torch's restricted unpickler (numpy's scalars as stand-ins), as ours is.

The table: three MEFB pairs resized to 640×480, medians of ``--repeat`` runs after a warm-up, without
file reading. ``--crops DIR`` also writes the authors' outputs on the test pairs at full size, cropped to
their top-left 128×128 (``tests/reference/mef-net/`` holds them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import imagefusion
from imagefusion.nn.published import torch_state_dict
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("mef/mefb", "Candle"), ("mef/mefb", "Arno"), ("mef/mefb", "Chair")]
CROP_PAIRS = [("mef/mefb", "Candle"), ("mef/mefb", "Arno"), ("mef/mefb", "Chair"), ("mef/mefb", "House")]


class _Resize:  # torchvision.transforms.Resize(int) on a Pillow image
    def __init__(self, size, interpolation=Image.BILINEAR):
        self.size, self.interpolation = size, interpolation

    def __call__(self, img):
        w, h = img.size
        size = (self.size, int(self.size * h / w)) if w <= h else (int(self.size * w / h), self.size)
        return img.resize(size, self.interpolation)


def _to_tensor(img):  # torchvision.transforms.ToTensor() of an RGB Pillow image
    return torch.from_numpy(np.asarray(img, np.float32) / 255.0).permute(2, 0, 1).contiguous()


def _load_authors(folder: Path):
    shim = types.ModuleType("torchvision")
    shim.transforms = types.SimpleNamespace(Resize=_Resize, ToTensor=lambda: _to_tensor)
    sys.modules.setdefault("torchvision", shim)
    sys.path.insert(0, str(folder))
    import batch_transformers  # noqa: E402  (the authors' files)
    import e2emef  # noqa: E402

    return e2emef, batch_transformers


def _theirs(model, bt, pils: list[Image.Image]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    eps = 1e-8
    lr = torch.stack(bt.BatchRGBToYCbCr()(bt.BatchToTensor()(bt.BatchRandomResolution(128, interpolation=2)(pils))))
    hr = torch.stack(bt.BatchRGBToYCbCr()(bt.BatchToTensor()(bt.BatchTestResolution(2048, interpolation=2)(pils))))
    y_hr, cb_hr, cr_hr = hr[:, 0:1], hr[:, 1:2], hr[:, 2:3]
    wb = (torch.abs(cb_hr - 0.5) + eps) / torch.sum(torch.abs(cb_hr - 0.5) + eps, dim=0)
    wr = (torch.abs(cr_hr - 0.5) + eps) / torch.sum(torch.abs(cr_hr - 0.5) + eps, dim=0)
    cb_f = torch.sum(wb * cb_hr, dim=0, keepdim=True).clamp(0, 1)
    cr_f = torch.sum(wr * cr_hr, dim=0, keepdim=True).clamp(0, 1)
    with torch.no_grad():
        o_hr, _ = model(lr[:, 0:1], y_hr)
    rgb = bt.YCbCrToRGB()(torch.cat((o_hr, cb_f, cr_f), dim=1))[0].clamp(0, 1)
    out = rgb.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()  # save_image
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of makedede/MEFNet")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    e2emef, bt = _load_authors(args.authors)
    model = e2emef.E2EMEF(is_guided=True)
    weights = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "mef-net/checkpoint/MEFNet_release.pt"
    model.load_state_dict(torch_state_dict(weights))
    model.eval()
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for folder, name in CROP_PAIRS:
            pils = [Image.open(f).convert("RGB") for f in find_pairs(args.shared / "data" / folder).pairs[name]]
            out, _ = _theirs(model, bt, pils)
            target = args.crops / f"{name}.png"
            Image.fromarray(out[:128, :128]).save(target)
            print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| pair (640×480) | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---:|---:|---:|---:|---:|")
    for folder, name in PAIRS:
        pils = [Image.open(f).convert("RGB").resize((640, 480), Image.BICUBIC)
                for f in find_pairs(args.shared / "data" / folder).pairs[name]]
        sources = [np.asarray(p, np.float32) / 255.0 for p in pils]
        cells = side_by_side(lambda: imagefusion.fuse(sources, "mef-net"), lambda: _theirs(model, bt, pils), args.repeat)
        print(f"| {folder} {name} | {cells} |")


if __name__ == "__main__":
    main()
