"""What the metric speed scripts share: the process pinned to one core; TNO ``01`` and ``02`` (grey),
resized to 640×480 (``cv2.INTER_AREA``), and their ``gff`` fusion."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

NAMES = ("01", "02")


def one_core() -> None:
    """Pin this process to one core (where the OS allows it)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def tno_640(shared: Path) -> Iterator[tuple[str, list[np.ndarray], np.ndarray]]:
    """(label, [ir, vi], fused) per pair: float32 in [0, 1], 480×640."""
    import imagefusion
    from imagefusion.fusion import load_sources

    root = shared / "data" / "ivif" / "tno"
    for name in NAMES:
        images, _ = load_sources([next((root / s).glob(f"{name}.*")) for s in ("ir", "vi")])
        images = [cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA) for im in images]
        yield f"tno {name}", images, imagefusion.fuse(images, "gff")
