"""IFCNN with its authors' weights (:mod:`imagefusion.models.ifcnn.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["ifcnn"]


@register_method(
    "ifcnn",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    reference="Zhang, Liu, Sun, Yan, Zhao & Zhang, 'IFCNN: A general image fusion framework based on convolutional "
              "neural network', Information Fusion 54, 2020 (the authors' weights, uzeful/IFCNN)",
    published=("ifcnn-max", "ifcnn-sum", "ifcnn-mean"),
    colour=True,
    downloads="the authors' IFCNN weights (337 KB, from github.com/uzeful/IFCNN) at first use, or "
              "$IMAGEFUSION_WEIGHTS_DIR",
    ranges={"task": ("ivif", "mif", "mff", "mef"), "rule": ("auto", "max", "sum", "mean"),
            "precision": DEEP_RANGES["precision"], "tile": DEEP_RANGES["tile"]},
)
def ifcnn(images: Sequence[np.ndarray], *, task: str = "ivif", rule: str = "auto", weights: str = "",
          precision: str = "float32", tile: int = 1024) -> np.ndarray:
    """IFCNN: ResNet-101's first convolution, element-wise feature fusion, two convolutions back.

    Runs each task as the authors' ``IFCNN_Main.py`` does (:func:`imagefusion.models.ifcnn.network.ifcnn_fuse`):
    multi-focus in RGB with ImageNet normalisation; infrared–visible and medical pairs as RGB, the output
    turned grey; exposures on YCbCr's Y with IFCNN-MEAN, the chroma weighted by its distance from grey,
    and CLAHE on the fused Y.

    Parameters
    ----------
    images : sequence of ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        The sources as read (the method handles colour itself); two or more.
    task : {"ivif", "mif", "mff", "mef"}, default "ivif"
        Which branch of the authors' code (``imagefusion fuse`` passes the task it infers).
    rule : {"auto", "max", "sum", "mean"}, default "auto"
        The trained model: ``auto`` is ``mean`` for exposures, ``max`` otherwise (the authors' choice).
    weights : str, default ""
        A local copy of the authors' ``.pth`` for ``rule`` (its SHA-256 is checked); by default the file
        is read from ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.
    precision : {"float32", "bfloat16", "auto"}, default "float32"
    tile : int, default 1024
        Largest tile side in pixels (the result does not depend on it).

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W) for ``ivif`` and ``mif`` (the authors save these grey), (H, W, 3) for ``mff`` and ``mef``.

    Raises
    ------
    WeightsError
        The authors' file is not here and cannot be downloaded (the message says where to put it).

    References
    ----------
    Zhang, Liu, Sun, Yan, Zhao & Zhang, "IFCNN: A general image fusion framework based on convolutional
    neural network", Information Fusion 54, 99–118, 2020.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> a, b = np.zeros((24, 24), np.float32), np.full((24, 24), 0.5, np.float32)
    >>> out = imagefusion.fuse([a, b], "ifcnn") if locate("ifcnn-max") else np.maximum(a, b)
    >>> out.shape
    (24, 24)
    """
    from .network import ifcnn_fuse

    return ifcnn_fuse(images, task=task, rule=None if rule == "auto" else rule, weights=weights or None,
                      tile=tile, precision=precision)
