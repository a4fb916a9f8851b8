"""STDFusionNet with its authors' TensorFlow checkpoint against the authors' code's outputs
(``tests/reference/stdfusionnet``: top-left 128×128 crops of their full-size outputs on two TNO and two RoadScene
pairs, written by ``benchmarks/measure/stdfusionnet_reference.py --crops``) on the same grey sources, in float32; bfloat16
within 40 dB of it; tiles."""

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

REFERENCE = Path(__file__).parent / "reference" / "stdfusionnet"
CASES = [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977"), ("ivif/roadscene", "FLIR_04269")]


def _grey(files):
    return [np.asarray(Image.open(f).convert("L"), np.float32) / 255.0 for f in files]


@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_stdfusionnet_equals_the_authors_code(data_dir, folder, name):
    ours = imagefusion.fuse(_grey(find_pairs(data_dir / folder).pairs[name]), "stdfusionnet", precision="float32")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 94.6-100 dB at 640x480


def test_bfloat16_tiles_and_colour(roadscene_crop):
    files = roadscene_crop
    grey = [im if im.ndim == 2 else np.asarray(Image.fromarray(np.round(im * 255).astype(np.uint8)).convert("L"),
                                                np.float32) / 255.0 for im in files]
    whole = imagefusion.fuse(grey, "stdfusionnet", precision="float32")
    assert whole.min() == 0.0 and whole.max() == 1.0  # the authors' imsave stretch
    tiled = imagefusion.fuse(grey, "stdfusionnet", tile=96, precision="float32")
    assert np.abs(tiled - whole).max() <= 1 / 255 + 1e-6
    small = [im[:96, :128] for im in grey]  # bfloat16 (the default where the CPU has it) is emulated elsewhere
    fast = imagefusion.fuse(small, "stdfusionnet", precision="bfloat16")
    ref = imagefusion.fuse(small, "stdfusionnet", precision="float32")
    assert 10 * np.log10(1 / max(float(np.mean((fast - ref) ** 2)), 1e-12)) >= 40.0  # measured 50.9 dB (48.4 on another window)
    assert imagefusion.fuse(files, "stdfusionnet").ndim == 3  # the visible image's colour, put back
