"""MFF-GAN with its authors' Lytro weights: ours (``mff-gan -p weights=authors``) beside the authors' TensorFlow
network on the same CPU — outputs and time; and the reference crops the tests compare against.

Run:  python benchmarks/measure/mff_gan_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). ``--authors`` is a checkout of ``HaoZhang1018/MFF-GAN``
at commit 2f674c8 (not part of this project). Their ``test.py`` runs its test loop when imported, so its ``lrelu``
and ``fusion_model`` functions are taken out of the file's text as they are (``ast``) and run under
``tensorflow.compat.v1`` with their ``reader`` on ``checkpoint/Lytro_model/CGAN.model-19`` in
``$IMAGEFUSION_WEIGHTS_DIR``. Their per-image steps (grey levels to [−1, 1], the session run, ``result * 127.5 +
127.5`` and ``scipy.misc.imsave``'s stretch) are re-typed below. Both sides get the same grey images.

The table: two pairs resized to 640×480, ours at its default precision and in float32, medians of ``--repeat``
runs after a warm-up, without file reading. ``--crops DIR`` also writes the authors' outputs on four pairs at
full size, cropped to their top-left 128×128 (``tests/reference/mff-gan/``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import authors_functions, grey_sources, imsave_u8, side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("mff/lytro", "lytro_01"), ("mff/mffw", "mffw_01")]
CROP_PAIRS = [("mff/lytro", "lytro_01"), ("mff/lytro", "lytro_02"), ("mff/lytro", "lytro_05"), ("mff/mffw", "mffw_01")]


class Authors:
    def __init__(self, folder: Path, checkpoint: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        self.graph = tf1.Graph()
        with self.graph.as_default():
            reader = tf1.train.NewCheckpointReader(str(checkpoint))
            namespace = authors_functions(folder / "test.py", ("lrelu", "fusion_model"), {"tf": tf1, "reader": reader})
            self.near = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_near")
            self.far = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_far")
            self.out = namespace["fusion_model"](self.near, self.far)
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())

    def __call__(self, near: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        a = ((near.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        b = ((far.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        result = (self.sess.run(self.out, feed_dict={self.near: a, self.far: b}) * 127.5 + 127.5).squeeze()
        return imsave_u8(result), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of HaoZhang1018/MFF-GAN")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    theirs = Authors(args.authors, Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "mff-gan/checkpoint/Lytro_model/CGAN.model-19")
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for folder, name in CROP_PAIRS:
            out, _ = theirs(*grey_sources(find_pairs(args.shared / "data" / folder).pairs[name]))
            target = args.crops / f"{folder.split('/')[1]}-{name}.png"
            Image.fromarray(out[:128, :128]).save(target)
            print(f"wrote {target} (full output {out.shape[1]}×{out.shape[0]})")
    print("| pair (640×480) | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder, name in PAIRS:
        grey = grey_sources(find_pairs(args.shared / "data" / folder).pairs[name], (640, 480))
        sources = [g.astype(np.float32) / 255.0 for g in grey]
        for precision in ("auto", "float32"):
            cells = side_by_side(lambda: imagefusion.fuse(sources, "mff-gan", weights="authors", precision=precision),
                                 lambda: theirs(*grey), args.repeat)
            print(f"| {folder} {name} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
