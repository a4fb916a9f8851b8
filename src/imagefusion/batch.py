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

__all__ = ["BatchResult", "fuse_folder", "check_batch_output"]


def check_batch_output(out_dir: str | os.PathLike, ext: str) -> str:
    """Check a batch's output folder and file ending before any work; return the ending with its dot.

    Parameters
    ----------
    out_dir : path
        The output folder (need not exist yet).
    ext : str
        ``".png"`` or ``"png"``, one of :data:`imagefusion.io.IMAGE_EXTENSIONS`.

    Returns
    -------
    str, e.g. ``".png"``

    Raises
    ------
    ParameterError
        ``ext`` is not an image ending (a path such as ``/../x.png`` would write outside ``out_dir``).
    OutputError
        ``out_dir`` is a file.

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
    ParameterError
        ``ext`` is not one of the image endings (``.png``, ``.jpg``, …): a path such as
        ``/../x.png`` would write outside ``out_dir``.
    OutputError
        ``out_dir`` is a file.
    """
    from .errors import OverwriteError

    ext = check_batch_output(out_dir, ext)
    out_dir = Path(out_dir)
    ps = find_pairs(pairs_dir)
    for src in ps.sources:
        if out_dir.resolve() == (ps.root / src).resolve():
            raise OverwriteError(f"{out_dir}: the output folder is the source folder {ps.root / src}")
    result = BatchResult(unmatched=ps.unmatched, sources=ps.sources)
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
