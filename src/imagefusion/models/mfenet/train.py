"""Training of MFEnet (``mfenet``): random grey patches (with random flips and 90° turns) of the single
slices of ``medical/pet-mri`` and ``medical/spect-mri`` — the MRI and the luminance Y of the PET/SPECT
image (:func:`~imagefusion.train.data.medical_training_images`); ``medical/ct-mri`` is never read.
``L = (‖I_o − I_i‖_F² + α‖∇I_o − ∇I_i‖_F²)/(W·H)``, α = 6, Adam at a constant 1e-4 (the paper's
settings). Validation: the slices of a hash-split 10 % of the pairs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ...nn.losses import gradient_loss
from ...nn.registry import import_networks, network_class
from ...train.data import load_grey, medical_training_images, random_patches
from ...train.loop import StepOutput, TrainConfig, fit
from ...train.registry import register_trainer

__all__ = ["train_mfenet", "mfenet_loss"]


def mfenet_loss(output: torch.Tensor, target: torch.Tensor, alpha: float = 6.0) -> torch.Tensor:
    """MFEnet's training loss ``(‖I_o − I_i‖_F² + α‖∇I_o − ∇I_i‖_F²)/(W·H)``, batch mean.

    Parameters
    ----------
    output, target : torch.Tensor, shape (N, 1, H, W), values about [0, 1]
    alpha : float, default 6 (the paper's α)

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> float(mfenet_loss(x, x)), float(mfenet_loss(x, 1 - x)) > 0
    (0.0, True)
    """
    return F.mse_loss(output.float(), target.float()) + alpha * gradient_loss(output, target)


def _augmented_patches(images: list[np.ndarray], n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    batch = random_patches(images, n, size, rng)
    turns, flips = rng.integers(0, 4, n), rng.random(n) < 0.5
    return np.stack([np.rot90(p[:, ::-1] if f else p, k) for p, k, f in zip(batch, turns, flips)]).copy()


@register_trainer("mfenet", defaults={"epochs": 60, "steps_per_epoch": 20, "batch_size": 16, "lr": 1e-4, "lr_min": 1e-4,
                                      "val_size": 56},
                  extras={"patch": 128, "gradient_weight": 6.0, "store_float16": False},
                  summary="medical training pairs (PET/SPECT-MRI)")
def train_mfenet(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "",
                 progress: bool = True) -> dict[str, Any]:
    """Train the MFEnet autoencoder on single PET/SPECT/MRI slices (see the module docstring).

    Parameters
    ----------
    name : {"mfenet"}
    config : TrainConfig
        ``extra``: ``patch`` (128), ``gradient_weight`` α (6).
    out, data_root, max_images, resume, command, progress
        See :func:`train_autoencoder` (``max_images`` counts slices).

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        A training set is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("mfenet").func is train_mfenet  # run it through imagefusion.train.train
    True
    """
    import_networks()
    extra = config.extra
    size = int(extra.get("patch", 128))
    alpha = float(extra.get("gradient_weight", 6.0))
    train_paths, val_paths = medical_training_images(data_root, seed=config.seed)
    if max_images:
        train_paths, val_paths = train_paths[:max_images], val_paths[:max(2, max_images // 4)]
    if not val_paths:  # a handful of pairs may all hash to the training side
        val_paths = train_paths[-2:]
    train = [load_grey(p) for p in train_paths]
    val = [load_grey(p) for p in val_paths]
    val_batch = random_patches(val, config.val_size, size, np.random.default_rng([config.seed, 10**6]))
    torch.manual_seed(config.seed)
    model = network_class(name)()

    def step(m: torch.nn.Module, batch: Any, device: torch.device) -> StepOutput:
        x = torch.from_numpy(batch).to(device)[:, None]
        x = x.contiguous(memory_format=torch.channels_last) if device.type == "cpu" else x
        return StepOutput(loss=mfenet_loss(m(x), x, alpha))

    card = {
        "task": "mif",
        "loss": f"(||I_o - I_i||_F^2 + {alpha:g} ||grad I_o - grad I_i||_F^2) / (W H)",
        "training_data": {
            "source": "medical/pet-mri and medical/spect-mri, both slices of each pair (MRI grey, PET/SPECT "
                      f"luminance Y), random {size}x{size} patches with random flips and 90-degree turns; "
                      "validation: the slices of a hash-split 10 % of the pairs; medical/ct-mri never read",
            "train_images": len(train),
            "val_images": len(val),
        },
    }
    return fit(name, model, sample=lambda rng, n: _augmented_patches(train, n, size, rng), step=step,
               config=config, out=Path(out), val_batch=val_batch, resume=resume, command=command, card=card,
               progress=progress, loss_name=f"{name}: MSE + {alpha:g} gradient")
