"""Folder (batch) fusion: every matched pair of a paired folder, resumable."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImageFusionError
from .fusion import fuse
from .io import write_image
from .pairs import find_pairs

__all__ = ["BatchResult", "fuse_folder", "check_batch_output"]


#: The file in a batch's output folder that records what made its images (resume is keyed by it).
MANIFEST = ".imagefusion-batch.json"
#: The lock a running batch holds on its output folder (``flock``; released when the process ends,
#: killed or not), so that a second run into the same folder is refused instead of mixing results.
LOCK = ".imagefusion-batch.lock"


class _FolderLock:
    """An exclusive, non-blocking ``flock`` on ``out_dir/.imagefusion-batch.lock`` (no-op where the
    platform has no ``fcntl``)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK
        self.fd: int | None = None

    def __enter__(self) -> _FolderLock:
        from .errors import OutputError

        try:
            import fcntl
        except ImportError:  # Windows: no lock
            return self
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.path.parent}: cannot write into the output folder ({exc.strerror})") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(self.fd)
            self.fd = None
            raise OutputError(f"{self.path.parent}: another imagefusion run (pid {holder}) is writing into this "
                              "folder; wait for it to end, or give another --out") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def _is_complete(target: Path, files: list[Path]) -> str | None:
    """Why an existing output cannot be kept on resume (it does not decode, or its size is not the
    pair's), or None when it can."""
    from .io import check_header, read_image_raw

    if not target.is_file() or target.stat().st_size == 0:
        return "missing or empty"
    try:
        shape = read_image_raw(target).shape
        w, h = check_header(files[0])
    except ImageFusionError as exc:
        return str(exc)
    if (w, h) != (0, 0) and shape[:2] != (h, w):
        return f"{shape[1]}x{shape[0]}, the pair is {w}x{h}"
    return None


def _manifest_record(method: str, params: dict[str, Any], ext: str) -> dict[str, Any]:
    return {"method": method, "params": {k: repr(v) for k, v in sorted(params.items())}, "ext": ext}


def _check_manifest(out_dir: Path, record: dict[str, Any]) -> None:
    import json

    from .errors import OverwriteError

    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if old != record:
        params_text = ", ".join(f"{k}={v}" for k, v in old.get("params", {}).items()) or "defaults"
        raise OverwriteError(f"{out_dir} holds results of {old.get('method')} ({params_text}); give another --out, "
                             "or --overwrite to replace them")


def _claim_folder(out_dir: Path, method: str, params: dict[str, Any], ext: str) -> None:
    """Record which method and parameters fill ``out_dir`` (checked by :func:`check_batch_output`);
    remove the temporary ``.part`` files that a killed run left
    (:func:`imagefusion.io.remove_stale_temporaries`)."""
    import json

    from .io import remove_stale_temporaries, write_bytes_atomic

    remove_stale_temporaries(out_dir)
    write_bytes_atomic(out_dir / MANIFEST, json.dumps(_manifest_record(method, params, ext), indent=1).encode())


def check_batch_output(out_dir: str | os.PathLike, ext: str, method: str | None = None,
                       params: dict[str, Any] | None = None, overwrite: bool = False) -> str:
    """Check a batch's output folder and file ending before any work; return the ending with its dot.

    Parameters
    ----------
    out_dir : path
        The output folder (need not exist yet).
    ext : str
        ``".png"`` or ``"png"``, one of :data:`imagefusion.io.IMAGE_EXTENSIONS`.
    method, params : str and dict, optional
        With ``method``: also check that ``out_dir`` does not hold another method's or other
        parameters' results (unless ``overwrite``).
    overwrite : bool, default False

    Returns
    -------
    str, e.g. ``".png"``

    Raises
    ------
    ParameterError
        ``ext`` is not an image ending (a path such as ``/../x.png`` would write outside ``out_dir``).
    OutputError
        ``out_dir`` is a file.
    OverwriteError
        ``out_dir`` holds results of another method or other parameters.

    Examples
    --------
    >>> check_batch_output("out", "jpg")
    '.jpg'
    """
    from .errors import OutputError, ParameterError
    from .io import IMAGE_EXTENSIONS

    ext = ext if ext.startswith(".") else f".{ext}"
    if ext.lower() not in IMAGE_EXTENSIONS:
        raise ParameterError(f"--ext {ext!r} is not an image file ending; use one of {', '.join(IMAGE_EXTENSIONS)}")
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise OutputError(f"{out_dir}: the output folder is a file")
    if method is not None and not overwrite:
        _check_manifest(Path(out_dir), _manifest_record(method, params or {}, ext))
    return ext


@dataclass
class BatchResult:
    """What :func:`fuse_folder` did.

    Attributes
    ----------
    written : list of Path
        Fused images written by this run.
    skipped : list of Path
        Outputs that already existed (a resumed run) and were kept.
    failed : dict of str to str
        Pair name → error message, for pairs that could not be fused.
    unmatched : dict of str to list of str
        Source folder → names with no partner in every other source folder.
    sources : list of str
        The source folders used, in order.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub in ("ir", "vi"):
    ...     for n in ("p1", "p2"):
    ...         _ = write_image(root / "pairs" / sub / f"{n}.png", np.zeros((8, 8)))
    >>> first = fuse_folder(root / "pairs", root / "out", "average")
    >>> again = fuse_folder(root / "pairs", root / "out", "average")  # a rerun keeps what is there
    >>> len(first.written), len(again.written), len(again.skipped)
    (2, 0, 2)
    """

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


