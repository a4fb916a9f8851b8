"""SDNet with its authors' weights (:mod:`imagefusion.models.sdnet.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["sdnet"]


@register_method(
    "sdnet",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    reference="Zhang & Ma, 'SDNet: A versatile squeeze-and-decomposition network for real-time image fusion', IJCV "
              "129, 2021 (the authors' weights)",
    published=tuple(n for t in ("ivif", "mif", "mef", "mff") for n in (f"sdnet-{t}", f"sdnet-{t}-index")),
    max_sources=2,
    downloads="the authors' SDNet checkpoint of the task (0.3 MB, MIT License) at first use, or "
              "$IMAGEFUSION_WEIGHTS_DIR; converting it once needs TensorFlow (pip install 'imagefusion[convert]')",
    ranges={"task": ("ivif", "mif", "mff", "mef"), "precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def sdnet(images: Sequence[np.ndarray], *, task: str = "ivif", stretch: bool = True, weights: str = "",
          precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """SDNet: two densely connected branches squeezed into one image, one trained model per task.

    Runs as the authors' ``test.py`` (:func:`imagefusion.models.sdnet.network.sdnet_fuse`) on the sources' luminance
    (the colour path of :func:`imagefusion.fuse` puts the chroma back): the first source in the authors'
    first slot, the output stretched to the full range as their ``scipy.misc.imsave`` does.

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        ``[ir, vi]``, ``[ct|pet|spect, mri]``, ``[a, b]`` or ``[under, over]``.
    task : {"ivif", "mif", "mff", "mef"}, default "ivif"
        Which trained model (``imagefusion fuse`` passes the task it infers or is given).
    stretch : bool, default True
        The authors' save step (minimum to 0, maximum to 1); ``False`` clips the network's output.
    weights : str, default ""
        A local copy of the task's ``.data-00000-of-00001`` file (SHA-256 checked); by default read from
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
    Zhang & Ma, "SDNet: A versatile squeeze-and-decomposition network for real-time image fusion",
    International Journal of Computer Vision 129, 2761-2785, 2021.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "sdnet") if locate("sdnet-ivif") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import sdnet_fuse

    return sdnet_fuse(images, task=task, stretch=stretch, weights=weights or None, tile=tile, precision=precision)
