"""PMGI with its authors' TensorFlow checkpoints (``pmgi -p weights=authors``) against the authors' code's outputs
(``tests/reference/pmgi``: top-left 128×128 crops of their full-size outputs on three pairs of each task, written
by ``benchmarks/measure/pmgi_reference.py --crops``) on the same grey sources; the default weights per task (the
authors' on multi-exposure pairs, the project's own elsewhere) and the packaged conversion of the authors'
multi-exposure file."""

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


def test_the_project_weights_are_the_default_except_on_exposures(data_dir):
    grey = _grey(find_pairs(data_dir / "ivif/tno").pairs["07"])
    own, authors = imagefusion.fuse(grey, "pmgi"), imagefusion.fuse(grey, "pmgi", weights="authors")
    assert own.shape == authors.shape and not np.array_equal(own, authors)
    assert authors.min() == 0.0 and authors.max() == 1.0  # the authors' imsave stretch


def _mef_crop(data_dir):
    grey = _grey(find_pairs(data_dir / "mef/mefb").pairs["Candle"])
    return [g[:160, :200] for g in grey]


def test_on_exposures_the_authors_weights_are_the_default_and_own_stays_selectable(data_dir):
    grey = _mef_crop(data_dir)
    default, authors = imagefusion.fuse(grey, "pmgi", task="mef"), imagefusion.fuse(grey, "pmgi", task="mef", weights="authors")
    own = imagefusion.fuse(grey, "pmgi", task="mef", weights="own")
    assert np.array_equal(default, authors) and not np.array_equal(own, authors)
    from imagefusion.models.pmgi.network import PMGI_TASKS
    from imagefusion.nn.gan import run_generator

    assert np.array_equal(own, run_generator(PMGI_TASKS["mef"], grey))  # "own": the shipped pmgi.mef weights


def test_the_bench_keys_a_default_and_its_explicit_spelling_alike():
    from imagefusion.bench.runner import _weights_hash, cache_key

    spec = imagefusion.get_method("pmgi")

    def key(params):
        p = spec.resolved_params(spec.check_params(params))
        return cache_key("pmgi", _weights_hash("pmgi", p), p, ["a", "b"])

    assert key({"task": "mef"}) == key({"task": "mef", "weights": "authors"}) != key({"task": "mef", "weights": "own"})
    assert key({"task": "ivif"}) == key({"task": "ivif", "weights": "own"}) != key({"task": "ivif", "weights": "authors"})


def test_the_packaged_exposure_weights_run_without_the_authors_file(data_dir, tmp_path, monkeypatch):
    from imagefusion.nn import published

    grey = _mef_crop(data_dir)
    with_file = imagefusion.fuse(grey, "pmgi", task="mef")  # the authors' file, converted in float32
    assert published.packaged("pmgi-mef") is not None and published.packaged("pmgi-ivif") is None
    monkeypatch.setenv("IMAGEFUSION_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("IMAGEFUSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGEFUSION_OFFLINE", "1")
    assert published.locate("pmgi-mef") is None
    packaged = imagefusion.fuse(grey, "pmgi", task="mef")  # float16 in the package, nothing downloaded
    d = np.abs(np.round(packaged * 255) - np.round(with_file * 255))
    assert d.max() <= 2 and np.mean(d > 0) < 0.03
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*pmgi*"))
    with pytest.raises(imagefusion.errors.WeightsError, match="pmgi-ivif|CGAN"):
        imagefusion.fuse(grey, "pmgi", task="ivif", weights="authors")  # not packaged: needs the file
