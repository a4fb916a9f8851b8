"""The U-Net GAN with transfer loss (the survey's own method), in plain torch.

Source: the survey behind this project and its code ``drowning-in-codes/UFGAN`` (``model.py``: ``U_GAN``;
``loss.py``; ``main.py``), read for the structure and the constants below.

Generator on ``[IR, VI]`` in [−1, 1]: a U-Net of four down-sampling levels — at each level two 3×3
convs with batch norm and LeakyReLU (a residual block: the two convs plus a 1×1 projection of the
block's input, added before the second activation, when ``residual``), 2×2 max-pooling down,
2×2 transposed convs up, the encoder's features concatenated on the way up — and a 1×1 conv with tanh
to one channel in [−1, 1]. The reference code is 64 → 1024 channels wide (31 million parameters, about
40 s per 640 × 480 pair on two CPU cores); ours is 32 → 512 wide (:data:`UNET_WIDTH`), and its
convs are padded, so any size that is a multiple of 16 works (:meth:`UNetGAN.fuse` reflects the border
up to one).

Training (``imagefusion train unet-gan``): FusionGAN's discriminator and least-squares soft-label losses
(or a WGAN-GP critic, weight tags ``.wgan-gp``), the generator's loss
``L_adv + 100·L_content + 300·(L_SSIM(F, IR) + 5·L_SSIM(F, VI)) + 100·L_st`` with FusionGAN's content
term, ``L_SSIM = 1 − SSIM``, and the transfer loss ``L_st = L_content + k·L_style + λ_tv·L_tv``
(:mod:`imagefusion.train.gan`). Weight tags: ``unet-gan`` (least squares, transfer loss), ``.no-st``,
``.wgan-gp``, ``.wgan-gp-no-st``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.published import register_project_weights
from ...nn.registry import register_network

__all__ = ["UNetGAN", "UNET_WIDTH"]

#: Channels of the first level (doubled at each of the four levels down).
UNET_WIDTH = 32


class _Block(nn.Module):
    def __init__(self, c_in: int, c_out: int, residual: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.leaky_relu(self.bn1(self.conv1(x)), 0.01)))
        if self.skip is not None:
            y = y + self.skip(x)
        return F.leaky_relu(y, 0.01)


@register_network("unet-gan", tags=("no-st", "wgan-gp", "wgan-gp-no-st"))
class UNetGAN(nn.Module):
    """The U-Net GAN's generator (see the module docstring).

    ``forward(x)``: ``[IR, VI]``, (N, 2, H, W) in [−1, 1] with H, W multiples of 16 → (N, 1, H, W) in
    [−1, 1]; ``fuse([ir, vi])``: any size, values in [0, 1].

    Parameters
    ----------
    width : int, default :data:`UNET_WIDTH`
    residual : bool, default True
        Residual blocks (the survey's) instead of plain double convs.

    Examples
    --------
    >>> import torch
    >>> net = UNetGAN(width=8).eval()
    >>> net(torch.zeros(1, 2, 32, 48)).shape, net.fuse([torch.zeros(1, 1, 21, 30)] * 2).shape
    (torch.Size([1, 1, 32, 48]), torch.Size([1, 1, 21, 30]))
    """

    #: Down-sampling factor: inputs are padded to a multiple of it.
    stride = 16
    #: Tile overlap (the receptive field is larger; at 64 pixels tiles differ by under one grey level).
    radius = 64

    def __init__(self, width: int = UNET_WIDTH, residual: bool = True) -> None:
        super().__init__()
        w = [width * 2**i for i in range(5)]
        self.down = nn.ModuleList([_Block(2, w[0], residual)] + [_Block(w[i], w[i + 1], residual) for i in range(4)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(4))])
        self.merge = nn.ModuleList([_Block(2 * w[i], w[i], residual) for i in reversed(range(4))])
        self.out = nn.Conv2d(w[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 2, H, W) in [−1, 1], H and W multiples of 16 → (N, 1, H, W) in [−1, 1]."""
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([up(x), skips.pop()], 1))
        return torch.tanh(self.out(x))

    def fuse(self, sources: list[torch.Tensor]) -> torch.Tensor:
        """Fused image in [0, 1] from ``[IR, VI]`` in [0, 1], any size."""
        x = torch.cat(sources, 1) * 2 - 1
        h, w = x.shape[2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
        return (self.forward(x)[:, :, :h, :w] + 1) / 2

# The ablation variants' weights are fetched on demand (not in the package): see weights/README.md.
register_project_weights("unet-gan", network="unet-gan",
                         sha256="339d9c8b47c9855c62b7a8f1dcdac3cf55498c5b92b22fb08b002c5557272a35", size=16254186)
register_project_weights("unet-gan.wgan-gp", network="unet-gan",
                         sha256="f7f828c3a2e8668a3baafc12c057b672f41db737575af6f99403989611534805", size=16254186)
register_project_weights("unet-gan.wgan-gp-no-st", network="unet-gan",
                         sha256="12f09d971436e415e5fa47fec47a4c025a477c6a62787f5c3350f0f662bb59ee", size=16254186)
