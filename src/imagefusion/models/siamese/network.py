"""Siamese patch classifiers for multi-focus fusion, in plain torch.

Two networks share one interface: each takes two grey patches (or two whole images) and returns
two logits per patch position; ``softmax(logits)[:, 1]`` is the probability that the first source
is the one in focus.

* :class:`SiameseResidualCNN` (registry ``siamese-cnn``): Yang, Zheng & Dai, "Image fusion based
  on Siamese convolutional neural network", Computer Systems & Applications 29(5), 2020, Table 1:
  conv 3×3 64 → conv 3×3 128 → max-pool 2×2 → residual bottleneck block (1×1, 3×3 unpadded, 1×1;
  8×8 → 6×6) → max-pool 2×2 → conv 3×3 256 (3×3×256 per branch) → the two branches concatenated
  (512 channels) → fully connected layer → 2-way softmax.
* :class:`LiuCNN` (registry ``cnn-liu2017``): Liu, Chen, Peng & Wang, "Multi-focus image fusion
  with a deep convolutional neural network", Information Fusion 36, 2017, Fig. 3: conv 3×3 64 →
  conv 3×3 128 → max-pool 2×2 → conv 3×3 256 (8×8×256 per branch) → concatenated (512 channels)
  → fully connected 256 → fully connected 2 (trained in full; shipped with the first fully connected
  layer at rank 32, :meth:`LiuCNN.low_rank`).

The fully connected layers are convolutions whose kernel covers the whole patch feature map, so the
same module classifies one 16×16 patch pair (output 1×1) or a whole image pair (a dense score map
whose entry ``(i, j)`` belongs to the 16×16 patch with top-left corner ``(stride·i, stride·j)``),
as in Liu et al. 2017, Section 3.3.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...nn.registry import register_network

__all__ = ["SiameseResidualCNN", "LiuCNN", "ResidualBottleneck"]


class ResidualBottleneck(nn.Module):
    """Bottleneck residual block without padding: ``1×1 → 3×3 (valid) → 1×1`` plus the centre crop
    of the input (Yang et al. 2020, Table 1; He et al., CVPR 2016, Fig. 5 right).

    Input ``(N, C, H, W)`` float32; output ``(N, C, H − 2, W − 2)``, after ReLU.

    Parameters
    ----------
    channels : int, default 128
        Input and output channels.
    bottleneck : int, default 64
        Channels inside the block.

    Examples
    --------
    >>> import torch
    >>> tuple(ResidualBottleneck()(torch.zeros(1, 128, 10, 10)).shape)  # 'valid' 3×3: 2 pixels fewer
    (1, 128, 8, 8)
    """

    def __init__(self, channels: int = 128, bottleneck: int = 64) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, bottleneck, 1)
        self.conv = nn.Conv2d(bottleneck, bottleneck, 3)
        self.expand = nn.Conv2d(bottleneck, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.reduce(x))
        y = F.relu(self.conv(y))
        y = self.expand(y)
        return F.relu(y + x[:, :, 1:-1, 1:-1])


class _SiameseBase(nn.Module):
    """Shared parts: input centring, the two weight-sharing branches, the 2-way head.

    Every branch starts ``conv1 → ReLU → conv2 → ReLU → max-pool 2×2`` (:meth:`early`). For a whole
    image these two full-resolution layers cost most of the time; :meth:`early` computes them in
    horizontal bands (``band`` rows plus a 2-row halo), which gives the same values as one pass but
    keeps the feature maps in cache (about 1.6× faster for 520×520 on a 2-core CPU) and their memory
    bounded.
    """

    patch_size = 16
    stride = 1
    #: Pixels of context beyond a patch that a dense output still depends on (zero padding).
    halo = 8
    #: Rows per band of :meth:`early` (even).
    band = 32

    conv1: nn.Conv2d
    conv2: nn.Conv2d

    def early(self, x: torch.Tensor) -> torch.Tensor:
        """``max_pool(relu(conv2(relu(conv1(x)))))`` for ``x`` of shape (N, 1, H, W), H and W even."""

        def block(t: torch.Tensor) -> torch.Tensor:
            return F.relu(self.conv2(F.relu(self.conv1(t))))

        h = x.shape[2]
        if self.training or h <= 2 * self.band:
            return F.max_pool2d(block(x), 2)
        out = []
        for r in range(0, h, self.band):
            lo, hi = max(r - 2, 0), min(r + self.band + 2, h)
            y = block(x[:, :, lo:hi])
            out.append(F.max_pool2d(y[:, :, r - lo : r - lo + min(self.band, h - r)], 2))
        return torch.cat(out, dim=2)

    def branch(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def head(self, features: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Logits for "which source is in focus".

        Parameters
        ----------
        a, b : Tensor, float32, shape (N, 1, H, W), values in [0, 1], H, W ≥ 16
            Grey patches (H = W = 16) or whole images.

        Returns
        -------
        Tensor, shape (N, 2, h, w)
            ``h = (H − 16) // stride + 1`` (same for w); class 1 means "a is in focus".
        """
        n = a.shape[0]
        f = self.branch(torch.cat([a, b]) - 0.5)  # one pass through the shared branch
        return self.head(torch.cat([f[:n], f[n:]], dim=1))


