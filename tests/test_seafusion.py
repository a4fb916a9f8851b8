"""SeAFusion with its authors' weights against the authors' code's outputs (``tests/reference/seafusion``:
top-left 128×128 crops of their full-size outputs, written by ``benchmarks/measure/seafusion_reference.py --crops``),
grey (TNO) and colour (RoadScene), in float32; bfloat16 within 40 dB of it; tiles; the options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import imagefusion
from imagefusion.pairs import find_pairs

REFERENCE = Path(__file__).parent / "reference" / "seafusion"
CASES = [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977"), ("ivif/roadscene", "FLIR_04269")]


@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_seafusion_equals_the_authors_code(data_dir, folder, name):
    files = find_pairs(data_dir / folder).pairs[name]
    ours = np.round(imagefusion.fuse(files, "seafusion", precision="float32") * 255).astype(np.uint8)
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    crop = ours[:128, :128]
    if crop.ndim == 2:  # a grey visible image: the authors write three (near-)equal channels
        assert np.abs(ref.astype(int) - ref[..., :1].astype(int)).max() <= 1
        ref = ref[..., 0]
    d = np.abs(crop.astype(int) - ref.astype(int))
    assert crop.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 89.9-90.3 dB at 640x480


def test_bfloat16_tiles_and_the_options(roadscene_crop):
    files = roadscene_crop
    whole = imagefusion.fuse(files, "seafusion", precision="float32")
    tiled = imagefusion.fuse(files, "seafusion", tile=96, precision="float32")
    assert np.abs(tiled - whole).max() <= 1 / 255 + 1e-6  # 16-pixel halos cover the 9-pixel reach
    small = [im[:96, :128] for im in files]  # bfloat16 (the default where the CPU has it) is emulated elsewhere
    fast = imagefusion.fuse(small, "seafusion", precision="bfloat16")
    ref = imagefusion.fuse(small, "seafusion", precision="float32")
    assert 10 * np.log10(1 / max(float(np.mean((fast - ref) ** 2)), 1e-12)) >= 40.0  # measured 46.1 dB (48.6 on another window)
    assert whole.min() == 0.0 and whole.max() == 1.0  # the authors' stretch
    raw = imagefusion.fuse(files, "seafusion", stretch=False, precision="float32")
    assert raw.max() < 1.0 or raw.min() > 0.0  # without it, the network's own range
    grey = imagefusion.fuse(files, "seafusion", colour=False, stretch=False, precision="float32")
    y = 0.299 * raw[..., 0] + 0.587 * raw[..., 1] + 0.114 * raw[..., 2]
    assert grey.ndim == 2 and np.abs(y - grey).mean() < 2 / 255  # the colour output carries the fused Y
