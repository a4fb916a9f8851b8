"""GNU Octave's default Sobel edge detector (image package 2.14, ``edge(im)``), which produced the
edge features of MEFB's FMI values: kernel ``fspecial('sobel')`` divided by 8, correlation with
replicated borders, squared strength thresholded at 4 × its mean, and Octave's "simple thinning"
(a pixel is kept where it is larger than both horizontal or both vertical neighbours, with zeros
outside the image)."""

from __future__ import annotations

import cv2
import numpy as np

_H1 = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float64) / 8.0


def octave_sobel(image: np.ndarray) -> np.ndarray:
    """Binary Sobel edge map of a grey image (float, any range; Octave scales nothing itself).

    Returns
    -------
    ndarray, bool, shape of ``image``
    """
    gx = cv2.filter2D(image, cv2.CV_64F, _H1, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(image, cv2.CV_64F, _H1.T.copy(), borderType=cv2.BORDER_REPLICATE)
    s = gx * gx + gy * gy
    s[s <= 4 * s.mean()] = 0
    z = np.zeros_like(s)
    left = np.concatenate([z[:, :1], s[:, :-1]], axis=1)
    right = np.concatenate([s[:, 1:], z[:, :1]], axis=1)
    up = np.concatenate([z[:1], s[:-1]], axis=0)
    down = np.concatenate([s[1:], z[:1]], axis=0)
    return ((s > left) & (s > right)) | ((s > up) & (s > down))
