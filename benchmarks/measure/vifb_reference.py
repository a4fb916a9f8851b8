"""Our ports of VIFB's classical methods against VIFB's own fused images (the reference table of docs/vifb_reference.md).

For each ported method and each of the three pairs in ``../shared/golden/vifb`` (``kettle``, ``labMan``,
``snow``): our output (``imagefusion.fuse([ir, vi], method)``, written as 8-bit PNG) against VIFB's
published JPEG of the same method —

* PSNR of the luminance, in dB: Y = 0.299 R + 0.587 G + 0.114 B of both 8-bit images (VIFB's JPEG
  decoded as it is; its compression alone costs a few dB);
* the share of RGB values equal to VIFB's once ours is saved as VIFB saved its outputs (JPEG,
  quality 75): 100 % means our output was, before compression, what VIFB's code produced;
* the largest relative difference over VIFB's 13 metrics (convention ``vifb``; sources as ``imread``
  gives them), each computed by our reference-exact code on VIFB's image and on ours saved the way
  VIFB saved its outputs (MATLAB's ``imwrite``: JPEG, quality 75), since several metrics (CE, Q^AB/F,
  Q_CV) respond to JPEG artefacts.

Run: ``python benchmarks/measure/vifb_reference.py [--methods adf,msvd] [--golden ../shared/golden/vifb]``.
``dlf`` runs on VGG16 (``IMAGEFUSION_VGG16``, else the converted copy in ``../shared/weights``); VIFB's ran VGG19.
Prints a Markdown table and writes it to ``docs/vifb_reference.md`` (``--write``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import imagefusion
from imagefusion.bench.runner import parse_method_label
from imagefusion.io import read_image_raw
from imagefusion.metrics import evaluate

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ["kettle", "labMan", "snow"]
VIFB13 = ["ag", "ce", "ei", "en", "mi", "psnr", "qabf", "qcb", "qcv", "rmse", "sf", "ssim", "sd"]
#: our registry name → VIFB's folder name
VIFB_NAMES = {"adf": "ADF", "msvd": "MSVD", "tif": "TIF", "fpde": "FPDE", "cbf": "CBF", "gfce": "GFCE",
              "mgff": "MGFF", "hybrid-msd": "Hybrid_MSD", "hmsd-gf": "HMSD_GF", "vsmwls": "VSMWLS",
              "ifevip": "IFEVIP", "gtf": "GTF", "latlrr": "LatLRR", "lp-sr": "LP_SR", "rp-sr": "RP_SR",
              "nsct-sr": "NSCT_SR", "gff": "GFF", "dlf": "DLF"}


def luminance_psnr(a: np.ndarray, b: np.ndarray) -> float:
    def y(img: np.ndarray) -> np.ndarray:
        img = img.astype(np.float64)
        return img if img.ndim == 2 else img @ np.array([0.299, 0.587, 0.114])

    mse = float(np.mean((y(a) - y(b)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def check(method: str, golden: Path, out: Path) -> list[dict]:
    rows = []
    for name in PAIRS:
        ir, vi = golden / "ir" / f"{name}.jpg", golden / "vi" / f"{name}.jpg"
        t0 = time.perf_counter()
        base, params = parse_method_label(method)  # NAME:KEY=VALUE, as the bench reads it
        fused = imagefusion.fuse([ir, vi], base, **params)
        secs = time.perf_counter() - t0
        tag = method.replace(":", "_").replace("=", "-")
        ours = imagefusion.write_image(out / f"{name}_{tag}.png", fused)
        # VIFB saved its outputs with MATLAB's imwrite (JPEG, quality 75): ours goes through the same
        # compression before it is scored, so that both carry the same kind of artefacts
        import cv2

        raw = read_image_raw(ours)
        bgr = raw if raw.ndim == 2 else cv2.cvtColor(raw, cv2.COLOR_RGB2BGR)
        ours_jpg = out / f"{name}_{tag}.jpg"
        ours_jpg.write_bytes(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes())
        ref = golden / "fused" / f"{name}_{VIFB_NAMES[base]}.jpg"
        psnr = luminance_psnr(raw, read_image_raw(ref))
        same = float(np.mean(read_image_raw(ours_jpg) == read_image_raw(ref)))
        m_ours = evaluate(ours_jpg, [ir, vi], VIFB13, convention="vifb")
        m_ref = evaluate(ref, [ir, vi], VIFB13, convention="vifb")
        rel = {m: abs(m_ours[m] - m_ref[m]) / max(abs(m_ref[m]), 1e-12) for m in VIFB13}
        worst = max(rel, key=rel.get)
        rows.append({"method": method, "pair": name, "psnr": psnr, "same": same, "worst": worst,
                     "rel": rel[worst], "seconds": secs})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default=",".join(m for m in VIFB_NAMES if m in
                                                   {s.name for s in imagefusion.list_methods()}))
    ap.add_argument("--golden", type=Path, default=ROOT.parent / "shared" / "golden" / "vifb")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "vifb-reference")
    ap.add_argument("--write", action="store_true",
                    help="write docs/vifb_reference.md: the rows of the methods run replace theirs, the others stay")
    ap.add_argument("--vifb-dictionary", type=Path, default=None,
                    help="VIFB's K-SVD dictionary (methods/LP_SR/sparsefusion/Dictionary/D_100000_256_8.mat "
                         "in its repository) instead of ours, for lp-sr, rp-sr and nsct-sr: separates the port from the "
                         "dictionary (not written to the docs page)")
    ap.add_argument("--vifb-latlrr", type=Path, default=None,
                    help="VIFB's latent-LRR projection (methods/LatLRR/models/L_8.mat in its repository) instead "
                         "of ours, for latlrr (not written to the docs page)")
    args = ap.parse_args()
    vgg16 = args.golden.parents[1] / "weights" / "vgg16_features_imagenet_fp16.safetensors"
    if "IMAGEFUSION_VGG16" not in os.environ and vgg16.is_file():  # dlf's VGG16 offline (else torchvision's download)
        os.environ["IMAGEFUSION_VGG16"] = str(vgg16)
    if args.vifb_latlrr is not None:
        import scipy.io

        import imagefusion.methods.latlrr as latlrr_module

        projection = scipy.io.loadmat(args.vifb_latlrr)["L_8"].astype(np.float64)
        latlrr_module.latlrr_projection = lambda: projection
        args.write = False
    if args.vifb_dictionary is not None:
        import scipy.io

        import imagefusion.methods.lp_sr as lp_sr_module
        import imagefusion.methods.nsct_sr as nsct_sr_module
        import imagefusion.methods.rp_sr as rp_sr_module

        d = scipy.io.loadmat(args.vifb_dictionary)["D"].astype(np.float64)
        lp_sr_module.sr_dictionary = rp_sr_module.sr_dictionary = nsct_sr_module.sr_dictionary = lambda: d
        args.write = False
    lines = ["| method | pair | PSNR to VIFB's output (Y, dB) | equal values after the same JPEG | "
             "largest metric difference (of VIFB's 13) | s |",
             "|---|---|---:|---:|---|---:|"]
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        for r in check(method, args.golden, args.out):
            lines.append(f"| `{r['method']}` | {r['pair']} | {r['psnr']:.1f} | {100 * r['same']:.2f} % | "
                         f"{100 * r['rel']:.2f} % ({r['worst']}) | {r['seconds']:.2f} |")
            print(lines[-1], flush=True)
    if args.write:
        page = ROOT / "docs" / "vifb_reference.md"
        if page.is_file():  # keep the rows of the methods not run this time, in their order; ours replace theirs
            run = {line.split("|")[1].strip() for line in lines[2:]}
            old_rows = [ln for ln in page.read_text(encoding="utf-8").splitlines() if ln.startswith("| `")]
            kept = [ln for ln in old_rows if ln.split("|")[1].strip() not in run]
            lines = lines[:2] + kept + lines[2:]
        text = ("<!-- made by python benchmarks/measure/vifb_reference.py --write; do not edit -->\n\n"
                "# VIFB reference check\n\nOur ports against VIFB's published outputs of the same methods on "
                "its pairs (see [VIFB's classical methods](vifb.md)): PSNR of the luminance to VIFB's JPEG; the "
                "share of RGB values equal to VIFB's once ours is saved as VIFB saved its outputs (JPEG, "
                "quality 75); the largest relative difference over VIFB's 13 metrics (convention `vifb`); "
                "the seconds our port took (colour: three channels).\n\n" + "\n".join(lines) + "\n")
        page.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
