"""DeepFuse: ours beside the authors' Theano/Lasagne network — outputs and time; and the reference crops the
tests compare against.

Run:  python benchmarks/measure/deepfuse_reference.py --authors DIR --theano-python PYTHON [--shared ../shared] [--crops DIR]

``--authors`` is a checkout of ``KRamPrabhakar/DeepFuse`` at commit 31c226f (not part of this project);
``--theano-python`` an interpreter with Theano 1.0.5 and Lasagne 0.2.dev1 (their code needs them; this project
does not). A child process under that interpreter runs their ``main.py`` as their ``getres.py`` does
(``execfile``), with a stand-in for their ``load_data.py`` (Python 2, it lists their training folders when
imported) and numpy's BLAS configuration stubbed for Theano; it sets the parameters from the authors'
``DF_model_Epoch99.npz`` (``$IMAGEFUSION_WEIGHTS_DIR``, default ``<shared>/weights/official``) and calls their
``valid_fn_gen`` on the inputs, which this script prepares as their ``Gen_Input.m`` does (MATLAB's
``rgb2ycbcr``, Y only, grey levels 0–255) and saves their output as ``scipy.misc.imsave`` does.

The test pairs are MEFB pairs' top-left 192×192 crops (the network's stretch is over what it is given, so ours
gets the same crops); ``--crops DIR`` writes the authors' outputs (``tests/reference/deepfuse/``). The table times
both on one MEFB pair resized to 640×480 (one run each: their code runs in Theano's Python and C fallbacks
here, so its time is not what the authors' GPU set-up gives).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from imagefusion.models.deepfuse.network import deepfuse_luminance, rgb2ycbcr
from imagefusion.pairs import find_pairs

ROOT = Path(__file__).resolve().parents[2]
CROP_PAIRS = ["Candle", "Arno", "Chair", "House"]
CROP = 192

CHILD = r'''
import json, sys, time, types
import numpy as np
import numpy.distutils.__config__ as npconfig
npconfig.blas_opt_info = {}  # Theano 1.0.5 reads numpy's old BLAS config
args = json.loads(sys.argv[1])
sys.modules["load_data"] = types.ModuleType("load_data")  # their Python 2 loader; main.py star-imports it
sys.path.insert(0, args["authors"])
namespace = {"__name__": "authors_main"}
exec(compile(open(args["authors"] + "/main.py").read(), "main.py", "exec"), namespace)
import lasagne
with np.load(args["weights"]) as f:
    params = [f["arr_%d" % i] for i in range(len(f.files))]
lasagne.layers.set_all_param_values(namespace["l_conv5"], params)
times = {}
for name in args["names"]:
    y = np.load(args["dir"] + "/" + name + ".npy").astype(np.float32)
    t0 = time.perf_counter()
    out = np.squeeze(namespace["valid_fn_gen"](y[:1][None], y[1:][None]))
    times[name] = time.perf_counter() - t0
    np.save(args["dir"] + "/" + name + ".out.npy", out)
json.dump(times, open(args["dir"] + "/times.json", "w"))
'''


def _imsave(out: np.ndarray) -> np.ndarray:
    """scipy.misc.imsave of their 0–255 output: bytescale(min, max), +0.5, truncate."""
    lo, hi = float(out.min()), float(out.max())
    return (np.clip((out - lo) * (255.0 / (hi - lo)), 0, 255) + 0.5).astype(np.uint8)


def _theirs(theano_python: str, authors: Path, weights: Path, pairs: dict[str, np.ndarray]) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, y in pairs.items():
            np.save(f"{tmp}/{name}.npy", y)
        env = {**os.environ, "THEANO_FLAGS": f"device=cpu,floatX=float32,base_compiledir={tmp}/theano"}
        args = {"authors": str(authors), "weights": str(weights), "dir": tmp, "names": list(pairs)}
        subprocess.run([theano_python, "-c", CHILD, json.dumps(args)], check=True, env=env)
        outs = {name: _imsave(np.load(f"{tmp}/{name}.out.npy")) for name in pairs}
        return outs, json.load(open(f"{tmp}/times.json"))


def _y_pair(files, size=None) -> np.ndarray:
    rgb = [Image.open(f).convert("RGB") for f in files]
    if size:
        rgb = [im.resize(size, Image.BICUBIC) for im in rgb]
    return np.stack([rgb2ycbcr(np.asarray(im))[..., 0] for im in rgb]).astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of KRamPrabhakar/DeepFuse")
    ap.add_argument("--theano-python", required=True, help="an interpreter with Theano and Lasagne")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    weights = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "deepfuse/DF_model_Epoch99.npz"
    mefb = find_pairs(args.shared / "data/mef/mefb").pairs
    pairs = {name: _y_pair(mefb[name])[:, :CROP, :CROP] for name in CROP_PAIRS}
    pairs["timing"] = _y_pair(mefb["Candle"], (640, 480))
    outs, times = _theirs(args.theano_python, args.authors.resolve(), weights, pairs)
    print("| input | ours s | authors' s | PSNR dB | max diff |")
    print("|---|---:|---:|---:|---:|")
    for name, y in pairs.items():
        t0 = time.perf_counter()
        ours = deepfuse_luminance(y[0], y[1])
        ours_s = time.perf_counter() - t0
        d = np.abs(ours.astype(int) - outs[name].astype(int))
        mse = float(np.mean(d ** 2))
        psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
        label = "MEFB Candle at 640×480" if name == "timing" else f"MEFB {name}, top-left {CROP}×{CROP}"
        print(f"| {label} | {ours_s:.3f} | {times[name]:.3f} | {psnr:.1f} | {d.max()} |")
        if args.crops and name != "timing":
            args.crops.mkdir(parents=True, exist_ok=True)
            Image.fromarray(outs[name]).save(args.crops / f"{name}.png")


if __name__ == "__main__":
    main()
