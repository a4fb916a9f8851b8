"""SeAFusion (Tang, Yuan & Ma, "Image fusion in the loop of high-level vision tasks: a semantic-aware
real-time infrared and visible image fusion network", Information Fusion 82, 2022), with its authors'
weights.

The network (the authors' ``FusionNet.py``): one encoder per source — a 3×3 convolution to 16 channels
and two residual gradient dense blocks (RGDB: two densely connected 3×3 convolutions and a 1×1 squeeze,
beside a depth-wise Sobel branch ``|∂x| + |∂y|`` with its own 1×1 convolution; leaky ReLU with slope 0.1
on their sum), 16 → 32 → 48 channels — then the two 48-channel maps concatenated and decoded by four 3×3
convolutions (96 → 64 → 32 → 16 → 1) with leaky ReLU (slope 0.2) and ``tanh / 2 + 0.5`` last. Zero
padding throughout. The decoder's batch norms are in the file but the authors' ``forward`` never calls
them, so they are left out here; the Sobel kernels were trained, so they are read from the file too.

The weights are ``SeAFusion.pth`` (MIT License; ``Linfeng-Tang/VIF-Benchmark``'s copy of the release),
fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR`` (:mod:`imagefusion.nn.published`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file, torch_state_dict
from ...nn.weights import load_state

__all__ = ["SeAFusionNet", "seafusion_network", "seafusion_fuse"]

register_weight_file(
    "seafusion", network="seafusion", path="seafusion/Checkpoint/SeAFusion/SeAFusion.pth",
    repo="Linfeng-Tang/VIF-Benchmark", commit="23f2e51fc1b084310d998999222ce02dc364b6eb",
    sha256="8d65a7f9a50f36349803368cf9920f40420776995e7e8cc8a56d8d30e499431d", size=682043, licence="MIT License",
    citation="Tang, Yuan & Ma, 'Image fusion in the loop of high-level vision tasks: a semantic-aware real-time "
             "infrared and visible image fusion network', Information Fusion 82, 28-42, 2022",
    convert=torch_state_dict)


class _Conv(nn.Module):
    """A convolution named ``conv`` (the authors' wrappers), with an optional leaky ReLU."""

    def __init__(self, cin: int, cout: int, k: int = 3, slope: float | None = 0.2) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x if self.slope is None else F.leaky_relu(x, self.slope)


class _Dense(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = _Conv(c, c), _Conv(2 * c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x, self.conv1(x)], dim=1)
        return torch.cat([x, self.conv2(x)], dim=1)


class _Sobel(nn.Module):
    """Depth-wise ``|conv(x, kx)| + |conv(x, ky)|`` with the file's (trained) kernels."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.convx = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.convy = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convx(x).abs() + self.convy(x).abs()


class _RGDB(nn.Module):
    """Residual gradient dense block: ``lrelu(squeeze(dense(x)) + up(sobel(x)), 0.1)``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.dense, self.sobelconv = _Dense(cin), _Sobel(cin)
        self.convdown, self.convup = _Conv(3 * cin, cout, 1, None), _Conv(cin, cout, 1, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.convdown(self.dense(x)) + self.convup(self.sobelconv(x)), 0.1)


class SeAFusionNet(nn.Module):
    """SeAFusion's fusion network, tensors named as in the authors' file.

    ``forward(vi_y, ir)`` takes the visible image's Y and the infrared image, each (N, 1, H, W) in
    [0, 1], and returns the fused Y (N, 1, H, W) in [0, 1].

    Examples
    --------
    >>> net = SeAFusionNet().eval()
    >>> vi, ir = torch.rand(2, 1, 1, 12, 15)
    >>> y = net(vi, ir)
    >>> y.shape, bool(((y >= 0) & (y <= 1)).all())
    (torch.Size([1, 1, 12, 15]), True)
    """

    def __init__(self) -> None:
        super().__init__()
        self.vis_conv, self.vis_rgbd1, self.vis_rgbd2 = _Conv(1, 16), _RGDB(16, 32), _RGDB(32, 48)
        self.inf_conv, self.inf_rgbd1, self.inf_rgbd2 = _Conv(1, 16), _RGDB(16, 32), _RGDB(32, 48)
        self.decode4, self.decode3, self.decode2 = _Conv(96, 64), _Conv(64, 32), _Conv(32, 16)
        self.decode1 = _Conv(16, 1, slope=None)

    def forward(self, vi_y: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
        v = self.vis_rgbd2(self.vis_rgbd1(self.vis_conv(vi_y)))
        i = self.inf_rgbd2(self.inf_rgbd1(self.inf_conv(ir)))
        x = self.decode2(self.decode3(self.decode4(torch.cat([v, i], dim=1))))
        return torch.tanh(self.decode1(x)) / 2 + 0.5


def seafusion_network(weights: str | None = None) -> SeAFusionNet:
    """The network with the authors' weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``SeAFusion.pth`` (its SHA-256 is checked).

    Returns
    -------
    SeAFusionNet

    Raises
    ------
    WeightsError
        Not here and cannot be downloaded (the message says where to put it), or not the authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = seafusion_network() if locate("seafusion") else SeAFusionNet().eval()
    >>> net.training
    False
    """
    state = {k: v for k, v in load_published("seafusion", weights).items() if ".bn." not in k}  # never called
    return load_state(SeAFusionNet(), state, "seafusion").eval()


def _rgb_u8(image: np.ndarray) -> np.ndarray:
    u8 = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.repeat(u8[..., None], 3, axis=2) if u8.ndim == 2 else u8


def seafusion_fuse(images: Sequence[np.ndarray], *, colour: bool = True, stretch: bool = True,
                   weights: str | None = None, tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse an infrared and a visible image as the authors' test code does.

    The infrared image is made grey as Pillow's ``convert("L")``; the visible one is taken as RGB
    (a grey one repeated) and split into Y, Cb and Cr with the authors' coefficients (``Y = 0.299 R +
    0.587 G + 0.114 B``, ``Cr = 0.713 (R − Y) + 0.5``, ``Cb = 0.564 (B − Y) + 0.5``, each clipped to
    [0, 1]). The network fuses Y with the infrared image; the fused Y goes back to RGB with the visible
    image's Cb and Cr (``R = Y + 1.403 (Cr − 0.5)``, ``G = Y − 0.714 (Cr − 0.5) − 0.344 (Cb − 0.5)``,
    ``B = Y + 1.773 (Cb − 0.5)``), clipped to [0, 1]. Before saving, the authors stretch the whole RGB
    image to [0, 1] (one minimum and maximum over the three channels) and truncate to 8 bits: that is
    ``stretch=True``, the default.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    colour : bool, default True
        The visible image's colour on the fused Y; ``False`` gives the fused Y alone.
    stretch : bool, default True
        The authors' min–max stretch and 8-bit truncation; ``False`` returns the clipped output as it is.
    weights : path, optional
        A local copy of ``SeAFusion.pth``.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 9-pixel reach; the result does not
        depend on it).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively (see ``benchmarks/measure/seafusion_reference.py``
        for its distance from float32); ``float32`` gives the authors' output.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour`` and a colour visible image, else (H, W).

    Raises
    ------
    WeightsError
        See :func:`seafusion_network`.

    References
    ----------
    Tang, Yuan & Ma, Information Fusion 82, 2022; the authors' ``SeAFusion.py`` and ``utils.py``
    (``RGB2YCrCb``, ``YCbCr2RGB``, ``tensor2img``) in ``Linfeng-Tang/VIF-Benchmark``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = seafusion_fuse([ir, vi]) if locate("seafusion") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...nn.inference import _pillow_grey_u8, cpu_threads, tiled_apply

    net = seafusion_network(weights).to(memory_format=torch.channels_last)  # 1.5x in bfloat16 on oneDNN
    cl = torch.channels_last
    ir = _pillow_grey_u8(images[0]).astype(np.float32) / 255.0
    rgb = torch.from_numpy(_rgb_u8(images[1]).astype(np.float32) / 255.0)
    r, g, b = rgb.unbind(-1)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cr = ((r - y) * 0.713 + 0.5).clamp(0.0, 1.0)
    cb = ((b - y) * 0.564 + 0.5).clamp(0.0, 1.0)
    with cpu_threads(None):
        fused = tiled_apply(lambda t: net.to(t[0].device, t[0].dtype)(t[0].contiguous(memory_format=cl),
                                                                       t[1].contiguous(memory_format=cl)),
                            [y.clamp(0.0, 1.0).numpy(), ir], halo=16, tile=tile, precision=precision)
    fy = torch.from_numpy(np.ascontiguousarray(fused, dtype=np.float32))
    if not colour:
        out = fy.clamp(0.0, 1.0)
    else:
        mat = torch.tensor([[1.0, 1.0, 1.0], [1.403, -0.714, 0.0], [0.0, -0.344, 1.773]])
        ycrcb = torch.stack([fy, cr, cb], dim=-1).reshape(-1, 3)
        out = ((ycrcb + torch.tensor([0.0, -0.5, -0.5])).mm(mat)).reshape(*fy.shape, 3).clamp(0.0, 1.0)
    if stretch:
        lo, hi = out.min(), out.max()
        out = torch.floor((out - lo) / (hi - lo).clamp_min(1e-12) * 255.0) / 255.0
    out = out.numpy().astype(np.float32)
    return out[..., 0] if out.ndim == 3 and images[1].ndim == 2 else out
