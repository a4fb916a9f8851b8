"""Training: datasets (:mod:`.data`), the shared loop (:mod:`.loop`) and one trainer per network.

``imagefusion train METHOD`` calls :func:`train`.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from ..errors import UnknownNameError
from .loop import TrainConfig

__all__ = ["TRAINABLE", "load_config", "train"]

#: Networks that ``imagefusion train`` can train.
TRAINABLE = ("siamese-cnn", "cnn-liu2017", "densefuse", "cam-ae", "cam-fwa", "cam-fwa-noldf", "mfenet")


def load_config(method: str, path: str | os.PathLike | None = None, **overrides: Any) -> TrainConfig:
    """The training configuration of ``method``: its defaults, then a JSON or TOML file, then
    ``overrides`` (``None`` values are ignored).

    Raises
    ------
    UnknownNameError
        ``method`` is not trainable.
    ValueError
        The config file cannot be parsed (the message names it).
    """
    if method not in TRAINABLE:
        raise UnknownNameError(f"no trainer for {method!r}; trainable: {', '.join(TRAINABLE)}")
    from .autoencoder import DEFAULTS as AE_DEFAULTS
    from .siamese import DEFAULTS

    values: dict[str, Any] = dict({**DEFAULTS, **AE_DEFAULTS}[method])
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text()
            values.update(tomllib.loads(text) if p.suffix == ".toml" else json.loads(text))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read config file {p}: {exc}") from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.from_dict(values)


def train(method: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
          max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train network ``method`` and write its weights and model card to ``out``.

    See :func:`imagefusion.train.siamese.train_siamese`,
    :func:`imagefusion.train.autoencoder.train_autoencoder`,
    :func:`imagefusion.train.autoencoder.train_fwa` and
    :func:`imagefusion.train.autoencoder.train_mfenet`; returns the model card.
    """
    if method not in TRAINABLE:
        raise UnknownNameError(f"no trainer for {method!r}; trainable: {', '.join(TRAINABLE)}")
    from .autoencoder import train_autoencoder, train_fwa, train_mfenet
    from .siamese import train_siamese

    trainer = {"densefuse": train_autoencoder, "cam-ae": train_autoencoder, "cam-fwa": train_fwa,
               "cam-fwa-noldf": train_fwa, "mfenet": train_mfenet}.get(method)
    if trainer is not None:
        return trainer(method, config, out, data_root=data_root, max_images=max_images, resume=resume,
                       command=command, progress=progress)
    return train_siamese(method, config, out, data_root=data_root, max_images=max_images, resume=resume,
                         command=command, progress=progress)
