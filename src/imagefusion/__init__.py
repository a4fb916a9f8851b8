"""imagefusion: pixel-level image fusion — classical and deep methods, reference-exact quality metrics,
benchmarks.

The Python API in one place::

    import imagefusion
    fused = imagefusion.fuse(["ir.png", "vi.png"], method="gff")   # float32 in [0, 1]
    imagefusion.list_methods(task="mff")
"""

from .runtime import tune_allocator

tune_allocator()

from .errors import (  # noqa: E402
    DependencyError,
    ImageFusionError,
    InvalidImageError,
    OutputError,
    OverwriteError,
    ParameterError,
    SizeMismatchError,
    UnknownNameError,
)
from . import methods, models  # noqa: E402, F401  (importing registers every method)
from .fusion import fuse, load_sources
from .io import read_image, write_image
from .metrics import evaluate, list_metrics
from .registry import TASKS, MethodSpec, get_method, list_methods

__version__ = "0.1.0"

__all__ = [
    "fuse", "load_sources", "evaluate", "list_metrics", "list_methods", "get_method", "MethodSpec", "TASKS", "read_image", "write_image",
    "DependencyError", "ImageFusionError", "InvalidImageError", "OutputError", "OverwriteError", "ParameterError", "SizeMismatchError",
    "UnknownNameError", "__version__",
]
