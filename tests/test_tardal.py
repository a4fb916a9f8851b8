"""TarDAL with its authors' TarDAL++ weights against the official code's outputs (``shared/peers/tardal``:
the unmodified ``fuse.py --eval --color``), grey (TNO) and colour (RoadScene), in float32; bfloat16 within
40 dB of it; tiles."""

from __future__ import annotations

import numpy as np
import pytest

import imagefusion
from imagefusion.pairs import find_pairs

CASES = [("ivif/tno", "07"), ("ivif/tno", "05"), ("ivif/roadscene", "FLIR_00977")]


@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_tardal_equals_the_authors_code(data_dir, folder, name):
    files = find_pairs(data_dir / folder).pairs[name]
    ours = np.round(imagefusion.fuse(files, "tardal", precision="float32") * 255).astype(np.uint8)
    ref = imagefusion.io.read_image_raw(next((data_dir.parent / "peers" / "tardal" / folder).glob(f"{name}.*")))
    assert ours.shape == ref.shape  # grey for TNO (grey visible images), RGB for RoadScene
    d = np.abs(ours.astype(int) - ref.astype(int))  # folded batch norms round differently, here and there
    assert d.max() <= 1 and np.mean(d > 0) < 1e-3  # measured 91.6-99.7 dB on TNO 01/05/07, RoadScene 00977/01130/04269


def test_tiles_bfloat16_and_the_grey_option(roadscene_crop):
    files = roadscene_crop
    whole = imagefusion.fuse(files, "tardal", precision="float32")
    assert np.abs(imagefusion.fuse(files, "tardal", tile=96, precision="float32") - whole).max() <= 1 / 255 + 1e-6
    # bfloat16 (the default where the CPU has it) on a 64×96 window: emulated elsewhere, 100 s for the whole crop
    small = [im[:64, :96] for im in files]
    fast = imagefusion.fuse(small, "tardal", precision="bfloat16")
    mse = float(np.mean((fast - imagefusion.fuse(small, "tardal", precision="float32")) ** 2))
    assert 10 * np.log10(1 / max(mse, 1e-12)) >= 40.0
    grey = imagefusion.fuse(files, "tardal", colour=False, precision="float32")
    assert grey.ndim == 2 and whole.ndim == 3
    y = (0.299 * whole[..., 0] + 0.587 * whole[..., 1] + 0.114 * whole[..., 2])
    assert np.abs(y - grey).mean() < 2 / 255  # the colour output carries the fused Y
