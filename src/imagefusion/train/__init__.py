"""Training: datasets (:mod:`.data`), the shared loop (:mod:`.loop`) and one trainer per network.

``imagefusion train METHOD`` calls :func:`train`.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from . import autoencoder, mfenet, siamese  # noqa: F401  (importing registers the trainers)
from .loop import TrainConfig
from .registry import get_trainer, list_trainers

__all__ = ["TRAINABLE", "load_config", "train", "get_trainer", "list_trainers"]

#: Networks that ``imagefusion train`` can train (from the trainer registry).
TRAINABLE = tuple(t.name for t in list_trainers())


def load_config(method: str, path: str | os.PathLike | None = None, **overrides: Any) -> TrainConfig:
    """The training configuration of ``method``: its registered defaults, then a JSON or TOML file,
    then ``overrides`` (``None`` values are ignored).

    Parameters
    ----------
    method : str
        A trainable network (:data:`TRAINABLE`).
    path : path, optional
        JSON or TOML file of settings.
    **overrides
        Settings given on the command line.

    Returns
    -------
    TrainConfig

    Raises
    ------
    UnknownNameError
        ``method`` is not trainable.
    ParameterError
        A setting the trainer does not have (the message lists the valid ones).
    ValueError
        The config file cannot be parsed (the message names it).

    Examples
    --------
    >>> load_config("densefuse", epochs=2).epochs
    2
    """
    spec = get_trainer(method)
    values: dict[str, Any] = spec.settings()
    given: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text()
            given.update(tomllib.loads(text) if p.suffix == ".toml" else json.loads(text))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read config file {p}: {exc}") from exc
    given.update({k: v for k, v in overrides.items() if v is not None})
    from .registry import CONFIG_FIELDS

    valid = list(CONFIG_FIELDS) + [k for k in spec.extras if k not in CONFIG_FIELDS]
    unknown = sorted(set(given) - set(valid))
    if unknown:
        where = f" in {path}" if path is not None else ""
        raise ParameterError(f"{method} has no setting {', '.join(unknown)}{where}; its settings: {', '.join(valid)}")
    values.update(given)
    return TrainConfig.from_dict(values)


def train(method: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
          max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train network ``method`` with its registered trainer and write its weights and model card to
    ``out``; returns the model card.

    Raises
    ------
    UnknownNameError
        ``method`` is not trainable.
    """
    return get_trainer(method).func(method, config, out, data_root=data_root, max_images=max_images,
                                    resume=resume, command=command, progress=progress)
