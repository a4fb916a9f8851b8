"""DDcGAN: the dual-discriminator conditional GAN, in plain torch.

Source: Ma, Xu, Jiang, Mei & Zhang, "DDcGAN: a dual-discriminator conditional generative adversarial
network for multi-resolution image fusion", IEEE TIP 29, 2020; the authors' code ``hanna-xu/DDcGAN``
(``same-resolution vis-ir image fusion/``: ``Generator.py``, ``Discriminator.py``, ``train.py``), read for
the constants below.

Generator on ``[VI, IR]`` in [0, 1] (the code's order): encoder conv 3×3 2 → 48, then a dense block of
four 3×3 convs of 48 channels, each fed the concatenation of all earlier outputs (240 channels out);
decoder 3×3 convs 240 → 240 → 128 → 64 → 32 → 1; reflection padding, batch norm and ReLU after every
conv but the last, whose output is ``tanh(x)/2 + 1/2`` ∈ [0, 1]. The authors' ``Decoder.decode`` applies
its first conv twice (once without and once with batch norm, a slip of an ``if`` that should be an
``elif``); we apply it once, as the paper's figure 3 draws it.

Discriminators (:class:`DDcGANDiscriminator`, one for visible vs fused, one for infrared vs fused):
three 3×3 stride-2 convs 1 → 16 → 32 → 64 with reflection padding, batch norm on the last two, ReLU,
a linear layer and ``tanh(x)/2 + 1/2``. Training (``imagefusion train ddcgan``): 84 × 84 patches;
``L_G = −mean log D_v(F) − mean log D_i(F) + 0.6·(‖F − IR‖_F²/16 + 1.2·‖∇F − ∇VI‖₁)`` with the norms
summed over each patch and averaged over the batch, ∇ the 3×3 kernel ``[[1/8]*3, [1/8, −1, 1/8], [1/8]*3]``;
the discriminators minimise the usual cross-entropy; the update schedule of ``train.py`` (discriminators on
even batches, repeated while their loss exceeds 1.7; generator on odd batches, its adversarial part repeated
while either discriminator's loss is under 1.4, its full loss while above 200; at most 20 repeats);
RMSProp as TensorFlow 1 runs it (accumulators start at one) for the generator, two of them (one for the
adversarial part, one for the full loss, as ``train.py`` builds two solvers), SGD for the discriminators;
learning rate 2e-4 decayed by 0.9 per ``decay_updates`` optimiser updates of all four solvers together
(``train.py`` decays on one global step that every solver increments, per its epoch's number of batches;
its ``main.py`` trains one epoch, so ours decays over the length of our run, 400 updates by default);
weights clipped to ±8. Batch norm uses the batch's statistics in training; at inference we use the
running statistics (the authors' ``generate.py`` normalises with the test image's own statistics, which
would make tiled inference depend on the tiles).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.registry import register_network

__all__ = ["DDcGAN", "DDcGANDiscriminator", "ddcgan_gradient"]


def ddcgan_gradient(x: torch.Tensor) -> torch.Tensor:
    """DDcGAN's gradient operator: the 3×3 kernel ``[[1/8, 1/8, 1/8], [1/8, −1, 1/8], [1/8, 1/8, 1/8]]``,
    zero padded to the same size (``grad()`` in the authors' ``train.py``).

    Parameters
    ----------
    x : torch.Tensor, shape (N, 1, H, W)

    Returns
    -------
    torch.Tensor, shape (N, 1, H, W)

    Examples
    --------
    >>> import torch
    >>> float(ddcgan_gradient(torch.ones(1, 1, 5, 5))[0, 0, 2, 2])  # flat inside
    0.0
    """
    k = torch.full((3, 3), 1 / 8, dtype=x.dtype, device=x.device)
    k[1, 1] = -1
    return F.conv2d(x, k[None, None], padding=1)


class _Conv(nn.Module):
    def __init__(self, c_in: int, c_out: int, *, stride: int = 1, bn: bool = True, relu: bool = True) -> None:
        super().__init__()
        # conv and batch norm in one Sequential, so that inference folds the norm into the conv
        # (imagefusion.nn.inference.fold_batch_norm)
        self.body = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride), nn.BatchNorm2d(c_out) if bn else nn.Identity())
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.body(F.pad(x, (1, 1, 1, 1), mode="reflect"))
        return F.relu(x, inplace=True) if self.relu else x


@register_network("ddcgan")
class DDcGAN(nn.Module):
    """DDcGAN's generator (see the module docstring).

    ``forward(vi, ir)``: (N, 1, H, W) each in [0, 1] → fused (N, 1, H, W) in [0, 1], H, W ≥ 2;
    ``fuse([ir, vi])`` takes the sources in our order (infrared first).

    Examples
    --------
    >>> import torch
    >>> DDcGAN().eval()(torch.rand(1, 1, 10, 12), torch.rand(1, 1, 10, 12)).shape
    torch.Size([1, 1, 10, 12])
    """

    #: Receptive-field radius: ten 3×3 convs.
    radius = 10

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = _Conv(2, 48)
        self.dense = nn.ModuleList([_Conv(48 * (i + 1), 48) for i in range(4)])
        widths = (240, 240, 128, 64, 32)
        self.decoder = nn.ModuleList([_Conv(a, b) for a, b in zip(widths[:-1], widths[1:])])
        self.last = _Conv(32, 1, bn=False, relu=False)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, std=0.05)
                nn.init.zeros_(m.bias)

    def forward(self, vi: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
        """Fused image in [0, 1] from ``vi`` and ``ir`` in [0, 1], shapes (N, 1, H, W)."""
        x = self.conv1(torch.cat([vi, ir], 1))
        for conv in self.dense:
            x = torch.cat([conv(x), x], 1)
        for conv in self.decoder:
            x = conv(x)
        return torch.tanh(self.last(x)) / 2 + 0.5

    def fuse(self, sources: list[torch.Tensor]) -> torch.Tensor:
        """Fused image in [0, 1] from ``[IR, VI]`` in [0, 1]."""
        ir, vi = sources
        return self.forward(vi, ir)


class DDcGANDiscriminator(nn.Module):
    """One of DDcGAN's two discriminators (see the module docstring): the probability (N, 1) that
    a (N, 1, patch, patch) image in [0, 1] is a real source.

    Parameters
    ----------
    patch : int, default 84
        Side of the training patches (84 in the authors' code).

    Examples
    --------
    >>> import torch
    >>> d = DDcGANDiscriminator(84)
    >>> p = d(torch.rand(3, 1, 84, 84))
    >>> p.shape, bool(((p > 0) & (p < 1)).all())
    (torch.Size([3, 1]), True)
    """

    def __init__(self, patch: int = 84) -> None:
        super().__init__()
        self.convs = nn.Sequential(_Conv(1, 16, stride=2, bn=False), _Conv(16, 32, stride=2), _Conv(32, 64, stride=2))
        side = patch
        for _ in range(3):
            side = (side + 2 - 3) // 2 + 1
        self.score = nn.Linear(64 * side * side, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, std=0.1)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):  # tf.layers.dense's default kernel initialiser
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities (N, 1) in (0, 1), float32 even under autocast: in bfloat16, ``tanh`` rounds to
        exactly ±1 from a score of about 3 (float32: about 9), and the cross-entropy ``−log(p + 1e-8)`` of
        train.py then has no gradient, so bfloat16 mixed-precision training saturated both discriminators."""
        h = self.convs(x).flatten(1)
        with torch.autocast(x.device.type, enabled=False):
            return torch.tanh(self.score(h.float())) / 2 + 0.5
