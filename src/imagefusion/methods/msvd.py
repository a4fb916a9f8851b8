"""MSVD: multi-resolution singular value decomposition fusion (Naidu, DSJ 2011), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import vifb_channels

__all__ = ["msvd", "msvd_decompose", "msvd_reconstruct", "align_signs"]


def msvd_decompose(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One level of Naidu's MSVD: the 2×2 blocks of the image as columns of a 4 × (HW/4) matrix A,
    its left singular vectors U, and the coefficients ``T = Uᵀ A`` (rows: LL, LH, HL, HH).

    Parameters
    ----------
    image : ndarray, float64, (H, W), H and W even

    Returns
    -------
    bands : ndarray, float64, (4, H/2, W/2)
        The LL, LH, HL and HH coefficient images.
    u : ndarray, float64, (4, 4)
        The orthonormal basis (its columns' signs as LAPACK returns them; see :func:`msvd`).

    References
    ----------
    V. P. S. Naidu, "Image fusion technique using multi-resolution singular value decomposition",
    Defence Science Journal 61(5), 2011, Section 2.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((8, 6))
    >>> bands, u = msvd_decompose(img)
    >>> bands.shape, bool(np.allclose(msvd_reconstruct(bands, u), img))
    ((4, 4, 3), True)
    """
    h, w = image.shape
    # column (i, j) of A is the block x[2i:2i+2, 2j:2j+2] read down its columns (MATLAB's reshape)
    blocks = image.reshape(h // 2, 2, w // 2, 2).transpose(3, 1, 0, 2).reshape(4, -1, order="C")
    # the order above: rows (col, row) of the block = MATLAB's column-major [x11 x21 x12 x22]
    u, _, _ = np.linalg.svd(blocks, full_matrices=False)
    return (u.T @ blocks).reshape(4, h // 2, w // 2), u


def msvd_reconstruct(bands: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Invert :func:`msvd_decompose`: ``A = U T``, the columns put back as 2×2 blocks.

    Parameters
    ----------
    bands : ndarray, float64, (4, h, w)
    u : ndarray, float64, (4, 4)

    Returns
    -------
    ndarray, float64, (2h, 2w)

    Examples
    --------
    >>> import numpy as np
    >>> bands = np.zeros((4, 1, 1)); bands[0] = 2.0
    >>> msvd_reconstruct(bands, np.eye(4)).tolist()  # the identity basis: LL is the top-left pixel
    [[2.0, 0.0], [0.0, 0.0]]
    """
    _, h, w = bands.shape
    a = u @ bands.reshape(4, -1)
    return a.reshape(2, 2, h, w).transpose(2, 1, 3, 0).reshape(2 * h, 2 * w)


def align_signs(u_ref: np.ndarray, bands: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip the basis vectors of ``u`` (and their coefficient bands) that point away from those of
    ``u_ref``, so that the average of the two bases is defined: an SVD fixes each singular vector
    only up to its sign, and the sign LAPACK returns depends on the data.

    Parameters
    ----------
    u_ref : ndarray, (4, 4)
    bands : ndarray, (4, h, w)
        The coefficients of ``u``.
    u : ndarray, (4, 4)

    Returns
    -------
    bands, u : ndarray
        The same decomposition with ``u[:, k] · u_ref[:, k] ≥ 0`` for every k.

    Examples
    --------
    >>> import numpy as np
    >>> bands, u = align_signs(np.eye(4), np.ones((4, 1, 1)), -np.eye(4))
    >>> np.diag(u).tolist(), bands.ravel().tolist()
    ([1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0])
    """
    signs = np.where(np.einsum("ik,ik->k", u_ref, u) < 0, -1.0, 1.0)
    return bands * signs[:, None, None], u * signs


def _msvd_pair(ir: np.ndarray, vi: np.ndarray) -> np.ndarray:
    h, w = ir.shape
    pad = ((0, h % 2), (0, w % 2))
    ir, vi = np.pad(ir, pad, mode="symmetric"), np.pad(vi, pad, mode="symmetric")
    (b1, u1), (b2, u2) = msvd_decompose(ir), msvd_decompose(vi)
    b2, u2 = align_signs(u1, b2, u2)
    fused = np.empty_like(b1)
    fused[0] = 0.5 * (b1[0] + b2[0])
    fused[1:] = np.where(np.abs(b1[1:]) >= np.abs(b2[1:]), b1[1:], b2[1:])
    return msvd_reconstruct(fused, 0.5 * (u1 + u2))[:h, :w]


@register_method(
    "msvd",
    tasks=("ivif",),
    family="transform",
    colour=True,
    max_sources=2,
    reference="Naidu, 'Image fusion technique using multi-resolution singular value decomposition', "
              "Defence Sci. J. 61(5), 2011 (VIFB's MSVD)",
)
def msvd(images: Sequence[np.ndarray]) -> np.ndarray:
    """MSVD fusion: one level of the multi-resolution SVD, the LL bands averaged, the LH, HL and HH
    bands chosen by larger magnitude, the two bases U averaged (Naidu 2011, Section 3; VIFB's
    ``methods/MSVD``).

    Averaging the bases is the paper's rule; it is only meaningful when both U have the same column
    signs, which an SVD does not fix. Here the visible image's basis vectors are turned to point the
    way of the infrared image's (:func:`align_signs`). VIFB's MATLAB code averages whatever signs
    MATLAB's SVD returned: on its ``labMan`` pair three of them were opposite, which changes its output
    (``benchmarks/measure/vifb_reference.py`` measures it). An odd height or width is padded by one mirrored
    row or column and cropped back (VIFB's code resizes to even and would return the larger image).

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.

    Returns
    -------
    ndarray, float32, the sources' shape, values about [0, 1]

    References
    ----------
    V. P. S. Naidu, Defence Science Journal 61(5), 479–484, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> float(np.abs(msvd([a, a]) - a).max()) < 1e-5
    True
    """
    return vifb_channels(_msvd_pair, images)
