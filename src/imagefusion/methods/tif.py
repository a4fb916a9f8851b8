"""TIF: two-scale image fusion with saliency weights (Bavirisetti & Dhuli 2016), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from scipy import ndimage

from ..registry import register_method
from ._common import ratio_weights, vifb_channels

__all__ = ["tif", "median3_zero_padded"]


def median3_zero_padded(image: np.ndarray) -> np.ndarray:
    """3×3 median filter with zeros outside the image (MATLAB's ``medfilt2(I, [3 3])`` default).

    Parameters
    ----------
    image : ndarray, float, (H, W)

    Returns
    -------
    ndarray, float32, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> median3_zero_padded(np.full((3, 3), 9.0)).tolist()  # corners see five zeros
    [[0.0, 9.0, 0.0], [9.0, 9.0, 9.0], [0.0, 9.0, 0.0]]
    """
    padded = np.pad(np.asarray(image, np.float32), 1)
    return cv2.medianBlur(padded, 3)[1:-1, 1:-1]


def _tif_pair(ir: np.ndarray, vi: np.ndarray, size: int) -> np.ndarray:
    bases, details, saliencies = [], [], []
    for img in (vi, ir):
        base = ndimage.uniform_filter(img, size, mode="wrap")  # imfilter(..., 'circular')
        bases.append(base)
        details.append(img - base)
        saliencies.append((base - median3_zero_padded(img)) ** 2)
    w_vi = ratio_weights(saliencies[0], saliencies[1])
    return w_vi * details[0] + (1 - w_vi) * details[1] + 0.5 * bases[0] + 0.5 * bases[1]


@register_method(
    "tif",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Bavirisetti & Dhuli, 'Two-scale image fusion of visible and infrared images using saliency "
              "detection', Infrared Phys. Technol. 76, 2016 (VIFB's TIF)",
    ranges={"average_size": (3, 1025)},
)
def tif(images: Sequence[np.ndarray], *, average_size: int = 35) -> np.ndarray:
    """TIF: base layers by a mean filter, detail layers weighted by a visual saliency.

    Per source, the base layer is the ``average_size``² mean (circular borders, as the code's
    ``imfilter(..., 'circular')``), the detail layer the rest, and the saliency
    ``S = (mean − median₃)²`` (a 3×3 median with zero padding, ``medfilt2``'s default); the detail
    layers are blended with ``w_n = S_n / ΣS``, the base layers averaged (Bavirisetti & Dhuli 2016,
    eqs. 1–8; VIFB's ``methods/TIF/run_TIF.m``: ``M = 35``, ``N = 3``). Where both saliencies are 0,
    the weights are ½ (the code divides 0 by 0 there, and MATLAB's ``uint8`` turns the NaN into a
    black pixel).

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.
    average_size : int, default 35
        Side of the mean filter, pixels (odd or even, as ``ones(M)/M²``).

    Returns
    -------
    ndarray, float32, the sources' shape, values about [0, 1]

    References
    ----------
    D. P. Bavirisetti, R. Dhuli, Infrared Physics & Technology 76, 52–64, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((48, 48)).astype(np.float32)
    >>> float(np.abs(tif([a, a]) - a).max()) < 1e-5
    True
    """
    return vifb_channels(lambda ir, vi: _tif_pair(ir, vi, int(average_size)), images)
