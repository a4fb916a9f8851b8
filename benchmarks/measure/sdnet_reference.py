"""SDNet: ours beside the authors' TensorFlow network on the same CPU, side by side — outputs and time; and the
reference crops the tests compare against.

Run:  python benchmarks/measure/sdnet_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). ``--authors`` is a checkout of ``HaoZhang1018/SDNet``
at commit bf6a2ee (not part of this project). Their ``<task>/test.py`` runs its test loop when imported, so its
``fusion_model`` function is taken out of the file's text as it is (``ast``) and run under
``tensorflow.compat.v1``, with their ``reader`` (``tf.train.NewCheckpointReader``) on the checkpoint in
``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``). Their per-image steps (grey levels
to [−1, 1], the session run, ``result * 127.5 + 127.5`` and ``scipy.misc.imsave``'s stretch to 0–255) are
re-typed below. Both sides get the same grey images (Pillow's ``convert("L")`` of colour files; the
authors' ``imread(flatten=True, mode='YCbCr')`` reads grey files as they are).

The table: one pair per task resized to 640×480, ours at its default precision and in float32, medians of ``--repeat`` runs after a warm-up, without file
reading. ``--crops DIR`` also writes the authors' outputs on three pairs per task at full size, cropped to
their top-left 128×128 (``tests/reference/sdnet/`` holds them).
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
FOLDERS = {"ivif": ("IR_VIS", "IRVIS.model-10"), "mif": ("Medical", "Medical.model-29"),
           "mef": ("Multi_exposure", "MEF.model-11"), "mff": ("Multi_focus", "MFF.model-19")}
PAIRS = [("ivif", "ivif/tno", "01"), ("mif", "medical/ct-mri", "11"), ("mff", "mff/lytro", "lytro_01"),
         ("mef", "mef/mefb", "Candle")]
CROP_PAIRS = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
              ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
              ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
              ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


class Authors:
    """Their ``fusion_model`` of one task in a TF1 graph."""

    def __init__(self, folder: Path, task: str, weights: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        sub, model = FOLDERS[task]
        self.graph = tf1.Graph()
        with self.graph.as_default():
            reader = tf1.train.NewCheckpointReader(str(weights / "sdnet" / sub / "checkpoint" / model))
            namespace = authors_functions(folder / sub / "test.py", ("lrelu", "fusion_model"), {"tf": tf1, "reader": reader})
            self.ir = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_ir")
            self.vi = tf1.placeholder(tf1.float32, [1, None, None, None], name="images_vi")
            self.out, _, _ = namespace["fusion_model"](self.ir, self.vi)
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())

    def __call__(self, ir: np.ndarray, vi: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        a = ((ir.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        b = ((vi.astype(np.float64) - 127.5) / 127.5)[None, :, :, None]
        result = self.sess.run(self.out, feed_dict={self.ir: a, self.vi: b})
        result = (result * 127.5 + 127.5).squeeze()
        return imsave_u8(result), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of HaoZhang1018/SDNet")
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
    print("| task | pair (640×480) | precision | ours s | authors' s | speed-up | PSNR dB | max diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for task, folder, name in PAIRS:
        grey = grey_sources(find_pairs(args.shared / "data" / folder).pairs[name], (640, 480))
        sources = [g.astype(np.float32) / 255.0 for g in grey]
        for precision in ("auto", "float32"):
            cells = side_by_side(lambda: imagefusion.fuse(sources, "sdnet", task=task, precision=precision),
                                 lambda: theirs[task](*grey), args.repeat)
            print(f"| {task} | {folder} {name} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
