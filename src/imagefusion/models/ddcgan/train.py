"""DDcGAN's trainer and content loss (two discriminators, one per source)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ...nn.registry import network_class
from ...train.gan import IVIF_SUMMARY, start_training, tf1_rmsprop
from ...train.gan_loop import fit_gan
from ...train.loop import TrainConfig
from ...train.registry import register_trainer
from ...train.samplers import darken_pairs

__all__ = ["ddcgan_content_loss", "train_ddcgan"]

def ddcgan_content_loss(fused: torch.Tensor, ir: torch.Tensor, vi: torch.Tensor) -> torch.Tensor:
    """DDcGAN's content loss ``‖F − IR‖_F²/16 + 1.2·‖∇F − ∇VI‖₁`` (sums over each image, mean over the
    batch; the authors' ``train.py``).

    Parameters
    ----------
    fused, ir, vi : torch.Tensor, shape (N, 1, H, W), values in [0, 1]

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> z = torch.zeros(2, 1, 4, 4)
    >>> float(ddcgan_content_loss(torch.full((2, 1, 4, 4), 0.5), z, torch.full((2, 1, 4, 4), 0.5)))  # 16·0.25/16, equal ∇
    0.25
    """
    from .network import ddcgan_gradient

    f = fused.float()
    fro = ((f - ir.float()) ** 2).sum((1, 2, 3)).mean()
    l1 = (ddcgan_gradient(f) - ddcgan_gradient(vi.float())).abs().sum((1, 2, 3)).mean()
    return fro / 16 + 1.2 * l1


def _ddcgan_iteration(ir: torch.Tensor, vi: torch.Tensor, i: int, d_losses: Callable, g_losses: Callable,
                      update: Callable[[str, torch.Tensor], None], repeats: int) -> dict[str, float]:
    """One iteration of DDcGAN's ``train.py`` schedule: even iterations update both discriminators
    once, then each again while its loss exceeds 1.7; odd ones update the generator on its full loss,
    then on the adversarial part while a discriminator's loss is under 1.4, then on the full loss
    while it exceeds 200 — at most ``repeats`` updates per loop. Returns the losses and update counts."""
    n_d = n_g = 0
    if i % 2 == 0:
        l_vi, l_ir = d_losses(ir, vi)
        update("d_vi", l_vi)
        update("d_ir", l_ir)
        n_d += 1
        l_vi, l_ir = d_losses(ir, vi)
        it = 1
        while l_vi.item() > 1.7 and it < repeats:
            update("d_vi", l_vi)
            l_vi, _ = d_losses(ir, vi)
            it += 1
            n_d += 1
        it = 1
        while l_ir.item() > 1.7 and it < repeats:
            update("d_ir", l_ir)
            _, l_ir = d_losses(ir, vi)
            it += 1
            n_d += 1
        with torch.no_grad():
            total, adv, content = g_losses(ir, vi)
    else:
        total, adv, content = g_losses(ir, vi)
        update("g", total)
        n_g += 1
        it = 1
        l_vi, l_ir = d_losses(ir, vi)
        while (l_vi.item() < 1.4 or l_ir.item() < 1.4) and it < repeats:
            _, adv, _ = g_losses(ir, vi)
            update("g_adv", adv)
            l_vi, l_ir = d_losses(ir, vi)
            it += 1
            n_g += 1
        total, adv, content = g_losses(ir, vi)
        while total.item() > 200 and it < repeats:
            update("g", total)
            total, adv, content = g_losses(ir, vi)
            it += 1
            n_g += 1
    return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "d_vi": l_vi.item(),
            "d_ir": l_ir.item(), "d_updates": float(n_d), "g_updates": float(n_g)}


@register_trainer("ddcgan", defaults={"epochs": 10, "steps_per_epoch": 40, "batch_size": 24, "lr": 2e-4, "lr_min": 2e-4,
                                      "val_size": 24},
                  extras={"patch": 84, "max_repeats": 20, "decay": 0.9, "decay_updates": 400, "clip": 8.0,
                          "gain_min": 1.0, "ema": 0.0},
                  summary=IVIF_SUMMARY)
def train_ddcgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train DDcGAN with the authors' losses and adaptive update schedule (see :mod:`imagefusion.models.ddcgan.network`).

    Parameters
    ----------
    name : {"ddcgan"}
    config : TrainConfig
        ``extra``: ``patch`` (84), ``max_repeats`` (20), ``decay`` (0.9) per ``decay_updates`` (400) optimiser
        updates, ``clip`` (8), ``gain_min`` (1.0: off, as the authors train): below 1, each training patch's two
        sources are multiplied by one gain drawn log-uniformly from [``gain_min``, 1] (:func:`darken_pairs`), so
        that night scenes, which RoadScene lacks and TNO has, are seen in training; ``ema`` (0: off, as the
        authors ship the last weights): ship an exponential moving average of the generator
        (:func:`fit_gan`'s ``ema``).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        The RoadScene set is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("ddcgan").settings()["patch"]
    84
    """
    from .network import DDcGANDiscriminator

    ex = config.extra
    patch, repeats, clip = int(ex.get("patch", 84)), int(ex.get("max_repeats", 20)), float(ex.get("clip", 8.0))
    decay, decay_updates = float(ex.get("decay", 0.9)), float(ex.get("decay_updates", 400))
    sample, val_batch, info = start_training(name, config, data_root, "ivif", max_images, patch)
    gain_min = float(ex.get("gain_min", 1.0))
    if gain_min < 1.0:
        plain = sample

        def sample(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
            return darken_pairs(plain(rng, n, size), rng, gain_min)

        info = {**info, "augmentation": f"both sources of each patch times one gain, log-uniform in [{gain_min:g}, 1]"}
    g = network_class(name)()
    d_vi, d_ir = DDcGANDiscriminator(patch), DDcGANDiscriminator(patch)
    # train.py builds two RMSProp solvers for the generator (adversarial part only, full loss), each with
    # its own accumulators, and one SGD solver per discriminator; all four share one global step, which
    # the learning rate decays on: lr·decay^(updates/decay_updates)
    opts = {"g": tf1_rmsprop(g.parameters(), config.lr), "g_adv": tf1_rmsprop(g.parameters(), config.lr),
            "d_vi": torch.optim.SGD(d_vi.parameters(), lr=config.lr), "d_ir": torch.optim.SGD(d_ir.parameters(), lr=config.lr)}
    opts["g"].param_groups[0]["updates"] = 0  # the shared global step, kept in the checkpoint with the optimiser
    eps = 1e-8

    def clamp(m: nn.Module) -> None:
        with torch.no_grad():
            for p in m.parameters():
                p.clamp_(-clip, clip)

    def d_losses(ir: torch.Tensor, vi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fake = g(vi, ir)
        l_vi = -torch.log(d_vi(vi).float() + eps).mean() - torch.log(1 - d_vi(fake).float() + eps).mean()
        l_ir = -torch.log(d_ir(ir).float() + eps).mean() - torch.log(1 - d_ir(fake).float() + eps).mean()
        return l_vi, l_ir

    def g_losses(ir: torch.Tensor, vi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fused = g(vi, ir)
        adv = -torch.log(d_vi(fused).float() + eps).mean() - torch.log(d_ir(fused).float() + eps).mean()
        content = ddcgan_content_loss(fused, ir, vi)
        return adv + 0.6 * content, adv, content

    def lr_scale() -> float:
        return decay ** (opts["g"].param_groups[0]["updates"] / decay_updates)

    trained = {"g": g, "g_adv": g, "d_vi": d_vi, "d_ir": d_ir}

    def update(name_: str, loss: torch.Tensor) -> None:
        for grp in opts[name_].param_groups:
            grp["lr"] = config.lr * lr_scale()
        update(opts[name_], loss)
        clamp(trained[name_])
        opts["g"].param_groups[0]["updates"] += 1

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        return ddcgan_content_loss(net(b[:, 1:], b[:, :1]), b[:, :1], b[:, 1:])

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        return _ddcgan_iteration(b[:, :1], b[:, 1:], i, d_losses, g_losses, update, repeats) | {"lr_scale": lr_scale()}

    card = {"task": "ivif", "loss": "-log D_v(F) - log D_i(F) + 0.6*(||F-IR||_F^2/16 + 1.2*||grad F - grad VI||_1)",
            "schedule": f"train.py's adaptive schedule, at most {repeats} repeats; TF1 RMSProp (G: one for the adversarial "
                        f"part, one for the full loss), SGD (D), lr x {decay:g}^(optimiser updates/{decay_updates:g}), "
                        f"weights clipped to +-{clip:g}", "training_data": info}
    return fit_gan(name, g, critics={"d_vi": d_vi, "d_ir": d_ir}, optimizers=opts, step=step, sample=sample, patch=patch,
                   val_batch=val_batch, val_loss=val, config=config, out=out, resume=resume, command=command, card=card,
                   progress=progress, loss_name=name, ema=float(ex.get("ema", 0.0)))
