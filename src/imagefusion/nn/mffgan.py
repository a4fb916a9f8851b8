"""MFF-GAN's generator, in plain torch.

Source: Zhang, Le, Shao, Xu & Ma, "MFF-GAN: an unsupervised generative adversarial network with adaptive
and gradient joint constraints for multi-focus image fusion", Information Fusion 66, 2021; the authors'
code ``HaoZhang1018/MFF-GAN`` (``model.py``, ``utils.py``), read for the constants below.

The generator is :class:`~imagefusion.nn.gan.PathwiseTransferGenerator` without batch norm, one grey
source per path, inputs and output in [−1, 1]. Training (``imagefusion train mff-gan``): the adaptive
decision block ``S = sign(RB(I₁) − min(RB(I₁), RB(I₂)))`` (:func:`~imagefusion.nn.gan.focus_decision`)
weights the content loss ``L_G = L_adv + 10·(L_int + 5·L_grad)`` with
``L_int = mean S‖F − I₁‖² + mean (1 − S)‖F − I₂‖²`` and ``L_grad`` the same on Laplacians; the
discriminator (:class:`~imagefusion.nn.gan.PatchDiscriminator`, 60 × 60 patches) sees ``|∇F|`` against
``max(|∇I₁|, |∇I₂|)``; least squares with soft labels, the discriminator stepped twice per generator step.
"""

from __future__ import annotations

import torch

from .gan import PathwiseTransferGenerator
from .registry import register_network

__all__ = ["MFFGAN"]


@register_network("mff-gan")
class MFFGAN(PathwiseTransferGenerator):
    """MFF-GAN's generator (see the module docstring).

    ``forward(a, b)``: sources (N, 1, H, W) in [−1, 1] → fused (N, 1, H, W) in [−1, 1], any H, W;
    ``fuse([a, b])`` does the same on [0, 1] values.

    Examples
    --------
    >>> import torch
    >>> MFFGAN()(torch.zeros(2, 1, 11, 7), torch.zeros(2, 1, 11, 7)).shape
    torch.Size([2, 1, 11, 7])
    """

    def __init__(self) -> None:
        super().__init__(in_channels=1, batch_norm=False)

    def fuse(self, sources: list[torch.Tensor]) -> torch.Tensor:
        """Fused image in [0, 1] from ``[I₁, I₂]`` in [0, 1]."""
        a, b = sources
        return (self.forward(2 * a - 1, 2 * b - 1) + 1) / 2
