"""The loss functions of the end-to-end fusion networks (FusionGAN, PMGI, MFF-GAN, DDcGAN, the U-Net GAN's
style transfer), beside the networks of :mod:`imagefusion.nn.gan` that they train. The adversarial
losses and the gradient penalty are in :mod:`imagefusion.nn.gan`; SSIM's in :mod:`imagefusion.nn.losses`.
"""

from __future__ import annotations

import torch
from torch import nn

from .gan import focus_decision, laplacian

__all__ = ["fusiongan_content_loss", "pmgi_loss", "mffgan_content_loss", "ddcgan_content_loss", "gram",
           "total_variation", "transfer_loss", "TRANSFER_CONTENT_LAYER", "TRANSFER_STYLE_LAYERS"]


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


def pmgi_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, weights: dict[str, float]) -> torch.Tensor:
    """PMGI's loss ``100·(β₁ mean (F − A)² + β₂ mean (F − B)² + β₃ mean (∇F − ∇B)² + β₄ mean (∇F − ∇A)²)``
    with the Laplacian ∇ (the authors' ``model.py``).

    Parameters
    ----------
    fused, a, b : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]
    weights : dict
        ``int_a``, ``int_b``, ``grad_b``, ``grad_a`` (:data:`imagefusion.nn.pmgi.PMGI_LOSS_WEIGHTS`).

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
    from ..nn.ddcgan import ddcgan_gradient

    f = fused.float()
    fro = ((f - ir.float()) ** 2).sum((1, 2, 3)).mean()
    l1 = (ddcgan_gradient(f) - ddcgan_gradient(vi.float())).abs().sum((1, 2, 3)).mean()
    return fro / 16 + 1.2 * l1


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
    from ..nn.vgg import imagenet_normalise

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
