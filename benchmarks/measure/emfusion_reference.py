"""EMFusion: ours beside the authors' TensorFlow network on the same CPU, side by side — outputs and time.

Run:  python benchmarks/measure/emfusion_reference.py [--shared ../shared] [--repeat 3]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). The authors' ``CT-MRI.zip`` (``hanna-xu/EMFusion``;
from ``$IMAGEFUSION_WEIGHTS_DIR``, default ``<shared>/weights/official``) holds their code, checkpoint, test
images and results; its ``fnet.py`` is imported as it is, with ``tensorflow`` standing for
``tensorflow.compat.v1``, and restored from ``models/3200/3200.ckpt`` as their ``test.py`` does; their save step
(``scipy.misc.imsave``'s stretch to 0–255) is re-typed below. (``tests/test_emfusion.py`` compares ours with
their released ``results/``.)

The table: two shared CT–MRI pairs and one of their test pairs resized to 640×480, ours at its default
precision and in float32, medians of ``--repeat`` runs after a warm-up, without file reading.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import side_by_side

ROOT = Path(__file__).resolve().parents[2]


class Authors:
    def __init__(self, folder: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        sys.modules["tensorflow"] = tf1
        sys.path.insert(0, str(folder))
        import fnet  # noqa: E402  (the authors' file)

        sys.modules["tensorflow"] = real_tf
        self.graph = tf1.Graph()
        with self.graph.as_default():
            self.ct = tf1.placeholder(tf1.float32, shape=(1, None, None, 1), name="CT")
            self.mri = tf1.placeholder(tf1.float32, shape=(1, None, None, 1), name="MRI")
            self.out = fnet.FNet("fnet").transform(CT=self.ct, MRI=self.mri)
            saver = tf1.train.Saver(var_list=tf1.trainable_variables())
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())
            saver.restore(self.sess, str(folder / "models/3200/3200.ckpt"))

    def __call__(self, ct: np.ndarray, mri: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        h, w = ct.shape
        out = self.sess.run(self.out, feed_dict={self.ct: (ct / 255.0).reshape([1, h, w, 1]),
                                                 self.mri: (mri / 255.0).reshape([1, h, w, 1])})[0, :, :, 0]
        lo, hi = out.min(), out.max()  # scipy.misc.imsave: bytescale over the full range
        return (np.clip((out - lo) * (255.0 / (hi - lo)), 0, 255) + 0.5).astype(np.uint8), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    archive = Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "emfusion/CT-MRI.zip"
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)  # the authors' own archive, hash-checked by imagefusion before use
            theirs_pair = [np.asarray(Image.open(io.BytesIO(z.read(f"test_imgs/{s}/1.png")))) for s in ("ct", "mri")]
        theirs = Authors(Path(tmp))
        pairs = [("medical/ct-mri 11", [np.asarray(Image.open(f).convert("L")) for f in
                                        find_pairs(args.shared / "data/medical/ct-mri").pairs["11"]]),
                 ("medical/ct-mri 13", [np.asarray(Image.open(f).convert("L")) for f in
                                        find_pairs(args.shared / "data/medical/ct-mri").pairs["13"]]),
                 ("their test_imgs 1", theirs_pair)]
        print("| pair (640×480) | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for label, grey in pairs:
            grey = [np.asarray(Image.fromarray(g).resize((640, 480), Image.BICUBIC)) for g in grey]
            sources = [g.astype(np.float32) / 255.0 for g in grey]
            for precision in ("auto", "float32"):
                cells = side_by_side(lambda: imagefusion.fuse(sources, "emfusion", precision=precision),
                                     lambda: theirs(*grey), args.repeat)
                print(f"| {label} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
