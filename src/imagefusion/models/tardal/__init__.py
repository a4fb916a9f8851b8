"""TarDAL with its authors' TarDAL++ weights (:mod:`imagefusion.models.tardal.network`); torch is imported only
when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["tardal"]


@register_method(
    "tardal",
    tasks=("ivif",),
    family="deep",
    reference="Liu, Fan, Huang, Wu, Liu, Zhong & Luo, 'Target-aware dual adversarial learning and a multi-scenario "
              "multi-modality benchmark to fuse infrared and visible for object detection', CVPR 2022 (TarDAL++ "
              "weights)",
    published=("tardal++",),
    colour=True,
    max_sources=2,
    downloads="the authors' TarDAL++ weights (1.2 MB, MIT License) at first use, or $IMAGEFUSION_WEIGHTS_DIR",
    ranges={"precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def tardal(images: Sequence[np.ndarray], *, colour: bool = True, weights: str = "", precision: str = "auto",
           tile: int = 1024) -> np.ndarray:
    """TarDAL: a densely connected generator trained against a target-aware and a detail discriminator.

    Runs as the authors' ``fuse.py --weights tardal++.pt --eval --color``
    (:func:`imagefusion.models.tardal.network.tardal_fuse`): both sources grey, the fused image's Y with the visible
    image's colour.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    colour : bool, default True
        The visible image's colour on the fused Y (the authors' ``--color``).
    weights : str, default ""
        A local copy of ``tardal++.pt`` (its SHA-256 is checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto``: bfloat16 where the CPU computes it natively (48.6–49.0 dB from float32, 2.3× faster);
        ``float32`` reproduces the authors' output exactly.
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
    Liu, Fan, Huang, Wu, Liu, Zhong & Luo, "Target-aware dual adversarial learning and a multi-scenario
    multi-modality benchmark to fuse infrared and visible for object detection", CVPR 2022.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "tardal") if locate("tardal++") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import tardal_fuse

    return tardal_fuse(images, colour=colour, weights=weights or None, tile=tile, precision=precision)
