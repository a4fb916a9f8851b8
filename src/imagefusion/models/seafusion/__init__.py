"""SeAFusion with its authors' weights (:mod:`imagefusion.models.seafusion.network`); torch is imported only when it
runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["seafusion"]


@register_method(
    "seafusion",
    tasks=("ivif",),
    family="deep",
    reference="Tang, Yuan & Ma, 'Image fusion in the loop of high-level vision tasks: a semantic-aware real-time "
              "infrared and visible image fusion network', Information Fusion 82, 2022 (the authors' weights)",
    published=("seafusion",),
    colour=True,
    max_sources=2,
    downloads="the authors' SeAFusion weights (0.7 MB, MIT License) at first use, or $IMAGEFUSION_WEIGHTS_DIR",
    ranges={"precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def seafusion(images: Sequence[np.ndarray], *, colour: bool = True, stretch: bool = True, weights: str = "",
              precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """SeAFusion: gradient dense blocks per source, trained with a semantic-segmentation loss in the loop.

    Runs as the authors' test code (:func:`imagefusion.models.seafusion.network.seafusion_fuse`): the infrared image
    and the visible image's Y fused, the visible image's Cb and Cr put back, the RGB result min–max
    stretched and truncated to 8 bits.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    colour : bool, default True
        The visible image's colour on the fused Y.
    stretch : bool, default True
        The authors' min–max stretch of the output before saving; ``False`` keeps the network's values.
    weights : str, default ""
        A local copy of ``SeAFusion.pth`` (its SHA-256 is checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto``: bfloat16 where the CPU computes it natively; ``float32`` reproduces the authors' output.
    tile : int, default 1024
        Largest tile side in pixels.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) for a colour visible image with ``colour``, else (H, W).

    Raises
    ------
    WeightsError
        The authors' file is not here and cannot be downloaded.

    References
    ----------
    Tang, Yuan & Ma, "Image fusion in the loop of high-level vision tasks: a semantic-aware real-time infrared
    and visible image fusion network", Information Fusion 82, 28-42, 2022.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "seafusion") if locate("seafusion") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import seafusion_fuse

    return seafusion_fuse(images, colour=colour, stretch=stretch, weights=weights or None, tile=tile,
                          precision=precision)
