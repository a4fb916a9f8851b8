"""MFEnet: the multi-scale dilated-convolution autoencoder for medical image fusion, in plain torch.

Source: "Medical image fusion based on multi-scale feature learning and edge enhancement" (MFEnet),
Laser & Optoelectronics Progress, Table 1.

Feature extraction (:meth:`MFEnet.encoder`):

====  ==============================  ===========  ========
layer  operation                      channels     dilation
====  ==============================  ===========  ========
C1    conv 3×3 + ReLU                 1 → 64       1
C2    conv 3×3 + ReLU  (parallel)     64 → 64      1
C3    conv 3×3 + ReLU  (parallel)     64 → 64      3
C4    conv 3×3 + ReLU  (parallel)     64 → 64      5
C5    conv 1×1 + ReLU on [C2, C3, C4] 192 → 64     —
      + C1 (skip connection of the shallow features)
C6    conv 3×3 + ReLU                 64 → 64      1
C7    conv 3×3 + ReLU                 64 → 64      1
====  ==============================  ===========  ========

Reconstruction (:meth:`MFEnet.decoder`): C8–C11, conv 3×3 64 → 64 → 32 → 16 → 1, ReLU after each.

Output activation: a ReLU, as in the table, and the fusion method clips the output at 1. About half of
every brain slice is black background, and the ReLU reproduces its exact 0. A linear output (tried
first, same training) learnt a background of 0.003–0.006 instead — one grey level of 8 bits, invisible,
but flat regions with a little offset and ripple are exactly where FMI_pixel and SSIM are most sensitive:
on 16 PET/SPECT–MRI training pairs (``rule=max``, no edges) its FMI_pixel was 0.23, against 0.71 with
the ReLU output. A sigmoid cannot reach 0 at all and
saturates there. Pixels the ReLU output undershoots get no gradient through it, but the shared
weights keep learning from the others. The one risk, an output negative everywhere (no gradient at
all), is what the default initialisation gave; C11's bias therefore starts at 0.25.

The skip connection is an addition (C5's output and C1's are both 64 channels, and C6 takes 64).
C5 on the concatenation equals the sum of three 1×1 convs on the branches; :meth:`encoder` computes
it that way (the same weights, the same result) because concatenating channels-last tensors is
slower on the CPU than the 1×1 convs themselves.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.registry import register_network
from ..autoencoder.network import _conv

__all__ = ["MFEnet", "MULTI_SCALE_DILATIONS"]

#: Dilations of the three parallel 3×3 convs of the multi-scale layer (C2, C3, C4).
MULTI_SCALE_DILATIONS = (1, 3, 5)


@register_network("mfenet")
class MFEnet(nn.Module):
    """MFEnet autoencoder (Table 1 of the MFEnet paper; see the module docstring).

    ``encoder(x)``: (N, 1, H, W) float in [0, 1] → (N, 64, H, W) features (after ReLU, ≥ 0);
    ``decoder(f)``: (N, 64, H, W) → (N, 1, H, W), ReLU output ≥ 0 (about ≤ 1; clip it at 1);
    ``forward(x) = decoder(encoder(x))``. Any H, W ≥ 1: every conv has stride 1 and zero padding
    ``dilation·(k // 2)``, so the spatial size is kept.

    Examples
    --------
    >>> import torch
    >>> net = MFEnet().eval()
    >>> with torch.no_grad():
    ...     out = net(torch.zeros(1, 1, 40, 48))
    >>> tuple(out.shape)
    (1, 1, 40, 48)
    """

    stride = 1
    #: Receptive-field radius of encoder + decoder in pixels: C1 1, multi-scale layer 5, C6, C7 1
    #: each, C8–C11 1 each.
    radius = 1 + max(MULTI_SCALE_DILATIONS) + 2 + 4
    features = 64

    def __init__(self) -> None:
        super().__init__()
        self.c1 = _conv(1, 64)
        self.c2, self.c3, self.c4 = (_conv(64, 64, dilation=d) for d in MULTI_SCALE_DILATIONS)
        self.c5 = _conv(192, 64, k=1)
        self.c6 = _conv(64, 64)
        self.c7 = _conv(64, 64)
        self.c8 = _conv(64, 64)
        self.c9 = _conv(64, 32)
        self.c10 = _conv(32, 16)
        self.c11 = _conv(16, 1)
        # start the output ReLU in its active range: with the default bias the initial output was
        # negative everywhere, the ReLU passed no gradient, and training never began
        nn.init.constant_(self.c11.bias, 0.25)

    def multi_scale(self, shallow: torch.Tensor) -> list[torch.Tensor]:
        """The three dilated branches C2–C4 on C1's features: a list of three (N, 64, H, W) maps."""
        return [F.relu(c(shallow)) for c in (self.c2, self.c3, self.c4)]

    def encoder(self, x: torch.Tensor) -> torch.Tensor:
        shallow = F.relu(self.c1(x))
        w = self.c5.weight
        # C5 on the concatenation [C2, C3, C4], written as the sum of its three 64-channel slices
        z = sum(F.conv2d(b, w[:, 64 * i : 64 * (i + 1)], self.c5.bias if i == 0 else None)
                for i, b in enumerate(self.multi_scale(shallow)))
        x = F.relu(z) + shallow
        x = F.relu(self.c6(x))
        return F.relu(self.c7(x))

    def decoder(self, f: torch.Tensor) -> torch.Tensor:
        f = F.relu(self.c8(f))
        f = F.relu(self.c9(f))
        f = F.relu(self.c10(f))
        return F.relu(self.c11(f))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))
