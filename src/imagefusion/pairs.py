"""Paired folders: one sub-folder per source, matching file names (the ``shared/data`` layout).

:func:`find_pairs` matches the files of ``ir/`` and ``vi/`` (or ``ct/`` and ``mri/``, ``a/`` and
``b/``, ``under/`` and ``over/``, or any names) by their stem; :func:`source_order` puts the source
folders in the field's order; :func:`images_by_stem` lists one folder's images by stem.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidImageError
from .io import IMAGE_EXTENSIONS

__all__ = ["find_pairs", "images_by_stem", "PairSet", "source_order"]

# Sources listed first in the field's conventional order (the order in which datasets are
# cited and metrics are called: infrared before visible, the anatomical/functional image before MRI,
# first focus before second, under- before over-exposed).
_ORDER = ("ir", "vi", "ct", "pet", "spect", "mri", "a", "b", "under", "over")


def source_order(names: Iterable[str]) -> list[str]:
    """Sort source-folder names into the field's order.

    Known roles come first in the order ``ir, vi, ct, pet, spect, mri, a, b, under, over``; any
    other names follow alphabetically.

    Parameters
    ----------
    names : iterable of str

    Returns
    -------
    list of str

    Examples
    --------
    >>> source_order(["vi", "zz", "ir", "b", "a"])
    ['ir', 'vi', 'a', 'b', 'zz']
    """

    def key(n: str) -> tuple[int, str]:
        low = n.lower()
        return (_ORDER.index(low) if low in _ORDER else len(_ORDER), low)

    return sorted(names, key=key)


@dataclass(frozen=True)
class PairSet:
    """The matched images of a paired folder.

    Attributes
    ----------
    root : Path
        The dataset folder.
    sources : list of str
        Source sub-folder names, in :func:`source_order`.
    pairs : dict of str to list of Path
        Image stem → one file per source, in the order of ``sources``. Sorted by stem.
    unmatched : dict of str to list of str
        Source name → stems found in that folder only (not in every source folder).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub in ("a", "b"):
    ...     _ = write_image(root / sub / "x.png", np.zeros((4, 4)))
    >>> [p.name for p in find_pairs(root).pairs["x"]]
    ['x.png', 'x.png']
    """

    root: Path
    sources: list[str]
    pairs: dict[str, list[Path]]
    unmatched: dict[str, list[str]]


def images_by_stem(folder: str | os.PathLike, what: str = "images") -> dict[str, Path]:
    """The image files of a folder by name without ending (hidden files and other files left out).

    Parameters
    ----------
    folder : path
    what : str, default "images"
        How the error calls them (``"fused images"``).

    Returns
    -------
    dict of str to Path, sorted by file name

    Raises
    ------
    InvalidImageError
        Two images with one name (``x.png`` and ``x.jpg``): which one is meant cannot be told.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.png").write_bytes(b""); _ = (d / "notes.txt").write_bytes(b"")
    >>> list(images_by_stem(d))
    ['a']
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    for f in sorted(folder.iterdir()):
        if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith("."):
            if f.stem in found:
                raise InvalidImageError(f"{folder}: two {what} named {f.stem} ({found[f.stem].name}, {f.name})")
            found[f.stem] = f
    return found


def find_pairs(root: str | os.PathLike, sources: Sequence[str] | None = None) -> PairSet:
    """Match the images of a paired folder by file name (stem).

    Parameters
    ----------
    root : str or path-like
        A folder with one sub-folder per source (``ir/`` and ``vi/``, ``a/`` and ``b/``,
        ``ct/`` and ``mri/``, ...), holding images with the same names, as in ``shared/data``.
    sources : sequence of str, optional
        Sub-folders to use, in this order. Default: every sub-folder holding images, in
        :func:`source_order`.

    Returns
    -------
    PairSet

    Raises
    ------
    InvalidImageError
        ``root`` is not a folder, has fewer than two source sub-folders, or a source folder holds
        the same stem twice (e.g. ``x.png`` and ``x.jpg``).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, names in (("vi", ["p1", "p2"]), ("ir", ["p1", "p3"])):
    ...     for n in names:
    ...         _ = write_image(root / sub / f"{n}.png", np.zeros((4, 4)))
    >>> ps = find_pairs(root)
    >>> ps.sources, list(ps.pairs), ps.unmatched
    (['ir', 'vi'], ['p1'], {'ir': ['p3'], 'vi': ['p2']})
    """
    root = Path(root)
    if not root.is_dir():
        raise InvalidImageError(f"{root}: not a folder")
    if sources is None:
        subdirs = [
            d.name
            for d in root.iterdir()
            if d.is_dir() and not d.name.startswith(".")
            and any(f.suffix.lower() in IMAGE_EXTENSIONS for f in d.iterdir())
        ]
        sources = source_order(subdirs)
    sources = list(sources)
    if len(sources) < 2:
        raise InvalidImageError(
            f"{root}: a paired folder needs at least two source sub-folders with images, found {sources}"
        )
    files: dict[str, dict[str, Path]] = {}
    for src in sources:
        folder = root / src
        if not folder.is_dir():
            raise InvalidImageError(f"{folder}: source folder missing")
        files[src] = images_by_stem(folder)
    common = set.intersection(*(set(v) for v in files.values()))
    pairs = {stem: [files[s][stem] for s in sources] for stem in sorted(common)}
    unmatched = {s: sorted(set(files[s]) - common) for s in sources if set(files[s]) - common}
    return PairSet(root=root, sources=sources, pairs=pairs, unmatched=unmatched)
