"""The steps the GAN trainers share: the critic (patch discriminator, spectral normalisation), the
least-squares or WGAN-GP objective, Adam or TensorFlow 1's RMSProp, and the start of a run (seed,
samplers, validation batch). Each network's trainer lives with it (``imagefusion.models.NAME.train``)
and runs its step with :func:`imagefusion.train.gan_loop.fit_gan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from ..errors import ParameterError
from ..nn.gan import (
    PatchDiscriminator,
    gradient_penalty,
    lsgan_d_loss,
    lsgan_g_loss,
    wgan_d_loss,
    wgan_g_loss,
)
from ..nn.registry import import_networks
from .loop import TrainConfig
from .samplers import task_samplers

__all__ = ["IVIF_SUMMARY", "spectral_normalise", "gan_objective", "make_critic", "critic_loss", "generator_adversarial_loss",
           "update", "critic_steps", "adam", "tf1_rmsprop", "start_training"]

#: The training data of the infrared–visible trainers, as ``imagefusion train --help`` states it.
IVIF_SUMMARY = "RoadScene training pairs (ivif/roadscene-full minus the test names)"


def spectral_normalise(module: nn.Module) -> nn.Module:
    """Put spectral normalisation on every convolution and linear layer of ``module`` that has none yet.

    Parameters
    ----------
    module : torch.nn.Module
        Changed in place.

    Returns
    -------
    torch.nn.Module
        ``module``.

    Source: Miyato et al., "Spectral normalization for generative adversarial networks", ICLR 2018.

    Examples
    --------
    >>> import torch
    >>> m = spectral_normalise(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)))
    >>> hasattr(m[0], "parametrizations")
    True
    """
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear)) and not parametrize.is_parametrized(m, "weight"):
            spectral_norm(m)
    return module


def gan_objective(config: TrainConfig) -> str:
    """The adversarial objective a run asks for (``objective`` in the config's extras, default ``lsgan``).

    Parameters
    ----------
    config : TrainConfig

    Returns
    -------
    str
        ``"lsgan"`` (Mao et al., ICCV 2017) or ``"wgan-gp"`` (Gulrajani et al., NeurIPS 2017).

    Raises
    ------
    ParameterError
        Any other value.

    Examples
    --------
    >>> gan_objective(TrainConfig(extra={"objective": "wgan-gp"}))
    'wgan-gp'
    """
    obj = str(config.extra.get("objective", "lsgan"))
    if obj not in ("lsgan", "wgan-gp"):
        raise ParameterError(f"objective must be 'lsgan' or 'wgan-gp', got {obj!r}")
    return obj


def make_critic(patch: int, objective: str, spectral: bool) -> nn.Module:
    """The patch discriminator of a GAN trainer: without normalisation for WGAN-GP (the gradient penalty
    needs per-sample gradients), with batch norm and optionally spectral normalisation for LSGAN.

    Parameters
    ----------
    patch : int
        Side of its square input in pixels.
    objective : {"lsgan", "wgan-gp"}
    spectral : bool
        Spectral normalisation on its layers (LSGAN only).

    Returns
    -------
    torch.nn.Module
        A :class:`imagefusion.nn.gan.PatchDiscriminator`, (B, 1, patch, patch) → (B,) scores.

    Examples
    --------
    >>> import torch
    >>> make_critic(32, "lsgan", spectral=False)(torch.zeros(2, 1, 32, 32)).shape[0]
    2
    """
    if objective == "wgan-gp":
        return PatchDiscriminator(patch, norm="none")
    d = PatchDiscriminator(patch)
    return spectral_normalise(d) if spectral else d


def critic_loss(objective: str, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, gp_weight: float) -> torch.Tensor:
    """The critic's loss on one batch: LSGAN's, or WGAN's with its gradient penalty.

    Parameters
    ----------
    objective : {"lsgan", "wgan-gp"}
    critic : torch.nn.Module
    real, fake : torch.Tensor, (B, C, H, W)
    gp_weight : float
        The gradient penalty's weight (WGAN-GP only).

    Returns
    -------
    torch.Tensor, a scalar

    Examples
    --------
    >>> import torch
    >>> d = make_critic(32, "lsgan", spectral=False)
    >>> critic_loss("lsgan", d, torch.zeros(2, 1, 32, 32), torch.ones(2, 1, 32, 32), 0.0).ndim
    0
    """
    if objective == "wgan-gp":
        return wgan_d_loss(critic(real), critic(fake)) + gradient_penalty(critic, real, fake, gp_weight)
    return lsgan_d_loss(critic(real), critic(fake))


def generator_adversarial_loss(objective: str, critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """The generator's adversarial term on its outputs ``fake``.

    Parameters
    ----------
    objective : {"lsgan", "wgan-gp"}
    critic : torch.nn.Module
    fake : torch.Tensor, (B, C, H, W)

    Returns
    -------
    torch.Tensor, a scalar

    Examples
    --------
    >>> import torch
    >>> d = make_critic(32, "wgan-gp", spectral=False)
    >>> generator_adversarial_loss("wgan-gp", d, torch.zeros(2, 1, 32, 32)).ndim
    0
    """
    return wgan_g_loss(critic(fake)) if objective == "wgan-gp" else lsgan_g_loss(critic(fake))


def update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on ``loss`` (gradients cleared first).

    Parameters
    ----------
    opt : torch.optim.Optimizer
    loss : torch.Tensor, a scalar with a graph

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.ones(1))
    >>> update(torch.optim.SGD([w], lr=0.5), (w ** 2).sum())
    >>> float(w.detach())
    0.0
    """
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def critic_steps(objective: str, critic: nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor,
                 fake: torch.Tensor, steps: int, gp_weight: float) -> torch.Tensor:
    """``steps`` updates of the critic on one batch (the generated images do not change between them).

    Parameters
    ----------
    objective : {"lsgan", "wgan-gp"}
    critic : torch.nn.Module
    opt : torch.optim.Optimizer
        The critic's.
    real, fake : torch.Tensor, (B, C, H, W)
        ``fake`` detached from the generator.
    steps : int
        At least 1.
    gp_weight : float

    Returns
    -------
    torch.Tensor
        The last loss.

    Examples
    --------
    >>> import torch
    >>> d = make_critic(32, "lsgan", spectral=False)
    >>> opt = torch.optim.Adam(d.parameters())
    >>> critic_steps("lsgan", d, opt, torch.zeros(2, 1, 32, 32), torch.ones(2, 1, 32, 32), 2, 0.0).ndim
    0
    """
    for _ in range(steps):
        d_loss = critic_loss(objective, critic, real, fake, gp_weight)
        update(opt, d_loss)
    return d_loss


def adam(params: Any, config: TrainConfig, objective: str = "lsgan") -> torch.optim.Optimizer:
    """Adam at the config's learning rate, with WGAN-GP's betas (0.5, 0.9) for that objective.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
    config : TrainConfig
    objective : {"lsgan", "wgan-gp"}, default "lsgan"

    Returns
    -------
    torch.optim.Adam

    Examples
    --------
    >>> import torch
    >>> adam([torch.nn.Parameter(torch.zeros(1))], TrainConfig(lr=1e-3), "wgan-gp").defaults["betas"]
    (0.5, 0.9)
    """
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


def start_training(name: str, config: TrainConfig, data_root: Any, task: str, max_images: int | None,
                   patch: int) -> tuple[Any, torch.Tensor, dict[str, Any]]:
    """The start of a GAN run: the networks registered, the seed set, the task's samplers built and the
    fixed validation batch drawn.

    Parameters
    ----------
    name : str
        The trainer's name (for messages).
    config : TrainConfig
    data_root : path-like
        The folder holding the task's training data (``shared/data``'s layout).
    task : {"ivif", "mif", "mff", "mef"}
    max_images : int or None
        Use at most this many training images (None: all).
    patch : int
        Side of the training patches in pixels.

    Returns
    -------
    tuple
        ``(sample, val_batch, info)``: the training sampler ``sample(rng, batch, patch)``, the validation
        batch (a float32 tensor in [0, 1]) and a description of the data.

    Raises
    ------
    DataError
        The task's training data is not under ``data_root``.

    Examples
    --------
    >>> import pytest
    >>> with pytest.raises(Exception):
    ...     start_training("pmgi", TrainConfig(), "/nonexistent", "ivif", 4, 32)
    """
    import_networks()
    torch.manual_seed(config.seed)
    train, val, info = task_samplers(task, data_root, seed=config.seed, max_images=max_images)
    val_batch = val(np.random.default_rng([config.seed, 10**6]), config.val_size, patch)
    return train, val_batch, info
