"""PMGI with its authors' TensorFlow checkpoints (``pmgi -p weights=authors``) against the authors' code's outputs
(``tests/reference/pmgi``: top-left 128×128 crops of their full-size outputs on three pairs of each task, written
by ``benchmarks/measure/pmgi_reference.py --crops``) on the same grey sources; the project's own weights stay the
default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagefusion
from imagefusion.pairs import find_pairs

pytest.importorskip("tensorflow", reason="converting the authors' checkpoints needs imagefusion[convert]")

REFERENCE = Path(__file__).parent / "reference" / "pmgi"
CASES = [("ivif", "ivif/tno", "01"), ("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"),
         ("mif", "medical/ct-mri", "11"), ("mif", "medical/pet-mri", "11"), ("mif", "medical/spect-mri", "11"),
         ("mff", "mff/lytro", "lytro_01"), ("mff", "mff/lytro", "lytro_02"), ("mff", "mff/mffw", "mffw_01"),
         ("mef", "mef/mefb", "Candle"), ("mef", "mef/mefb", "Arno"), ("mef", "mef/mefb", "Chair")]


def _grey(files):
    return [np.asarray(Image.open(f).convert("L"), np.float32) / 255.0 for f in files]


@pytest.mark.parametrize("task,folder,name", CASES, ids=[c[2] for c in CASES])
def test_pmgi_authors_weights_equal_the_authors_code(data_dir, task, folder, name):
    ours = imagefusion.fuse(_grey(find_pairs(data_dir / folder).pairs[name]), "pmgi", task=task, weights="authors")
    ours = np.round(ours * 255).astype(np.uint8)[:128, :128]
    ref = imagefusion.io.read_image_raw(REFERENCE / f"{folder.split('/')[1]}-{name}.png")
    d = np.abs(ours.astype(int) - ref.astype(int))
    assert ours.shape == ref.shape and d.max() <= 1 and np.mean(d > 0) < 2e-3  # measured 72.9-87.1 dB at 640x480


def test_the_project_weights_stay_the_default(data_dir):
    grey = _grey(find_pairs(data_dir / "ivif/tno").pairs["07"])
    own, authors = imagefusion.fuse(grey, "pmgi"), imagefusion.fuse(grey, "pmgi", weights="authors")
    assert own.shape == authors.shape and not np.array_equal(own, authors)
    assert authors.min() == 0.0 and authors.max() == 1.0  # the authors' imsave stretch
