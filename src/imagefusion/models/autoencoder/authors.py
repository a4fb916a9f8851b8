"""DenseFuse as its authors' PyTorch release defines it (``hli1221/densefuse-pytorch``, ``net.py``), for
their weights ``models/densefuse_gray.model`` and ``models/densefuse_rgb.model``.

It differs from the project's own :class:`imagefusion.models.autoencoder.network.DenseFuse` (trained here) in two
ways that their weights depend on: every 3×3 convolution pads by reflection, not zeros, and the
network runs on grey levels 0–255, not [0, 1]. Every layer ends in a ReLU, the last one included (their
``ConvLayer`` leaves ``is_last`` False). Their files carry no licence, so they are never shipped:
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

__all__ = ["DenseFuseAuthors", "densefuse_authors_network", "densefuse_authors_fuse"]

_CITATION = ("Li & Wu, 'DenseFuse: a fusion approach to infrared and visible images', IEEE Transactions on Image "
             "Processing 28(5), 2614-2623, 2019")
for _name, _file, _sha, _size in (
        ("densefuse-gray", "densefuse_gray.model", "b34cf3650f04161b31ac2467decfeedf7eba39165b7618f846e0f298ecd2ac65", 300413),
        ("densefuse-rgb", "densefuse_rgb.model", "d1829f47c0ff02ecfc294907655384eebc911a00deb89b91e354ae47c8728ea5", 302727)):
    register_weight_file(_name, network="densefuse", path=f"densefuse/models/{_file}", repo="hli1221/densefuse-pytorch",
                         commit="4394b63e9295db1c6b7a5c3664551c90f0605f2b", sha256=_sha, size=_size,
                         licence="no licence file", citation=_CITATION, convert=torch_state_dict)


class _Conv(nn.Module):
    """Reflection padding by 1, a 3×3 convolution, ReLU (their ``ConvLayer``; tensors ``conv2d.*``)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv2d = nn.Conv2d(cin, cout, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect")))


class _Dense(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.dense_conv = _Conv(cin, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.dense_conv(x)], 1)


class _DenseBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.denseblock = nn.Sequential(_Dense(16), _Dense(32), _Dense(48))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.denseblock(x)


class DenseFuseAuthors(nn.Module):
    """The authors' ``DenseFuse_net`` (tensor names as in their files), on values 0–255.

    Parameters
    ----------
    channels : {1, 3}, default 1
        1 for ``densefuse_gray.model``, 3 for ``densefuse_rgb.model``.

    Examples
    --------
    >>> net = DenseFuseAuthors().eval()
    >>> x = torch.rand(1, 1, 9, 12) * 255
    >>> net.decoder(net.encoder(x)).shape, net.encoder(x).shape[1]
    (torch.Size([1, 1, 9, 12]), 64)
    """

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.conv1 = _Conv(channels, 16)
        self.DB1 = _DenseBlock()
        self.conv2, self.conv3, self.conv4 = _Conv(64, 64), _Conv(64, 32), _Conv(32, 16)
        self.conv5 = _Conv(16, channels)

    def encoder(self, x: torch.Tensor) -> torch.Tensor:
        """Features (N, 64, H, W) of an image (N, C, H, W) in 0–255."""
        return self.DB1(self.conv1(x))

    def decoder(self, f: torch.Tensor) -> torch.Tensor:
        """The image (N, C, H, W), 0–255 (not clamped above), from features."""
        return self.conv5(self.conv4(self.conv3(self.conv2(f))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def densefuse_authors_network(channels: int = 1, weights: str | None = None) -> DenseFuseAuthors:
    """The authors' DenseFuse with their weights, in evaluation mode.

    Parameters
    ----------
    channels : {1, 3}
        Grey (``densefuse_gray.model``) or RGB (``densefuse_rgb.model``).
    weights : path, optional
        The user's own copy of that file (its SHA-256 is checked).

    Returns
    -------
    DenseFuseAuthors

    Raises
    ------
    WeightsError
        The file is not here and cannot be downloaded, or is not the authors'.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = densefuse_authors_network() if locate("densefuse-gray") else DenseFuseAuthors().eval()
    >>> net.training
    False
    """
    name = "densefuse-gray" if channels == 1 else "densefuse-rgb"
    return load_state(DenseFuseAuthors(channels), load_published(name, weights), name).eval()


def densefuse_authors_fuse(images: Sequence[np.ndarray], fuse_features, *, weights: str | None = None) -> np.ndarray:
    """Encode each grey source (×255), fuse the features with ``fuse_features``, decode; the authors'
    ``clamp(0, 255)`` and 8-bit truncation, back to [0, 1].

    Parameters
    ----------
    images : sequence of ndarray, float32 (H, W), values in [0, 1]
        Grey sources (luminance).
    fuse_features : callable (list of tensor (1, 64, H, W)) -> tensor
        The fusion rule on the features.
    weights : path, optional
        A local copy of ``densefuse_gray.model``.

    Returns
    -------
    ndarray, float32 (H, W), multiples of 1/255

    Raises
    ------
    WeightsError
        See :func:`densefuse_authors_network`.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> a = np.full((16, 16), 0.5, np.float32)
    >>> mean = lambda feats: sum(feats) / len(feats)
    >>> out = densefuse_authors_fuse([a, a], mean) if locate("densefuse-gray") else a
    >>> bool(abs(float(out.mean()) - 0.5) < 0.1)  # the autoencoder gives back what it is given
    True
    """
    from ...nn.inference import cpu_threads

    net = densefuse_authors_network(1, weights)
    with torch.inference_mode(), cpu_threads(None):
        feats = [net.encoder(torch.from_numpy(np.ascontiguousarray(im, np.float32))[None, None] * 255.0)
                 for im in images]
        out = net.decoder(fuse_features(feats))[0, 0].clamp(0, 255).numpy()
    return np.floor(out).astype(np.float32) / 255.0
