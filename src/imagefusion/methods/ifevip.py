"""IFEVIP: infrared feature extraction and visual information preservation (Zhang et al. 2017), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..registry import register_method
from ._common import matlab_imresize, matlab_uint8

__all__ = ["ifevip", "quadtree_background"]

_BEZIER = np.array([[-1, 3, -3, 1], [3, -6, 3, 0], [-3, 3, 0, 0], [1, 0, 0, 0]], np.float64)


def _qtdecomp(img: np.ndarray, threshold: float, min_dim: int) -> list[tuple[int, int, int]]:
    """MATLAB's ``qtdecomp``: blocks (row, col, size) of a square power-of-two image, a block split
    in four while max − min > threshold and its quarters are at least ``min_dim``."""
    blocks, todo = [], [(0, 0, img.shape[0])]
    while todo:
        r, c, n = todo.pop()
        block = img[r:r + n, c:c + n]
        if n // 2 >= min_dim and float(block.max()) - float(block.min()) > threshold:
            h = n // 2
            todo += [(r, c, h), (r + h, c, h), (r, c + h, h), (r + h, c + h, h)]
        else:
            blocks.append((r, c, n))
    return blocks


def quadtree_background(ir: np.ndarray, norm_dim: int = 512, min_dim: int = 32) -> np.ndarray:
    """IFEVIP's infrared background: the image resized to ``norm_dim``², split by a quadtree
    (blocks of range > 0.2 · 255 split down to ``min_dim``), eroded by a ``min_dim``² square, each
    block replaced by the bicubic Bézier surface through 16 of the eroded image's samples (the code's
    ``QuadReconstructRefined.m``), resized back.

    Parameters
    ----------
    ir : ndarray, float64, (H, W), integers 0–255
    norm_dim, min_dim : int, default 512, 32

    Returns
    -------
    ndarray, float64, (H, W)

    References
    ----------
    Zhang, Zhang, Bai & Chen, Infrared Phys. Technol. 83, 2017, Section 2.1.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.full((256, 256), 90.0); ir[120:128, 120:128] = 250.0  # a small hot object
    >>> bg = quadtree_background(ir)
    >>> bg.shape, round(float(bg[20, 20]), 1), bool(bg[124, 124] < 100)  # the object is not background
    ((256, 256), 90.0, True)
    """
    small = matlab_imresize(ir, (norm_dim, norm_dim), integer=True)
    blocks = _qtdecomp(small, 0.2 * 255, min_dim)
    kernel = np.ones((min_dim, min_dim), np.uint8)
    anchor = ((min_dim + 1) // 2 - 1,) * 2  # MATLAB's centre of an even structuring element
    eroded = cv2.erode(small.astype(np.uint8), kernel, anchor=anchor).astype(np.float64)
    padded = np.pad(eroded, ((0, 1), (0, 1)), mode="edge")
    recon = np.zeros_like(padded)
    sizes = sorted({n for _, _, n in blocks}, reverse=True)
    for n in sizes:
        dim = n + 1
        sub = (dim - 1) // 4
        pts = np.array([0, 2 * sub - 1, 3 * sub - 1, 4 * sub])
        u = np.arange(dim, dtype=np.float64) / (dim - 1)
        basis = np.stack([u**3, u**2, u, np.ones_like(u)], axis=1)
        lm, rm = basis @ _BEZIER, _BEZIER @ basis.T
        for r, c, _ in sorted((b for b in blocks if b[2] == n), key=lambda b: (b[1], b[0])):
            control = padded[r:r + dim, c:c + dim][np.ix_(pts, pts)]
            recon[r:r + dim, c:c + dim] = lm @ control @ rm
    return matlab_imresize(recon[:-1, :-1], ir.shape)


def _entropy_u8(img: np.ndarray) -> float:
    counts = np.bincount(img.astype(np.int64).ravel(), minlength=256).astype(np.float64)
    p = counts[counts > 0] / img.size
    return float(-(p * np.log2(p)).sum())


@register_method(
    "ifevip",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Zhang, Zhang, Bai & Chen, 'Infrared and visual image fusion through infrared feature "
              "extraction and visual information preservation', Infrared Phys. Technol. 83, 2017 (VIFB's "
              "IFEVIP)",
)
def ifevip(images: Sequence[np.ndarray]) -> np.ndarray:
    """IFEVIP: the infrared image's bright features (the image minus its quad-tree Bézier background,
    :func:`quadtree_background`, blurred by a 9×9 Gaussian), plus the infrared–visible difference
    weighted by their entropy ratio, added to the visible image where positive, scaled so that the
    brightest 0.1 % stay below 255 (and by at most 0.8) (Zhang et al. 2017; VIFB's
    ``methods/IFEVIP``, with its 8-bit arithmetic: each step rounds and saturates as ``uint8`` does).

    Colour as VIFB feeds it: the infrared image in grey (MATLAB's ``rgb2gray`` of an RGB file), the
    visible image's RGB channels each receiving the same features.

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.

    Returns
    -------
    ndarray, float32, the visible image's shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    Y. Zhang, L. Zhang, X. Bai, L. Zhang, Infrared Physics & Technology 83, 227–237, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.full((256, 256), 0.3, np.float32); ir[120:128, 120:128] = 0.95  # a small hot target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 256, dtype=np.float32), (256, 1))
    >>> out = ifevip([ir, vi])
    >>> out.shape, bool(out[124, 124] > vi[124, 124] + 0.3), float(abs(out[5, 5] - vi[5, 5]))
    ((256, 256), True, 0.0)
    """
    ir, vi = (matlab_uint8(np.asarray(im, np.float64) * 255) for im in images)
    if ir.ndim == 3:  # rgb2gray
        ir = matlab_uint8(ir @ np.array([0.298936021293775, 0.587043074451121, 0.114020904255103]))
    bg = quadtree_background(ir)
    k = cv2.getGaussianKernel(9, 4.5)
    bg = cv2.filter2D(bg, -1, k @ k.T, borderType=cv2.BORDER_CONSTANT)
    infrared = np.maximum(ir - matlab_uint8(bg), 0)  # uint8 subtraction
    irb = ir[..., None] if vi.ndim == 3 else ir
    feature = (infrared[..., None] if vi.ndim == 3 else infrared) + (irb - vi) * (_entropy_u8(ir) / _entropy_u8(vi))
    added = np.sort((feature * (feature > 0) + vi).ravel())[::-1]
    top = added[: int(np.floor(0.001 * added.size + 0.5))]
    ratio = min(255.0 / top.mean(), 0.8)
    out = np.minimum(vi + matlab_uint8(feature * ratio), 255)  # uint8 + uint8 saturates
    return (out / 255).astype(np.float32)
