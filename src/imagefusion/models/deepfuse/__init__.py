"""DeepFuse with its authors' weights (:mod:`imagefusion.models.deepfuse.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["deepfuse"]


@register_method(
    "deepfuse",
    tasks=("mef",),
    family="deep",
    reference="Prabhakar, Srikar & Babu, 'DeepFuse: A deep unsupervised approach for exposure fusion with extreme "
              "exposure image pairs', ICCV 2017 (the authors' weights)",
    published=("deepfuse",),
    colour=True,
    max_sources=2,
    downloads="the authors' DeepFuse weights (1.3 MB, no licence file) at first use, or $IMAGEFUSION_WEIGHTS_DIR",
    ranges={"precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def deepfuse(images: Sequence[np.ndarray], *, colour: bool = True, weights: str = "", precision: str = "float32",
             tile: int = 1024) -> np.ndarray:
    """DeepFuse: a Siamese encoder on the two exposures' luminance, features added, a decoder, trained on MEF-SSIM.

    Runs as the authors' ``getres.py`` and ``Gen_Result.m`` (:func:`imagefusion.models.deepfuse.network.deepfuse_fuse`): the
    exposures' Y by MATLAB's ``rgb2ycbcr``, the network, its output stretched; with ``colour``, ``imadjust`` into
    16–235 and Cb, Cr weighted by their distance from 128.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        The under- and over-exposed images, in either order.
    colour : bool, default True
        The authors' colour step; ``False`` gives the stretched fused luminance, as ``getres.py`` writes it.
    weights : str, default ""
        A local copy of ``DF_model_Epoch99.npz`` (SHA-256 checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"float32", "auto", "bfloat16"}, default "float32"
    tile : int, default 1024
        Largest tile side in pixels.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour``, else (H, W).

    Raises
    ------
    WeightsError
        The authors' file is not here and cannot be downloaded.

    References
    ----------
    Prabhakar, Srikar & Babu, "DeepFuse: A deep unsupervised approach for exposure fusion with extreme exposure
    image pairs", ICCV 2017, 4714-4722.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> under, over = np.full((20, 20), 0.1, np.float32), np.full((20, 20), 0.9, np.float32)
    >>> out = imagefusion.fuse([under, over], "deepfuse") if locate("deepfuse") else np.stack([under] * 3, -1)
    >>> out.shape
    (20, 20, 3)
    """
    from .network import deepfuse_fuse

    return deepfuse_fuse(images, colour=colour, weights=weights or None, tile=tile, precision=precision)
