"""FusionGAN's trainer and content loss (the generator against one discriminator on the visible image)."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ...nn.gan import laplacian
from ...nn.registry import network_class
from ...train.gan import (
    IVIF_SUMMARY,
    adam,
    critic_steps,
    gan_objective,
    generator_adversarial_loss,
    make_critic,
    spectral_normalise,
    start_training,
    update,
)
from ...train.gan_loop import fit_gan
from ...train.loop import TrainConfig
from ...train.registry import register_trainer

__all__ = ["fusiongan_content_loss", "train_fusiongan"]

def fusiongan_content_loss(fused: torch.Tensor, ir: torch.Tensor, vi: torch.Tensor, xi: float = 5.0) -> torch.Tensor:
    """FusionGAN's content loss ``mean (F − IR)² + ξ·mean (∇F − ∇VI)²`` with the Laplacian ∇
    (Information Fusion 48, 2019, eq. 4–5, and the authors' ``model.py``: squares, not norms).

    Parameters
    ----------
    fused, ir, vi : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]
    xi : float, default 5

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> ir, vi = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    >>> float(fusiongan_content_loss(torch.full((1, 1, 4, 4), 0.5), ir, vi))  # 0.25 + 5·(4·1 + 8·0.25)/16
    2.125
    """
    f = fused.float()
    return ((f - ir.float()) ** 2).mean() + xi * ((laplacian(f) - laplacian(vi.float())) ** 2).mean()


@register_trainer("fusiongan", defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 16, "lr": 1e-4,
                                         "lr_min": 1e-4, "val_size": 32},
                  extras={"objective": "lsgan", "d_steps": 2, "gp_weight": 10.0, "content_weight": 100.0, "xi": 5.0},
                  summary=IVIF_SUMMARY, variants={".wgan-gp": {"objective": "wgan-gp", "d_steps": 5}})
def train_fusiongan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                    max_images: int | None = None, resume: bool = True, command: str = "",
                    progress: bool = True) -> dict[str, Any]:
    """Train FusionGAN (``fusiongan``: least squares; ``fusiongan.wgan-gp``: a WGAN-GP critic) on
    RoadScene training pairs (see :mod:`imagefusion.models.fusiongan.network` for the losses).

    Parameters
    ----------
    name : str
    config : TrainConfig
        ``extra``: ``objective`` (``"lsgan"`` or ``"wgan-gp"``), ``d_steps`` (critic steps per generator
        step: 2, the authors', for least squares; 5, Gulrajani et al.'s, for WGAN-GP), ``gp_weight`` (10),
        ``content_weight`` λ (100), ``xi`` ξ (5).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    ParameterError
        An unknown objective.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("fusiongan.wgan-gp").settings()["objective"]
    'wgan-gp'
    """
    objective = gan_objective(config)
    ex = config.extra
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 2))
    gp, lam, xi = float(ex.get("gp_weight", 10.0)), float(ex.get("content_weight", 100.0)), float(ex.get("xi", 5.0))
    size, crop = 132, 6
    sample, val_batch, info = start_training(name, config, data_root, "ivif", max_images, size)
    g = spectral_normalise(network_class(name)())
    d = make_critic(size - 2 * crop, objective, spectral=True)
    opts = {"g": adam(g.parameters(), config, objective), "d": adam(d.parameters(), config, objective)}

    def parts(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = b * 2 - 1
        c = x[:, :, crop:-crop, crop:-crop]
        return x, c[:, :1], c[:, 1:]

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x, ir, vi = parts(b)
        return fusiongan_content_loss(net(x), ir, vi, xi)

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x, ir, vi = parts(b)
        with torch.no_grad():
            fake = g(x)
        d_loss = critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = generator_adversarial_loss(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi, xi)
        total = adv + lam * content
        update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "d_loss": d_loss.item()}

    card = {"task": "ivif", "objective": objective, "d_steps": d_steps,
            "loss": f"L_adv + {lam:g}*(mean(F-IR)^2 + {xi:g} mean(lap F - lap VI)^2)"
                    + (f"; critic: WGAN + {gp:g}*gradient penalty" if objective == "wgan-gp" else "; least squares, soft labels"),
            "spectral_norm": "generator (folded into the shipped weights)" + ("" if objective == "wgan-gp" else " and discriminator"),
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=size, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({objective})")
