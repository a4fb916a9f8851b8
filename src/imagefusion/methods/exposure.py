"""Exposure fusion (Mertens, Kautz & Van Reeth 2007), through OpenCV's ``MergeMertens``."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import ParameterError
from ..registry import register_method

__all__ = ["mertens"]


@register_method(
    "mertens",
    tasks=("mef",),
    family="pyramid",
    colour=True,
    reference="Mertens, Kautz & Van Reeth, 'Exposure fusion', Pacific Graphics 2007 "
              "(OpenCV's cv::MergeMertens)",
    ranges={"contrast_weight": (0.0, 100.0), "saturation_weight": (0.0, 100.0), "exposure_weight": (0.0, 100.0)},
)
def mertens(images: Sequence[np.ndarray], *, contrast_weight: float = 1.0, saturation_weight: float = 1.0,
            exposure_weight: float = 1.0) -> np.ndarray:
    """Exposure fusion: contrast, saturation and well-exposedness weights, Laplacian-pyramid blending.

    Mertens, Kautz & Van Reeth 2007, Sections 3.1–3.2: per pixel, the weight of exposure k is
    ``W_k = C_k^ωc · S_k^ωs · E_k^ωe`` — C the absolute Laplacian of the grey image, S the standard
    deviation of R, G and B, E = ``Π_channels exp(−(I − 0.5)² / (2·0.2²))`` — normalised over the
    exposures; the exposures' Laplacian pyramids are blended with the Gaussian pyramids of the
    weights and collapsed. Computed by OpenCV's ``cv::MergeMertens`` (the sources fed as float32 in
    [0, 255], so nothing is quantised); the result is clipped to [0, 1] (the blend can overshoot a
    little at strong edges). Grey sources have no saturation: the saturation term is then left out.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W) or (H, W, 3) RGB, values in [0, 1]
        Two or more exposures of one scene, all grey or all RGB (:func:`imagefusion.fuse` replicates
        grey sources when any source is in colour).
    contrast_weight, saturation_weight, exposure_weight : float, default 1.0
        The exponents ωc, ωs, ωe (the paper's and OpenCV's default 1), each ≥ 0 and finite.

    Returns
    -------
    ndarray, float32, shape of the sources, values in [0, 1]

    Raises
    ------
    ParameterError
        A negative or non-finite exponent, or all three zero.

    References
    ----------
    T. Mertens, J. Kautz, F. Van Reeth, "Exposure fusion", Pacific Graphics 2007, 382–390.

    Examples
    --------
    >>> import numpy as np
    >>> from imagefusion.methods import mertens
    >>> x = np.linspace(0, 1, 64, dtype=np.float32)[None].repeat(32, 0)
    >>> under, over = np.clip(0.4 * x, 0, 1), np.clip(1.8 * x, 0, 1)
    >>> out = mertens([under, over])
    >>> out.shape, bool(out.min() >= 0 and out.max() <= 1)
    ((32, 64), True)
    """
    ws = (contrast_weight, saturation_weight, exposure_weight)
    if not all(np.isfinite(w) and w >= 0 for w in ws) or not any(ws):
        raise ParameterError(f"mertens weights must be finite, >= 0 and not all 0, got {ws}")
    grey = images[0].ndim == 2
    merge = cv2.createMergeMertens(float(contrast_weight), 0.0 if grey else float(saturation_weight),
                                   float(exposure_weight))
    stack = [np.ascontiguousarray(np.asarray(im, np.float32) * 255.0) for im in images]
    if grey:
        stack = [cv2.merge([s, s, s]) for s in stack]
    out = merge.process(stack)  # float32, about [0, 1]; channel order does not matter to the weights
    out = out[..., 0] if grey else out
    return np.clip(out, 0.0, 1.0).astype(np.float32)
