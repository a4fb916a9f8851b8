"""PMGI: the proportional-maintenance-of-gradient-and-intensity network, in plain torch.

Source: Zhang, Xu, Xiao, Guo & Ma, "Rethinking the image fusion: a fast unified image fusion network
based on proportional maintenance of gradient and intensity", AAAI 2020; the authors' code
``HaoZhang1018/PMGI_AAAI2020`` (``Code_PMGI/<task>/model.py``), read for the constants below.

The generator is :class:`~imagefusion.nn.gan.PathwiseTransferGenerator` with batch norm: the path of
source A sees ``[A, A, B]``, the path of source B sees ``[B, B, A]`` (3 channels each), inputs and output
in [−1, 1]. The released code trains it with the content loss alone (its discriminator is commented
out): ``L = 100·(β₁‖F − A‖² + β₂‖F − B‖² + β₃‖∇F − ∇B‖² + β₄‖∇F − ∇A‖²)`` (means over pixels, ∇ the
Laplacian), with one set of β per task (:data:`PMGI_LOSS_WEIGHTS`) and one weights file per task:
``pmgi`` (infrared–visible), ``pmgi.mif``, ``pmgi.mff``, ``pmgi.mef``.

Source order: A is the first source of a pair — infrared, the functional image (PET/SPECT) or CT, the
first focus setting, the under-exposed image — and B the second.
"""

from __future__ import annotations

import torch

from ...nn.gan import PathwiseTransferGenerator
from ...nn.registry import register_network

__all__ = ["PMGI", "PMGI_LOSS_WEIGHTS", "PMGI_TASKS"]

#: β per task from the authors' code: intensity of A, intensity of B, gradient of B, gradient of A.
PMGI_LOSS_WEIGHTS = {
    "ivif": {"int_a": 1.0, "int_b": 0.3, "grad_b": 5.0, "grad_a": 4.0},
    "mif": {"int_a": 1.0, "int_b": 1.0, "grad_b": 300.0, "grad_a": 0.0},
    "mff": {"int_a": 2.0, "int_b": 2.0, "grad_b": 3.0, "grad_a": 3.0},
    "mef": {"int_a": 1.5, "int_b": 1.5, "grad_b": 16.0, "grad_a": 16.0},
}
#: The weights file of each task (the tag after the dot).
PMGI_TASKS = {"ivif": "pmgi", "mif": "pmgi.mif", "mff": "pmgi.mff", "mef": "pmgi.mef"}


@register_network("pmgi", tags=("mif", "mff", "mef"))
class PMGI(PathwiseTransferGenerator):
    """PMGI's generator (see the module docstring).

    ``forward(a, b)``: sources (N, 1, H, W) in [−1, 1] → fused (N, 1, H, W) in [−1, 1]; any H, W (every
    conv is stride 1 with "same" padding). ``fuse([a, b])`` does the same on [0, 1] values.

    Examples
    --------
    >>> import torch
    >>> net = PMGI().eval()
    >>> net(torch.zeros(1, 1, 9, 13), torch.zeros(1, 1, 9, 13)).shape
    torch.Size([1, 1, 9, 13])
    """

    def __init__(self) -> None:
        super().__init__(in_channels=3, batch_norm=True)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """Fused image in [−1, 1] from A and B in [−1, 1], shapes (N, 1, H, W)."""
        return super().forward(torch.cat([a, a, b], 1), torch.cat([b, b, a], 1))

    def fuse(self, sources: list[torch.Tensor]) -> torch.Tensor:
        """Fused image in [0, 1] from ``[A, B]`` in [0, 1]."""
        a, b = sources
        return (self.forward(2 * a - 1, 2 * b - 1) + 1) / 2
