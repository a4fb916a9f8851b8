"""The methods' compiled inner loops (numba): Paris & Durand's bilateral grid for Hybrid-MSD.
Imported only when such a method runs, so ``import imagefusion`` does not load numba.

Each loop does the NumPy form's floating-point operations in its order, so the outputs are the
same to the bit (``tests/test_vifb_ports.py`` compares them)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def bilateral_splat(img, xs, ys, zs, nx, ny, nz):  # pragma: no cover - compiled
    """The grid's value and count sums: each pixel into its nearest cell, in raster order (as
    ``np.bincount`` adds them)."""
    values = np.zeros((nx, ny, nz))
    counts = np.zeros((nx, ny, nz))
    h, w = img.shape
    for i in range(h):
        for j in range(w):
            values[xs[j], ys[i], zs[i, j]] += img[i, j]
            counts[xs[j], ys[i], zs[i, j]] += 1.0
    return values, counts


@numba.njit(cache=True, nogil=True)
def smooth_grid(grid):  # pragma: no cover - compiled
    """Two passes of [1 2 1]/4 along each axis over the inner cells, ``(lo + hi + 2·c) / 4``; the
    outer cells are 0 after each pass."""
    nx, ny, nz = grid.shape
    src = grid.copy()
    dst = np.zeros_like(grid)  # its outer cells stay 0; its inner cells are all written by each pass
    for axis in range(3):
        for _ in range(2):
            for x in range(1, nx - 1):
                for y in range(1, ny - 1):
                    if axis == 0:
                        for z in range(1, nz - 1):
                            dst[x, y, z] = (src[x - 1, y, z] + src[x + 1, y, z] + 2.0 * src[x, y, z]) / 4.0
                    elif axis == 1:
                        for z in range(1, nz - 1):
                            dst[x, y, z] = (src[x, y - 1, z] + src[x, y + 1, z] + 2.0 * src[x, y, z]) / 4.0
                    else:
                        for z in range(1, nz - 1):
                            dst[x, y, z] = (src[x, y, z - 1] + src[x, y, z + 1] + 2.0 * src[x, y, z]) / 4.0
            if axis == 0 and _ == 0:  # the input's outer cells are not 0: from here on both buffers' are
                src[0], src[-1], src[:, 0], src[:, -1], src[:, :, 0], src[:, :, -1] = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
            src, dst = dst, src
    return src


@numba.njit(cache=True, nogil=True)
def bilateral_slice(values, counts, x0, y0, z0, ax, ay, az):  # pragma: no cover - compiled
    """Trilinear interpolation of values / counts at each pixel's grid position: weights the
    float32 products of the float32 alphas, the eight corners summed in float64 in the order
    x, y, z (each 0 then 1)."""
    nx, ny, nz = values.shape
    h, w = az.shape
    out = np.empty((h, w))
    one = np.float32(1.0)
    for i in range(h):
        ya = ay[i]
        yc = (y0[i], min(y0[i] + 1, ny - 1))
        yw = (one - ya, ya)
        for j in range(w):
            xa = ax[j]
            xc = (x0[j], min(x0[j] + 1, nx - 1))
            xw = (one - xa, xa)
            za = az[i, j]
            zc = (z0[i, j], min(z0[i, j] + 1, nz - 1))
            zw = (one - za, za)
            num = 0.0
            den = 0.0
            for a in range(2):
                for b in range(2):
                    wxy = xw[a] * yw[b]
                    for c in range(2):
                        weight = np.float64(wxy * zw[c])
                        num += weight * values[xc[a], yc[b], zc[c]]
                        den += weight * counts[xc[a], yc[b], zc[c]]
            out[i, j] = num / den
    return out
