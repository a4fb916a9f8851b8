"""HMSD-GF: hybrid multi-scale decomposition with guided filters (Zhou, Dong, Xie & Gao), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..registry import register_method
from ._common import guided_filter_truncated, matlab_uint8, vifb_channels

__all__ = ["hmsd_gf", "perceptual_saliency", "gaussian_blur_symmetric", "hmsd_lambda"]


def gaussian_blur_symmetric(image: np.ndarray, sigma: float) -> np.ndarray:
    """MATLAB's ``imfilter(x, fspecial('gaussian', 2w+1, σ), 'symmetric')`` with ``w = ⌊3σ⌋``: a
    normalised Gaussian of that support, mirrored borders (edge repeated), applied separably.

    Parameters
    ----------
    image : ndarray, float64, (H, W)
    sigma : float

    Returns
    -------
    ndarray, float64, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> round(float(gaussian_blur_symmetric(np.full((9, 9), 2.0), 1.0)[4, 4]), 12)  # a flat image stays flat
    2.0
    """
    w = int(np.floor(3 * sigma))
    x = np.arange(-w, w + 1, dtype=np.float64)
    k = np.exp(-(x**2) / (2 * sigma**2))
    k /= k.sum()
    image = np.asarray(image, np.float64)
    if w > 48:  # a wide kernel (σ = 64 in Hybrid-MSD: 385 taps) by FFT, within 1e-12 of the direct sum
        from scipy import signal  # imported here: scipy.signal takes 0.6 s to import

        out = signal.fftconvolve(np.pad(image, w, mode="symmetric"), k[:, None], mode="valid", axes=0)
        return signal.fftconvolve(out, k[None, :], mode="valid", axes=1)
    out = ndimage.correlate1d(image, k, axis=0, mode="reflect")
    return ndimage.correlate1d(out, k, axis=1, mode="reflect")


def _mannos_sakrison(r: np.ndarray) -> np.ndarray:
    return 2.6 * (0.0192 + 0.114 * r) * np.exp(-((0.114 * r) ** 1.1))


def _freqspace(n: int) -> np.ndarray:
    return (np.arange(n) - n // 2) * (2.0 / n)


def _window_energy(block: np.ndarray, cycles: float = 32.0) -> float:
    m, n = block.shape
    spectrum = np.fft.fftshift(np.fft.fft2(block))
    u, v = np.meshgrid(_freqspace(n) / 2 * cycles, _freqspace(m) / 2 * cycles)
    weighted = np.abs(spectrum * _mannos_sakrison(np.sqrt(u**2 + v**2)))
    return float(np.sqrt(np.sum(weighted**2)) / (m * n))


def perceptual_saliency(image: np.ndarray, block: int = 40, alpha: float = 2.0) -> float:
    """The code's ``PS.m``: the contrast-sensitivity-weighted spectral energy of each ``block``²
    block (Mannos–Sakrison CSF, 32 cycles across the block), averaged over the blocks with weights
    ``Σ |∇I|^α`` (Sobel gradient magnitude); blocks as MATLAB's ``blockproc`` cuts them (the last
    row and column of blocks may be smaller).

    Parameters
    ----------
    image : ndarray, float64, (H, W), 0–255 scale
    block : int, default 40
    alpha : float, default 2

    Returns
    -------
    float

    References
    ----------
    J. Mannos, D. Sakrison, "The effects of a visual fidelity criterion on the encoding of images",
    IEEE Trans. Inf. Theory 20(4), 1974; Zhou, Dong, Xie & Gao, Appl. Opt. 55(23), 2016, eqs. 11–12.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> smooth, busy = np.full((80, 80), 100.0), rng.random((80, 80)) * 255
    >>> smooth[40:] = 150.0  # one edge
    >>> perceptual_saliency(busy) > perceptual_saliency(smooth)
    True
    """
    img = np.asarray(image, np.float64)
    sh = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    gx = ndimage.convolve(img, sh)[1:-1, 1:-1]  # conv2(..., 'valid')
    gy = ndimage.convolve(img, sh.T)[1:-1, 1:-1]
    g = np.sqrt(gx**2 + gy**2)
    img = img[1:-1, 1:-1]
    num = den = 0.0
    for y in range(0, img.shape[0], block):
        for x in range(0, img.shape[1], block):
            weight = float(np.sum(g[y:y + block, x:x + block] ** alpha))
            num += _window_energy(img[y:y + block, x:x + block]) * weight
            den += weight
    return num / den if den > 0 else 0.0


def hmsd_lambda(ir: np.ndarray, vi: np.ndarray) -> float:
    """The code's λ from the relative perceptual saliency ``Rs = PS(ir) / PS(vi)``: 100 below 0.8,
    2000 above 1.6, ``2500 Rs − 1900`` between.

    Parameters
    ----------
    ir, vi : ndarray, float64, (H, W), 0–255 scale

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((80, 80)) * 255
    >>> hmsd_lambda(a, a)  # Rs = 1
    600.0
    """
    ps_vi = perceptual_saliency(vi)
    rs = perceptual_saliency(ir) / ps_vi if ps_vi > 0 else 1.0
    return 100.0 if rs < 0.8 else 2000.0 if rs > 1.6 else 2500.0 * rs - 1900.0


def _decompose(img: np.ndarray, levels: int) -> tuple[list, list, list]:
    m, ml = [img], [img]
    details, edges = [None], [None]
    r, eps = 2, 0.1
    for _ in range(levels):
        m.append(guided_filter_truncated(m[-1], m[-1], r, 100.0**2))
        ml.append(guided_filter_truncated(ml[-1], ml[-1], r, eps**2))
        details.append(m[-2] - ml[-1])
        edges.append(ml[-1] - m[-1])
        r, eps = 2 * r, eps / 2
    return m, details, edges


def _hmsd_gf_pair(ir: np.ndarray, vi: np.ndarray, levels: int = 4) -> np.ndarray:
    lam = hmsd_lambda(ir, vi)
    m1, d1, e1 = _decompose(vi / 255.0, levels)
    m2, d2, e2 = _decompose(ir / 255.0, levels)
    sigma0 = 2.0 * 2**levels
    norm = np.arctan(lam)
    fused = None
    for j in range(levels, 1, -1):
        r = np.maximum(np.abs(e2[j]) - np.abs(e1[j]), 0)
        rmax = r.max()
        p = r / rmax if rmax > 0 else r
        c = np.arctan(lam * p) / norm
        if fused is None:  # the base layers, weighted by a wide blur of the coarsest level's map
            cb = gaussian_blur_symmetric(c, 2 * sigma0)
            fused = cb * m2[levels] + (1 - cb) * m1[levels]
        c = gaussian_blur_symmetric(c, 1.0)
        fused = fused + c * e2[j] + (1 - c) * e1[j] + c * d2[j] + (1 - c) * d1[j]
    c11 = gaussian_blur_symmetric((np.abs(e1[1]) < np.abs(e2[1])).astype(np.float64), 1.0)
    fused = fused + c11 * e2[1] + (1 - c11) * e1[1]
    c10 = np.abs(d1[1]) < np.abs(d2[1])
    fused = fused + np.where(c10, d2[1], d1[1])
    return matlab_uint8(fused * 275)  # the code's round(MB*275), clipped


@register_method(
    "hmsd-gf",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Zhou, Dong, Xie & Gao, 'Fusion of infrared and visible images for night-vision context "
              "enhancement', Appl. Opt. 55(23), 2016: the hybrid multi-scale decomposition with guided "
              "filters, as VIFB's HMSD_GF",
)
def hmsd_gf(images: Sequence[np.ndarray]) -> np.ndarray:
    """HMSD-GF: a four-level hybrid decomposition by guided filters, perceptual fusion weights.

    Each source (on [0, 1]) is decomposed by two chains of self-guided filters: one with a huge ε
    (10⁴: a plain smoothing) and one edge-preserving (ε = 0.1, 0.05, … squared), radii 2, 4, 8, 16,
    giving per level a texture (detail) layer and an edge layer. From the coarsest level down, the
    infrared layers are injected where they exceed the visible ones: ``C = atan(λ P) / atan(λ)``,
    ``P`` the normalised positive excess of the infrared edge layer, λ from the relative perceptual
    saliency of the two images (:func:`hmsd_lambda`), C blurred by a Gaussian (σ = 1; for the base
    layers σ = 128); the finest level takes, per pixel, the larger layer (the edge choice blurred).
    The result is ``round(275 · F)`` clipped to 8 bits, as the code does (Zhou et al. 2016, the
    HMSD of their Section 2 with guided filters; VIFB's ``methods/HMSD_GF/run_HMSD_GF.m``).

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1] (multiples of 1/255)

    References
    ----------
    Z. Zhou, M. Dong, X. Xie, Z. Gao, Applied Optics 55(23), 6480–6490, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.8  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = hmsd_gf([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[32, 4] + 0.2)  # the target is injected
    ((64, 64), True)
    """
    return vifb_channels(_hmsd_gf_pair, images)
