"""U2Fusion with its authors' weights (:mod:`imagefusion.models.u2fusion.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["u2fusion"]


@register_method(
    "u2fusion",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    reference="Xu, Ma, Jiang, Guo & Ling, 'U2Fusion: A unified unsupervised image fusion network', IEEE TPAMI 44(1), "
              "2022 (the authors' weights)",
    published=("u2fusion", "u2fusion-index"),
    colour=True,
    max_sources=2,
    downloads="the authors' U2Fusion checkpoint (2.6 MB, no licence file) at first use, or $IMAGEFUSION_WEIGHTS_DIR; "
              "converting it once needs TensorFlow (pip install 'imagefusion[convert]')",
    ranges={"task": ("ivif", "mif", "mff", "mef"), "precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def u2fusion(images: Sequence[np.ndarray], *, task: str = "ivif", colour: bool = True, stretch: bool = True,
             weights: str = "", precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """U2Fusion: one densely connected network for every task, trained with information-preservation weights.

    Runs as the authors' ``test_main.py`` (:func:`imagefusion.models.u2fusion.network.u2fusion_fuse`): the sources'
    Y channels in the authors' order for the task, one colour source's Cb and Cr put back, the output
    scaled so that its maximum is 1.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        In the project's order: ``[ir, vi]``, ``[ct|pet|spect, mri]``, ``[a, b]``, ``[under, over]``.
    task : {"ivif", "mif", "mff", "mef"}, default "ivif"
        The authors' input order for the task (``imagefusion fuse`` passes the task it infers or is given).
    colour : bool, default True
        Colour output where a source is in colour (two colour sources: Cb and Cr weighted by their distance
        from grey; the authors save the fused Y alone, ``colour=False``).
    stretch : bool, default True
        The authors' save step, which scales the output's maximum to 1; ``False`` clips to [0, 1].
    weights : str, default ""
        A local copy of ``model.ckpt.data-00000-of-00001`` (SHA-256 checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto``: bfloat16 where the CPU computes it natively; ``float32`` reproduces the authors' output.
    tile : int, default 1024
        Largest tile side in pixels.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour`` and a colour source, else (H, W).

    Raises
    ------
    WeightsError
        The authors' checkpoint is not here and cannot be downloaded, or TensorFlow is needed to convert it.

    References
    ----------
    Xu, Ma, Jiang, Guo & Ling, "U2Fusion: A unified unsupervised image fusion network", IEEE Transactions on
    Pattern Analysis and Machine Intelligence 44(1), 502-518, 2022.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> ir, vi = np.zeros((20, 20), np.float32), np.full((20, 20), 0.5, np.float32)
    >>> out = imagefusion.fuse([ir, vi], "u2fusion") if locate("u2fusion") else vi
    >>> out.shape
    (20, 20)
    """
    from .network import u2fusion_fuse

    return u2fusion_fuse(images, task=task, colour=colour, stretch=stretch, weights=weights or None, tile=tile,
                         precision=precision)
