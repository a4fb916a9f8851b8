"""VSMWLS: visual saliency map and weighted least squares fusion (Ma, Zhou, Wang & Zong 2017), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..registry import register_method
from ._common import guided_filter_truncated, matlab_uint8, vifb_channels
from .hmsd_gf import gaussian_blur_symmetric

__all__ = ["vsmwls", "rolling_guidance_filter", "visual_saliency_map"]


def _gauss_replicate(image: np.ndarray, sigma: float) -> np.ndarray:
    """The code's ``gaussFilter.m``: a ``2·round(3σ) + 1`` Gaussian, replicated borders."""
    size = 2 * int(np.floor(3 * sigma + 0.5)) + 1
    x = np.arange(size, dtype=np.float64) - size // 2
    k = np.exp(-(x**2) / (2 * sigma**2))
    k /= k.sum()
    return cv2.sepFilter2D(np.asarray(image, np.float64), cv2.CV_64F, k, k, borderType=cv2.BORDER_REPLICATE)


def rolling_guidance_filter(image: np.ndarray, sigma_s: float, sigma_r: float, iterations: int = 4) -> np.ndarray:
    """Rolling guidance filter with a guided filter as the joint filter (the code's
    ``RollingGuidanceFilter_Guided.m``): a Gaussian blur, then ``iterations`` times
    ``G ← GF(guide G, input I)`` with radius σ_s and ε = σ_r².

    Parameters
    ----------
    image : ndarray, float64, (H, W), values in [0, 1]
    sigma_s : float
        Spatial σ (the guided filter's radius), pixels.
    sigma_r : float
        Range σ.
    iterations : int, default 4

    Returns
    -------
    ndarray, float64, (H, W)

    References
    ----------
    Q. Zhang, X. Shen, L. Xu, J. Jia, "Rolling guidance filter", ECCV 2014.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = np.zeros((32, 32)); img[:, 16:] = 1.0
    >>> noisy = img + rng.normal(0, 0.02, img.shape)  # small-scale texture is removed, the edge kept
    >>> out = rolling_guidance_filter(noisy, 2, 0.05)
    >>> bool(out[:, 2:12].std() < noisy[:, 2:12].std()), round(float(out[16, 24]), 1)
    (True, 1.0)
    """
    guide = _gauss_replicate(image, sigma_s)
    for _ in range(int(iterations)):
        guide = guided_filter_truncated(guide, image, int(sigma_s), sigma_r**2)
    return guide


def visual_saliency_map(image: np.ndarray) -> np.ndarray:
    """Histogram contrast saliency: each grey level j gets ``Σ_i h(i) |j − i|`` (h the 8-bit
    histogram), mapped to the pixels and stretched to [0, 1] (the code's ``Visual_Weight_Map.m``).

    Parameters
    ----------
    image : ndarray, float64, (H, W), values in [0, 1]

    Returns
    -------
    ndarray, float64, (H, W), values in [0, 1]

    References
    ----------
    Ma, Zhou, Wang & Zong 2017, Section 2.2 (after Zhai & Shah, ACM Multimedia 2006).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((10, 10)); img[0, 0] = 1.0  # one rare bright pixel
    >>> s = visual_saliency_map(img)
    >>> float(s[0, 0]), float(s[5, 5])
    (1.0, 0.0)
    """
    levels = matlab_uint8(np.asarray(image, np.float64) * 255).astype(np.int64)
    hist = np.bincount(levels.ravel(), minlength=256).astype(np.float64)
    j = np.arange(256, dtype=np.float64)
    table = np.abs(j[:, None] - j[None, :]) @ hist
    sal = table[levels]
    lo, hi = sal.min(), sal.max()
    return (sal - lo) / (hi - lo) if hi > lo else np.zeros_like(sal)


def _vsmwls_pair(ir: np.ndarray, vi: np.ndarray, levels: int = 4, lam: float = 0.01) -> np.ndarray:
    def decompose(img: np.ndarray) -> list:
        g, layers, sigma = [img], [], 2.0
        for _ in range(levels - 1):
            g.append(rolling_guidance_filter(g[-1], sigma, 0.05, 4))
            layers.append(g[-2] - g[-1])
            sigma *= 2
        base = _gauss_replicate(g[-1], 2.0)
        return layers + [g[-1] - base, base]

    l1, l2 = decompose(ir / 255.0), decompose(vi / 255.0)
    w1, w2 = visual_saliency_map(ir / 255.0), visual_saliency_map(vi / 255.0)
    fused = (0.5 + 0.5 * (w1 - w2)) * l1[levels] + (0.5 + 0.5 * (w2 - w1)) * l2[levels]
    fused = fused + np.where(np.abs(l1[0]) < np.abs(l2[0]), l2[0], l1[0])
    for i in range(levels - 1, 0, -1):
        c = gaussian_blur_symmetric((np.abs(l1[i]) < np.abs(l2[i])).astype(np.float64), 2.0)
        m = c * l2[i] + (1 - c) * l1[i]
        # the WLS problem min ‖D − M‖² + λ Σ a⁻¹ (D − L1)², a the 7×7 mean |L2|, has a diagonal system
        a = np.abs(cv2.blur(l2[i], (7, 7), borderType=cv2.BORDER_REPLICATE))
        weight = lam / (a + 1e-6)
        fused = fused + (m + weight * l1[i]) / (1 + weight)
    return matlab_uint8(fused * 255)  # the code's im2uint8


@register_method(
    "vsmwls",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Ma, Zhou, Wang & Zong, 'Infrared and visible image fusion based on visual saliency map and "
              "weighted least square optimization', Infrared Phys. Technol. 82, 2017 (VIFB's VSMWLS)",
)
def vsmwls(images: Sequence[np.ndarray]) -> np.ndarray:
    """VSMWLS: rolling-guidance multi-scale decomposition, saliency-weighted base, WLS detail layers.

    Each source is decomposed by three rolling guidance filters (:func:`rolling_guidance_filter`,
    σ_s = 2, 4, 8, σ_r = 0.05, 4 iterations) and a final Gaussian (σ = 2) into four detail layers and
    a base. The bases are blended with the :func:`visual_saliency_map` difference
    (``½ + ½(S_1 − S_2)``), the finest detail layer takes the larger coefficient, and each other
    detail layer is the solution of the weighted least-squares problem of the paper's eq. 14: close to
    the blurred max-choice M, and, where the visible detail is weak, to the infrared one —
    ``D = (M + λ a⁻¹ L_ir) / (1 + λ a⁻¹)``, λ = 0.01, ``a`` the 7×7 mean of |L_vi| (the code solves the
    same diagonal system with a sparse solver). Result rounded to 8 bits as the code's ``im2uint8``
    (VIFB's ``methods/VSMWLS``).

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
    J. Ma, Z. Zhou, B. Wang, H. Zong, Infrared Physics & Technology 82, 8–17, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.8  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = vsmwls([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[32, 4])
    ((64, 64), True)
    """
    return vifb_channels(_vsmwls_pair, images)