@register_network("siamese-cnn")
class SiameseResidualCNN(_SiameseBase):
    """The residual Siamese CNN of Yang, Zheng & Dai 2020 (module docstring); dense stride 4.

    Examples
    --------
    >>> import torch
    >>> net = SiameseResidualCNN().eval()
    >>> with torch.no_grad():
    ...     logits = net(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 16))
    >>> tuple(logits.shape), net.patch_size, net.stride
    ((1, 2, 1, 1), 16, 4)
    """

    stride = 4

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1)
        self.res = ResidualBottleneck(128, 64)
        self.conv3 = nn.Conv2d(128, 256, 3, padding=1)
        self.fc = nn.Conv2d(512, 2, 3)  # fully connected over the 3×3×512 features

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.res(self.early(x)), 2)
        return F.relu(self.conv3(x))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(features)


@register_network("cnn-liu2017")
class LiuCNN(_SiameseBase):
    """The Siamese CNN of Liu et al. 2017 (module docstring); dense stride 2.

    Parameters
    ----------
    fc1_rank : int or None, default None
        None: the paper's fully connected layer ``fc1`` (8×8×512 → 256, 8.4 M weights), as trained.
        An int r in [1, 256]: ``fc1`` stored as two factors, an 8×8 conv 512 → r without bias and a
        1×1 conv r → 256 — a linear map of rank ≤ r (:meth:`low_rank` makes it from trained
        weights). The shipped ``cnn-liu2017`` weights use r = 32.

    Examples
    --------
    >>> import torch
    >>> net = LiuCNN().eval()
    >>> with torch.no_grad():
    ...     logits = net(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 16))
    >>> tuple(logits.shape), net.patch_size, net.stride
    ((1, 2, 1, 1), 16, 2)
    """

    stride = 2

    def __init__(self, fc1_rank: int | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1)
        self.conv3 = nn.Conv2d(128, 256, 3, padding=1)
        self.fc1: nn.Module = nn.Conv2d(512, 256, 8) if fc1_rank is None else _factored_fc1(fc1_rank)
        self.fc2 = nn.Conv2d(256, 2, 1)

    @property
    def fc1_rank(self) -> int | None:
        """The rank r of a factored ``fc1``; None for the full layer."""
        return self.fc1[0].out_channels if isinstance(self.fc1, nn.Sequential) else None

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv3(self.early(x)))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(features)))

    def low_rank(self, rank: int) -> "LiuCNN":
        """A copy whose ``fc1`` is the best rank-``rank`` approximation of this one's.

        The 256 × 32,768 weight matrix W of ``fc1`` is replaced by its truncated singular value
        decomposition ``U_r S_r V_rᵀ`` (Eckart & Young 1936: the closest rank-r matrix in the Frobenius
        norm), split into balanced factors ``S_r^½ V_rᵀ`` (the 8×8 conv) and ``U_r S_r^½`` (the 1×1
        conv, which keeps the bias). Every other layer is copied unchanged. A trained network's W is
        a few strong directions on a flat floor left from its random initialisation, so a small
        rank keeps its decisions: r = 32 leaves the validation accuracy of the shipped network
        unchanged and shrinks ``fc1`` 8× (fewer bytes to ship and 8× fewer multiply-adds per score).

        Parameters
        ----------
        rank : int, 1 ≤ rank ≤ 256

        Returns
        -------
        LiuCNN, float32, in the mode (train/eval) and on the device of this network.

        Raises
        ------
        ValueError
            A rank outside [1, 256], or an ``fc1`` that is already factored.
        """
        if self.fc1_rank is not None:
            raise ValueError(f"fc1 is already factored (rank {self.fc1_rank})")
        if not 1 <= int(rank) <= 256:
            raise ValueError(f"rank must be in [1, 256], got {rank}")
        rank = int(rank)
        fc1 = self.fc1
        assert isinstance(fc1, nn.Conv2d)
        w = fc1.weight.detach().reshape(256, -1).double().cpu()
        u, s, vh = torch.linalg.svd(w, full_matrices=False)
        root = s[:rank].sqrt()
        out = LiuCNN(fc1_rank=rank)
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("fc1.")}
        state["fc1.0.weight"] = (root[:, None] * vh[:rank]).reshape(rank, 512, 8, 8).float()
        state["fc1.1.weight"] = (u[:, :rank] * root).reshape(256, rank, 1, 1).float()
        state["fc1.1.bias"] = fc1.bias.detach().float().cpu()
        out.load_state_dict(state)
        return out.to(fc1.weight.device).train(self.training)

    def match_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Give ``fc1`` the form (full, or factored with the file's rank) of a state dict about to be
        loaded; called by :func:`imagefusion.nn.weights.load_weights`."""
        rank = state["fc1.0.weight"].shape[0] if "fc1.0.weight" in state else None
        if rank != self.fc1_rank:
            self.fc1 = nn.Conv2d(512, 256, 8) if rank is None else _factored_fc1(rank)


def _factored_fc1(rank: int) -> nn.Sequential:
    """``fc1`` of :class:`LiuCNN` as two factors: 8×8 conv 512 → rank (no bias), 1×1 conv rank → 256."""
    return nn.Sequential(nn.Conv2d(512, rank, 8, bias=False), nn.Conv2d(rank, 256, 1))
