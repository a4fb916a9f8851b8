"""DeepFuse with its authors' weights against the authors' Theano/Lasagne code's outputs (``tests/reference/deepfuse``:
their outputs on MEFB pairs' top-left 192×192 crops, written by ``benchmarks/measure/deepfuse_reference.py --crops``); the
colour step; tiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagefusion
from imagefusion.models.deepfuse.network import deepfuse_luminance, rgb2ycbcr, ycbcr2rgb
from imagefusion.pairs import find_pairs

REFERENCE = Path(__file__).parent / "reference" / "deepfuse"


def _y(files) -> list[np.ndarray]:
    return [rgb2ycbcr(np.asarray(Image.open(f).convert("RGB")))[:192, :192, 0].astype(np.float32) for f in files]


@pytest.mark.parametrize("name", ["Candle", "Arno", "Chair", "House"])
def test_deepfuse_equals_the_authors_code(data_dir, name):
    ours = deepfuse_luminance(*_y(find_pairs(data_dir / "mef/mefb").pairs[name]))
    d = np.abs(ours.astype(int) - imagefusion.io.read_image_raw(REFERENCE / f"{name}.png").astype(int))
    assert d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 80.6-93.8 dB


def test_colour_tiles_and_matlab_conversions(data_dir):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert np.abs(ycbcr2rgb(rgb2ycbcr(rgb)).astype(int) - rgb).max() <= 2  # MATLAB's pair, rounded each way
    files = find_pairs(data_dir / "mef/mefb").pairs["Chair"]
    out = imagefusion.fuse(files, "deepfuse")
    assert out.ndim == 3 and 0.0 <= out.min() and out.max() <= 1.0
    y = rgb2ycbcr(np.round(out * 255).astype(np.uint8))[..., 0]
    assert 14 <= int(y.min()) and int(y.max()) <= 237 and int(np.percentile(y, 99)) > 200  # imadjust into 16-235
    grey = imagefusion.fuse(files, "deepfuse", colour=False)
    tiled = imagefusion.fuse(files, "deepfuse", colour=False, tile=96)
    assert grey.ndim == 2 and np.abs(tiled - grey).max() <= 1 / 255 + 1e-6
