"""Copy trained networks from their run folders into the package and the docs.

Run:  python benchmarks/ship_weights.py RUN_DIR [RUN_DIR ...]

For each ``RUN_DIR`` (an ``imagefusion train NAME --out RUN_DIR`` folder): ``NAME.safetensors`` and its model
card ``NAME.json`` go to ``src/imagefusion/weights/``, ``log.csv`` and ``loss.png`` to
``docs/training/NAME-log.csv`` and ``docs/training/NAME-loss.png``. The weights are read back first
(:func:`imagefusion.nn.weights.create_network`), so a file that does not load is never shipped.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from imagefusion.nn.weights import create_network

ROOT = Path(__file__).resolve().parent.parent


def ship(run: Path) -> str:
    weights = sorted(run.glob("*.safetensors"))
    if len(weights) != 1:
        raise SystemExit(f"{run}: expected one .safetensors file, found {len(weights)}")
    name = weights[0].name[: -len(".safetensors")]
    create_network(name, weights=weights[0])  # refuses a file that does not fit the network
    for src, dst in ((weights[0], ROOT / "src/imagefusion/weights" / weights[0].name),
                     (run / f"{name}.json", ROOT / "src/imagefusion/weights" / f"{name}.json"),
                     (run / "log.csv", ROOT / "docs/training" / f"{name}-log.csv"),
                     (run / "loss.png", ROOT / "docs/training" / f"{name}-loss.png")):
        shutil.copyfile(src, dst)
    return name


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print("shipped", ship(Path(arg)))
