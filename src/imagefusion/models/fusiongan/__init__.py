"""FusionGAN: infrared–visible fusion by a generator trained against a discriminator of visible texture.

Source: Ma, Yu, Liang, Li & Jiang, Information Fusion 48, 2019 (:mod:`imagefusion.models.fusiongan.network`).
torch is imported only when the method runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ParameterError
from ...registry import DEEP_RANGES, register_method

__all__ = ["fusiongan", "FUSIONGAN_OBJECTIVES"]

#: Training objective → shipped weights.
FUSIONGAN_OBJECTIVES = {"lsgan": "fusiongan", "wgan-gp": "fusiongan.wgan-gp"}


@register_method(
    "fusiongan",
    tasks=("ivif",),
    family="deep",
    reference="Ma, Yu, Liang, Li & Jiang, 'FusionGAN: a generative adversarial network for infrared and visible "
              "image fusion', Information Fusion 48, 2019",
    networks=("fusiongan", "fusiongan.wgan-gp"),
    max_sources=2,
    ranges={"objective": tuple(FUSIONGAN_OBJECTIVES), **DEEP_RANGES},
)
def fusiongan(images: Sequence[np.ndarray], *, objective: str = "lsgan", weights: str = "", device: str | None = None,
              precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """FusionGAN's generator on the infrared and visible images stacked.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
        Infrared, then visible (luminance); any size.
    objective : {"lsgan", "wgan-gp"}, default "lsgan"
        The weights trained with the paper's least-squares discriminator or with a WGAN-GP critic.
    weights : str, default "" (the shipped weights)
        A ``fusiongan`` safetensors file from ``imagefusion train fusiongan``.
    device, precision, tile
        See :func:`imagefusion.nn.gan.run_generator`.

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
    Ma, Yu, Liang, Li & Jiang, "FusionGAN: a generative adversarial network for infrared and visible image
    fusion", Information Fusion 48, 2019; code ``jiayi-ma/FusionGAN``.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.9  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = fusiongan([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[5, 32] + 0.2)
    ((64, 64), True)
    """
    from ...nn.gan import run_generator

    if objective not in FUSIONGAN_OBJECTIVES:
        raise ParameterError(f"objective must be one of {', '.join(FUSIONGAN_OBJECTIVES)}, got {objective!r}")
    return run_generator(FUSIONGAN_OBJECTIVES[objective], images, weights=weights, device=device,
                         precision=precision, tile=tile)
