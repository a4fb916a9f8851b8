"""U2Fusion with its authors' TensorFlow checkpoint (converted once with TensorFlow's reader) against the
authors' code's outputs (``tests/reference/u2fusion``: top-left 128×128 crops of their full-size outputs on
three pairs of each task, written by ``benchmarks/measure/u2fusion_reference.py --crops``), in float32; bfloat16
within 40 dB of it; tiles; the task order and the colour options."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagefusion
from imagefusion.models.u2fusion.network import FIRST_SOURCE
from imagefusion.pairs import find_pairs

# TensorFlow is imported when a checkpoint is converted (once per network, then cached), not to collect
pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                                reason="converting the authors' checkpoint needs imagefusion[convert]")

REFERENCE = Path(__file__).parent / "reference" / "u2fusion"
CASES = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
         ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
         ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
         ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


def _as_authors_read(files):
    """The files as their imread gives them: an RGB file stays RGB even when its channels are equal."""
    return [np.asarray(Image.open(f), np.float32) / 255.0 for f in files]


@pytest.mark.parametrize("task,folder,name", CASES, ids=[c[2] for c in CASES])
def test_u2fusion_equals_the_authors_code(data_dir, task, folder, name):
    sources = _as_authors_read(find_pairs(data_dir / folder).pairs[name])
    # the authors colour the output only when exactly one source is RGB (RoadScene); else they save the Y
    colour = sum(s.ndim == 3 for s in sources) == 1
    ours = imagefusion.fuse(sources, "u2fusion", task=task, colour=colour, precision="float32")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 91.5-100 dB at 640x480


def test_bfloat16_tiles_order_and_colour(data_dir, roadscene_crop):
    files = roadscene_crop
    whole = imagefusion.fuse(files, "u2fusion", task="ivif", precision="float32")
    tiled = imagefusion.fuse(files, "u2fusion", task="ivif", tile=96, precision="float32")
    assert whole.ndim == 3 and np.abs(tiled - whole).max() <= 1 / 255 + 1e-6
    small = [im[:96, :128] for im in files]  # bfloat16 (the default where the CPU has it) is emulated elsewhere
    fast = imagefusion.fuse(small, "u2fusion", task="ivif", precision="bfloat16")
    ref = imagefusion.fuse(small, "u2fusion", task="ivif", precision="float32")
    assert 10 * np.log10(1 / max(float(np.mean((fast - ref) ** 2)), 1e-12)) >= 40.0  # measured 52.7 dB (51.9 on another window)
    assert whole.max() == 1.0  # the authors' save step scales the maximum to 255
    assert FIRST_SOURCE["ivif"] == 1  # their SOURCE1 is the visible image
    swapped = imagefusion.fuse(files[::-1], "u2fusion", task="mff", colour=False, precision="float32")
    grey = imagefusion.fuse(files, "u2fusion", task="ivif", colour=False, precision="float32")
    assert np.array_equal(swapped, grey)  # [vi, ir] in the given order is [ir, vi] in the ivif order
    under, over = (imagefusion.read_image(f) for f in find_pairs(data_dir / "mef/mefb").pairs["Candle"])
    both = imagefusion.fuse([under[:192, :256], over[:192, :256]], "u2fusion", task="mef")
    assert both.ndim == 3 and float(np.std(both[..., 0] - both[..., 2])) > 0.01  # colour from two colour sources
