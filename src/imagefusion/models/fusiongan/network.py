"""FusionGAN's generator, in plain torch.

Source: Ma, Yu, Liang, Li & Jiang, "FusionGAN: a generative adversarial network for infrared and visible
image fusion", Information Fusion 48, 2019; the authors' code ``jiayi-ma/FusionGAN`` (``model.py``,
``utils.py``, ``test_one_image.py``), read for the constants below.

Generator on the two sources stacked ``[IR, VI]`` in [−1, 1]: five unpadded convs 5×5·256, 5×5·128,
3×3·64, 3×3·32, 1×1·1, batch norm and LeakyReLU(0.2) after the first four, tanh last — the output is
12 pixels smaller in each direction, so :meth:`FusionGAN.fuse` first pads the sources by 6 pixels
repeating the border, as the authors' test script does. The authors wrap every weight in spectral
normalisation during training; the trainer does the same and folds the normalisation into the weights
it ships (``torch.nn.utils.parametrize.remove_parametrizations``).

Training (``imagefusion train fusiongan``): discriminator :class:`~imagefusion.nn.gan.PatchDiscriminator`
on 120 × 120 outputs, real = visible, fake = fused; least squares with soft labels
(:func:`~imagefusion.nn.gan.lsgan_d_loss`); ``L_G = L_adv + 100·(mean (F − IR)² + 5·mean (∇F − ∇VI)²)``
with the Laplacian ∇; the discriminator is stepped twice per generator step; Adam at 1e-4.
The weight tag ``fusiongan.wgan-gp`` is the same generator trained against a WGAN-GP critic.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.published import register_project_weights
from ...nn.registry import register_network

__all__ = ["FusionGAN"]


@register_network("fusiongan", tags=("wgan-gp",))
class FusionGAN(nn.Module):
    """FusionGAN's generator (see the module docstring).

    ``forward(x)``: ``[IR, VI]`` stacked, (N, 2, H, W) in [−1, 1] → (N, 1, H − 12, W − 12) in [−1, 1];
    ``fuse([ir, vi])``: (N, 1, H, W) each in [0, 1] → (N, 1, H, W) in [0, 1] (border repeated by 6).

    Examples
    --------
    >>> import torch
    >>> net = FusionGAN().eval()
    >>> net(torch.zeros(1, 2, 32, 40)).shape, net.fuse([torch.zeros(1, 1, 9, 9)] * 2).shape
    (torch.Size([1, 1, 20, 28]), torch.Size([1, 1, 9, 9]))
    """

    #: Pixels lost on each side (2 + 2 + 1 + 1 + 0).
    radius = 6

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 2
        for width, k in ((256, 5), (128, 5), (64, 3), (32, 3)):
            layers += [nn.Conv2d(c, width, k), nn.BatchNorm2d(width, eps=1e-5, momentum=0.1), nn.LeakyReLU(0.2, inplace=True)]
            c = width
        layers += [nn.Conv2d(c, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, std=1e-3)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 2, H, W) in [−1, 1] → (N, 1, H − 12, W − 12) in [−1, 1]."""
        return self.body(x)

    def fuse(self, sources: list[torch.Tensor]) -> torch.Tensor:
        """Fused image in [0, 1] from ``[IR, VI]`` in [0, 1], the sources' size."""
        x = torch.cat(sources, 1) * 2 - 1
        x = F.pad(x, (self.radius,) * 4, mode="replicate")
        return (self.forward(x) + 1) / 2

# The ablation variants' weights are fetched on demand (not in the package): see weights/README.md.
register_project_weights("fusiongan.wgan-gp", network="fusiongan",
                         sha256="4a4407571c1b0af25acd57cbac40010e0c1fabca9d6d0e60c9068521067b8dfc", size=3708484)
