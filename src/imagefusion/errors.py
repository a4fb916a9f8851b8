"""Exceptions raised by imagefusion.

Every error that concerns a file names the file, so that a batch job over a folder tells the user
which image is wrong and why.
"""

from __future__ import annotations


class ImageFusionError(Exception):
    """Base class of all errors raised by imagefusion.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> try:
    ...     imagefusion.fuse([np.zeros((8, 8))], "average")
    ... except ImageFusionError as exc:
    ...     print(type(exc).__name__, exc)
    InvalidImageError fusion needs at least two sources, got 1
    """


class InvalidImageError(ImageFusionError, ValueError):
    """An image cannot be used: unreadable, not an image, empty, NaN/inf values, or an unsupported
    bit depth or channel count. The message names the file (or the array's position).

    Examples
    --------
    >>> import numpy as np
    >>> from imagefusion.io import to_float
    >>> try:
    ...     to_float(np.full((4, 4), np.nan))
    ... except InvalidImageError as exc:
    ...     print(exc)
    image: 16 NaN or infinite value(s)
    """


class SizeMismatchError(ImageFusionError, ValueError):
    """The sources of one fusion do not share one width and height. The message names both files
    and both sizes.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> try:
    ...     imagefusion.fuse([np.zeros((8, 8)), np.zeros((8, 9))], "average")
    ... except SizeMismatchError as exc:
    ...     print(exc)
    sources differ in size: source 1 is 8x8 but source 2 is 9x8 (WxH); fusion needs registered images of one size
    """


class UnknownNameError(ImageFusionError, KeyError):
    """A method or metric name that is not in the registry. The message lists the known names.

    Examples
    --------
    >>> import imagefusion
    >>> try:
    ...     imagefusion.get_method("nosuch")
    ... except UnknownNameError as exc:
    ...     print(str(exc).split(";")[0])
    unknown method 'nosuch'
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterError(ImageFusionError, ValueError):
    """A method parameter that the method does not have, or a value of the wrong type.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> try:
    ...     imagefusion.fuse([np.zeros((8, 8)), np.ones((8, 8))], "lp", levels=0)
    ... except ParameterError as exc:
    ...     print(exc)
    parameter levels=0 of 'lp': must be in [1, 12]
    """


class OverwriteError(ImageFusionError, FileExistsError):
    """An output path would overwrite one of the source images.

    Examples
    --------
    >>> import numpy as np, tempfile, imagefusion
    >>> a = imagefusion.write_image(tempfile.mkdtemp() + "/a.png", np.zeros((8, 8)))
    >>> try:
    ...     imagefusion.write_image(a, np.ones((8, 8)), protect=[a])
    ... except OverwriteError as exc:
    ...     print(str(exc).split(": ", 1)[1][:37])
    refusing to overwrite the source imag
    """


class OutputError(ImageFusionError, OSError):
    """An output cannot be written: its folder is not writable or not a folder, the name is too long,
    or the disk is full. The message names the path and the reason; nothing is left half-written.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib, imagefusion
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "afile").write_text("x")
    >>> try:
    ...     imagefusion.write_image(d / "afile" / "x.png", np.zeros((8, 8)))
    ... except OutputError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    cannot write there (File exists)
    """


class DependencyError(ImageFusionError, ImportError):
    """An optional dependency is not installed (PyTorch for the deep methods). The message gives the
    install command.

    Examples
    --------
    >>> from imagefusion.cluster import require_dask
    >>> require_dask("--workers 2")  # raises DependencyError where Dask is missing
    >>> issubclass(DependencyError, ImportError)
    True
    """


class WeightsError(ImageFusionError, ValueError):
    """Network weights that cannot be used: a missing or unreadable file, or tensors whose names or
    shapes do not fit the network. The message names the file and what is wrong.

    Examples
    --------
    >>> from imagefusion.nn.registry import shipped_weights_path
    >>> try:
    ...     shipped_weights_path("nosuch-net")
    ... except WeightsError as exc:
    ...     print(str(exc)[:38])
    no shipped weights for 'nosuch-net': /
    """
