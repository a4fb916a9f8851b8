"""STDFusionNet with its authors' weights (:mod:`imagefusion.models.stdfusionnet.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["stdfusionnet"]


@register_method(
    "stdfusionnet",
    tasks=("ivif",),
    family="deep",
    reference="Ma, Tang, Xu, Zhang & Xiao, 'STDFusionNet: An infrared and visible image fusion network based on salient "
              "target detection', IEEE TIM 70, 2021 (the authors' weights)",
    published=("stdfusionnet", "stdfusionnet-index"),
    max_sources=2,
    downloads="the authors' STDFusionNet checkpoint (1.1 MB, MIT License) at first use, or $IMAGEFUSION_WEIGHTS_DIR; "
              "converting it once needs TensorFlow (pip install 'imagefusion[convert]')",
    ranges={"precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def stdfusionnet(images: Sequence[np.ndarray], *, stretch: bool = True, weights: str = "", precision: str = "auto",
                 tile: int = 1024) -> np.ndarray:
    """STDFusionNet: residual feature extraction per source and reconstruction, trained with salient-target masks.

    Runs as the authors' ``test_one_image.py`` (:func:`imagefusion.models.stdfusionnet.network.stdfusionnet_fuse`) on the
    sources' luminance (the colour path of :func:`imagefusion.fuse` puts the visible image's colour back), the
    output stretched to the full range as their ``scipy.misc.imsave`` does.

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        Infrared then visible.
    stretch : bool, default True
        The authors' save step (minimum to 0, maximum to 1); ``False`` clips the network's output.
    weights : str, default ""
        A local copy of ``Fusion.model-29.data-00000-of-00001`` (SHA-256 checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto``: bfloat16 where the CPU computes it natively; ``float32`` reproduces the authors' output.
    tile : int, default 1024
        Largest tile side in pixels.

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    WeightsError
        The authors' checkpoint is not here and cannot be downloaded, or TensorFlow is needed to convert it.

    References
    ----------
    Ma, Tang, Xu, Zhang & Xiao, "STDFusionNet: An infrared and visible image fusion network based on salient
    target detection", IEEE Transactions on Instrumentation and Measurement 70, 1-13, 2021.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "stdfusionnet") if locate("stdfusionnet") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import stdfusionnet_fuse

    return stdfusionnet_fuse(images, stretch=stretch, weights=weights or None, tile=tile, precision=precision)
