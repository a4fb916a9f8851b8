"""The U-Net GAN with transfer loss: infrared–visible fusion by a U-Net generator trained with adversarial,
content, SSIM and style-transfer losses (the survey's own method, :mod:`imagefusion.models.unet_gan.network`).
torch is imported only when the method runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ParameterError
from ...registry import DEEP_RANGES, register_method

__all__ = ["unet_gan", "UNET_GAN_VARIANTS"]

#: (objective, transfer loss) → shipped weights.
UNET_GAN_VARIANTS = {("lsgan", True): "unet-gan", ("lsgan", False): "unet-gan.no-st",
                     ("wgan-gp", True): "unet-gan.wgan-gp", ("wgan-gp", False): "unet-gan.wgan-gp-no-st"}


@register_method(
    "unet-gan",
    tasks=("ivif",),
    family="deep",
    reference="The survey's U-Net GAN with transfer loss (code drowning-in-codes/UFGAN); U-Net: Ronneberger, Fischer "
              "& Brox, MICCAI 2015",
    networks=tuple(UNET_GAN_VARIANTS.values()),
    max_sources=2,
    ranges={"objective": ("lsgan", "wgan-gp"), **DEEP_RANGES},
)
def unet_gan(images: Sequence[np.ndarray], *, objective: str = "lsgan", transfer: bool = False, weights: str = "",
             device: str | None = None, precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """The U-Net GAN's generator on the infrared and visible images stacked.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
        Infrared, then visible (luminance); any size.
    objective : {"lsgan", "wgan-gp"}, default "lsgan"
        Weights trained against a least-squares discriminator or a WGAN-GP critic.
    transfer : bool, default False
        Weights trained with the transfer loss. Off by default: with the reference code's weights the
        transfer loss is 84 % of the generator's loss at the end of our 300-step run, the intensity terms
        are not learnt, and dark scenes white out (TNO pair 07: mean 0.977 from sources of 0.112 and 0.166,
        32.6 % of the pixels clipped: ``python benchmarks/measure/gan_look.py``, ``docs/gan.md``). True gives
        those weights, for the comparison.
    weights : str, default "" (the shipped weights of that variant)
        A ``unet-gan`` safetensors file from ``imagefusion train unet-gan``.
    device, precision, tile
        See :func:`imagefusion.nn.gan.run_generator` (images up to ``tile`` pixels run in one piece;
        larger ones in tiles that overlap by 64 pixels, less than the U-Net's receptive field).

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        An unknown objective.
    WeightsError
        Missing, unreadable or mismatched weights.

    References
    ----------
    The survey's U-Net GAN (code ``drowning-in-codes/UFGAN``); Ronneberger, Fischer & Brox, "U-Net:
    convolutional networks for biomedical image segmentation", MICCAI 2015; Gatys, Ecker & Bethge, "Image
    style transfer using convolutional neural networks", CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.9  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = unet_gan([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[5, 32] + 0.05)  # the target shows, faintly
    ((64, 64), True)
    >>> bool(np.abs(out - vi).mean() < np.abs(out - ir).mean())  # close to the visible image
    True
    """
    from ...nn.gan import run_generator

    key = (objective, bool(transfer))
    if key not in UNET_GAN_VARIANTS:
        raise ParameterError(f"objective must be 'lsgan' or 'wgan-gp', got {objective!r}")
    return run_generator(UNET_GAN_VARIANTS[key], images, weights=weights, device=device, precision=precision, tile=tile)
