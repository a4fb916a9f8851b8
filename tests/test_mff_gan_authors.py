"""MFF-GAN with its authors' Lytro checkpoint (``mff-gan -p weights=authors``) against the authors' code's outputs
(``tests/reference/mff-gan``: top-left 128×128 crops of their full-size outputs, written by
``benchmarks/measure/mff_gan_reference.py --crops``) on the same grey sources, in float32; bfloat16 within 40 dB; tiles;
the project's weights stay the default."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs

# TensorFlow is imported when a checkpoint is converted (once per network, then cached), not to collect
pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                                reason="converting the authors' checkpoint needs imagefusion[convert]")

REFERENCE = Path(__file__).parent / "reference" / "mff-gan"
CASES = [("mff/lytro", "lytro_01"), ("mff/lytro", "lytro_02"), ("mff/lytro", "lytro_05"), ("mff/mffw", "mffw_01")]


def _grey(files):
    return [np.asarray(Image.open(f).convert("L"), np.float32) / 255.0 for f in files]


@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_mff_gan_authors_weights_equal_the_authors_code(data_dir, folder, name):
    grey = _grey(find_pairs(data_dir / folder).pairs[name])
    ours = imagefusion.fuse(grey, "mff-gan", weights="authors", precision="float32")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 94.0-95.2 dB at 640x480


def test_bfloat16_tiles_and_the_default(data_dir):
    grey = [im[:192, :256] for im in _grey(find_pairs(data_dir / "mff/lytro").pairs["lytro_01"])]
    whole = imagefusion.fuse(grey, "mff-gan", weights="authors", precision="float32")
    tiled = imagefusion.fuse(grey, "mff-gan", weights="authors", tile=96, precision="float32")
    assert np.abs(tiled - whole).max() <= 1 / 255 + 1e-6
    fast = imagefusion.fuse(grey, "mff-gan", weights="authors", precision="bfloat16")
    assert 10 * np.log10(1 / max(float(np.mean((fast - whole) ** 2)), 1e-12)) >= 40.0  # measured 52.7-53.1 dB
    assert not np.array_equal(imagefusion.fuse(grey, "mff-gan"), whole)  # the project's own weights by default
