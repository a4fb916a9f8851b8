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

from collections.abc import Sequence

import numpy as np
import torch

from ...nn.gan import PathwiseTransferGenerator, pathwise_from_authors
from ...nn.published import load_published, register_tf_checkpoint
from ...nn.registry import register_network

__all__ = ["MFFGAN", "mffgan_authors_network", "mffgan_authors_fuse"]

register_tf_checkpoint(
    "mff-gan-lytro", network="mff-gan", prefix="mff-gan/checkpoint/Lytro_model/CGAN.model-19",
    index=("a4cffb7cc29f8235c493026d13141dbecf796be782a4231f92cd5f546c917b7a", 1858),
    data=("d81df30a245e3a9b8c79ab0b5ba696b938582998a381fa2ed707aecd9675e211", 1722760),
    repo="HaoZhang1018/MFF-GAN", commit="2f674c8aa00613e4637b8b12c772323b872fa9b4", licence="MIT License",
    citation="Zhang, Le, Shao, Xu & Ma, 'MFF-GAN: An unsupervised generative adversarial network with adaptive and "
             "gradient joint constraints for multi-focus image fusion', Information Fusion 66, 40-53, 2021")


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


def mffgan_authors_network(weights: str | None = None) -> PathwiseTransferGenerator:
    """MFF-GAN's generator with the authors' Lytro checkpoint (``checkpoint/Lytro_model/CGAN.model-19`` of
    ``HaoZhang1018/MFF-GAN``, MIT License; converted once with TensorFlow's reader), in eval mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of the checkpoint's ``.data-00000-of-00001`` file (SHA-256 checked).

    Returns
    -------
    PathwiseTransferGenerator
        One grey channel per path; ``forward(near, far)`` in [−1, 1].

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = mffgan_authors_network() if locate("mff-gan-lytro") else MFFGAN().eval()
    >>> net.training
    False
    """
    return pathwise_from_authors(load_published("mff-gan-lytro", weights), 1, "_far", per_image_norm=False,
                                 source="mff-gan-lytro")


def mffgan_authors_fuse(images: Sequence[np.ndarray], *, weights: str | None = None, tile: int = 1024,
                        precision: str = "auto") -> np.ndarray:
    """Fuse two grey images as the authors' ``test.py`` does with their Lytro model.

    The first source takes their ``near`` slot, the second their ``far`` one; grey levels are mapped to
    [−1, 1]; the output is mapped back and, as their ``scipy.misc.imsave`` does, stretched to the full 0–255
    range and rounded.

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
    weights : path, optional
        A local copy of the checkpoint's data file.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 5-pixel reach).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively (``benchmarks/measure/mff_gan_reference.py``
        measures its distance from float32).

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    WeightsError
        See :func:`mffgan_authors_network`.

    References
    ----------
    Zhang et al., Information Fusion 66, 2021; the authors' ``test.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> a = np.zeros((24, 24), np.float32); a[:, :12] = np.tile([0.2, 0.8], (24, 6))  # sharp on the left
    >>> b = np.zeros((24, 24), np.float32); b[:, 12:] = np.tile([0.2, 0.8], (24, 6))  # sharp on the right
    >>> out = mffgan_authors_fuse([a, b]) if locate("mff-gan-lytro") else np.maximum(a, b)
    >>> out.shape
    (24, 24)
    """
    from ...nn.inference import bytescale, tiled_network

    out = tiled_network(mffgan_authors_network(weights), images, scale=(2.0, -1.0), halo=16, tile=tile,
                        precision=precision)
    y = bytescale(out.astype(np.float64) * 127.5 + 127.5)  # the authors' scipy.misc.imsave
    return np.clip(y / 255.0, 0.0, 1.0).astype(np.float32)
