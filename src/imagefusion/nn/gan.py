"""Pieces shared by the end-to-end (adversarial) fusion networks, in plain torch.

* :func:`laplacian` — the 3×3 Laplacian ``[[0, 1, 0], [1, −4, 1], [0, 1, 0]]`` with zero padding, the
  "gradient" of FusionGAN's, PMGI's and MFF-GAN's losses (``gradient()`` in their ``utils.py``).
* :func:`blur_residual` and :func:`focus_decision` — MFF-GAN's adaptive decision block.
* :class:`PatchDiscriminator` — FusionGAN's discriminator (also MFF-GAN's and the U-Net GAN's): four
  3×3 stride-2 unpadded convs (32, 64, 128, 256 channels; batch norm on the last three; LeakyReLU 0.2)
  and a linear output; as a WGAN-GP critic it has no batch norm (Gulrajani et al. 2017, section 4).
* :class:`PathwiseTransferGenerator` — the two-path generator of PMGI and MFF-GAN with the pathwise
  transfer blocks (1×1 convs on both paths' features, fed back into each path).
* Losses: :func:`lsgan_d_loss` / :func:`lsgan_g_loss` (least squares with soft labels drawn each step,
  FusionGAN's code), :func:`wgan_d_loss` / :func:`wgan_g_loss` and :func:`gradient_penalty` (WGAN-GP).
* :func:`run_generator` — tiled inference of a registered generator on grey sources in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .inference import pointwise_conv_of_concat

__all__ = ["laplacian", "blur_residual", "focus_decision", "PatchDiscriminator", "PathwiseTransferGenerator", "pathwise_from_authors",
           "lsgan_d_loss", "lsgan_g_loss", "wgan_d_loss", "wgan_g_loss", "gradient_penalty", "run_generator",
           "MFFGAN_BLUR"]

#: MFF-GAN's 3×3 Gaussian (``blur_2th`` in the authors' ``utils.py``; about σ = 1.5; it sums to 0.9998).
MFFGAN_BLUR = ((0.0947, 0.1183, 0.0947), (0.1183, 0.1478, 0.1183), (0.0947, 0.1183, 0.0947))


def _filter(x: torch.Tensor, kernel: Sequence[Sequence[float]]) -> torch.Tensor:
    k = torch.tensor(kernel, dtype=x.dtype, device=x.device)[None, None]
    c = x.shape[1]
    return F.conv2d(x, k.expand(c, 1, 3, 3), padding=1, groups=c)


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """The 3×3 Laplacian of each channel, zero padded to the same size ("SAME" in TensorFlow).

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W), float

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 3, 3); x[0, 0, 1, 1] = 1.0
    >>> laplacian(x)[0, 0].tolist()
    [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]
    """
    return _filter(x, ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0)))


def blur_residual(x: torch.Tensor) -> torch.Tensor:
    """MFF-GAN's ``RB(I) = |I − G∗G∗I|``: what two passes of the 3×3 Gaussian :data:`MFFGAN_BLUR`
    (zero padding) take away — large where the image is sharp.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)

    Returns
    -------
    torch.Tensor, shape (N, C, H, W), ≥ 0

    Examples
    --------
    >>> import torch
    >>> flat = torch.full((1, 1, 9, 9), 0.5)
    >>> round(float(blur_residual(flat)[0, 0, 4, 4]), 5)  # no detail: only the kernel's 0.9998 sum shows
    0.0002
    """
    return (x - _filter(_filter(x, MFFGAN_BLUR), MFFGAN_BLUR)).abs()


def focus_decision(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """MFF-GAN's adaptive decision block ``S = sign(RB(a) − min(RB(a), RB(b)))``: 1 where ``a`` loses
    more to blurring than ``b`` (``a`` is in focus), 0 elsewhere (ties go to ``b``).

    Parameters
    ----------
    a, b : torch.Tensor, shape (N, C, H, W)
        Two sources (any value range, the same for both).

    Returns
    -------
    torch.Tensor, shape (N, C, H, W), values 0.0 or 1.0; ``1 − S`` is ``b``'s decision map.

    References
    ----------
    Zhang, Le, Shao, Xu & Ma, "MFF-GAN: an unsupervised generative adversarial network with adaptive and
    gradient joint constraints for multi-focus image fusion", Information Fusion 66, 2021, section 3.3.

    Examples
    --------
    >>> import torch
    >>> sharp = torch.zeros(1, 1, 8, 8); sharp[..., ::2, :] = 1.0  # stripes
    >>> smooth = torch.full((1, 1, 8, 8), 0.5)
    >>> float(focus_decision(sharp, smooth)[0, 0, 2:6, 2:6].mean())
    1.0
    """
    ra, rb = blur_residual(a), blur_residual(b)
    return torch.sign(ra - torch.minimum(ra, rb))


class PatchDiscriminator(nn.Module):
    """FusionGAN's discriminator: four 3×3 stride-2 unpadded convs (32, 64, 128, 256 channels),
    LeakyReLU(0.2) after each, batch norm after the last three, and a linear layer to one score.

    Parameters
    ----------
    patch : int
        Side of the square inputs it scores (the linear layer's size depends on it): 120 for
        FusionGAN (6 × 6 × 256 features), 60 for MFF-GAN (2 × 2 × 256).
    in_channels : int, default 1
    norm : {"batch", "none"}, default "batch"
        ``"none"`` for a WGAN-GP critic (the gradient penalty is per sample; batch norm mixes them).

    Examples
    --------
    >>> import torch
    >>> d = PatchDiscriminator(120)
    >>> d(torch.rand(2, 1, 120, 120)).shape
    torch.Size([2, 1])
    """

    def __init__(self, patch: int, in_channels: int = 1, norm: str = "batch") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c, side = in_channels, patch
        for i, width in enumerate((32, 64, 128, 256)):
            layers.append(nn.Conv2d(c, width, 3, stride=2))
            if i and norm == "batch":
                layers.append(nn.BatchNorm2d(width, eps=1e-5, momentum=0.1))
            layers.append(nn.LeakyReLU(0.2))
            c, side = width, (side - 3) // 2 + 1
        if side < 1:
            raise ValueError(f"patch={patch} is too small for four stride-2 3x3 convs")
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(c * side * side, 1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=1e-3 if norm == "batch" else 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores, shape (N, 1), of images (N, C, patch, patch)."""
        return self.score(self.features(x).flatten(1))


def _conv_block(c_in: int, c_out: int, k: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, padding=k // 2)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class PathwiseTransferGenerator(nn.Module):
    """The two-path generator of PMGI (AAAI 2020) and MFF-GAN (Information Fusion 2021).

    Path p (p = 1, 2): ``c1 = conv5×5(x_p)``, ``c2 = conv3×3(c1)``; transfer block 1:
    ``t2 = conv1×1([c2¹, c2²])`` (one per path); ``c3 = conv3×3([c1, c2, t2])``; transfer block 2:
    ``t3 = conv1×1([c3¹, c3²])``; ``c4 = conv3×3([c1, c2, c3, t3])``; output
    ``tanh(conv1×1([c1¹, c1², c2¹, c2², c3¹, c3², c4¹, c4²]))``. Every conv has 16 channels, "same"
    zero padding, LeakyReLU(0.2); batch norm after each (PMGI) or none (MFF-GAN).

    Parameters
    ----------
    in_channels : int
        Channels of each path's input (PMGI: 3, ``[A, A, B]`` and ``[B, B, A]``; MFF-GAN: 1).
    batch_norm : bool

    Examples
    --------
    >>> import torch
    >>> g = PathwiseTransferGenerator(1, batch_norm=False)
    >>> g(torch.rand(1, 1, 17, 23), torch.rand(1, 1, 17, 23)).shape
    torch.Size([1, 1, 17, 23])
    """

    #: Receptive-field radius in pixels (5×5 then three 3×3 convs).
    radius = 5

    def __init__(self, in_channels: int, batch_norm: bool) -> None:
        super().__init__()
        w = 16
        self.paths = nn.ModuleList()
        for _ in range(2):
            self.paths.append(nn.ModuleDict({
                "conv1": _conv_block(in_channels, w, 5, batch_norm),
                "conv2": _conv_block(w, w, 3, batch_norm),
                "transfer2": _conv_block(2 * w, w, 1, batch_norm),
                "conv3": _conv_block(3 * w, w, 3, batch_norm),
                "transfer3": _conv_block(2 * w, w, 1, batch_norm),
                "conv4": _conv_block(4 * w, w, 3, batch_norm),
            }))
        self.out = nn.Conv2d(8 * w, 1, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, std=1e-3)
                nn.init.zeros_(m.bias)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Fused image (N, 1, H, W) in [−1, 1] from the two paths' inputs (N, in_channels, H, W)."""
        p1, p2 = self.paths
        c1 = [p1["conv1"](x1), p2["conv1"](x2)]
        c2 = [p1["conv2"](c1[0]), p2["conv2"](c1[1])]
        mid = torch.cat(c2, 1)
        t2 = [p1["transfer2"](mid), p2["transfer2"](mid)]
        c3 = [p["conv3"](torch.cat([c1[i], c2[i], t2[i]], 1)) for i, p in enumerate((p1, p2))]
        mid = torch.cat(c3, 1)
        t3 = [p1["transfer3"](mid), p2["transfer3"](mid)]
        c4 = [p["conv4"](torch.cat([c1[i], c2[i], c3[i], t3[i]], 1)) for i, p in enumerate((p1, p2))]
        return torch.tanh(pointwise_conv_of_concat([c1[0], c1[1], c2[0], c2[1], c3[0], c3[1], c4[0], c4[1]], self.out))



#: The authors' TensorFlow scopes of each layer of a path (PMGI's and MFF-GAN's code name them alike): our
#: name → (their scope, their variable suffix); the second path adds ``_vi`` (PMGI) or ``_far`` (MFF-GAN).
_AUTHORS_SCOPES = {"conv1": ("layer1", "1"), "conv2": ("layer2", "2"), "transfer2": ("layer2_3", "2_3"),
                   "conv3": ("layer3", "3"), "transfer3": ("layer3_4", "3_4"), "conv4": ("layer4", "4")}


def pathwise_from_authors(tf: dict[str, torch.Tensor], in_channels: int, second: str, *,
                          per_image_norm: bool, source: str) -> PathwiseTransferGenerator:
    """A :class:`PathwiseTransferGenerator` with the authors' TensorFlow variables (PMGI, MFF-GAN), in eval mode.

    Parameters
    ----------
    tf : dict of str to torch.Tensor
        The checkpoint's variables as :func:`imagefusion.nn.published.tf_checkpoint` gives them.
    in_channels : int
        3 for PMGI (``[A, A, B]``), 1 for MFF-GAN.
    second : str
        The suffix of the second path's scopes: ``"_vi"`` (PMGI) or ``"_far"`` (MFF-GAN).
    per_image_norm : bool
        Normalise after every convolution by the statistics of the image being fused, with scale 1 and
        offset 0 (``nn.InstanceNorm2d`` without affine parameters) — what PMGI's test code does with
        ``tf.contrib.layers.batch_norm`` in training mode and its variables never restored.
    source : str
        The checkpoint's name, for error messages.

    Returns
    -------
    PathwiseTransferGenerator

    Raises
    ------
    WeightsError
        A variable is missing or has the wrong shape.

    Examples
    --------
    >>> g = PathwiseTransferGenerator(1, batch_norm=False)
    >>> tf = {f"fusion_model/{s}{x}/{v}{k}{x}": t for x, p in (("", 0), ("_far", 1))
    ...       for name, (s, k) in _AUTHORS_SCOPES.items()
    ...       for v, t in (("w", g.paths[p][name][0].weight), ("b", g.paths[p][name][0].bias))}
    >>> tf.update({"fusion_model/layer5/w5": g.out.weight, "fusion_model/layer5/b5": g.out.bias})
    >>> pathwise_from_authors(tf, 1, "_far", per_image_norm=False, source="example").training
    False
    """
    from .weights import load_state

    net = PathwiseTransferGenerator(in_channels, batch_norm=per_image_norm)
    if per_image_norm:
        for seq in net.modules():
            if isinstance(seq, nn.Sequential):
                for i, m in enumerate(seq):
                    if isinstance(m, nn.BatchNorm2d):
                        seq[i] = nn.InstanceNorm2d(m.num_features, eps=m.eps)
    names = {"out.weight": "fusion_model/layer5/w5", "out.bias": "fusion_model/layer5/b5"}
    for p, suffix in ((0, ""), (1, second)):
        for layer, (scope, k) in _AUTHORS_SCOPES.items():
            names[f"paths.{p}.{layer}.0.weight"] = f"fusion_model/{scope}{suffix}/w{k}{suffix}"
            names[f"paths.{p}.{layer}.0.bias"] = f"fusion_model/{scope}{suffix}/b{k}{suffix}"
    missing = [theirs for theirs in names.values() if theirs not in tf]
    if missing:
        from ..errors import WeightsError

        raise WeightsError(f"{source}: no variable {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return load_state(net, {ours: tf[theirs] for ours, theirs in names.items()}, source).eval()


def _soft(n: int, low: float, high: float, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(n, 1, device=like.device, dtype=torch.float32) * (high - low) + low


def lsgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """FusionGAN's least-squares discriminator loss with soft labels drawn each call:
    ``mean (D(real) − b)² + mean (D(fake) − a)²``, ``b ~ U[0.7, 1.2]``, ``a ~ U[0, 0.3]`` per sample.

    Parameters
    ----------
    real, fake : torch.Tensor, shape (N, 1)
        Scores of real and generated images.

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    References
    ----------
    Ma, Yu, Liang, Li & Jiang, "FusionGAN: a generative adversarial network for infrared and visible image
    fusion", Information Fusion 48, 2019, eq. (6) and the authors' ``model.py``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> loss = lsgan_d_loss(torch.full((1000, 1), 0.95), torch.full((1000, 1), 0.15))
    >>> round(float(loss), 2)  # two uniform label spreads: 0.5²/12 + 0.3²/12
    0.03
    """
    n = real.shape[0]
    return ((real.float() - _soft(n, 0.7, 1.2, real)) ** 2).mean() + ((fake.float() - _soft(n, 0.0, 0.3, fake)) ** 2).mean()


def lsgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """FusionGAN's adversarial generator loss ``mean (D(fake) − c)²``, ``c ~ U[0.7, 1.2]`` per sample.

    Parameters
    ----------
    fake : torch.Tensor, shape (N, 1)

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    References
    ----------
    FusionGAN (Information Fusion 48, 2019), eq. (3).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> round(float(lsgan_g_loss(torch.full((1000, 1), 0.95))), 2)  # 0.5² / 12
    0.02
    """
    return ((fake.float() - _soft(fake.shape[0], 0.7, 1.2, fake)) ** 2).mean()


def wgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The WGAN critic loss ``mean C(fake) − mean C(real)`` (add :func:`gradient_penalty`).

    Parameters
    ----------
    real, fake : torch.Tensor, shape (N, 1)

    Returns
    -------
    Scalar float32 tensor.

    References
    ----------
    Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved training of Wasserstein GANs", NeurIPS
    2017, Algorithm 1.

    Examples
    --------
    >>> import torch
    >>> float(wgan_d_loss(torch.tensor([[2.0], [4.0]]), torch.tensor([[1.0], [1.0]])))
    -2.0
    """
    return fake.float().mean() - real.float().mean()


def wgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """The WGAN generator loss ``−mean C(fake)``.

    Parameters
    ----------
    fake : torch.Tensor, shape (N, 1)

    Returns
    -------
    Scalar float32 tensor.

    References
    ----------
    Gulrajani et al., NeurIPS 2017, Algorithm 1.

    Examples
    --------
    >>> import torch
    >>> float(wgan_g_loss(torch.tensor([[1.0], [3.0]])))
    -2.0
    """
    return -fake.float().mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0, eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP's penalty ``λ · mean (‖∇_x̂ C(x̂)‖₂ − 1)²`` at ``x̂ = ε·real + (1 − ε)·fake``,
    ``ε ~ U[0, 1]`` per sample.

    Parameters
    ----------
    critic : callable, (N, C, H, W) → (N, 1)
    real, fake : torch.Tensor, shape (N, C, H, W)
        ``fake`` is detached here.
    weight : float, default 10
        λ (the paper's value).
    eps : torch.Tensor, shape (N, 1, 1, 1), optional
        The mixing weights (random when omitted).

    Returns
    -------
    Scalar float32 tensor ≥ 0, differentiable with respect to the critic's parameters.

    References
    ----------
    Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017, eq. (3).

    Examples
    --------
    >>> import torch
    >>> w = torch.full((1, 1, 2, 2), 0.5)  # a linear critic: its gradient is w everywhere, norm 1
    >>> critic = lambda x: (x * w).sum((1, 2, 3))[:, None]
    >>> float(gradient_penalty(critic, torch.rand(4, 1, 2, 2), torch.rand(4, 1, 2, 2)))
    0.0
    >>> float(gradient_penalty(lambda x: 3 * critic(x), torch.rand(4, 1, 2, 2), torch.rand(4, 1, 2, 2)))  # norm 3
    40.0
    """
    if eps is None:
        eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    mix = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    score = critic(mix)
    (grad,) = torch.autograd.grad(score.float().sum(), mix, create_graph=True)
    return weight * ((grad.float().flatten(1).norm(dim=1) - 1) ** 2).mean()


def run_generator(name: str, images: Sequence[np.ndarray], *, weights: str = "", device: str | None = None,
                  precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """Fuse grey sources with a registered generator network in tiles (its ``fuse`` method takes the
    sources as (1, 1, h, w) tensors in [0, 1] and returns the fused tile in [0, 1]).

    Parameters
    ----------
    name : str
        A generator's registry name with its weight tag (``"pmgi.mif"``).
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        The sources, in the order the network expects; any size.
    weights : str, default "" (the shipped weights)
    device, precision, tile
        See :func:`imagefusion.nn.inference.tiled_apply`; tiles overlap by the network's receptive-field
        radius, so tiling does not change the result (the networks use batch norm's running statistics).

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    WeightsError
        Missing, unreadable or mismatched weights.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.tile(np.linspace(0, 1, 48, dtype=np.float32), (40, 1))
    >>> out = run_generator("pmgi", [a, a])
    >>> out.shape, bool(abs(float(out.mean()) - float(a.mean())) < 0.1)
    ((40, 48), True)
    """
    from .inference import cpu_threads, tiled_apply
    from .weights import inference_network

    model = inference_network(name, weights or None, device, precision)
    fuse: Any = model.fuse
    with cpu_threads():
        out = tiled_apply(lambda parts: fuse(parts), [np.asarray(im, np.float32) for im in images],
                          halo=int(model.radius) + 2, tile=tile, device=device, precision=precision)
    return np.clip(out, 0.0, 1.0)
