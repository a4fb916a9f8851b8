"""``imagefusion.fuse``: validation, the colour path and the registry in one call."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .color import fuse_chroma, merge_luminance, split_colour
from .errors import InvalidImageError, UnknownNameError
from .io import check_same_size, is_grey_rgb, read_image, to_float
from .registry import get_method

__all__ = ["fuse", "load_sources", "require_deep"]


def require_deep(what: str) -> None:
    """Raise :class:`DependencyError` with the install command when PyTorch is not installed.

    Parameters
    ----------
    what : str
        What needs it, for the message (``"method 'densefuse'"``).

    Raises
    ------
    DependencyError
        ``torch`` cannot be imported.

    Examples
    --------
    >>> require_deep("method 'densefuse'")  # nothing happens where torch is installed
    """
    import importlib.util

    from .errors import DependencyError

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("safetensors") is None:
        raise DependencyError(f"{what} needs PyTorch and safetensors: pip install 'imagefusion[deep]' "
                              "(with -c constraints.txt for the CPU wheel)")

def load_sources(sources: Sequence[Any]) -> tuple[list[np.ndarray], list[str]]:
    """Read and validate fusion sources.

    Parameters
    ----------
    sources : sequence of path or ndarray
        Paths are read with :func:`imagefusion.io.read_image`. Arrays: uint8, uint16 or float in
        [0, 1]; shape (H, W) or (H, W, 3). A file or array whose three channels are equal at every pixel
        (grey stored as RGB, as TNO and many medical slices are) becomes one grey channel, so that it is
        fused once, not three times.

    Returns
    -------
    images : list of ndarray, float32, shapes (H, W) or (H, W, 3)
    names : list of str
        The path of each source, or ``"source N"`` for arrays.

    Raises
    ------
    InvalidImageError
        Fewer than two sources, or a source that cannot be read or is invalid.
    SizeMismatchError
        Sources of different sizes (both named, both sizes given).

    Examples
    --------
    >>> import numpy as np
    >>> images, names = load_sources([np.zeros((4, 4), np.uint8), np.full((4, 4), 65535, np.uint16)])
    >>> names, float(images[1].max())
    (['source 1', 'source 2'], 1.0)
    >>> grey_as_rgb = np.repeat(np.eye(4, dtype=np.uint8)[..., None] * 200, 3, axis=2)
    >>> load_sources([grey_as_rgb, grey_as_rgb])[0][0].shape  # one channel
    (4, 4)
    """
    if isinstance(sources, (str, os.PathLike, np.ndarray)):
        raise InvalidImageError("sources must be a list of two or more images or paths")
    images, names = [], []
    for i, src in enumerate(sources, 1):
        if isinstance(src, (str, os.PathLike)):
            images.append(read_image(src))
            names.append(str(src))
        else:
            name = f"source {i}"
            im = to_float(src, name)
            images.append(im[..., 0].copy() if im.ndim == 3 and is_grey_rgb(im) else im)
            names.append(name)
    if len(images) < 2:
        raise InvalidImageError(f"fusion needs at least two sources, got {len(images)}")
    check_same_size(images, names)
    return images, names


def fuse(sources: Sequence[Any], method: str | None = None, *, task: str | None = None, **params: Any) -> np.ndarray:
    """Fuse registered source images of one scene into one image.

    Colour sources go through the shared YCbCr path (:mod:`imagefusion.color`), unless the method
    fuses colour itself (``MethodSpec.colour``, e.g. ``mertens``): the method fuses luminance, and the output takes the chroma of the one colour source; when every source is in
    colour, the chroma fused by the method's own weight or decision maps if it has them
    (``MethodSpec.channel_rule``), else the neutral-distance-weighted chroma.

    Parameters
    ----------
    sources : sequence of path or ndarray
        Two or more images of one size, in the dataset's source order (``[ir, vi]``,
        ``[ct, mri]``, ``[a, b]``, ``[under, over]``); see :func:`load_sources`.
    method : str, optional
        A registry name; see :func:`imagefusion.list_methods`. Default: the task's default method
        (:func:`imagefusion.ranking.default_method`: the best-ranked one that runs offline in at
        most 3 s per 640×480 pair), the same one ``imagefusion fuse`` uses.
    task : {"ivif", "mif", "mff", "mef"}, optional
        Picks the default method. Default: the task the source files' folder names imply
        (``ir``/``vi``, ``ct|pet|spect``/``mri``, ``a``/``b``, ``under``/``over``), else
        :data:`imagefusion.ranking.FALLBACK_METHOD`. A method with a ``task`` parameter (one weights
        file per task, ``pmgi``) receives it.
    **params
        The method's parameters (defaults are the paper's).

    Returns
    -------
    ndarray, float32, values in [0, 1]
        Shape (H, W) when every source is grey — a source stored as RGB with three equal channels
        counts as grey (:func:`load_sources`), and ``imagefusion fuse`` writes such a result as a
        one-channel grey file — else (H, W, 3) RGB.

    Raises
    ------
    UnknownNameError
        Unknown method or task.
    DependencyError
        A deep method without PyTorch installed (``pip install 'imagefusion[deep]'``).
    ParameterError
        A parameter the method does not have.
    InvalidImageError, SizeMismatchError
        Bad sources (see :func:`load_sources`), or a number of sources the method does not accept.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[20:40, 20:40] = 1.0  # a warm target
    >>> vi = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (64, 1))  # visible texture
    >>> out = fuse([ir, vi], "lp")
    >>> out.shape, out.dtype, bool(out[30, 30] > vi[30, 30])  # the target shows in the fused image
    ((64, 64), dtype('float32'), True)
    """
    from .ranking import default_method, infer_task
    from .registry import TASKS

    if task is not None and task not in TASKS:
        raise UnknownNameError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    if task is None and (method is None or "task" in get_method(method).params):
        task = infer_task(sources)
    spec = get_method(method if method is not None else default_method(task))
    if task is not None and "task" in spec.params and "task" not in params:
        params = {**params, "task": task}
    if spec.needs_weights:
        require_deep(f"method {spec.name!r}")
    full = spec.check_params(params)
    images, _ = load_sources(sources)
    n = len(images)
    if n < spec.min_sources or (spec.max_sources is not None and n > spec.max_sources):
        most = "any number" if spec.max_sources is None else str(spec.max_sources)
        raise InvalidImageError(f"method {spec.name!r} fuses {spec.min_sources} to {most} sources, got {n}")
    if spec.colour:
        if any(im.ndim == 3 for im in images):
            images = [im if im.ndim == 3 else np.repeat(im[..., None], 3, axis=2) for im in images]
        return np.clip(np.asarray(spec.func(images, **full), dtype=np.float32), 0.0, 1.0)
    lums, chromas = split_colour(images)
    if spec.channel_rule and len(chromas) == n:
        fused, rule = spec.func(lums, channel_rule=True, **full)
    else:
        fused, rule = spec.func(lums, **full), None
    fused = np.clip(np.asarray(fused, dtype=np.float32), 0.0, 1.0)
    return merge_luminance(fused, fuse_chroma(chromas, rule) if chromas else None)
