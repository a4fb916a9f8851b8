"""Shared fixtures: the real data in ../shared (skip with a reason only where it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# pytest-xdist runs the suite in one process per core: each process then computes with one thread (PyTorch's
# OpenMP pool, the project's thread pools, numba), set before any of them starts. With every process's pool
# spanning all cores, the pools' spinning threads contend (the deep safety cases took 2.4× as long).
_XDIST_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _XDIST_WORKERS > 1:
    for _var in ("OMP_NUM_THREADS", "IMAGEFUSION_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, str(max(1, (os.cpu_count() or 1) // _XDIST_WORKERS)))

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config) -> None:
    """Where Python is told not to write bytecode (PYTHONDONTWRITEBYTECODE), every interpreter the tests
    start (CLI runs, Dask workers, the per-module import check) would compile the package's sources
    again (about 0.1 s each): compile them once, in the controlling process, before any worker starts."""
    import sys

    if sys.dont_write_bytecode and not hasattr(config, "workerinput"):
        import compileall

        compileall.compile_dir(ROOT / "src" / "imagefusion", quiet=1)
SHARED = Path(os.environ.get("IMAGEFUSION_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
GOLDEN = SHARED / "golden"


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must run with ../shared beside the project")
        pytest.skip(f"real data not available: {path} is absent (clone ../shared beside the project)")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data``: the real registered pairs."""
    return _need(DATA)


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """``../shared/golden``: reference metric values."""
    return _need(GOLDEN)


def _hypothesis_profiles() -> None:
    """Property tests: derandomized in CI (``CI`` set, or ``HYPOTHESIS_PROFILE=ci``) so a run repeats
    exactly; random locally (``dev``). Either way a failure prints the blob that reproduces it
    (``@reproduce_failure``) besides the falsifying example."""
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    settings.register_profile("dev", print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


_hypothesis_profiles()


#: The window of RoadScene FLIR_00977 (351×505) the networks' tile and bfloat16 checks fuse: its car, road
#: and trees, 192×256 pixels, several 96-pixel tiles.
CROP = (slice(96, 288), slice(160, 416))


@pytest.fixture(scope="session")
def roadscene_crop(data_dir) -> list:
    """RoadScene ``FLIR_00977`` as ``imagefusion.fuse`` reads it (grey infrared, colour visible), cut to
    :data:`CROP`: a tile-equality or a bfloat16 check holds on any window, and this one is quick."""
    from imagefusion.fusion import load_sources
    from imagefusion.pairs import find_pairs

    images, _ = load_sources(find_pairs(data_dir / "ivif/roadscene").pairs["FLIR_00977"])
    return [im[CROP] for im in images]
