"""FPDE: fourth-order partial differential equation fusion (Bavirisetti, Xiao & Liu 2017), as VIFB runs it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_method
from ._common import matlab_uint8, vifb_channels
from .adf import pca_detail_weights

__all__ = ["fpde", "fourth_order_diffusion"]


def fourth_order_diffusion(image: np.ndarray, iterations: int = 15, delta_t: float = 0.9,
                           k: float = 4.0) -> np.ndarray:
    """You & Kaveh's fourth-order anisotropic diffusion as VIFB's ``fpdepyou.m`` computes it.

    Each step: ``c = 1 / (1 + (√(I_xx² + I_yy²) / k)²)``, ``I ← I − Δt ((c I_xx)_xx + (c I_yy)_yy)``,
    with every derivative taken by MATLAB's ``gradient`` (central differences, one-sided at the
    border: :func:`numpy.gradient`). The result is rounded and saturated to 8 bits, as the code's
    ``uint8`` does.

    Parameters
    ----------
    image : ndarray, float64, (H, W)
        Grey values on VIFB's 0–255 scale.
    iterations : int, default 15
    delta_t : float, default 0.9
    k : float, default 4
        The edge threshold, grey levels per pixel².

    Returns
    -------
    ndarray, float64, (H, W), integers in [0, 255]

    References
    ----------
    Y.-L. You, M. Kaveh, "Fourth-order partial differential equations for noise removal", IEEE TIP
    9(10), 2000.

    Examples
    --------
    >>> import numpy as np
    >>> ramp = np.tile(np.arange(16.0) * 10, (16, 1))  # a linear ramp has no second derivative
    >>> bool(np.array_equal(fourth_order_diffusion(ramp), ramp))
    True
    """
    x = np.asarray(image, np.float64)
    for _ in range(int(iterations)):
        ixx = np.gradient(np.gradient(x, axis=1), axis=1)
        iyy = np.gradient(np.gradient(x, axis=0), axis=0)
        c = 1.0 / (1.0 + (np.sqrt(ixx**2 + iyy**2) / k) ** 2)
        div = np.gradient(np.gradient(c * ixx, axis=1), axis=1) + np.gradient(np.gradient(c * iyy, axis=0), axis=0)
        x = x - delta_t * div
    return matlab_uint8(x)


def _fpde_pair(ir: np.ndarray, vi: np.ndarray, rule: str = "clip") -> np.ndarray:
    base_ir, base_vi = fourth_order_diffusion(ir), fourth_order_diffusion(vi)
    d_ir, d_vi = ir - base_ir, vi - base_vi
    w = pca_detail_weights(d_ir, d_vi, rule=rule)
    # the code's base layers are uint8, so 0.5*A1 + 0.5*A2 is uint8 arithmetic: each half rounded,
    # the sum saturated at 255
    base = matlab_uint8(matlab_uint8(0.5 * base_ir) + matlab_uint8(0.5 * base_vi))
    return w[0] * d_ir + w[1] * d_vi + base


@register_method(
    "fpde",
    tasks=("ivif",),
    family="filtering",
    colour=True,
    max_sources=2,
    reference="Bavirisetti, Xiao & Liu, 'Multi-sensor image fusion based on fourth order partial "
              "differential equations', FUSION 2017 (VIFB's FPDE)",
    ranges={"pca": ("clip", "code")},
)
def fpde(images: Sequence[np.ndarray], *, pca: str = "clip") -> np.ndarray:
    """FPDE: fourth-order-PDE base/detail split, PCA weights for the detail layers.

    Per source, the base layer is :func:`fourth_order_diffusion` (15 steps, Δt = 0.9, k = 4, rounded
    to 8 bits as the code does) and the detail layer the rest; the detail layers are fused with the
    first principal component's weights (:func:`~imagefusion.methods.adf.pca_detail_weights`), the
    base layers averaged (Bavirisetti, Xiao & Liu 2017; VIFB's ``methods/FPDE/run_FPDE.m``). As in
    the code, whose base layers are 8-bit integers, each half of the average is rounded and their
    sum saturates at 255.

    Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image
    (:func:`~imagefusion.methods._common.vifb_channels`).

    Parameters
    ----------
    images : sequence of two ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible.
    pca : {"clip", "code"}, default "clip"
        ``clip`` keeps the PCA weights in [0, 1]; ``code`` is VIFB's rule exactly
        (:func:`~imagefusion.methods.adf.pca_detail_weights`).

    Returns
    -------
    ndarray, float32, the sources' shape, values about [0, 1]

    References
    ----------
    D. P. Bavirisetti, G. Xiao, G. Liu, 20th International Conference on Information Fusion, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> out = fpde([a, a])
    >>> out.shape, round(float(np.abs(out - a).max()) * 255, 2)  # itself, to the code's 8-bit rounding
    ((32, 32), 1.0)
    """
    return vifb_channels(lambda ir, vi: _fpde_pair(ir, vi, pca), images)
