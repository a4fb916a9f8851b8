"""MFF-GAN's trainer and content loss (focus-decision-guided gradients, one discriminator)."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ...nn.gan import PatchDiscriminator, focus_decision, laplacian, lsgan_g_loss
from ...nn.registry import network_class
from ...train.gan import adam, critic_steps, start_training, update
from ...train.gan_loop import fit_gan
from ...train.loop import TrainConfig
from ...train.registry import register_trainer

__all__ = ["mffgan_content_loss", "train_mffgan"]

def mffgan_content_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MFF-GAN's intensity and gradient terms weighted by the decision block ``S`` of ``a``
    (:func:`~imagefusion.nn.gan.focus_decision`): ``L_int = mean S(F − a)² + mean (1 − S)(F − b)²`` and
    ``L_grad`` the same on Laplacians (the authors' ``model.py``).

    Parameters
    ----------
    fused, a, b : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]

    Returns
    -------
    l_int, l_grad : scalar float32 tensors ≥ 0

    Examples
    --------
    >>> import torch
    >>> a = torch.zeros(1, 1, 8, 8); a[..., ::2, :] = 1.0  # sharp stripes: S = 1 inside
    >>> b = torch.full((1, 1, 8, 8), 0.5)
    >>> l_int, l_grad = mffgan_content_loss(a, a, b)  # the fused image is a itself
    >>> l_int.item() < 0.05, l_grad.item() < 1.0
    (True, True)
    """
    f, a, b = fused.float(), a.float(), b.float()
    s = focus_decision(a, b)
    l_int = (s * (f - a) ** 2).mean() + ((1 - s) * (f - b) ** 2).mean()
    lf = laplacian(f)
    l_grad = (s * (lf - laplacian(a)) ** 2).mean() + ((1 - s) * (lf - laplacian(b)) ** 2).mean()
    return l_int, l_grad


@register_trainer("mff-gan", defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4,
                                       "lr_min": 1e-4, "val_size": 64},
                  extras={"patch": 60, "d_steps": 2}, summary="multi-focus pairs synthesised from BSDS500")
def train_mffgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train MFF-GAN on synthetic multi-focus pairs (see :mod:`imagefusion.models.mff_gan.network` for the losses).

    Parameters
    ----------
    name : {"mff-gan"}
    config : TrainConfig
        ``extra``: ``patch`` (60, the authors'), ``d_steps`` (2).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        BSDS500 is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("mff-gan").settings()["patch"]
    60
    """
    patch = int(config.extra.get("patch", 60))
    d_steps = int(config.extra.get("d_steps", 2))
    sample, val_batch, info = start_training(name, config, data_root, "mff", max_images, patch)
    g = network_class(name)()
    d = PatchDiscriminator(patch)
    opts = {"g": adam(g.parameters(), config), "d": adam(d.parameters(), config)}

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        l_int, l_grad = mffgan_content_loss(net(x[:, :1], x[:, 1:]), x[:, :1], x[:, 1:])
        return l_int + 5 * l_grad

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x = b * 2 - 1
        a, bb = x[:, :1], x[:, 1:]
        real = torch.maximum(laplacian(a).abs(), laplacian(bb).abs())
        with torch.no_grad():
            fake = laplacian(g(a, bb)).abs()
        d_loss = critic_steps("lsgan", d, opts["d"], real, fake, d_steps, 0.0)
        fused = g(a, bb)
        adv = lsgan_g_loss(d(laplacian(fused).abs()))
        l_int, l_grad = mffgan_content_loss(fused, a, bb)
        total = adv + 10 * (l_int + 5 * l_grad)
        update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_int": l_int.item(), "g_grad": l_grad.item(),
                "d_loss": d_loss.item()}

    card = {"task": "mff", "loss": "L_adv + 10*(L_int + 5*L_grad), S-weighted; D on |lap F| vs max(|lap I1|, |lap I2|)",
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=name)
