"""The deep methods with and without PyTorch's transparent huge pages (``THP_MEM_ALLOC_ENABLE``, which
``import imagefusion`` sets to 1 unless PyTorch is already imported): seconds per 640×480 pair, and
whether the fused image is the same.

Run:  python benchmarks/measure/huge_pages.py [--shared ../shared] [--repeat 5] [--methods sdnet,pmgi:weights=authors,...]

Each setting runs in a fresh process (PyTorch reads the switch once); the pair is TNO ``01`` resized to
640×480 (grey); each method is fused once untimed (weights loaded, kernels warmed), then ``--repeat``
times, and the fastest time is printed. The published networks read their authors' weights from
``$IMAGEFUSION_WEIGHTS_DIR`` (default ``<shared>/weights/official``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("sdnet,pmgi:weights=authors,mff-gan:weights=authors,stdfusionnet,emfusion,u2fusion,seafusion,didfuse,"
           "ifcnn,tardal,densefuse:weights=authors,siamese-cnn")

CHILD = r"""
import hashlib, json, sys, time
import cv2, numpy as np, imagefusion
from imagefusion.io import read_image
shared, repeat, methods = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
a, b = (cv2.resize(read_image(f"{shared}/data/ivif/tno/{d}/01.png"), (640, 480), interpolation=cv2.INTER_AREA)
        for d in ("ir", "vi"))
for m in methods:
    name, *kv = m.split(":")
    kw = dict(x.split("=", 1) for x in kv)
    fused = imagefusion.fuse([a, b], method=name, **kw)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fused = imagefusion.fuse([a, b], method=name, **kw)
        times.append(time.perf_counter() - t)
    print(json.dumps({"method": m, "s": min(times), "sha": hashlib.sha256(np.ascontiguousarray(fused).tobytes()).hexdigest()}),
          flush=True)
"""


def run(shared: Path, repeat: int, methods: str, thp: str) -> dict:
    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": thp}
    env.setdefault("IMAGEFUSION_WEIGHTS_DIR", str(shared / "weights" / "official"))
    out = subprocess.run([sys.executable, "-c", CHILD, str(shared), str(repeat), methods], env=env, check=True,
                         capture_output=True, text=True).stdout
    return {r["method"]: r for r in map(json.loads, out.splitlines())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--methods", default=METHODS)
    args = ap.parse_args()
    off = run(args.shared, args.repeat, args.methods, "0")
    on = run(args.shared, args.repeat, args.methods, "1")
    print("| method | without s | with s | speed-up | same output |")
    print("|---|---|---|---|---|")
    for m in args.methods.split(","):
        print(f"| {m} | {off[m]['s']:.3f} | {on[m]['s']:.3f} | {off[m]['s'] / on[m]['s']:.2f}× | "
              f"{'yes' if off[m]['sha'] == on[m]['sha'] else 'no'} |")


if __name__ == "__main__":
    main()
