"""EMFusion with its authors' CT–MRI weights (:mod:`imagefusion.models.emfusion.network`); torch is imported only when it
runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["emfusion"]


@register_method(
    "emfusion",
    tasks=("mif",),
    family="deep",
    reference="Xu & Ma, 'EMFusion: An unsupervised enhanced medical image fusion network', Information Fusion 76, "
              "2021 (the authors' CT-MRI weights)",
    published=("emfusion-ct-mri",),
    max_sources=2,
    downloads="the authors' CT-MRI.zip (3.7 MB, no licence file) at first use, or $IMAGEFUSION_WEIGHTS_DIR; "
              "converting its checkpoint once needs TensorFlow (pip install 'imagefusion[convert]')",
    ranges={"precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def emfusion(images: Sequence[np.ndarray], *, stretch: bool = True, weights: str = "", precision: str = "auto",
             tile: int = 1024) -> np.ndarray:
    """EMFusion: a densely connected fusion network trained with surface- and deep-level constraints, CT–MRI.

    Runs as the authors' ``test.py`` (:func:`imagefusion.models.emfusion.network.emfusion_fuse`) on the sources' luminance
    (the colour path of :func:`imagefusion.fuse` puts a colour source's chroma back), the output stretched to
    the full range as their ``scipy.misc.imsave`` does. The released weights are trained on CT–MRI pairs.

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        CT then MRI.
    stretch : bool, default True
        The authors' save step (minimum to 0, maximum to 1); ``False`` keeps the network's output.
    weights : str, default ""
        A local copy of the authors' ``CT-MRI.zip`` (SHA-256 checked); by default read from
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
        The authors' archive is not here and cannot be downloaded, or TensorFlow is needed to convert it.

    References
    ----------
    Xu & Ma, "EMFusion: An unsupervised enhanced medical image fusion network", Information Fusion 76,
    177-186, 2021.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ct, mri = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ct, mri], "emfusion") if locate("emfusion-ct-mri") else mri
    >>> out.shape
    (20, 20)
    """
    from .network import emfusion_fuse

    return emfusion_fuse(images, stretch=stretch, weights=weights or None, tile=tile, precision=precision)
