"""Process-level performance settings applied when imagefusion is imported.

glibc serves every allocation above 128 KiB with a fresh ``mmap`` and returns it to the system on
``free``, so each temporary image array costs a round of page faults. Fusion code makes many such
temporaries; raising the mmap and trim thresholds lets glibc reuse freed memory instead, which
makes the classical methods 1.4–1.7x faster here (GFF 54 → 35 ms, Laplacian pyramid 11 → 6.5 ms on
a 640×480 pair, 2-core Xeon). Arrays over 32 MiB are still mapped and unmapped as before.

Set the environment variable ``IMAGEFUSION_NO_MALLOC_TUNING=1`` before import to leave the
allocator alone. Nothing happens on systems without glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(mmap_threshold: int = 32 * 2**20, trim_threshold: int = 128 * 2**20) -> bool:
    """Raise glibc's mmap and trim thresholds (bytes). Returns True if applied."""
    if os.environ.get("IMAGEFUSION_NO_MALLOC_TUNING") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold)
        )
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
