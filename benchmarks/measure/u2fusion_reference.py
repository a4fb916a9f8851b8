"""U2Fusion: ours beside the authors' TensorFlow network on the same CPU, side by side — outputs and time; and
the reference crops the tests compare against.

Run:  python benchmarks/measure/u2fusion_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). ``--authors`` is a checkout of
``hanna-xu/U2Fusion`` at commit 0a58821 (not part of this project); its ``Net.py`` is imported as it is,
with ``tensorflow`` standing for ``tensorflow.compat.v1`` (graph mode), and restored from the authors'
checkpoint in ``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``) as their
``test_main.py`` does. Their per-image steps (``imread(...) / 255``, ``rgb2ycbcr``, the session run,
``ycbcr2rgb`` for one colour source, ``scipy.misc.toimage(output, cmin=0, cmax=max)``) are re-typed below,
in float64 as theirs are.

The table: one pair per task resized to 640×480, ours at its default precision and in float32, medians of
``--repeat`` runs after a warm-up, without file reading. ``--crops DIR`` also writes the authors' outputs on
the test pairs (three per task) at full size, cropped to their top-left 128×128
(``tests/reference/u2fusion/`` holds them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import imagefusion
from imagefusion.models.u2fusion.network import FIRST_SOURCE
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("ivif", "ivif/tno", "01"), ("mif", "medical/pet-mri", "11"), ("mff", "mff/lytro", "lytro_01"),
         ("mef", "mef/mefb", "Candle")]
CROP_PAIRS = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
              ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
              ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
              ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


def rgb2ycbcr(img):  # the authors' test_main.py
    r, g, b = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return y, -0.1687 * r - 0.3313 * g + 0.5 * b + 128 / 255.0, 0.5 * r - 0.4187 * g - 0.0813 * b + 128 / 255.0


def ycbcr2rgb(y, cb, cr):
    return np.stack([y + 1.402 * (cr - 128 / 255.0), y - 0.34414 * (cb - 128 / 255.0) - 0.71414 * (cr - 128 / 255.0),
                     y + 1.772 * (cb - 128 / 255.0)], axis=-1)


def toimage(output):  # scipy.misc.toimage(output, cmin=0.0, cmax=np.max(output)): bytescale
    scale = 255.0 / np.max(output)
    return (np.clip(output * scale, 0, 255) + 0.5).astype(np.uint8)


class Authors:
    """Their generator in a TF1 graph, restored from the checkpoint."""

    def __init__(self, folder: Path, checkpoint: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        sys.modules["tensorflow"] = tf1  # their Net.py: `import tensorflow as tf`, TF1 names
        sys.path.insert(0, str(folder))
        import Net  # noqa: E402  (the authors' file)

        sys.modules["tensorflow"] = real_tf
        self.graph = tf1.Graph()
        with self.graph.as_default():
            self.s1 = tf1.placeholder(tf1.float32, shape=(1, None, None, 1), name="SOURCE1")
            self.s2 = tf1.placeholder(tf1.float32, shape=(1, None, None, 1), name="SOURCE2")
            self.out = Net.Generator("Generator").transform(I1=self.s1, I2=self.s2, is_training=False, reuse=False)
            saver = tf1.train.Saver(var_list=tf1.trainable_variables())
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())
            saver.restore(self.sess, str(checkpoint))

    def __call__(self, img1: np.ndarray, img2: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        img1, img2 = img1 / 255.0, img2 / 255.0
        s1, s2 = img1.shape, img2.shape
        if len(s1) > 2:
            img1, cb1, cr1 = rgb2ycbcr(img1)
        if len(s2) > 2:
            img2, cb2, cr2 = rgb2ycbcr(img2)
        h, w = s1[:2]
        out = self.sess.run(self.out, feed_dict={self.s1: img1.reshape([1, h, w, 1]), self.s2: img2.reshape([1, h, w, 1])})
        out = out[0, :, :, 0]
        if len(s1) > 2 and len(s2) == 2:
            out = ycbcr2rgb(out, cb1, cr1)
        if len(s2) > 2 and len(s1) == 2:
            out = ycbcr2rgb(out, cb2, cr2)
        return toimage(out), time.perf_counter() - t0


def _raw(files, task: str, size=None) -> list[np.ndarray]:
    """The files as their imread gives them (no grey collapse), in the authors' order for the task."""
    ims = [Image.open(f) for f in files]
    if size:
        ims = [im.resize(size, Image.BICUBIC) for im in ims]
    arrays = [np.asarray(im) for im in ims]
    first = FIRST_SOURCE[task]
    return [arrays[first], arrays[1 - first]]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of hanna-xu/U2Fusion")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    theirs = Authors(args.authors, Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "u2fusion/model/model.ckpt")
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for task, folder, name in CROP_PAIRS:
            out, _ = theirs(*_raw(find_pairs(args.shared / "data" / folder).pairs[name], task))
            target = args.crops / f"{folder.split('/')[1]}-{name}.png"
            Image.fromarray(out[:128, :128]).save(target)
            print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| task | pair (640×480) | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for task, folder, name in PAIRS:
        files = find_pairs(args.shared / "data" / folder).pairs[name]
        raw = [np.asarray(Image.open(f).resize((640, 480), Image.BICUBIC)) for f in files]
        sources = [a.astype(np.float32) / 255.0 for a in raw]
        ordered = _raw(files, task, (640, 480))
        for precision in ("auto", "float32"):
            cells = side_by_side(lambda: imagefusion.fuse(sources, "u2fusion", task=task, colour=False, precision=precision),
                                 lambda: theirs(*ordered), args.repeat)
            print(f"| {task} | {folder} {name} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
