"""The deep methods, one package per family, as timm keeps a model: ``imagefusion.models.NAME``
holds the fusion method(s) and their registration (``__init__``, importable without torch), the network
with its weight variants and the registry entries of its weight files (``network``, which imports
torch), and where the project trains it, its trainer (``train``); a family with its authors' weights
beside the project's own keeps their reader in ``authors``.

Importing this package imports every family's ``__init__``, which registers its methods; the networks
and the trainers are found the same way (:func:`import_family_modules`), so a new family is one new
package, found without a list to edit.
"""

from __future__ import annotations

import importlib as _importlib
import importlib.util as _importlib_util
import pkgutil as _pkgutil
from functools import cache as _cache

__all__ = ["families", "import_family_modules"]


def families() -> list[str]:
    """The family packages' names, sorted (``["autoencoder", "ddcgan", ...]``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> "ifcnn" in families()
    True
    """
    return sorted(info.name for info in _pkgutil.iter_modules(__path__) if info.ispkg and not info.name.startswith("_"))


@_cache
def import_family_modules(part: str) -> tuple[str, ...]:
    """Import the module ``part`` (``"network"``, ``"authors"``, ``"train"``) of every family that has one;
    the families are looked for once per ``part`` (the registries call this on every look-up).

    Parameters
    ----------
    part : str
        The module's name inside a family package.

    Returns
    -------
    tuple of str
        The imported modules' full names.

    Examples
    --------
    >>> "imagefusion.models.siamese.train" in import_family_modules("train")
    True
    """
    done = []
    for family in families():
        spec = _importlib_util.find_spec(f"{__name__}.{family}.{part}")
        if spec is not None:
            done.append(_importlib.import_module(spec.name).__name__)
    return tuple(done)


for _family in families():
    _importlib.import_module(f"{__name__}.{_family}")
