"""Folder (batch) fusion: every matched pair of a paired folder, resumable."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImageFusionError
from .fusion import fuse
from .io import find_pairs, write_image

__all__ = ["BatchResult", "fuse_folder"]


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

    Returns
    -------
    BatchResult

    Raises
    ------
    InvalidImageError
        ``pairs_dir`` is not a paired folder (see :func:`imagefusion.io.find_pairs`).
    OverwriteError
        ``out_dir`` is one of the source folders.
    """
    from .errors import OverwriteError

    ps = find_pairs(pairs_dir)
    out_dir = Path(out_dir)
    for src in ps.sources:
        if out_dir.resolve() == (ps.root / src).resolve():
            raise OverwriteError(f"{out_dir}: the output folder is the source folder {ps.root / src}")
    result = BatchResult(unmatched=ps.unmatched, sources=ps.sources)
    ext = ext if ext.startswith(".") else f".{ext}"
    for name, files in ps.pairs.items():
        target = out_dir / f"{name}{ext}"
        if target.exists() and not overwrite:
            result.skipped.append(target)
        else:
            try:
                fused = fuse(files, method=method, **(params or {}))
                write_image(target, fused, bit_depth=bit_depth, protect=files)
                result.written.append(target)
            except ImageFusionError as exc:
                result.failed[name] = str(exc)
        if progress is not None:
            progress(name)
    return result
