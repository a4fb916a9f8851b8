"""PMGI's trainer and loss: the authors' content loss with each task's weights; no discriminator (as released)."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ...nn.gan import laplacian
from ...nn.registry import network_class
from ...train.gan import IVIF_SUMMARY, adam, start_training, update
from ...train.gan_loop import fit_gan
from ...train.loop import TrainConfig
from ...train.registry import register_trainer

__all__ = ["pmgi_loss", "train_pmgi"]

def pmgi_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, weights: dict[str, float]) -> torch.Tensor:
    """PMGI's loss ``100·(β₁ mean (F − A)² + β₂ mean (F − B)² + β₃ mean (∇F − ∇B)² + β₄ mean (∇F − ∇A)²)``
    with the Laplacian ∇ (the authors' ``model.py``).

    Parameters
    ----------
    fused, a, b : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]
    weights : dict
        ``int_a``, ``int_b``, ``grad_b``, ``grad_a`` (:data:`imagefusion.models.pmgi.network.PMGI_LOSS_WEIGHTS`).

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> a, b = torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)
    >>> w = {"int_a": 1.0, "int_b": 1.0, "grad_a": 0.0, "grad_b": 0.0}
    >>> float(pmgi_loss(torch.full((1, 1, 4, 4), 0.5), a, b, w))  # 100·(0.25 + 0.25)
    50.0
    """
    f, a, b = fused.float(), a.float(), b.float()
    lf = laplacian(f)
    return 100 * (weights["int_a"] * ((f - a) ** 2).mean() + weights["int_b"] * ((f - b) ** 2).mean()
                  + weights["grad_b"] * ((lf - laplacian(b)) ** 2).mean() + weights["grad_a"] * ((lf - laplacian(a)) ** 2).mean())


@register_trainer("pmgi", defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4, "lr_min": 1e-4,
                                    "val_size": 64},
                  extras={"patch": 120}, summary=IVIF_SUMMARY,
                  variants={".mif": {"summary": "PET/SPECT-MRI training pairs"},
                            ".mff": {"patch": 60, "summary": "multi-focus pairs synthesised from BSDS500"},
                            ".mef": {"summary": "exposure pairs synthesised from BSDS500"}})
def train_pmgi(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
               max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train PMGI for one task (``pmgi``: ivif, ``pmgi.mif``, ``pmgi.mff``, ``pmgi.mef``) with the authors'
    content loss and that task's weights (:func:`pmgi_loss`); the released code has no discriminator.

    Parameters
    ----------
    name : str
    config : TrainConfig
        ``extra``: ``patch`` (120; 60 for ``mff`` as in the authors' code).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

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
    >>> get_trainer("pmgi.mef").func is train_pmgi
    True
    """
    from .network import PMGI_LOSS_WEIGHTS

    task = {"pmgi": "ivif", "pmgi.mif": "mif", "pmgi.mff": "mff", "pmgi.mef": "mef"}[name]
    weights = PMGI_LOSS_WEIGHTS[task]
    patch = int(config.extra.get("patch", 60 if task == "mff" else 120))
    sample, val_batch, info = start_training(name, config, data_root, task, max_images, patch)
    g = network_class(name)()
    opts = {"g": adam(g.parameters(), config)}

    def loss(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        a, bb = x[:, :1], x[:, 1:]
        return pmgi_loss(net(a, bb), a, bb, weights)

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        total = loss(g, b)
        update(opts["g"], total)
        return {"g_total": total.item()}

    card = {"task": task, "loss": f"100*({weights['int_a']:g} mean(F-A)^2 + {weights['int_b']:g} mean(F-B)^2 + "
                                  f"{weights['grad_b']:g} mean(lap F - lap B)^2 + {weights['grad_a']:g} mean(lap F - lap A)^2)",
            "adversarial": "none (the authors' released code trains PMGI with the content loss only)",
            "training_data": info}
    return fit_gan(name, g, critics={}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=loss, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({task})")
