"""PMGI with its authors' weights: ours (``pmgi -p weights=authors``) beside the authors' TensorFlow network on
the same CPU — outputs and time; and the reference crops the tests compare against.

Run:  python benchmarks/measure/pmgi_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). ``--authors`` is the ``Code_PMGI`` folder of
``HaoZhang1018/PMGI_AAAI2020`` at commit 61a85e4 (not part of this project). Their
``<task>/test_one_image.py`` runs its test loop when imported, so its ``lrelu`` and ``fusion_model`` functions
are taken out of the file's text as they are (``ast``) and run under ``tensorflow.compat.v1`` with their
``reader`` on the checkpoint in ``$IMAGEFUSION_WEIGHTS_DIR``. ``tf.contrib`` is gone from TensorFlow 2, so its
``layers.batch_norm`` is stood in for by what it computes in their call (training mode, its scale and offset
variables at their initial 1 and 0): each channel normalised by the batch's mean and variance
(``tf.nn.moments``), ε as given. Their inputs (``[ir, ir, vi]`` and ``[vi, vi, ir]`` in [−1, 1]) and save step
(``result * 127.5 + 127.5``, ``scipy.misc.imsave``'s stretch) are re-typed below. Both sides get the same grey
images.

The table: one pair per task resized to 640×480, medians of ``--repeat`` runs after a warm-up, without file
reading. ``--crops DIR`` also writes the authors' outputs on three pairs per task at full size, cropped to
their top-left 128×128 (``tests/reference/pmgi/`` holds them).
"""

from __future__ import annotations

import argparse
import os
import time
import types
from pathlib import Path

import numpy as np
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import authors_functions, grey_sources, imsave_u8, side_by_side

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"ivif": ("IR_VI", "CGAN_120/CGAN.model-1"), "mif": ("Medical", "CGAN_120/CGAN.model-29"),
           "mef": ("Multi-exp", "CGAN_120/CGAN.model-9"), "mff": ("Multi-focus", "CGAN_60/CGAN.model-1")}
PAIRS = [("ivif", "ivif/tno", "01"), ("mif", "medical/ct-mri", "11"), ("mff", "mff/lytro", "lytro_01"),
         ("mef", "mef/mefb", "Candle")]
CROP_PAIRS = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
              ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
              ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
              ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


def _tf_with_contrib(tf1):
    """``tensorflow.compat.v1`` plus the one ``tf.contrib`` call their code makes."""

    def batch_norm(x, decay=0.999, updates_collections=None, epsilon=0.001, scale=False, **_):
        mean, var = tf1.nn.moments(x, [0, 1, 2], keep_dims=True)
        return (x - mean) * tf1.math.rsqrt(var + epsilon)  # training mode; scale 1 and offset 0, as initialised

    shim = types.SimpleNamespace(**{k: getattr(tf1, k) for k in dir(tf1) if not k.startswith("__")})
    shim.contrib = types.SimpleNamespace(layers=types.SimpleNamespace(batch_norm=batch_norm))
    return shim


class Authors:
    """Their ``fusion_model`` of one task in a TF1 graph."""

    def __init__(self, folder: Path, task: str, weights: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        sub, model = FOLDERS[task]
        self.graph = tf1.Graph()
        with self.graph.as_default():
            reader = tf1.train.NewCheckpointReader(str(weights / "pmgi" / "Code_PMGI" / sub / "checkpoint" / model))
            namespace = authors_functions(folder / sub / "test_one_image.py", ("lrelu", "fusion_model"),
                                          {"tf": _tf_with_contrib(tf1), "reader": reader})
            self.ir = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_ir")
            self.vi = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_vi")
            self.out = namespace["fusion_model"](tf1.concat([self.ir, self.ir, self.vi], axis=-1),
                                                 tf1.concat([self.vi, self.vi, self.ir], axis=-1))
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())

    def __call__(self, ir: np.ndarray, vi: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        a = ((ir.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        b = ((vi.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        result = (self.sess.run(self.out, feed_dict={self.ir: a, self.vi: b}) * 127.5 + 127.5).squeeze()
        return imsave_u8(result), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="the Code_PMGI folder of PMGI_AAAI2020")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    weights = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"])
    theirs = {task: Authors(args.authors, task, weights) for task in FOLDERS}
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for task, folder, name in CROP_PAIRS:
            out, _ = theirs[task](*grey_sources(find_pairs(args.shared / "data" / folder).pairs[name]))
            target = args.crops / f"{folder.split('/')[1]}-{name}.png"
            Image.fromarray(out[:128, :128]).save(target)
            print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| task | pair (640×480) | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for task, folder, name in PAIRS:
        grey = grey_sources(find_pairs(args.shared / "data" / folder).pairs[name], (640, 480))
        sources = [g.astype(np.float32) / 255.0 for g in grey]
        cells = side_by_side(lambda: imagefusion.fuse(sources, "pmgi", task=task, weights="authors"),
                             lambda: theirs[task](*grey), args.repeat)
        print(f"| {task} | {folder} {name} | {cells} |")


if __name__ == "__main__":
    main()
