"""Fusion methods: one module per method family; importing this package imports every module of it,
and each registers its methods (:func:`imagefusion.registry.register_method`). A new method is one new
module here, found without a list to edit. ``imagefusion methods`` lists them all, and
``imagefusion methods NAME`` shows one; each method's function is named after it (``lp-similarity`` is
:func:`imagefusion.methods.pyramid.lp_similarity`, found with
``imagefusion.get_method("lp-similarity").func``).

The deep methods live with their networks, one package per family under :mod:`imagefusion.models`.
A few classical functions are re-exported here for short imports.
"""

import importlib as _importlib
import pkgutil as _pkgutil

for _info in _pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        _importlib.import_module(f"{__name__}.{_info.name}")

from .exposure import mertens
from .filtering import gff, guided_filter
from .pixel import average, max_abs
from .pyramid import contrast, gaussian_pyramid, laplacian_pyramid, lp, lp_similarity, ratio, reconstruct_laplacian
from .wavelet import dtcwt, dwt

__all__ = [
    "average", "max_abs", "lp", "lp_similarity", "ratio", "contrast", "dwt", "dtcwt", "gff", "mertens",
    "guided_filter", "gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian",
]
