"""Network weights: safetensors files with a JSON model card, the weights shipped in the package,
and a registry of networks (one name → one network class, ``pretrained=True`` loads our weights).

A weights file ``NAME.safetensors`` has a model card ``NAME.json`` beside it: the training data,
epochs, final losses, validation metrics and the exact command that made it
(:func:`imagefusion.train.loop.fit` writes both).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ..errors import WeightsError
from ..io import sha256_file, write_bytes_atomic
from .registry import NETWORKS, network_class, shipped_weights_path

__all__ = [
    "NETWORKS",
    "create_network",
    "shipped_weights_path",
    "save_weights",
    "load_weights",
    "load_state",
    "read_model_card",
    "inference_network",
]

def _ensure_registered() -> None:
    """Import the network modules, whose classes register themselves (:func:`register_network`)."""
    from .registry import import_networks

    import_networks()


def save_weights(model: torch.nn.Module, path: str | os.PathLike, card: dict[str, Any],
                 dtype: torch.dtype | None = None) -> Path:
    """Write ``model``'s state dict as safetensors and ``card`` as JSON beside it, atomically (batch
    norm's integer ``num_batches_tracked`` counters are left out: inference does not use them).

    Parameters
    ----------
    model : torch.nn.Module
    path : path
        The ``.safetensors`` file; the card goes to the same path with ``.json``.
    card : dict
        JSON-serialisable model card.
    dtype : torch.dtype, optional
        Store floating tensors in this type (``torch.float16`` halves the file); loading casts back.

    Returns
    -------
    Path of the weights file.

    Examples
    --------
    >>> import tempfile, torch
    >>> path = save_weights(torch.nn.Conv2d(1, 2, 3), tempfile.mkdtemp() + "/net.safetensors", {"network": "demo"})
    >>> path.name, read_model_card(path)["network"]
    ('net.safetensors', 'demo')
    """
    from safetensors.torch import save

    path = Path(path)
    tensors = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):  # batch norm's training counter: integer, unused at inference
            continue
        v = v.detach().cpu()
        if dtype is not None and v.is_floating_point():
            v = v.to(dtype)
        tensors[k] = v.contiguous()
    meta = {"format": "pt", "network": type(model).__name__}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, save(tensors, metadata=meta))
    write_bytes_atomic(path.with_suffix(".json"), (json.dumps(card, indent=2, sort_keys=True) + "\n").encode())
    return path


def load_weights(model: torch.nn.Module, path: str | os.PathLike) -> torch.nn.Module:
    """Load a safetensors file into ``model`` (strict: every tensor name and shape must match).

    Tensors stored in another floating type (float16) are cast to the model's type. A network with a
    ``match_state_dict(state)`` method first adapts its layers to the file (``LiuCNN``'s factored
    ``fc1``: the file's rank is used).

    Parameters
    ----------
    model : torch.nn.Module
    path : path
        A safetensors file.

    Returns
    -------
    torch.nn.Module
        ``model``, with the weights loaded.

    Raises
    ------
    WeightsError
        The file is missing or unreadable, holds tensors that are not floating point (an integer
        file would load as an all-black network), or its tensors do not fit ``model`` (the message
        names the file and the first missing, unexpected or mis-shaped tensors), or they cannot be
        trained weights: NaN or infinite values, magnitudes over :data:`MAX_WEIGHT_MAGNITUDE`, or a
        kernel (a tensor of two or more dimensions) that is all zeros.

    Examples
    --------
    >>> import tempfile, torch
    >>> path = save_weights(torch.nn.Conv2d(1, 2, 3), tempfile.mkdtemp() + "/net.safetensors", {})
    >>> type(load_weights(torch.nn.Conv2d(1, 2, 3), path)).__name__
    'Conv2d'
    >>> try:
    ...     load_weights(torch.nn.Conv2d(1, 4, 3), path)
    ... except WeightsError as exc:
    ...     print(str(exc).split(": ", 1)[1][:60])
    wrong shapes ['weight: file (2, 1, 3, 3) vs network (4, 1, 3
    """
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise WeightsError(f"cannot read weights file {path}: {exc}") from exc
    return load_state(model, state, path)


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str | os.PathLike) -> torch.nn.Module:
    """Load a state dict into ``model`` with :func:`load_weights`' checks (strict names and shapes,
    floating point only, trained-looking values); batch norms' ``num_batches_tracked`` counters may be
    absent.

    Parameters
    ----------
    model : torch.nn.Module
    state : dict of str to torch.Tensor
        The tensors, as named in ``model.state_dict()``.
    source : str or path
        Where they come from, for the error messages (a file, or a published file's name).

    Returns
    -------
    torch.nn.Module
        ``model``, with the weights loaded.

    Raises
    ------
    WeightsError
        As :func:`load_weights`, naming ``source``.

    Examples
    --------
    >>> net = torch.nn.Conv2d(1, 2, 3)
    >>> state = {k: v + 1 for k, v in torch.nn.Conv2d(1, 2, 3).state_dict().items()}
    >>> bool(torch.equal(load_state(net, state, "example").weight, state["weight"]))
    True
    """
    not_float = sorted(k for k, v in state.items() if not v.is_floating_point())
    if not_float:
        raise WeightsError(f"weights file {source}: tensors must be floating point; {not_float[0]} is "
                           f"{str(state[not_float[0]].dtype).replace('torch.', '')}"
                           + (f" (and {len(not_float) - 1} more)" if len(not_float) > 1 else ""))
    match = getattr(model, "match_state_dict", None)
    if callable(match):  # a network whose layer shapes follow the file (LiuCNN's factored fc1)
        match(state)
    own = model.state_dict()
    counters = {k for k in own if k.endswith("num_batches_tracked")}  # not stored (see save_weights)
    missing = sorted(set(own) - set(state) - counters)
    extra = sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)} vs network {tuple(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or extra or shapes:
        parts = []
        if missing:
            parts.append(f"missing {missing[:5]}")
        if extra:
            parts.append(f"unexpected {extra[:5]}")
        if shapes:
            parts.append(f"wrong shapes {shapes[:5]}")
        raise WeightsError(f"weights file {source} does not fit {type(model).__name__}: " + "; ".join(parts))
    _check_statistics(source, state)
    model.load_state_dict({**{k: own[k] for k in counters}, **{k: v.to(own[k].dtype) for k, v in state.items()}})
    return model




#: Largest magnitude a trained weight (or batch-norm statistic) may have; a file beyond it is refused.
MAX_WEIGHT_MAGNITUDE = 1e6


def _check_statistics(path: str | os.PathLike, state: dict[str, torch.Tensor]) -> None:
    """Refuse weights that fit the network but cannot be trained ones: NaN or infinite values,
    magnitudes beyond :data:`MAX_WEIGHT_MAGNITUDE` (a white-out), or a kernel that is all zeros (a
    black or constant image)."""

    def first(names: list[str]) -> str:
        return names[0] + (f" (and {len(names) - 1} more)" if len(names) > 1 else "")

    nonfinite = [k for k, v in state.items() if v.numel() and not bool(torch.isfinite(v).all())]
    if nonfinite:
        raise WeightsError(f"weights file {path}: {first(nonfinite)} holds NaN or infinite values; not trained weights")
    huge = [k for k, v in state.items() if v.numel() and float(v.abs().max()) > MAX_WEIGHT_MAGNITUDE]
    if huge:
        top = float(state[huge[0]].abs().max())
        raise WeightsError(f"weights file {path}: {first(huge)} reaches {top:.3g} (over {MAX_WEIGHT_MAGNITUDE:.0e}); "
                           "not trained weights, the network would saturate")
    zero = [k for k, v in state.items() if v.ndim >= 2 and v.numel() and not bool(v.any())]
    if zero:
        raise WeightsError(f"weights file {path}: kernel {first(zero)} is all zeros; not trained weights, the network "
                           "would give a constant image")


def read_model_card(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON model card beside a weights file (``{}`` when there is none).

    Parameters
    ----------
    path : path
        The weights file (``NAME.safetensors``); the card is ``NAME.json`` beside it, or, for an
        ablation variant's file fetched on demand (its registered hash), the package's copy.

    Returns
    -------
    dict

    Examples
    --------
    >>> from imagefusion.nn.registry import shipped_weights_path
    >>> card = read_model_card(shipped_weights_path("densefuse"))
    >>> card["network"]
    'densefuse'
    """
    card = Path(path).with_suffix(".json")
    if card.is_file():
        return json.loads(card.read_text())
    from .published import PROJECT_REPO, WEIGHT_FILES, _import_all

    _import_all()  # an ablation variant fetched on demand: its card stays in the package
    entry = WEIGHT_FILES.get(Path(path).stem)
    packaged = Path(str(resources.files("imagefusion") / "weights" / f"{Path(path).stem}.json"))
    if entry is not None and entry.repo == PROJECT_REPO and packaged.is_file() and sha256_file(path) == entry.sha256:
        return json.loads(packaged.read_text())
    return {}


def create_network(name: str, *, pretrained: bool = True, weights: str | os.PathLike | None = None) -> torch.nn.Module:
    """Build network ``name`` in eval mode (timm-style registry).

    Parameters
    ----------
    name : str
        A key of :data:`NETWORKS` (``"siamese-cnn"``, ``"cnn-liu2017"``).
    pretrained : bool, default True
        Load the weights shipped with the package (ignored when ``weights`` is given).
    weights : path, optional
        A safetensors file of one's own (from ``imagefusion train``).

    Returns
    -------
    torch.nn.Module
        In eval mode, on the CPU, float32.

    Raises
    ------
    UnknownNameError
        Unknown network name.
    WeightsError
        See :func:`load_weights` and :func:`shipped_weights_path`.

    Examples
    --------
    >>> net = create_network("densefuse")
    >>> type(net).__name__, net.training
    ('DenseFuseNet', False)
    """
    _ensure_registered()
    model = network_class(name)()
    if weights is not None:
        load_weights(model, weights)
    elif pretrained:
        load_weights(model, shipped_weights_path(name))
    return model.eval()


@lru_cache(maxsize=16)
def _inference_network(name: str, weights: str | None, mtime: float, device: str | None, precision: str) -> torch.nn.Module:
    from .inference import prepare_model, select_device, select_dtype

    dev = select_device(device)
    model = create_network(name, pretrained=weights is None, weights=weights)
    return prepare_model(model, dev, select_dtype(dev, precision))


def inference_network(name: str, weights: str | os.PathLike | None = None, device: str | None = None,
                      precision: str = "auto") -> torch.nn.Module:
    """Network ``name`` with the shipped weights (or the ``weights`` file), in eval mode, converted
    once for the device and precision and cached (the cache notices a rewritten weights file by its
    modification time). What the deep fusion methods call; do not modify the returned network.

    Parameters
    ----------
    name : str
        A network's registry name (with its weight tag: ``cam-fwa.no-ldf``).
    weights : path, optional
        A safetensors file instead of the shipped weights.
    device : str, optional
        See :func:`~imagefusion.nn.inference.select_device`.
    precision : {"auto", "float32", "bfloat16"}, default "auto"

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    UnknownNameError, WeightsError
        See :func:`create_network`.

    Examples
    --------
    >>> net = inference_network("densefuse")
    >>> net is inference_network("densefuse")  # cached
    True
    """
    if not weights:
        return _inference_network(name, None, 0.0, device, precision)
    path = Path(weights)
    return _inference_network(name, str(path), path.stat().st_mtime if path.exists() else 0.0, device, precision)

