"""Training: datasets (:mod:`.data`), the shared loop (:mod:`.loop`), the GAN steps (:mod:`.gan_loop`,
:mod:`.gan`); each network's trainer lives with it (``imagefusion.models.NAME.train``).

``imagefusion train METHOD`` calls :func:`train`.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .loop import TrainConfig
from .registry import get_trainer, list_trainers

__all__ = ["TRAINABLE", "load_config", "train", "get_trainer", "list_trainers"]


def __getattr__(name: str) -> Any:
    """``TRAINABLE``: the networks ``imagefusion train`` can train (from the trainer registry)."""
    if name == "TRAINABLE":
        return tuple(t.name for t in list_trainers())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        A setting the trainer does not have (the message lists the valid ones), a value of the wrong
        type or out of range (counts at least 1, rates above 0, nothing negative), or a config file
        that cannot be read or parsed, or holds anything but an object of settings (the message
        names it).

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
            loaded = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ParameterError(f"--config {p}: cannot read it ({str(exc).splitlines()[0]})") from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"--config {p}: holds a {type(loaded).__name__}; give an object of settings, "
                                 'e.g. {"epochs": 4, "lr": 0.001}')
        given.update(loaded)
    given.update({k: v for k, v in overrides.items() if v is not None})
    from .registry import CONFIG_FIELDS

    valid = list(CONFIG_FIELDS) + [k for k in spec.extras if k not in CONFIG_FIELDS]
    unknown = sorted(set(given) - set(valid))
    where = f" in {path}" if path is not None else ""
    if unknown:
        raise ParameterError(f"{method} has no setting {', '.join(map(str, unknown))}{where}; its settings: "
                             f"{', '.join(valid)}")
    defaults = {**{f: getattr(TrainConfig, f, None) for f in CONFIG_FIELDS}, **spec.settings()}
    for key, value in given.items():
        _check_setting(key, value, defaults.get(key), where)
    values.update(given)
    return TrainConfig.from_dict(values)


#: Settings that must be at least 1 (counts) or greater than 0 (rates); others of a number type are >= 0.
_AT_LEAST_ONE = ("epochs", "steps_per_epoch", "batch_size", "val_size", "patch")
_POSITIVE = ("lr", "lr_min")


def _check_setting(key: str, value: Any, default: Any, where: str) -> None:
    """One training setting against its default's type and its range; a one-line ParameterError."""
    import math
    import numbers

    text = f"setting {key}={value!r}{where}"
    if key == "threads" and value is None:  # TrainConfig's default: every core
        return
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(f"{text}: expected true or false")
        return
    if isinstance(default, int) or key == "threads":  # threads: an integer, though its default is None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ParameterError(f"{text}: expected an integer")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ParameterError(f"{text}: expected a finite number")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ParameterError(f"{text}: expected a string")
        return
    else:
        return
    if key in _AT_LEAST_ONE and value < 1:
        raise ParameterError(f"{text}: must be at least 1")
    if key in _POSITIVE and value <= 0:
        raise ParameterError(f"{text}: must be greater than 0")
    if value < 0:
        raise ParameterError(f"{text}: must not be negative")


def train(method: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
          max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train network ``method`` with its registered trainer and write its weights and model card to
    ``out``; returns the model card.

    Parameters
    ----------
    method : str
        A trainable network (:func:`~imagefusion.train.registry.list_trainers`).
    config : TrainConfig
        From :func:`load_config` (the trainer's defaults, a config file, overrides).
    out : path
        Output folder: ``checkpoint.pt``, ``log.csv``, ``loss.png``, ``NAME.safetensors`` and its
        model card ``NAME.json``.
    data_root : path
        The ``shared/data`` folder (training sets only are read; evaluation sets are refused).
    max_images : int, optional
        Use only this many training images (smoke runs).
    resume : bool, default True
        Continue from ``out/checkpoint.pt`` when it exists.
    command : str
        The command line, for the model card.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    dict
        The model card.

    Raises
    ------
    UnknownNameError
        ``method`` is not trainable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skimage import data
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for i, im in enumerate((data.camera(), data.astronaut(), data.coffee(), data.chelsea())):
    ...     _ = write_image(root / "natural/bsds500/images" / ("val" if i == 3 else "train") / f"{i}.png", im)
    >>> cfg = load_config("siamese-cnn", epochs=1, steps_per_epoch=2, batch_size=8, val_size=16)
    >>> card = train("siamese-cnn", cfg, root / "run", data_root=root, progress=False)
    >>> card["network"], card["steps"], sorted(p.name for p in (root / "run").iterdir())
    ('siamese-cnn', 2, ['checkpoint.pt', 'log.csv', 'loss.png', 'siamese-cnn.json', 'siamese-cnn.safetensors'])
    """
    checkpoint = Path(out) / "checkpoint.pt"
    if resume and checkpoint.is_file():  # refuse a foreign or damaged checkpoint before reading any data
        from .loop import load_checkpoint

        load_checkpoint(checkpoint, ())
    return get_trainer(method).func(method, config, out, data_root=data_root, max_images=max_images,
                                    resume=resume, command=command, progress=progress)