def fuse_folder(
    pairs_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    method: str = "gff",
    *,
    params: dict[str, Any] | None = None,
    overwrite: bool = False,
    ext: str = ".png",
    bit_depth: int = 8,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    scheduler: Any = None,
) -> BatchResult:
    """Fuse every matched pair of a paired folder into ``out_dir``.

    Parameters
    ----------
    pairs_dir : path
        A folder with one sub-folder per source and matching file names (``ir/`` + ``vi/``, ...).
    out_dir : path
        Where ``<name><ext>`` is written for each pair. Created if missing.
    method : str
        Registry name.
    params : dict, optional
        Method parameters.
    overwrite : bool, default False
        Re-fuse pairs whose output exists. Without it an interrupted run resumes where it stopped:
        outputs are written atomically, so an existing file is always complete.
    ext : str, default ".png"
        Output format.
    bit_depth : {8, 16}
    progress : callable, optional
        Called with each pair's name once it is done.
    workers : int, default 1
        Worker processes of a Dask ``LocalCluster``, one pair per task (1: in this process). Outputs are
        identical for any number.
    scheduler : str or distributed.Client, optional
        ``"local"``, or the address or scheduler file of a running Dask cluster whose workers see the
        same paths (:class:`imagefusion.cluster.JobRunner`).

    Returns
    -------
    BatchResult

    Raises
    ------
    InvalidImageError
        ``pairs_dir`` is not a paired folder (see :func:`imagefusion.pairs.find_pairs`).
    OverwriteError
        ``out_dir`` is one of the source folders.
    ParameterError
        ``ext`` is not one of the image endings (``.png``, ``.jpg``, …): a path such as
        ``/../x.png`` would write outside ``out_dir``.
    OutputError
        ``out_dir`` is a file.
    InvalidImageError
        No pair matched.
    OverwriteError
        ``out_dir`` holds the results of another method or other parameters (its
        ``.imagefusion-batch.json`` says which); resume is keyed by method and parameters, so they are
        never mixed. ``overwrite`` replaces them.
    DependencyError
        More than one worker or a scheduler, and Dask is not installed.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, v in (("a", 0.2), ("b", 0.6)):
    ...     _ = write_image(root / "pairs" / sub / "p1.png", np.full((8, 8), v))
    >>> r = fuse_folder(root / "pairs", root / "fused", "average")
    >>> [p.name for p in r.written], r.failed
    (['p1.png'], {})
    """
    from .errors import InvalidImageError, OverwriteError, ParameterError

    if bit_depth not in (8, 16):
        raise ParameterError(f"bit depth {bit_depth!r}: use 8 or 16")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers must be an integer >= 1, got {workers!r}")
    ext = check_batch_output(out_dir, ext, method, params or {}, overwrite)
    out_dir = Path(out_dir)
    ps = find_pairs(pairs_dir)
    for src in ps.sources:
        if out_dir.resolve() == (ps.root / src).resolve():
            raise OverwriteError(f"{out_dir}: the output folder is the source folder {ps.root / src}")
    if not ps.pairs:
        raise InvalidImageError(f"{pairs_dir}: no matched pairs (the source folders {', '.join(ps.sources)} share no "
                                "file name)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with _FolderLock(out_dir):
        check_batch_output(out_dir, ext, method, params or {}, overwrite)  # again, now that no other run writes
        _claim_folder(out_dir, method, params or {}, ext)
        return _fuse_pairs(ps, out_dir, method, params or {}, overwrite, ext, bit_depth, progress, workers,
                           scheduler)


def _fuse_pairs(ps: Any, out_dir: Path, method: str, params: dict[str, Any], overwrite: bool, ext: str,
                bit_depth: int, progress: Callable[[str], None] | None, workers: int, scheduler: Any) -> BatchResult:
    import logging

    result = BatchResult(unmatched=ps.unmatched, sources=ps.sources)
    todo = []
    for name, files in ps.pairs.items():
        target = out_dir / f"{name}{ext}"
        kept = target.exists() and not overwrite
        why = _is_complete(target, list(files)) if kept else None
        if kept and why is None:
            result.skipped.append(target)
            if progress is not None:
                progress(name)
            continue
        if why is not None:
            logging.getLogger("imagefusion.batch").warning("%s: fused again (the existing file: %s)", target, why)
        todo.append(_PairJob(name, list(files), target, method, dict(params), bit_depth))
    from .cluster import JobRunner

    with JobRunner(workers, scheduler) as runner:
        for job, err in runner.map(_fuse_pair, todo):
            if err is None:
                result.written.append(job.target)
            else:
                result.failed[job.name] = str(err)
            if progress is not None:
                progress(job.name)
    order = {job.target: i for i, job in enumerate(todo)}  # Dask finishes them in any order
    result.written.sort(key=order.__getitem__)
    return result


@dataclass
class _PairJob:
    name: str
    files: list[Path]
    target: Path
    method: str
    params: dict[str, Any]
    bit_depth: int


def _fuse_pair(job: _PairJob) -> str | None:
    """Worker: fuse one pair and write it atomically; the error message, or None."""
    try:
        fused = fuse(job.files, method=job.method, **job.params)
        write_image(job.target, fused, bit_depth=job.bit_depth, protect=job.files)
    except ImageFusionError as exc:
        return str(exc)
    return None
