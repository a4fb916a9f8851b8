"""Copy trained networks from their run folders into the package and the docs.

Run:  python benchmarks/build/ship_weights.py [--float16] RUN_DIR [RUN_DIR ...]

For each ``RUN_DIR`` (an ``imagefusion train NAME --out RUN_DIR`` folder): ``NAME.safetensors`` and its model
card ``NAME.json`` go to ``src/imagefusion/weights/``, ``log.csv`` and ``loss.png`` to
``docs/training/NAME-log.csv`` and ``docs/training/NAME-loss.png``. The weights are read back first
(:func:`imagefusion.nn.weights.create_network`), so a file that does not load is never shipped. ``--float16``
stores the floating tensors in float16 (half the file; loading casts back; the card says
``"stored_as": "float16"``) — for the large networks (the U-Net GAN's 8 M parameters are 32 MB in float32).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch

from imagefusion.nn.weights import create_network, save_weights

ROOT = Path(__file__).resolve().parents[2]


def ship(run: Path, float16: bool = False) -> str:
    weights = sorted(run.glob("*.safetensors"))
    if len(weights) != 1:
        raise SystemExit(f"{run}: expected one .safetensors file, found {len(weights)}")
    name = weights[0].name[: -len(".safetensors")]
    model = create_network(name, weights=weights[0])  # refuses a file that does not fit the network
    if float16:
        card = json.loads((run / f"{name}.json").read_text(encoding="utf-8"))
        save_weights(model, ROOT / "src/imagefusion/weights" / weights[0].name, {**card, "stored_as": "float16"},
                     dtype=torch.float16)
        copies = []
    else:
        copies = [(weights[0], ROOT / "src/imagefusion/weights" / weights[0].name),
                  (run / f"{name}.json", ROOT / "src/imagefusion/weights" / f"{name}.json")]
    for src, dst in (*copies, (run / "log.csv", ROOT / "docs/training" / f"{name}-log.csv"),
                     (run / "loss.png", ROOT / "docs/training" / f"{name}-loss.png")):
        shutil.copyfile(src, dst)
    return name


if __name__ == "__main__":
    half = "--float16" in sys.argv[1:]
    for arg in sys.argv[1:]:
        if arg != "--float16":
            print("shipped", ship(Path(arg), half))
