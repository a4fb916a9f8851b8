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

__all__ = ["NETWORKS", "TAGS", "import_networks", "register_network", "network_class", "resolve_network", "shipped_weights_path",
           "shipped_weights_files"]

#: name → network class (zero-argument constructor), filled by :func:`register_network`.
NETWORKS: dict[str, Callable[[], Any]] = {}
#: name → its weight variants' tags (``cam-fwa`` → ``("no-ldf",)``), filled by :func:`register_network`.
TAGS: dict[str, tuple[str, ...]] = {}
#: Former names of tagged weights, still accepted.
ALIASES = {"cam-fwa-noldf": "cam-fwa.no-ldf"}
#: Weights the package leaves out (ablation variants), by network name: a call returns the local copy,
#: fetched and hash-checked first where needed (filled by :mod:`imagefusion.nn.published`).
ON_DEMAND: dict[str, Callable[[], Path]] = {}


def register_network(*names: str, tags: tuple[str, ...] = ()) -> Callable[[type], type]:
    """Class decorator: register a network class under one or more names, with its weight variants.

    A weight variant of a network (the same architecture trained otherwise) is a tag, as in timm:
    ``cam-fwa.no-ldf`` is ``cam-fwa`` trained without the L_df loss, with its own weights file
    ``imagefusion/weights/cam-fwa.no-ldf.safetensors``; ``cam-fwa`` alone is the default weights.

    Parameters
    ----------
    *names : str
        Registry names; ``imagefusion/weights/NAME.safetensors`` are the shipped weights.
    tags : tuple of str, optional
        The weight variants besides the default (``NAME.TAG``).

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
            TAGS[name] = tuple(tags)
        return cls

    return deco


def import_networks() -> None:
    """Import every module of :mod:`imagefusion.nn` and every family's ``network`` and ``authors``
    modules (:mod:`imagefusion.models`; they import torch), so that their networks and published weight
    files are registered; a new network is found without a list to edit.

    Examples
    --------
    >>> import_networks()
    >>> "densefuse" in NETWORKS
    True
    """
    import importlib
    import pkgutil

    from ..models import import_family_modules

    for info in pkgutil.iter_modules([str(Path(__file__).resolve().parent)]):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__package__}.{info.name}")
    import_family_modules("network")
    import_family_modules("authors")


def resolve_network(name: str) -> tuple[str, str | None]:
    """Split a network name into its registered name and weight tag (``"cam-fwa.no-ldf"`` →
    ``("cam-fwa", "no-ldf")``; ``"densefuse"`` → ``("densefuse", None)``); former names are mapped
    (:data:`ALIASES`).

    Parameters
    ----------
    name : str

    Returns
    -------
    tuple of (str, str or None)

    Raises
    ------
    UnknownNameError
        A network or a tag that is not registered (the message lists the known ones).
    DependencyError
        PyTorch is not installed (the networks are registered when their modules are imported).

    Examples
    --------
    >>> resolve_network("cam-fwa.no-ldf")
    ('cam-fwa', 'no-ldf')
    >>> resolve_network("cam-fwa-noldf")  # its former name
    ('cam-fwa', 'no-ldf')
    """
    from ..errors import UnknownNameError

    name = ALIASES.get(name, name)
    base, _, tag = name.partition(".")
    if base not in NETWORKS:  # the network modules register on first use (they import torch)
        from ..fusion import require_deep

        require_deep(f"network {base!r}")
        import_networks()
    if base not in NETWORKS:
        raise UnknownNameError(f"unknown network {base!r}; networks: {', '.join(sorted(NETWORKS))}")
    if tag and tag not in TAGS.get(base, ()):
        known = ", ".join(f"{base}.{t}" for t in TAGS.get(base, ())) or "none"
        raise UnknownNameError(f"network {base!r} has no weights tagged {tag!r}; tagged weights: {known}")
    return base, tag or None


def network_class(name: str) -> Callable[[], Any]:
    """The class registered for a network name, with or without a weight tag.

    Parameters
    ----------
    name : str
        ``"densefuse"``, ``"cam-fwa.no-ldf"``, ...

    Returns
    -------
    type
        The network class (construct it with no arguments).

    Raises
    ------
    UnknownNameError
        See :func:`resolve_network`.

    Examples
    --------
    >>> network_class("cam-fwa.no-ldf").__name__
    'FWANet'
    """
    return NETWORKS[resolve_network(name)[0]]


def shipped_weights_path(name: str) -> Path:
    """Path of the weights the package ships for network ``name`` (``imagefusion/weights/NAME.safetensors``),
    or, for an ablation variant the package leaves out (``unet-gan.wgan-gp``), its local copy, fetched on
    demand and hash-checked (:func:`imagefusion.nn.published.fetch`).

    Parameters
    ----------
    name : str

    Returns
    -------
    Path

    Raises
    ------
    WeightsError
        The package has no weights for ``name`` (or a variant's file cannot be fetched: offline with no
        copy, or a copy whose SHA-256 is wrong).

    Examples
    --------
    >>> shipped_weights_path("densefuse").name
    'densefuse.safetensors'
    """
    from ..errors import WeightsError

    name = ALIASES.get(name, name)
    path = Path(str(resources.files("imagefusion") / "weights" / f"{name}.safetensors"))
    if path.is_file():
        return path
    import_networks()  # their modules register the files the package leaves out, and the fetcher
    if name in ON_DEMAND:  # an ablation variant's file: fetched on demand, hash-checked
        return ON_DEMAND[name]()
    raise WeightsError(f"no shipped weights for {name!r}: {path} is missing; train them with "
                       f"'imagefusion train {name}' and pass --weights")


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
