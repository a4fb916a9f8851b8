"""Process-level settings (imagefusion.runtime)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from imagefusion.runtime import peak_rss_mib, tune_allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_allocator_tuning_applies_and_can_be_switched_off(monkeypatch):
    assert tune_allocator() is True  # 1 GiB, or 32 MiB where glibc caps it
    assert tune_allocator(mmap_threshold=32 * 2**20) is True
    monkeypatch.setenv("IMAGEFUSION_NO_MALLOC_TUNING", "1")
    assert tune_allocator() is False
    monkeypatch.delenv("IMAGEFUSION_NO_MALLOC_TUNING")
    assert tune_allocator() is True


def test_peak_rss_grows_with_a_touched_allocation():
    before = peak_rss_mib()
    block = np.ones(96 * 2**20 // 8)  # 96 MiB, every page written
    assert peak_rss_mib() >= before and peak_rss_mib() >= block.nbytes / 2**20


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux-only")
def test_release_free_memory_returns_freed_heap_pages():
    from imagefusion.runtime import release_free_memory

    import ctypes

    assert tune_allocator() is True
    if not ctypes.CDLL("libc.so.6").mallopt(-3, ctypes.c_int(128 * 2**20)):  # M_MMAP_THRESHOLD
        pytest.skip("this glibc caps the mmap threshold at 32 MiB: 100 MiB blocks are mapped, not heap")
    block = np.ones(100 * 2**20 // 8)  # 100 MiB: below the 128 MiB mmap threshold, so from the heap
    del block
    kept = _rss_mib()  # freed, but kept by the heap (below the trim threshold)
    release_free_memory()
    assert _rss_mib() < kept - 50


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux-only")
def test_torch_is_asked_for_huge_pages_unless_switched_off():
    import os
    import subprocess

    code = "import imagefusion, os; print(os.environ.get('THP_MEM_ALLOC_ENABLE'))"
    env = {k: v for k, v in os.environ.items() if k not in ("THP_MEM_ALLOC_ENABLE", "IMAGEFUSION_NO_MALLOC_TUNING")}

    def run(extra: dict, prefix: str = "") -> list[str]:
        out = subprocess.run([sys.executable, "-c", prefix + code], env={**env, **extra}, capture_output=True,
                             text=True, check=True).stdout
        return out.split()

    # PyTorch's own switch (read at its first allocation): blocks of 2 MiB and more on huge pages
    assert run({}) == ["1"]
    assert run({"IMAGEFUSION_NO_MALLOC_TUNING": "1"}) == ["None"]
    assert run({}, prefix="import torch; ") == ["None"]  # torch first: its setting is already read
