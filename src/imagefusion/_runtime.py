"""Process-level performance settings applied when imagefusion is imported.

glibc serves every allocation above 128 KiB with a fresh ``mmap`` and returns it to the system on
``free`` (the threshold then adapts, up to 32 MiB), so each temporary array costs a round of page
faults: about 25 ms for a 40 MB array here, as long as filling it. Fusion code makes many such
temporaries. Raising the mmap threshold to 1 GiB and the trim threshold to 128 MiB lets glibc reuse
freed memory instead:

* classical methods 1.4–1.7× faster (GFF 54 → 35 ms, Laplacian pyramid 11 → 6.5 ms on a 640×480
  pair, with a 32 MiB threshold);
* deep methods, whose feature maps exceed 32 MiB (a 64-channel bfloat16 map of two 640×480 sources
  is 79 MB): DenseFuse 0.26–0.36 → 0.16–0.18 s and MFEnet 1.3 → 0.7 s per 640×480 pair (2-core
  Xeon, ``benchmarks/bench_pair.py``).

Where glibc refuses a threshold above 32 MiB (older versions cap it), 32 MiB is used. Freed memory
below the threshold stays in the process for reuse (the peak is unchanged; the resident size after
a large fusion can stay near it). Set the environment variable ``IMAGEFUSION_NO_MALLOC_TUNING=1``
before import to leave the allocator alone. Nothing happens on systems without glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(mmap_threshold: int = 2**30, trim_threshold: int = 128 * 2**20) -> bool:
    """Raise glibc's mmap and trim thresholds (bytes; see the module docstring).

    Returns True if both were applied (the mmap threshold possibly capped at 32 MiB), False where
    the tuning is switched off or there is no glibc.
    """
    if os.environ.get("IMAGEFUSION_NO_MALLOC_TUNING") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mmap_ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(min(mmap_threshold, 2**31 - 1))))
        if not mmap_ok:  # older glibc caps the threshold at HEAP_MAX_SIZE / 2
            mmap_ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(min(mmap_threshold, 32 * 2**20))))
        return mmap_ok and bool(libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(trim_threshold, 2**31 - 1))))
    except (OSError, AttributeError):
        return False


def peak_rss_mib() -> float:
    """This process's peak resident memory, MiB.

    On Linux, ``VmHWM`` from ``/proc/self/status``: the high-water mark of this process's own memory.
    ``getrusage``'s ``ru_maxrss`` is not used there because it survives ``exec``: a worker started by
    fork + exec (multiprocessing's "spawn", ``subprocess``) reports at least its parent's resident
    memory at the fork. Elsewhere, ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0
