"""DIDFuse with its authors' weights against the authors' code's outputs (``tests/reference/didfuse``:
top-left 128×128 crops of their full-size outputs with their ``Sum`` and ``l1_norm`` rules, written by
``benchmarks/measure/didfuse_reference.py --crops``), in float32; bfloat16 within 40 dB of it; tiles; colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import imagefusion
from imagefusion.errors import ParameterError
from imagefusion.fusion import load_sources
from imagefusion.pairs import find_pairs

REFERENCE = Path(__file__).parent / "reference" / "didfuse"
CASES = [("ivif/tno", "01"), ("ivif/tno", "07"), ("ivif/roadscene", "FLIR_00977"), ("ivif/roadscene", "FLIR_04269")]


@pytest.mark.parametrize("rule", ["sum", "l1"])
@pytest.mark.parametrize("folder,name", CASES, ids=[c[1] for c in CASES])
def test_didfuse_equals_the_authors_code(data_dir, folder, name, rule):
    images, _ = load_sources(find_pairs(data_dir / folder).pairs[name])
    # the reference is the authors' output's top-left 128×128; the network (no global step) reaches fewer than
    # 96 pixels, so the top-left 224×224 of the sources gives that corner as the whole image does (measured
    # identical on TNO 01 and FLIR_00977, both rules)
    ours = imagefusion.fuse([im[:224, :224] for im in images], "didfuse", rule=rule, colour=False, precision="float32")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}-{rule}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 98-100 dB at 640x480


def test_bfloat16_tiles_colour_and_a_bad_rule(roadscene_crop):
    files = roadscene_crop
    grey = imagefusion.fuse(files, "didfuse", colour=False, precision="float32")
    assert np.abs(imagefusion.fuse(files, "didfuse", colour=False, tile=96, precision="float32") - grey).max() <= 1 / 255 + 1e-6
    small = [im[:96, :128] for im in files]  # bfloat16 (the default where the CPU has it) is emulated elsewhere
    fast = imagefusion.fuse(small, "didfuse", colour=False, precision="bfloat16")
    ref = imagefusion.fuse(small, "didfuse", colour=False, precision="float32")
    assert 10 * np.log10(1 / max(float(np.mean((fast - ref) ** 2)), 1e-12)) >= 40.0  # measured 52.1 dB (56.0 on another window)
    rgb = imagefusion.fuse(files, "didfuse", precision="float32")
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert rgb.shape == grey.shape + (3,) and np.abs(y - grey).mean() < 2 / 255  # the fused grey is its Y
    with pytest.raises(ParameterError, match="rule"):
        imagefusion.fuse(files, "didfuse", rule="max")
