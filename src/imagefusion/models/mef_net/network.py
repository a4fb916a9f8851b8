"""MEF-Net (Ma, Duanmu, Zhu, Fang & Wang, "Deep guided learning for fast multi-exposure image fusion",
IEEE TIP 29, 2020), with its authors' weights.

A context-aggregation network on a low-resolution copy of each exposure's Y channel (short side 128)
predicts one weight map per exposure: seven 3×3 convolutions of 24 channels (dilations 1, 2, 4, 8, 16,
1; no bias), each followed by an adaptive normalisation ``w0 x + w1 InstanceNorm(x)`` (per-image
statistics, also at test time) and leaky ReLU (0.2), then a 1×1 convolution to one channel. A fast
guided filter (radius 1, ε = 1e-4, the low-resolution Y as guide) carries the maps to full resolution;
their absolute values, normalised across exposures, weigh the full-resolution Y channels. Cb and Cr are
fused per pixel with weights ``|C − 0.5|`` (the authors' test code).

The weights are the authors' ``checkpoint/MEFNet_release.pt`` (``makedede/MEFNet``; no licence file, so
never shipped: fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR``). Its pickle also holds
the optimiser state and a loss history of numpy scalars; it is read by torch's restricted unpickler with
numpy's scalars as stand-ins that build nothing (:func:`imagefusion.nn.published.torch_state_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file, torch_state_dict
from ...nn.weights import load_state

__all__ = ["MEFNet", "mef_net_network", "mef_net_fuse", "guided_upsample"]

register_weight_file(
    "mef-net", network="mef-net", path="mef-net/checkpoint/MEFNet_release.pt", repo="makedede/MEFNet",
    commit="d2b87b425e425e497bc02e582ca3a15100c45023",
    sha256="8d524b43086cff513c36ae34814669ea4d1cbee4014d394b1a921b5114360b1b", size=333528,
    licence="no licence file",
    citation="Ma, Duanmu, Zhu, Fang & Wang, 'Deep guided learning for fast multi-exposure image fusion', IEEE "
             "Transactions on Image Processing 29, 2808-2819, 2020",
    convert=torch_state_dict)

#: The authors' ε in the weight normalisations.
EPS = 1e-8
#: The short side of the low-resolution copy the network sees (the authors' ``--low_size``).
LOW_SIZE = 128


class _AdaptiveNorm(nn.Module):
    """``w_0 x + w_1 InstanceNorm(x)`` (affine instance norm, statistics of each image)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.w_0 = nn.Parameter(torch.ones(1))
        self.w_1 = nn.Parameter(torch.zeros(1))
        self.in_norm = nn.InstanceNorm2d(n, affine=True, track_running_stats=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_0 * x + self.w_1 * self.in_norm(x)


class MEFNet(nn.Module):
    """MEF-Net's low-resolution network, tensors named as in the authors' checkpoint (``lr.*``).

    ``forward(y)`` maps the exposures' Y channels (N, 1, h, w), one exposure per batch item, in [0, 1],
    to one unnormalised weight map each (N, 1, h, w).

    Parameters
    ----------
    layers : int, default 5
        Dilated layers (dilations 1, 2, …, 2^(layers−1)).
    width : int, default 24

    Examples
    --------
    >>> MEFNet().eval()(torch.rand(3, 1, 20, 30)).shape
    torch.Size([3, 1, 20, 30])
    """

    def __init__(self, layers: int = 5, width: int = 24) -> None:
        super().__init__()
        parts: list[nn.Module] = []
        for i in range(layers + 1):
            d = 2 ** i if 0 < i < layers else 1
            parts += [nn.Conv2d(1 if i == 0 else width, width, 3, padding=d, dilation=d, bias=False),
                      _AdaptiveNorm(width), nn.LeakyReLU(0.2)]
        self.lr = nn.Sequential(*parts, nn.Conv2d(width, 1, 1))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.lr(y)


def mef_net_network(weights: str | None = None) -> MEFNet:
    """The network with the authors' weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``MEFNet_release.pt`` (its SHA-256 is checked).

    Returns
    -------
    MEFNet

    Raises
    ------
    WeightsError
        Not here and cannot be downloaded (the message says where to put it), or not the authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = mef_net_network() if locate("mef-net") else MEFNet().eval()
    >>> net.training
    False
    """
    return load_state(MEFNet(), load_published("mef-net", weights), "mef-net").eval()


@lru_cache(maxsize=2)
def _network(weights: str | None) -> MEFNet:
    """:func:`mef_net_network`, kept for the next call (loading it is a sixth of a 640×480 fusion)."""
    return mef_net_network(weights)


def _box_mean(x: torch.Tensor, r: int) -> torch.Tensor:
    """Mean over the (2r+1)² window inside the image (the authors' cumulative-sum box filter / N)."""
    return F.avg_pool2d(x, 2 * r + 1, stride=1, padding=r, count_include_pad=False)


def guided_upsample(guide_lr: torch.Tensor, target_lr: torch.Tensor, guide_hr: torch.Tensor, *, radius: int = 1,
                    eps: float = 1e-4) -> torch.Tensor:
    """Fast guided filter upsampling (He & Sun 2015, as in the authors' ``FastGuidedFilter``).

    The linear coefficients ``A = cov(I, p) / (var(I) + eps)``, ``b = mean(p) − A mean(I)`` are found at
    low resolution over (2·radius+1)² windows (only the pixels inside the image), bilinearly upsampled
    (half-pixel centres) and applied to the full-resolution guide: ``A↑ · I_hr + b↑``.

    Parameters
    ----------
    guide_lr, target_lr : torch.Tensor, (N, 1, h, w)
    guide_hr : torch.Tensor, (N, 1, H, W)
    radius : int, default 1
    eps : float, default 1e-4

    Returns
    -------
    torch.Tensor, (N, 1, H, W)

    Examples
    --------
    >>> g = torch.rand(1, 1, 8, 8)
    >>> out = guided_upsample(g, 2 * g + 0.5, torch.rand(1, 1, 16, 16))
    >>> out.shape
    torch.Size([1, 1, 16, 16])
    """
    mean_i, mean_p = _box_mean(guide_lr, radius), _box_mean(target_lr, radius)
    cov = _box_mean(guide_lr * target_lr, radius) - mean_i * mean_p
    var = _box_mean(guide_lr * guide_lr, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    size = guide_hr.shape[-2:]
    return (F.interpolate(a, size, mode="bilinear", align_corners=False) * guide_hr
            + F.interpolate(b, size, mode="bilinear", align_corners=False))


def _ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """The authors' ``BatchRGBToYCbCr`` on (N, 3, H, W) in [0, 1] (not clipped)."""
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    return torch.stack((0.0 + r * 0.299 + g * 0.587 + b * 0.114,
                        0.5 - r * 0.168736 - g * 0.331264 + b * 0.5,
                        0.5 + r * 0.5 - g * 0.418688 - b * 0.081312), dim=1)


def _low_res(u8: np.ndarray) -> np.ndarray:
    """torchvision's ``Resize(128)`` of a Pillow image: short side 128 (long side truncated), bilinear."""
    from PIL import Image

    h, w = u8.shape[:2]
    size = (LOW_SIZE, int(LOW_SIZE * h / w)) if w <= h else (int(LOW_SIZE * w / h), LOW_SIZE)
    return np.asarray(Image.fromarray(u8).resize(size, Image.BILINEAR))


def mef_net_fuse(images: Sequence[np.ndarray], *, weights: str | None = None) -> np.ndarray:
    """Fuse any number of exposures as the authors' test code (``TrainModel.eval``) does.

    Each exposure, as 8-bit RGB (grey repeated), is shrunk with Pillow's bilinear filter to a short side
    of 128 and converted to YCbCr with the authors' coefficients; the network predicts a weight map per
    exposure from the small Y channels; the fast guided filter upsamples the maps to full resolution,
    where their absolute values plus 1e-8, normalised over the exposures, weigh the Y channels (the sum
    clipped to [0, 1]). Cb and Cr are each the average of the exposures' weighted by ``|C − 0.5| + 1e-8``.
    Back to RGB, clipped to [0, 1].

    The whole image goes through the network at once (its instance norms take statistics of the whole
    image; the low-resolution copy is small at any size). The authors' test loader first shrinks images
    whose sides both exceed 2048 pixels to a 2048-pixel short side; here the output keeps the input's
    size.

    Parameters
    ----------
    images : sequence of ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Two or more exposures of one size, any order.
    weights : path, optional
        A local copy of ``MEFNet_release.pt``.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3), or (H, W) when every exposure is grey.

    Raises
    ------
    WeightsError
        See :func:`mef_net_network`.

    References
    ----------
    Ma et al., IEEE TIP 29, 2020; the authors' ``e2emef.py``, ``guided_filter_pytorch/`` and
    ``TrainModel.py`` (``eval``) with ``batch_transformers.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> x = np.linspace(0, 1, 64, dtype=np.float32)[None].repeat(48, 0)
    >>> under, over = x * 0.3, np.clip(x * 2.5, 0, 1)
    >>> out = mef_net_fuse([under, over]) if locate("mef-net") else (under + over) / 2
    >>> out.shape, bool(out.min() >= 0 and out.max() <= 1)
    ((48, 64), True)
    """
    from ...nn.inference import cpu_threads

    net = _network(weights)
    grey = all(im.ndim == 2 for im in images)
    u8 = [np.round(np.clip(im, 0.0, 1.0) * 255.0).astype(np.uint8) for im in images]
    u8 = [np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a for a in u8]
    with torch.inference_mode(), cpu_threads(None):
        lr = torch.from_numpy(np.stack([_low_res(a) for a in u8]).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
        y_lr = _ycbcr(lr)[:, :1]
        hr = _ycbcr(torch.from_numpy(np.stack(u8).astype(np.float32) / 255.0).permute(0, 3, 1, 2))
        y_hr = hr[:, :1]
        w = guided_upsample(y_lr, net(y_lr), y_hr).abs_() + EPS
        y = (w / w.sum(0)).mul_(y_hr).sum(0).clamp_(0.0, 1.0)
        if grey:
            return y[0].numpy().astype(np.float32)
        c = hr[:, 1:]
        wc = (c - 0.5).abs_() + EPS
        cb, cr = ((wc / wc.sum(0)) * c).sum(0).clamp_(0.0, 1.0)
        rgb = torch.stack((y[0] + (cr - 0.5) * 1.402,
                           y[0] - (cb - 0.5) * 0.344136 - (cr - 0.5) * 0.714136,
                           y[0] + (cb - 0.5) * 1.772), dim=-1).clamp_(0.0, 1.0)
    return rgb.numpy().astype(np.float32)
