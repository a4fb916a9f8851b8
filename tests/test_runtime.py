"""Process-level settings (imagefusion._runtime)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from imagefusion._runtime import peak_rss_mib, tune_allocator


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
