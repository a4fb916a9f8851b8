"""STDFusionNet: ours beside the authors' TensorFlow network on the same CPU, side by side — outputs and time; and
the reference crops the tests compare against.

Run:  python benchmarks/measure/stdfusionnet_reference.py --authors DIR [--shared ../shared] [--repeat 3] [--crops DIR]

Needs TensorFlow (``pip install 'imagefusion[convert]'``). ``--authors`` is a checkout of ``jiayi-ma/STDFusionNet``
at commit 8b4a513 (not part of this project); its ``test_network.py`` is imported as it is, with ``tensorflow``
standing for ``tensorflow.compat.v1`` and a stand-in for the one name it imports from their ``utils.py``
(``weights_spectral_norm``, which their test code leaves commented out). Their ``STDFusion_model`` is built
with their ``reader`` on the checkpoint in ``$IMAGEFUSION_WEIGHTS_DIR``; their per-image steps (``x / 127.5 −
1``, the session run, ``(result + 1) * 127.5`` and ``scipy.misc.imsave``'s stretch) are re-typed below. Both
sides get the same grey images.

The table: one TNO and one RoadScene pair resized to 640×480, ours at its default precision and in float32,
medians of ``--repeat`` runs after a warm-up, without file reading. ``--crops DIR`` also writes the authors'
outputs on four pairs at full size, cropped to their top-left 128×128 (``tests/reference/stdfusionnet/``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path

import numpy as np
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs
from side_by_side import grey_sources, imsave_u8, side_by_side

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [("ivif/tno", "01"), ("ivif/roadscene", "FLIR_00977")]
CROP_PAIRS = [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977"), ("ivif/roadscene", "FLIR_04269")]


class Authors:
    def __init__(self, folder: Path, checkpoint: Path) -> None:
        import tensorflow as real_tf

        tf1 = real_tf.compat.v1
        tf1.disable_v2_behavior()
        sys.modules["tensorflow"] = tf1
        sys.modules["utils"] = types.SimpleNamespace(weights_spectral_norm=None)  # imported, never called
        sys.path.insert(0, str(folder))
        import test_network  # noqa: E402  (the authors' file)

        sys.modules["tensorflow"] = real_tf
        self.graph = tf1.Graph()
        with self.graph.as_default():
            reader = tf1.train.NewCheckpointReader(str(checkpoint))
            self.ir = tf1.placeholder(tf1.float32, [1, None, None, 1], name="ir_images")
            self.vi = tf1.placeholder(tf1.float32, [1, None, None, 1], name="vi_images")
            self.out, _ = test_network.STDFusionNet().STDFusion_model(self.vi, self.ir, reader)
            self.sess = tf1.Session(graph=self.graph)
            self.sess.run(tf1.global_variables_initializer())

    def __call__(self, ir: np.ndarray, vi: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        a = (ir.astype(np.float64) / 127.5 - 1.0)[None, :, :, None]
        b = (vi.astype(np.float64) / 127.5 - 1.0)[None, :, :, None]
        result = (self.sess.run(self.out, feed_dict={self.ir: a, self.vi: b}).squeeze() + 1) * 127.5
        return imsave_u8(result), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, required=True, help="a checkout of jiayi-ma/STDFusionNet")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crops", type=Path, help="write the authors' output crops here")
    args = ap.parse_args(argv)
    os.environ.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(args.shared / "weights" / "official"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    theirs = Authors(args.authors, Path(os.environ["IMAGEFUSION_WEIGHTS_DIR"]) / "stdfusionnet/checkpoint/Fusion.model-29")
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
            cells = side_by_side(lambda: imagefusion.fuse(sources, "stdfusionnet", precision=precision),
                                 lambda: theirs(*grey), args.repeat)
            print(f"| {folder} {name} | {precision} | {cells} |")


if __name__ == "__main__":
    main()
