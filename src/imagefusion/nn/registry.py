"""The network registry: one name → one network class, declared beside the class, and where its
shipped weights are.

A network module decorates its class with :func:`register_network`; a fusion method names the
networks it runs in ``register_method(..., networks=(...))``, which is how the bench finds the
weights files that enter its cache key. This module imports neither torch nor any network, so the
registry of methods can list shipped weights without loading PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["NETWORKS", "register_network", "shipped_weights_path", "shipped_weights_files"]

#: name → network class (zero-argument constructor), filled by :func:`register_network`.
NETWORKS: dict[str, Callable[[], Any]] = {}


def register_network(*names: str) -> Callable[[type], type]:
    """Class decorator: register a network class under one or more names (one class may serve several
    weight files, e.g. ``cam-fwa`` and ``cam-fwa-noldf``).

    Parameters
    ----------
    *names : str
        Registry names; ``imagefusion/weights/NAME.safetensors`` are the shipped weights.

    Returns
    -------
    callable
        The decorator, which returns the class unchanged.

    Raises
    ------
    ValueError
        A name registered twice.

    Examples
    --------
    >>> @register_network("example-net")
    ... class ExampleNet:
    ...     pass
    >>> NETWORKS["example-net"] is ExampleNet
    True
    >>> _ = NETWORKS.pop("example-net")
    """

    def deco(cls: type) -> type:
        for name in names:
            if name in NETWORKS and NETWORKS[name] is not cls:
                raise ValueError(f"network {name!r} is registered twice")
            NETWORKS[name] = cls
        return cls

    return deco


def shipped_weights_path(name: str) -> Path:
    """Path of the weights the package ships for network ``name`` (``imagefusion/weights/NAME.safetensors``).

    Parameters
    ----------
    name : str

    Returns
    -------
    Path

    Raises
    ------
    WeightsError
        The package has no weights for ``name``.

    Examples
    --------
    >>> shipped_weights_path("densefuse").name
    'densefuse.safetensors'
    """
    from ..errors import WeightsError

    path = Path(str(resources.files("imagefusion") / "weights" / f"{name}.safetensors"))
    if not path.is_file():
        raise WeightsError(f"no shipped weights for {name!r}: {path} is missing; train them with "
                           f"'imagefusion train {name}' and pass --weights")
    return path


def shipped_weights_files(networks: tuple[str, ...]) -> list[Path]:
    """The shipped weights files of a method's networks: the first must exist, later ones (a
    variant's extra network) are listed when present — a variant whose file is missing fails when it
    runs, naming the file.

    Parameters
    ----------
    networks : tuple of str

    Returns
    -------
    list of Path

    Raises
    ------
    WeightsError
        The first network has no shipped weights.

    Examples
    --------
    >>> [p.name for p in shipped_weights_files(("cam-ae", "cam-fwa"))]
    ['cam-ae.safetensors', 'cam-fwa.safetensors']
    """
    from ..errors import WeightsError

    out = []
    for i, name in enumerate(networks):
        try:
            out.append(shipped_weights_path(name))
        except WeightsError:
            if i == 0:
                raise
    return out
