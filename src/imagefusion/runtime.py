"""Process-level performance settings applied when imagefusion is imported.

glibc serves every allocation above 128 KiB with a fresh ``mmap`` and returns it to the system on
``free`` (the threshold then adapts, up to 32 MiB), so each temporary array costs a round of page
faults: about 25 ms for a 40 MB array here, as long as filling it. Fusion code makes many such
temporaries. Raising the mmap threshold to 128 MiB and the trim threshold to 128 MiB lets glibc
reuse freed memory instead:

* classical methods 1.4–1.7× faster (GFF 54 → 35 ms, Laplacian pyramid 11 → 6.5 ms on a 640×480
  pair, measured with a 32 MiB threshold);
* deep methods whose feature maps lie between 32 and 128 MiB (a 64-channel bfloat16 map of two
  640×480 sources is 79 MB): MFEnet about 1.35 → 0.9 s per 640×480 pair (fastest of 15 runs, four
  alternations, 2-core Xeon); DenseFuse 0.21–0.27 → 0.17–0.23 s, within this machine's noise.

A higher threshold (1 GiB) made MFEnet faster still on 640×480 pairs but let freed tile-sized
blocks pile up in the heap: a 4096×4096 pair peaked at 8.2 GiB instead of 3.2 GiB. With 128 MiB, and
:func:`release_free_memory` between the tiles of tiled inference, it peaks at 3.4 GiB. Where glibc
refuses the threshold, 32 MiB is used.

Feature maps above the threshold (a 64-channel float32 map of a 640×480 image is 79 MB) are still
mapped afresh each time. Unless PyTorch is already imported, ``THP_MEM_ALLOC_ENABLE=1`` is set (PyTorch's
own switch, read at its first allocation; a value the user set stands): PyTorch then asks for
transparent huge pages for blocks of 2 MiB and more, so such a map costs about 150 page faults instead
of 20,000. The published networks on a 640×480 pair, fused images unchanged to the bit
(``python benchmarks/measure/huge_pages.py``, 2-core EPYC, idle): STDFusionNet 1.80 → 1.18 s, DIDFuse
2.21 → 1.54 s, TarDAL 1.50 → 1.14 s, DenseFuse (authors') 0.58 → 0.45 s, SeAFusion 0.88 → 0.70 s, U2Fusion
3.00 → 2.75 s; the small 16-channel networks (SDNet, PMGI, MFF-GAN) and IFCNN are unchanged when the machine
is idle, and 1.9–2.4× faster with it when other processes share the memory (measured beside a bench run).

Set the environment variable
``IMAGEFUSION_NO_MALLOC_TUNING=1`` before import to leave the allocator alone. Nothing happens on
systems without glibc.
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LIBC: ctypes.CDLL | None = None  # set once the tuning is applied


def tune_allocator(mmap_threshold: int = 128 * 2**20, trim_threshold: int = 128 * 2**20) -> bool:
    """Raise glibc's mmap and trim thresholds (bytes) and, unless PyTorch is already imported, ask
    PyTorch for transparent huge pages (``THP_MEM_ALLOC_ENABLE``); see the module docstring.

    Returns True if both were applied (the mmap threshold possibly lowered to 32 MiB), False where
    the tuning is switched off or there is no glibc.

    Parameters
    ----------
    mmap_threshold : int, default 128 MiB
        Bytes; allocations above it get their own ``mmap``.
    trim_threshold : int, default 128 MiB
        Bytes of free memory at the top of the heap above which glibc returns it to the system.

    Returns
    -------
    bool

    Examples
    --------
    >>> tune_allocator() in (True, False)  # applied at import; calling it again is harmless
    True
    """
    if os.environ.get("IMAGEFUSION_NO_MALLOC_TUNING") or not sys.platform.startswith("linux"):
        return False
    if "torch" not in sys.modules:  # PyTorch reads it once, at its first allocation
        os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    global _LIBC
    try:
        libc = ctypes.CDLL("libc.so.6")
        mmap_ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(min(mmap_threshold, 2**31 - 1))))
        if not mmap_ok:  # glibc may cap the threshold at HEAP_MAX_SIZE / 2 (32 MiB)
            mmap_ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(min(mmap_threshold, 32 * 2**20))))
        applied = mmap_ok and bool(libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(trim_threshold, 2**31 - 1))))
        _LIBC = libc if applied else None
        return applied
    except (OSError, AttributeError):
        return False


def release_free_memory() -> None:
    """Give the pages of freed heap memory back to the system (glibc ``malloc_trim(0)``).

    With the raised mmap threshold, blocks up to 128 MiB come from the heap and stay there when
    freed; tiled inference calls this between tiles, so that blocks freed by one tile but not
    reused by the next do not pile up (MFEnet on a 4096×4096 pair: 3.8 GiB peak without it,
    3.4 GiB with it). A no-op where tuning is off or there is no glibc.

    Examples
    --------
    >>> release_free_memory()  # returns nothing; the process's resident memory may fall
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def peak_rss_mib() -> float:
    """This process's peak resident memory, MiB.

    On Linux, ``VmHWM`` from ``/proc/self/status``: the high-water mark of this process's own memory.
    ``getrusage``'s ``ru_maxrss`` is not used there because it survives ``exec``: a worker started by
    fork + exec (multiprocessing's "spawn", ``subprocess``) reports at least its parent's resident
    memory at the fork. Elsewhere, ``ru_maxrss`` (KiB on Linux, bytes on macOS).

    Returns
    -------
    float
        MiB.

    Examples
    --------
    >>> peak_rss_mib() > 1
    True
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


# Thread pools for independent array work (one thread per core)

_POOLS: list[ThreadPoolExecutor] = []
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("imagefusion_pool_depth", default=0)
_MAX_DEPTH = 2


def _run_in_worker(ctx: contextvars.Context, depth: int, func: Callable[[T], R], item: T) -> R:
    def call() -> R:
        _DEPTH.set(depth + 1)
        return func(item)

    return ctx.run(call)


def threads() -> int:
    """Threads for :func:`parallel_map`: the environment variable ``IMAGEFUSION_THREADS`` (an integer
    ≥ 1), else the number of CPU cores. Dask workers started by :class:`imagefusion.cluster.JobRunner`
    get ``cores // workers`` each, so that N worker processes do not run N × cores threads.

    Returns
    -------
    int

    Examples
    --------
    >>> threads() >= 1
    True
    """
    value = os.environ.get("IMAGEFUSION_THREADS", "")
    if value.strip().isdigit() and int(value) >= 1:
        return int(value)
    return os.cpu_count() or 1


def parallel_map(func: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Map ``func`` over ``items`` on a thread pool of :func:`threads` threads (one per CPU core).

    OpenCV and NumPy release the GIL in their kernels, so independent filters (one per source)
    run in parallel. Results keep the order of ``items``. Each call runs in a copy of the caller's
    context (so context variables such as the metrics' feature cache are seen by the workers). A
    call made from inside a worker uses a second pool (a worker waiting on its own pool could
    deadlock); deeper calls run sequentially. So ``evaluate`` runs metrics in parallel and each
    metric its RGB channels, and the cores stay busy to the end.

    Parameters
    ----------
    func : callable
        Applied to each item; it runs in a worker thread, in a copy of the caller's context.
    items : iterable

    Returns
    -------
    list
        ``[func(x) for x in items]``, in the order of ``items``.

    Examples
    --------
    >>> parallel_map(lambda x: x * x, range(5))
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    depth = _DEPTH.get()
    cores = threads()
    if len(items) < 2 or cores < 2 or depth >= _MAX_DEPTH:
        return [func(x) for x in items]
    while len(_POOLS) <= depth:
        _POOLS.append(ThreadPoolExecutor(max_workers=cores, thread_name_prefix=f"imagefusion{len(_POOLS)}"))
    if _POOLS[depth]._max_workers != cores:  # IMAGEFUSION_THREADS changed since the pool was made
        _POOLS[depth] = ThreadPoolExecutor(max_workers=cores, thread_name_prefix=f"imagefusion{depth}")
    pool = _POOLS[depth]
    futures = [pool.submit(_run_in_worker, contextvars.copy_context(), depth, func, x) for x in items]
    return [f.result() for f in futures]


def reset_peak_rss() -> bool:
    """Reset this process's peak resident memory to its current resident memory, so that
    :func:`peak_rss_mib` then reports the peak of what runs next (plus what the process holds now).

    Collects garbage and trims the heap first (:func:`release_free_memory`), then writes ``5`` to
    ``/proc/self/clear_refs`` (Linux ≥ 4.0). Used by the bench at the start of each fusion job, whose
    worker process may have run other jobs before.

    Returns
    -------
    bool
        True if the peak was reset; False where the system does not allow it (not Linux).

    Examples
    --------
    >>> reset_peak_rss() in (True, False)
    True
    """
    import gc

    gc.collect()
    release_free_memory()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# Progress of one long fusion (an iterative method's steps), for the CLI's bar and the web page's

_PROGRESS: contextvars.ContextVar[Callable[[int, int, str], None] | None] = contextvars.ContextVar(
    "imagefusion_progress", default=None)


class progress_to:
    """Context in which :func:`report_progress` calls ``callback(done, total, what)``.

    An iterative method reports its steps through it (``semantic-opt``: its optimiser's iterations);
    ``imagefusion fuse`` shows them as a progress bar and the web page as its progress indicator.
    Nested uses replace the outer callback for their duration.

    Parameters
    ----------
    callback : callable ``(done: int, total: int, what: str) -> None``, or None
        ``done`` steps of at most ``total``; ``what`` names them ("semantic-opt iterations"). None
        silences the reports.

    Examples
    --------
    >>> seen = []
    >>> with progress_to(lambda done, total, what: seen.append((done, total))):
    ...     for i in range(3):
    ...         report_progress(i + 1, 3, "steps")
    >>> seen
    [(1, 3), (2, 3), (3, 3)]
    """

    def __init__(self, callback: Callable[[int, int, str], None] | None) -> None:
        self.callback = callback
        self._token: contextvars.Token | None = None

    def __enter__(self) -> "progress_to":
        self._token = _PROGRESS.set(self.callback)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _PROGRESS.reset(self._token)


def report_progress(done: int, total: int, what: str) -> None:
    """Report ``done`` of ``total`` steps to the callback of the enclosing :class:`progress_to`;
    nothing happens outside one.

    Parameters
    ----------
    done, total : int
        Steps done and the most there can be (an early stop ends below ``total``).
    what : str
        What the steps are, for the display.

    Examples
    --------
    >>> report_progress(1, 10, "steps")  # no listener: nothing happens
    """
    callback = _PROGRESS.get()
    if callback is not None:
        callback(done, total, what)
