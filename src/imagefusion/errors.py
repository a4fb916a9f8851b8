"""Exceptions raised by imagefusion.

Every error that concerns a file names the file, so that a batch job over a folder tells the user
which image is wrong and why.
"""

from __future__ import annotations


class ImageFusionError(Exception):
    """Base class of all errors raised by imagefusion."""


class InvalidImageError(ImageFusionError, ValueError):
    """An image cannot be used: unreadable, not an image, empty, NaN/inf values, or an unsupported
    bit depth or channel count. The message names the file (or the array's position)."""


class SizeMismatchError(ImageFusionError, ValueError):
    """The sources of one fusion do not share one width and height. The message names both files
    and both sizes."""


class UnknownNameError(ImageFusionError, KeyError):
    """A method or metric name that is not in the registry. The message lists the known names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterError(ImageFusionError, ValueError):
    """A method parameter that the method does not have, or a value of the wrong type."""


class OverwriteError(ImageFusionError, FileExistsError):
    """An output path would overwrite one of the source images."""


class OutputError(ImageFusionError, OSError):
    """An output cannot be written: its folder is not writable or not a folder, the name is too long,
    or the disk is full. The message names the path and the reason; nothing is left half-written."""


class DependencyError(ImageFusionError, ImportError):
    """An optional dependency is not installed (PyTorch for the deep methods). The message gives the
    install command."""


class WeightsError(ImageFusionError, ValueError):
    """Network weights that cannot be used: a missing or unreadable file, or tensors whose names or
    shapes do not fit the network. The message names the file and what is wrong."""
