"""The trainer registry: one network name → its training function and its settings, declared on the
trainer itself with the :func:`register_trainer` decorator, in its family's ``train`` module
(``imagefusion.models.NAME.train``, found by :func:`list_trainers` and :func:`get_trainer`).

A trainer's settings are the :class:`~imagefusion.train.loop.TrainConfig` fields it changes from their
defaults plus its own extra settings, each with its default in one place; a configuration naming a
setting the trainer does not have is an error listing the valid ones. This module imports no trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainerSpec", "register_trainer", "get_trainer", "list_trainers", "CONFIG_FIELDS"]

#: The settings every trainer has (the fields of ``TrainConfig`` but ``extra``).
CONFIG_FIELDS = ("epochs", "steps_per_epoch", "batch_size", "lr", "lr_min", "weight_decay", "seed", "val_size",
                 "device", "precision", "threads")

_TRAINERS: dict[str, "TrainerSpec"] = {}


@dataclass(frozen=True)
class TrainerSpec:
    """What the registry knows of one trainable network.

    Attributes
    ----------
    name : str
        The network (``imagefusion train NAME``).
    func : callable
        ``func(name, config, out, *, data_root, max_images, resume, command, progress) -> model card``.
    defaults : dict
        The ``TrainConfig`` fields this network trains with (others keep ``TrainConfig``'s defaults).
    extras : dict
        The trainer's own settings and their defaults (``TrainConfig.extra``).
    summary : str
        One line: what it trains on.

    Examples
    --------
    >>> import imagefusion.train
    >>> spec = get_trainer("densefuse")
    >>> spec.name, spec.summary[:30]
    ('densefuse', 'grey natural images (BSDS500) ')
    """

    name: str
    func: Callable[..., dict[str, Any]]
    defaults: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def settings(self) -> dict[str, Any]:
        """Every setting this trainer accepts, with its default (``TrainConfig`` fields first)."""
        return {**self.defaults, **self.extras}


def register_trainer(name: str, *, defaults: dict[str, Any], extras: dict[str, Any], summary: str = "",
                     variants: dict[str, dict[str, Any]] | None = None) -> Callable[[Callable[..., dict[str, Any]]],
                                                                             Callable[..., dict[str, Any]]]:
    """Decorator: register the decorated function as the trainer of network ``name`` (and of its
    weight variants ``name + tag``).

    Parameters
    ----------
    name : str
    defaults : dict
        ``TrainConfig`` fields (:data:`CONFIG_FIELDS`) and their values for this network.
    extras : dict
        The trainer's own settings and their defaults.
    summary : str, optional
        One line: what it trains on.
    variants : dict of tag to dict, optional
        More networks trained by the same function (``{".no-st": {"transfer": False}}`` registers
        ``NAME.no-st``): each with the extras it changes, and, under ``"summary"``, its own summary.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValueError
        A name registered twice, a default that is not a ``TrainConfig`` field, or an extra setting
        that shadows one or that the variant's network does not have.

    Examples
    --------
    >>> @register_trainer("example-net", defaults={"epochs": 2}, extras={"patch": 64}, variants={".big": {"patch": 128}})
    ... def train_example(name, config, out, **kw):
    ...     return {}
    >>> get_trainer("example-net").settings(), get_trainer("example-net.big").settings()
    ({'epochs': 2, 'patch': 64}, {'epochs': 2, 'patch': 128})
    >>> _ = _TRAINERS.pop("example-net"), _TRAINERS.pop("example-net.big")
    """
    bad = sorted(set(defaults) - set(CONFIG_FIELDS))
    if bad:
        raise ValueError(f"trainer {name!r}: {bad} are not TrainConfig fields; give them as extras")
    clash = sorted(set(extras) & set(CONFIG_FIELDS))
    if clash:
        raise ValueError(f"trainer {name!r}: extras {clash} shadow TrainConfig fields")
    specs = {name: (dict(extras), summary)}
    for tag, changes in (variants or {}).items():
        changes = dict(changes)
        own_summary = changes.pop("summary", summary)
        unknown = sorted(set(changes) - set(extras))
        if unknown:
            raise ValueError(f"trainer {name + tag!r}: {unknown} are not settings of {name!r}")
        specs[name + tag] = ({**extras, **changes}, own_summary)

    def register(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        for key, (own_extras, own_summary) in specs.items():
            if key in _TRAINERS:
                raise ValueError(f"trainer {key!r} is registered twice")
            _TRAINERS[key] = TrainerSpec(key, func, dict(defaults), own_extras, own_summary)
        return func

    return register


def get_trainer(name: str) -> TrainerSpec:
    """The :class:`TrainerSpec` of ``name``.

    Parameters
    ----------
    name : str
        A network name, with its weight tag where it has one (``cam-fwa.no-ldf``; the former name
        ``cam-fwa-noldf`` is accepted).

    Returns
    -------
    TrainerSpec

    Raises
    ------
    UnknownNameError
        ``name`` has no trainer (the message lists the trainable networks).

    Examples
    --------
    >>> get_trainer("cam-fwa-noldf").name
    'cam-fwa.no-ldf'
    """
    from ..errors import UnknownNameError
    from ..nn.registry import ALIASES

    _import_trainers()
    try:
        return _TRAINERS[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownNameError(f"no trainer for {name!r}; trainable: {', '.join(_TRAINERS)}") from None


def list_trainers() -> list[TrainerSpec]:
    """Every registered trainer, sorted by name.

    Returns
    -------
    list of TrainerSpec

    Examples
    --------
    >>> [t.name for t in list_trainers()][:7]
    ['cam-ae', 'cam-fwa', 'cam-fwa.no-ldf', 'cnn-liu2017', 'ddcgan', 'densefuse', 'fusiongan']
    """
    _import_trainers()
    return [_TRAINERS[name] for name in sorted(_TRAINERS)]


def _import_trainers() -> None:
    """Import every family's ``train`` module (:mod:`imagefusion.models`; they import torch), which
    registers its trainers; a new trainer is found without a list to edit."""
    from ..models import import_family_modules

    import_family_modules("train")
