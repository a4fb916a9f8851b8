"""IFCNN: ours beside the authors' code on the same CPU, side by side — outputs and time.

Run:  python benchmarks/measure/ifcnn_reference.py --authors PATH/TO/IFCNN/Code [--shared ../shared] [--repeat 3]

``--authors`` is the ``Code`` folder of a checkout of ``uzeful/IFCNN`` (commit 8fe59c2; not part of this
project). Their ``model.py`` is imported as it is, with a stand-in for ``torchvision.models.resnet101``
that holds only ``conv1`` (IFCNN keeps nothing else of it, and torchvision has no CPU build here); their
per-image steps of ``IFCNN_Main.py`` (PIL loading, ``ToTensor`` + ``Normalize``, ``denorm``, 8-bit
truncation, the grey and the multi-exposure branches) are re-typed below with their own ``utils``.
Both sides read the weights from ``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``).

For one pair of each task, resized to 640×480 (area interpolation, saved losslessly so both sides read
the same pixels), it prints our time and theirs (median of ``--repeat`` after a warm-up; colour
handling, normalisation, the forward pass, clipping and colour conversion, not file reading), the
ratio, and the PSNR and largest difference of our output against theirs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import types
from pathlib import Path

import cv2
import numpy as np
import torch

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = {"ivif": ("ivif/tno", "01"), "mif": ("medical/ct-mri", "11"), "mff": ("mff/lytro", "lytro_01"),
         "mef": ("mef/mefb", "Candle")}


def _authors_model(code: Path):
    """The authors' ``myIFCNN`` with a torchvision stand-in (only ``resnet101().conv1`` is used)."""
    tv = types.ModuleType("torchvision")
    tv.models = types.SimpleNamespace(resnet101=lambda pretrained=False: types.SimpleNamespace(
        conv1=torch.nn.Conv2d(3, 64, 7, 2, 3, bias=False), parameters=lambda: iter(())))
    tv.transforms = types.SimpleNamespace()
    sys.modules.setdefault("torchvision", tv)
    sys.modules.setdefault("torchvision.models", tv.models)
    sys.path.insert(0, str(code))
    import model  # noqa: E402  (the authors' file)
    from utils.myTransforms import denorm, detransformcv2, norms  # noqa: E402

    return model.myIFCNN, denorm, detransformcv2, norms


def _theirs(task: str, paths: list[Path], nets: dict, tools) -> tuple[np.ndarray, float]:
    """The authors' steps for one pair (IFCNN_Main.py), timed without file reading."""
    from PIL import Image

    _, denorm, detransformcv2, norms = tools
    if task == "mef":
        imgs = [np.asarray(Image.open(p).convert("YCbCr")) for p in paths]
        t0 = time.perf_counter()
        ts = [torch.from_numpy(im.astype(np.float32) / 255.0).permute(2, 0, 1) for im in imgs]
        n, (c, h, w) = len(ts), ts[0].shape
        cbs, crs = torch.stack([t[1] for t in ts]) * 255, torch.stack([t[2] for t in ts]) * 255
        cb128, cr128 = abs(cbs - 128), abs(crs - 128)
        cb = sum((cbs * cb128) / (sum(cb128).repeat(n, 1, 1)))
        cr = sum((crs * cr128) / (sum(cr128).repeat(n, 1, 1)))
        cb[torch.isnan(cb)] = 128
        cr[torch.isnan(cr)] = 128
        ys = norms([0, 0, 0], [1, 1, 1], *[t[0].unsqueeze(0).unsqueeze(0).repeat(1, 3, 1, 1) for t in ts])
        with torch.no_grad():
            res = nets["mean"](*ys)
        y = cv2.cvtColor(detransformcv2(res[0], [0, 0, 0], [1, 1, 1]), cv2.COLOR_RGB2GRAY) / 255
        y = (y * 235 + (1 - y) * 16).astype("uint8")
        cy = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(y)
        out = np.zeros([h, w, c]).astype("uint8")
        out[:, :, 0], out[:, :, 1], out[:, :, 2] = cy, cr, cb
        out = cv2.cvtColor(out, cv2.COLOR_YCrCb2RGB)
        return out, time.perf_counter() - t0
    imgs = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    mean, std = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]) if task == "mff" else ([0, 0, 0], [1, 1, 1])
    t0 = time.perf_counter()
    ts = []
    for im in imgs:
        t = torch.from_numpy(im.astype(np.float32) / 255.0).permute(2, 0, 1)
        for ch, m, s in zip(t, mean, std):
            ch.sub_(m).div_(s)
        ts.append(t.unsqueeze(0))
    with torch.no_grad():
        res = nets["max"](*ts)
        res = denorm(mean, std, res[0]).clamp(0, 1) * 255
    out = res.numpy().astype("uint8").transpose([1, 2, 0])
    if task != "mff":
        out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="the Code folder of uzeful/IFCNN")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    tools = _authors_model(args.authors)
    nets = {}
    for rule, scheme in (("max", 0), ("mean", 2)):
        net = tools[0](fuse_scheme=scheme)
        path = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "ifcnn/Code/snapshots" / f"IFCNN-{rule.upper()}.pth"
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        nets[rule] = net.eval()
    tmp = Path(tempfile.mkdtemp())
    print("| task | pair (640×480) | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for task, (folder, name) in PAIRS.items():
        files = find_pairs(args.shared / "data" / folder).pairs[name]
        paths = []
        for i, f in enumerate(files):  # the same 640×480 pixels for both sides, stored losslessly
            raw = imagefusion.io.read_image_raw(f)
            small = cv2.resize(raw, (640, 480), interpolation=cv2.INTER_AREA)
            paths.append(tmp / f"{task}-{i}.png")
            cv2.imwrite(str(paths[-1]), small if small.ndim == 2 else small[..., ::-1])
        sources = [imagefusion.read_image(p) for p in paths]
        cells = side_by_side(lambda: imagefusion.fuse(sources, "ifcnn", task=task),
                             lambda: _theirs(task, paths, nets, tools), args.repeat)
        print(f"| {task} | {folder} {name} | {cells} |")


if __name__ == "__main__":
    main()
