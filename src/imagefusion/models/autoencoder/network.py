"""Autoencoders for feature-level fusion, and the CAM classifier, in plain torch.

* :class:`DenseFuseNet` (registry ``densefuse``): Li & Wu, "DenseFuse: a fusion approach to
  infrared and visible images", IEEE TIP 28(5), 2019, Fig. 1 / Table I. Encoder: C1 conv 3×3 1→16,
  then a dense block DC1–DC3 (3×3, 16 each; each layer sees the concatenation of all earlier
  outputs), 64 feature channels out. Decoder: C2–C5 conv 3×3 64→64→32→16→1. ReLU after every layer
  but the last (as in the authors' code: the output layer is linear). Input and output grey in
  [0, 1]; full resolution, so any image size works.
* :class:`CamAutoencoder` (registry ``cam-ae``): Wan, Qin & Zeng, "Method for infrared and visible
  image fusion based on class activation mapping", Journal of North University of China 46(5),
  2025. Encoder: five 3×3 conv + ReLU layers, layers 2 and 4 with stride 2 (no pooling); decoder:
  five conv layers with bilinear ×2 up-sampling, the last a 1×1 conv with tanh. Input and output in
  [−1, 1]; features at 1/4 resolution. The paper's text gives the layer types, not their widths; we
  use 32-64-64-128-128 (encoder) and 128-64-32-16-1 (decoder).
* :class:`FWANet` (registry ``cam-fwa``): the paper's feature-weight-allocation network — the frozen
  :class:`CamEncoder` plus a classification block of six depth-wise conv layers (two in series, then
  four parallel branches with dilations 1, 2, 3, 4 whose outputs are averaged), global average
  pooling, one linear layer and a sigmoid: the probability that the patch is infrared. Depth-wise
  convolutions never mix channels, so channel k of the block's output descends from channel k of
  the encoder features, and the linear layer's weight ``w_k`` is a per-channel class weight.

Class weights: with one logit ``z = Σ_k w_k·GAP(φ_k) + b`` and ``P(ir) = σ(z)``, the visible class
has logit ``−z``, so its weights are ``W_vi = −w`` and ``W_ir = w``. The fusion weights
``Ŵ_c = 0.5·tanh(W_c) + 0.5`` (paper, IVF-Net) then satisfy ``Ŵ_ir + Ŵ_vi = 1`` channel by channel.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.published import register_project_weights
from ...nn.registry import register_network

__all__ = ["DenseFuseNet", "CamEncoder", "CamDecoder", "CamAutoencoder", "DepthwiseClassBlock", "FWANet"]


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k // 2), dilation=dilation, groups=groups)


@register_network("densefuse")
class DenseFuseNet(nn.Module):
    """DenseFuse autoencoder (Li & Wu 2019, Table I).

    ``encoder(x)``: (N, 1, H, W) float in [0, 1] → (N, 64, H, W) features (ReLU, ≥ 0);
    ``decoder(f)``: (N, 64, H, W) → (N, 1, H, W) (linear output, about [0, 1]);
    ``forward(x) = decoder(encoder(x))``. Any H, W ≥ 1 (3×3 convs with zero padding, no stride).

    Examples
    --------
    >>> import torch
    >>> net = DenseFuseNet().eval()
    >>> with torch.no_grad():
    ...     phi = net.encoder(torch.zeros(1, 1, 32, 40))
    ...     out = net.decoder(phi)
    >>> tuple(phi.shape), tuple(out.shape)  # 64 feature channels at full resolution
    ((1, 64, 32, 40), (1, 1, 32, 40))
    """

    stride = 1
    #: Receptive-field radius of encoder + decoder (8 convs 3×3), pixels.
    radius = 8

    def __init__(self) -> None:
        super().__init__()
        self.c1 = _conv(1, 16)
        self.dc1 = _conv(16, 16)
        self.dc2 = _conv(32, 16)
        self.dc3 = _conv(48, 16)
        self.c2 = _conv(64, 64)
        self.c3 = _conv(64, 32)
        self.c4 = _conv(32, 16)
        self.c5 = _conv(16, 1)

    def encoder(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.c1(x))
        x = torch.cat([x, F.relu(self.dc1(x))], 1)
        x = torch.cat([x, F.relu(self.dc2(x))], 1)
        return torch.cat([x, F.relu(self.dc3(x))], 1)

    def decoder(self, f: torch.Tensor) -> torch.Tensor:
        f = F.relu(self.c2(f))
        f = F.relu(self.c3(f))
        f = F.relu(self.c4(f))
        return self.c5(f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class CamEncoder(nn.Module):
    """Encoder of the CAM autoencoder: five conv 3×3 + ReLU, layers 2 and 4 with stride 2.

    Input (N, 1, H, W) in [−1, 1] with H, W multiples of 4 (pad first; see
    :func:`imagefusion.nn.inference.fuse_features`); output (N, 128, H/4, W/4), ≥ 0.

    Parameters
    ----------
    widths : tuple of int, default (32, 64, 64, 128, 128)
        Output channels of the five convolutions.

    Examples
    --------
    >>> import torch
    >>> tuple(CamEncoder()(torch.zeros(1, 1, 64, 64)).shape)
    (1, 128, 16, 16)
    """

    channels = 128

    def __init__(self, widths: tuple[int, ...] = (32, 64, 64, 128, 128)) -> None:
        super().__init__()
        strides = (1, 2, 1, 2, 1)
        cin = 1
        layers = []
        for w, s in zip(widths, strides):
            layers.append(_conv(cin, w, stride=s))
            cin = w
        self.layers = nn.ModuleList(layers)
        self.channels = cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.layers:
            x = F.relu(conv(x))
        return x


class CamDecoder(nn.Module):
    """Decoder of the CAM autoencoder: conv 3×3 128→128, ×2 bilinear, conv 128→64, conv 64→32,
    ×2 bilinear, conv 32→16, conv 1×1 16→1 with tanh.

    Input (N, 128, h, w); output (N, 1, 4h, 4w) in (−1, 1).

    Parameters
    ----------
    channels : int, default 128
        Input feature channels.

    Examples
    --------
    >>> import torch
    >>> tuple(CamDecoder()(torch.zeros(1, 128, 16, 16)).shape)
    (1, 1, 64, 64)
    """

    def __init__(self, channels: int = 128) -> None:
        super().__init__()
        self.d1 = _conv(channels, 128)
        self.d2 = _conv(128, 64)
        self.d3 = _conv(64, 32)
        self.d4 = _conv(32, 16)
        self.d5 = _conv(16, 1, k=1)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        f = F.relu(self.d1(f))
        f = F.interpolate(f, scale_factor=2, mode="bilinear", align_corners=False)
        f = F.relu(self.d2(f))
        f = F.relu(self.d3(f))
        f = F.interpolate(f, scale_factor=2, mode="bilinear", align_corners=False)
        f = F.relu(self.d4(f))
        return torch.tanh(self.d5(f))


@register_network("cam-ae")
class CamAutoencoder(nn.Module):
    """The CAM paper's autoencoder (:class:`CamEncoder` + :class:`CamDecoder`).

    ``forward(x)``: (N, 1, H, W) in [−1, 1], H and W multiples of 4 → (N, 1, H, W) in (−1, 1).

    Examples
    --------
    >>> import torch
    >>> net = CamAutoencoder().eval()
    >>> with torch.no_grad():
    ...     out = net(torch.zeros(1, 1, 64, 64))
    >>> tuple(out.shape)
    (1, 1, 64, 64)
    """

    stride = 4
    #: Receptive-field radius of encoder + decoder at input resolution, pixels (rounded up).
    radius = 48

    def __init__(self) -> None:
        super().__init__()
        self.encoder = CamEncoder()
        self.decoder = CamDecoder(self.encoder.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class DepthwiseClassBlock(nn.Module):
    """Six depth-wise 3×3 conv layers: two in series, then four parallel branches (dilation 1, 2,
    3, 4) averaged; ReLU after each. (N, C, h, w) → (N, C, h, w); channel k depends only on input
    channel k.

    Parameters
    ----------
    channels : int
        Feature channels (kept: the convolutions are depth-wise).

    Examples
    --------
    >>> import torch
    >>> tuple(DepthwiseClassBlock(128)(torch.zeros(1, 128, 16, 16)).shape)
    (1, 128, 16, 16)
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.serial = nn.ModuleList([_conv(channels, channels, groups=channels) for _ in range(2)])
        self.branches = nn.ModuleList([_conv(channels, channels, dilation=d, groups=channels) for d in (1, 2, 3, 4)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.serial:
            x = F.relu(conv(x))
        return torch.stack([F.relu(b(x)) for b in self.branches]).mean(0)


@register_network("cam-fwa", tags=("no-ldf",))
class FWANet(nn.Module):
    """Feature-weight-allocation network: frozen :class:`CamEncoder` → :class:`DepthwiseClassBlock`
    → global average pooling → linear (C → 1) → sigmoid = P(infrared).

    ``forward(x)`` returns the logit ``z``, shape (N,), for input (N, 1, H, W) in [−1, 1];
    ``features(x)`` the block's output φ (N, C, H/4, W/4); :meth:`class_weights` the per-channel
    class weights (W_ir, W_vi), each shape (C,).

    Examples
    --------
    >>> import torch
    >>> net = FWANet().eval()
    >>> with torch.no_grad():
    ...     logits = net(torch.zeros(2, 1, 64, 64))
    >>> tuple(logits.shape)
    (2,)
    """

    def __init__(self) -> None:
        super().__init__()
        self.encoder = CamEncoder()
        self.block = DepthwiseClassBlock(self.encoder.channels)
        self.fc = nn.Linear(self.encoder.channels, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean((2, 3)))[:, 0]

    def class_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(W_ir, W_vi) = (w, −w)``: the linear layer's weights of the infrared logit and of the
        visible logit ``−z``; float32, shape (C,)."""
        w = self.fc.weight.detach()[0].float()
        return w, -w

    def cam(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Class activation map ``Σ_k W_c^k φ_k`` for class weights ``weights`` (C,): (N, h, w)."""
        return torch.einsum("nchw,c->nhw", self.features(x), weights.to(x.dtype))

# The ablation variants' weights are fetched on demand (not in the package): see weights/README.md.
register_project_weights("cam-fwa.no-ldf", network="cam-fwa",
                         sha256="88f2f67435daa2cd04cafe44c36df3755ada8bc18b91a5a78601ce08290aab5c", size=1142092)
