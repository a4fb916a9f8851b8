"""TarDAL (Liu, Fan, Huang, Wu, Liu, Zhong & Luo, "Target-aware dual adversarial learning and a
multi-scenario multi-modality benchmark to fuse infrared and visible for object detection", CVPR 2022):
its generator with the authors' TarDAL++ weights.

The generator (the authors' ``modules/generator.py``, ``dim=32``, ``depth=3``): the infrared and visible
images stacked as two channels, a 3×3 convolution + batch norm + ReLU, three densely connected such layers,
and four 3×3 convolutions down to one channel and ``tanh``; zero padding throughout. The weights are
``tardal++.pt`` (MIT License; from ``Linfeng-Tang/VIF-Benchmark``'s copy of the release), fetched at first use
or read from ``$IMAGEFUSION_WEIGHTS_DIR`` (:mod:`imagefusion.nn.published`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import nn

from ...nn.published import load_published, register_weight_file, torch_state_dict
from ...nn.weights import load_state

__all__ = ["TarDALGenerator", "tardal_network", "tardal_fuse"]

register_weight_file(
    "tardal++", network="tardal", path="tardal/Checkpoint/TarDAL/tardal++.pt", repo="Linfeng-Tang/VIF-Benchmark",
    commit="23f2e51fc1b084310d998999222ce02dc364b6eb",
    sha256="7009d125e36db043d6918d9358e10c6dca7fdf2dd08ada09c5ecd294f45f98c5", size=1201819, licence="MIT License",
    citation="Liu, Fan, Huang, Wu, Liu, Zhong & Luo, 'Target-aware dual adversarial learning and a multi-scenario "
             "multi-modality benchmark to fuse infrared and visible for object detection', CVPR 2022",
    convert=torch_state_dict)


def _layer(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    parts: list[nn.Module] = [nn.Conv2d(cin, cout, 3, 1, 1)]
    if norm:
        parts.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*parts, nn.ReLU())


class TarDALGenerator(nn.Module):
    """TarDAL's generator, tensors named as in the authors' files.

    Parameters
    ----------
    dim : int, default 32
    depth : int, default 3

    Examples
    --------
    >>> net = TarDALGenerator().eval()
    >>> ir, vi = torch.rand(2, 1, 1, 12, 15)
    >>> y = net(ir, vi)
    >>> y.shape, bool(y.abs().max() <= 1)
    (torch.Size([1, 1, 12, 15]), True)
    """

    def __init__(self, dim: int = 32, depth: int = 3) -> None:
        super().__init__()
        self.encoder = _layer(2, dim)
        self.dense = nn.ModuleList([_layer(dim * (i + 1), dim) for i in range(depth)])
        self.fuse = nn.Sequential(_layer(dim * (depth + 1), dim * 4, norm=False), _layer(dim * 4, dim * 2),
                                  _layer(dim * 2, dim), nn.Sequential(nn.Conv2d(dim, 1, 3, 1, 1), nn.Tanh()))

    def forward(self, ir: torch.Tensor, vi: torch.Tensor) -> torch.Tensor:
        x = self.encoder(torch.cat([ir, vi], dim=1))
        for layer in self.dense:
            x = torch.cat([x, layer(x)], dim=1)
        return self.fuse(x)


def tardal_network(weights: str | None = None) -> TarDALGenerator:
    """The generator with the TarDAL++ weights, batch norm in evaluation mode (the authors' ``--eval``),
    folded into the convolutions before it.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``tardal++.pt`` (its SHA-256 is checked).

    Returns
    -------
    TarDALGenerator

    Raises
    ------
    WeightsError
        Not here and cannot be downloaded (the message says where to put it), or not the authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = tardal_network() if locate("tardal++") else TarDALGenerator().eval()
    >>> net.training
    False
    """
    from ...nn.inference import fold_batch_norm

    net = load_state(TarDALGenerator(), load_published("tardal++", weights), "tardal++").eval()
    fold_batch_norm(net)  # the same function, one pass per layer fewer
    return net


def _u8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def _grey(image_u8: np.ndarray) -> np.ndarray:
    return image_u8 if image_u8.ndim == 2 else cv2.cvtColor(image_u8, cv2.COLOR_RGB2GRAY)


def tardal_fuse(images: Sequence[np.ndarray], *, colour: bool = True, weights: str | None = None,
                tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse an infrared and a visible image as the authors' ``fuse.py --eval --color`` does.

    Both sources are made grey with OpenCV (``COLOR_RGB2GRAY`` of the 8-bit values), scaled to [0, 1],
    fused and clipped to [0, 1]; with ``colour`` the fused Y, truncated to 8 bits, replaces the visible
    image's Y in OpenCV's YCrCb and goes back to RGB (a grey visible image gives that Y).

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    colour : bool, default True
        Keep the visible image's colour (the authors' ``--color``); a grey visible image gives grey.
    weights : path, optional
        A local copy of ``tardal++.pt``.
    tile : int, default 1024
        Largest tile side (16-pixel halos; the result does not depend on it).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively: 48.6–49.0 dB from float32 on
        640×480 TNO ``01`` and RoadScene ``FLIR_00977``, 2.3× faster (``benchmarks/measure/tardal_reference.py``);
        ``float32`` gives the authors' output exactly.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour`` and a colour visible image, else (H, W).

    Raises
    ------
    WeightsError
        See :func:`tardal_network`.

    References
    ----------
    Liu et al., CVPR 2022; the authors' ``fuse.py``, ``pipeline/eval.py`` and ``utils/image_pair.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = tardal_fuse([ir, vi]) if locate("tardal++") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...nn.inference import cpu_threads, tiled_apply

    net = tardal_network(weights)
    ir8, vi8 = (_u8(im) for im in images)
    planes = [_grey(ir8).astype(np.float32) / 255.0, _grey(vi8).astype(np.float32) / 255.0]
    with cpu_threads(None):
        fused = tiled_apply(lambda t: net.to(t[0].device, t[0].dtype)(t[0], t[1]), planes, halo=16, tile=tile,
                            precision=precision)
    fused = np.clip(fused, 0.0, 1.0)
    if not colour:  # the authors write the float image with cv2.imwrite, which rounds
        return fused.astype(np.float32)
    y8 = (fused * 255.0).astype(np.uint8)  # their colour path truncates
    if vi8.ndim == 2:  # a grey visible image: Cr = Cb = 128, the output is that Y
        return y8.astype(np.float32) / 255.0
    ycrcb = cv2.cvtColor(vi8, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = y8
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB).astype(np.float32) / 255.0
