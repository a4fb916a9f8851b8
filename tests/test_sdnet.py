"""SDNet with its authors' TensorFlow checkpoints (one per task, converted once with TensorFlow's reader) against
the authors' code's outputs (``tests/reference/sdnet``: top-left 128×128 crops of their full-size outputs on
three pairs of each task, written by ``benchmarks/measure/sdnet_reference.py --crops``) on the same grey sources, in
float32; bfloat16 within 40 dB of it; tiles; the stretch option; colour through the colour path."""

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
                                reason="converting the authors' checkpoints needs imagefusion[convert]")

REFERENCE = Path(__file__).parent / "reference" / "sdnet"
CASES = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
         ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
         ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
         ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


def _grey(files):
    return [np.asarray(Image.open(f).convert("L"), np.float32) / 255.0 for f in files]


@pytest.mark.parametrize("task,folder,name", CASES, ids=[c[2] for c in CASES])
def test_sdnet_equals_the_authors_code(data_dir, task, folder, name):
    ours = imagefusion.fuse(_grey(find_pairs(data_dir / folder).pairs[name]), "sdnet", task=task, precision="float32")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 94.6-100 dB at 640x480


def test_bfloat16_tiles_stretch_and_colour(roadscene_crop):
    files = roadscene_crop
    grey = [im if im.ndim == 2 else np.asarray(Image.fromarray(np.round(im * 255).astype(np.uint8)).convert("L"),
                                                np.float32) / 255.0 for im in files]
    whole = imagefusion.fuse(grey, "sdnet", task="ivif", precision="float32")
    assert whole.min() == 0.0 and whole.max() == 1.0  # the authors' imsave stretches to the full range
    tiled = imagefusion.fuse(grey, "sdnet", task="ivif", tile=96, precision="float32")
    assert np.abs(tiled - whole).max() <= 1 / 255 + 1e-6
    fast = imagefusion.fuse(grey, "sdnet", task="ivif", precision="bfloat16")
    assert 10 * np.log10(1 / max(float(np.mean((fast - whole) ** 2)), 1e-12)) >= 40.0  # measured 53.9-57.1 dB
    raw = imagefusion.fuse(grey, "sdnet", task="ivif", stretch=False, precision="float32")
    assert raw.min() > 0.0 or raw.max() < 1.0
    rgb = imagefusion.fuse(files, "sdnet", task="ivif")
    assert rgb.ndim == 3  # the visible image's colour, through imagefusion's colour path
