"""The trainer registry: one network name → its training function and its settings, declared beside
the trainer (``register_trainer`` in :mod:`imagefusion.train.siamese`, :mod:`imagefusion.train.autoencoder`,
:mod:`imagefusion.train.mfenet`, :mod:`imagefusion.train.gan`).

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


def register_trainer(name: str, func: Callable[..., dict[str, Any]], *, defaults: dict[str, Any],
                     extras: dict[str, Any], summary: str = "") -> TrainerSpec:
    """Register ``func`` as the trainer of network ``name``.

    Parameters
    ----------
    name : str
    func : callable
    defaults : dict
        ``TrainConfig`` fields (:data:`CONFIG_FIELDS`) and their values for this network.
    extras : dict
        The trainer's own settings and their defaults.
    summary : str, optional

    Returns
    -------
    TrainerSpec

    Raises
    ------
    ValueError
        A name registered twice, a default that is not a ``TrainConfig`` field, or an extra setting
        that shadows one.

    Examples
    --------
    >>> spec = register_trainer("example-net", print, defaults={"epochs": 2}, extras={"patch": 64})
    >>> spec.settings()
    {'epochs': 2, 'patch': 64}
    >>> _ = _TRAINERS.pop("example-net")
    """
    if name in _TRAINERS:
        raise ValueError(f"trainer {name!r} is registered twice")
    bad = sorted(set(defaults) - set(CONFIG_FIELDS))
    if bad:
        raise ValueError(f"trainer {name!r}: {bad} are not TrainConfig fields; give them as extras")
    clash = sorted(set(extras) & set(CONFIG_FIELDS))
    if clash:
        raise ValueError(f"trainer {name!r}: extras {clash} shadow TrainConfig fields")
    spec = TrainerSpec(name, func, dict(defaults), dict(extras), summary)
    _TRAINERS[name] = spec
    return spec


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
    >>> import imagefusion.train  # registers the trainers (needs torch)
    >>> get_trainer("cam-fwa-noldf").name
    'cam-fwa.no-ldf'
    """
    from ..errors import UnknownNameError
    from ..nn.registry import ALIASES

    try:
        return _TRAINERS[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownNameError(f"no trainer for {name!r}; trainable: {', '.join(_TRAINERS)}") from None


def list_trainers() -> list[TrainerSpec]:
    """Every registered trainer, in registration order.

    Returns
    -------
    list of TrainerSpec

    Examples
    --------
    >>> import imagefusion.train
    >>> [t.name for t in list_trainers()][:7]
    ['densefuse', 'cam-ae', 'cam-fwa', 'cam-fwa.no-ldf', 'pmgi', 'pmgi.mif', 'pmgi.mff']
    """
    return list(_TRAINERS.values())
