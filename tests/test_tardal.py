"""TarDAL with its authors' TarDAL++ weights against the official code's outputs (``shared/peers/tardal``:
the unmodified ``fuse.py --eval --color``), grey (TNO) and colour (RoadScene); tiles."""

from __future__ import annotations

import numpy as np
import pytest

import imagefusion
from imagefusion.pairs import find_pairs

CASES = [("ivif/tno", "07"), ("ivif/tno", "05"), ("ivif/roadscene", "FLIR_00977")]


@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_tardal_equals_the_authors_code(data_dir, folder, name):
    ours = np.round(imagefusion.fuse(find_pairs(data_dir / folder).pairs[name], "tardal") * 255).astype(np.uint8)
    ref = imagefusion.io.read_image_raw(next((data_dir.parent / "peers" / "tardal" / folder).glob(f"{name}.*")))
    assert ours.shape == ref.shape  # grey for TNO (grey visible images), RGB for RoadScene
    assert np.array_equal(ours, ref)  # measured: bit-identical on TNO 01/05/07, RoadScene 00977/01130/04269


def test_tiles_and_the_grey_option(data_dir):
    files = find_pairs(data_dir / "ivif/roadscene").pairs["FLIR_00977"]
    whole = imagefusion.fuse(files, "tardal")
    assert np.abs(imagefusion.fuse(files, "tardal", tile=96) - whole).max() <= 1 / 255 + 1e-6
    grey = imagefusion.fuse(files, "tardal", colour=False)
    assert grey.ndim == 2 and whole.ndim == 3
    y = (0.299 * whole[..., 0] + 0.587 * whole[..., 1] + 0.114 * whole[..., 2])
    assert np.abs(y - grey).mean() < 2 / 255  # the colour output carries the fused Y
