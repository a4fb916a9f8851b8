"""Training losses in plain torch.

* :func:`ssim_map` / :func:`ssim_loss`: SSIM of Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 13(4),
  2004, eq. (13), with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03 — the same
  constants as :func:`imagefusion.metrics.ssim_index`, here differentiable and batched.
* :func:`gradient_loss`: squared difference of forward-difference gradients per pixel — the
  ``‖∇x − ∇y‖_F² / (W·H)`` term of MFEnet's loss.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["ssim_map", "ssim_loss", "gradient_loss"]


def _gaussian_kernel(size: int, sigma: float, device: torch.device) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0, window: int = 11,
             sigma: float = 1.5) -> torch.Tensor:
    """Local SSIM between two batches of grey images (valid part of the window, no padding).

    Parameters
    ----------
    x, y : torch.Tensor, shape (N, 1, H, W), H, W ≥ ``window``
    data_range : float
        Dynamic range L of the values (1 for [0, 1], 2 for [−1, 1]); C1 = (0.01 L)², C2 = (0.03 L)².

    Returns
    -------
    torch.Tensor, float32, shape (N, 1, H − window + 1, W − window + 1), values in [−1, 1]

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> m = ssim_map(x, x)
    >>> tuple(m.shape), round(float(m.mean()), 4)
    ((1, 1, 22, 22), 1.0)
    """
    with torch.autocast(x.device.type, enabled=False):  # the moments need float32 (bfloat16 gives σ² < 0)
        return _ssim_map(x.float(), y.float(), data_range, window, sigma)


def _ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float, window: int, sigma: float) -> torch.Tensor:
    g = _gaussian_kernel(window, sigma, x.device)
    gh, gw = g.view(1, 1, 1, -1), g.view(1, 1, -1, 1)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(t, gh), gw)

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))


def ssim_loss(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0) -> torch.Tensor:
    """``1 − mean SSIM`` (DenseFuse's L_ssim, Li & Wu 2019, eq. 3); scalar tensor.

    Parameters
    ----------
    x, y : torch.Tensor, shape (N, 1, H, W), H, W ≥ 11
    data_range : float, default 1.0
        Dynamic range of the values (see :func:`ssim_map`).

    Returns
    -------
    torch.Tensor
        A scalar, in [0, 2].

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> round(float(ssim_loss(x, x)), 4), float(ssim_loss(x, 1 - x)) > 1
    (0.0, True)
    """
    return 1.0 - ssim_map(x, y, data_range=data_range).mean()


def gradient_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``‖∇x − ∇y‖² / (W·H)`` averaged over the batch, with ∇ the forward differences
    ``(∂_h, ∂_v)``: the mean of ``(∂_h x − ∂_h y)²`` plus the mean of ``(∂_v x − ∂_v y)²``.

    Parameters
    ----------
    x, y : torch.Tensor, shape (N, C, H, W), H, W ≥ 2

    Returns
    -------
    Scalar float32 tensor, ≥ 0; 0 when x − y is constant.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4); y = torch.zeros(1, 1, 4, 4); y[..., 2:] = 1.0  # one vertical step
    >>> round(float(gradient_loss(x, y)), 4), float(gradient_loss(y, y))
    (0.3333, 0.0)
    """
    x, y = x.float(), y.float()
    dx = (x[..., :, 1:] - x[..., :, :-1]) - (y[..., :, 1:] - y[..., :, :-1])
    dy = (x[..., 1:, :] - x[..., :-1, :]) - (y[..., 1:, :] - y[..., :-1, :])
    return (dx**2).mean() + (dy**2).mean()
