"""MEF-Net with its authors' weights (:mod:`imagefusion.models.mef_net.network`); torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import register_method

__all__ = ["mef_net"]


@register_method(
    "mef-net",
    tasks=("mef",),
    family="deep",
    reference="Ma, Duanmu, Zhu, Fang & Wang, 'Deep guided learning for fast multi-exposure image fusion', IEEE TIP 29, "
              "2020 (the authors' weights)",
    published=("mef-net",),
    colour=True,
    downloads="the authors' MEF-Net weights (0.3 MB, no licence file) at first use, or $IMAGEFUSION_WEIGHTS_DIR",
)
def mef_net(images: Sequence[np.ndarray], *, weights: str = "") -> np.ndarray:
    """MEF-Net: weight maps predicted at low resolution and carried to full resolution by a guided filter.

    Runs as the authors' test code (:func:`imagefusion.models.mef_net.network.mef_net_fuse`), for any number of
    exposures: the network sees each exposure's Y at a short side of 128, the fast guided filter
    upsamples its weight maps, which weigh the full-resolution Y channels; Cb and Cr are fused by their
    distance from grey.

    Parameters
    ----------
    images : sequence of ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Two or more exposures of one size, any order.
    weights : str, default ""
        A local copy of ``MEFNet_release.pt`` (its SHA-256 is checked); by default read from
        ``$IMAGEFUSION_WEIGHTS_DIR`` or the user cache, or downloaded once.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3), or (H, W) when every exposure is grey.

    Raises
    ------
    WeightsError
        The authors' file is not here and cannot be downloaded.

    References
    ----------
    Ma, Duanmu, Zhu, Fang & Wang, "Deep guided learning for fast multi-exposure image fusion", IEEE
    Transactions on Image Processing 29, 2808-2819, 2020.

    Examples
    --------
    >>> import numpy as np, imagefusion
    >>> from imagefusion.nn.published import locate
    >>> under, over = np.full((20, 20), 0.1, np.float32), np.full((20, 20), 0.9, np.float32)
    >>> out = imagefusion.fuse([under, over], "mef-net") if locate("mef-net") else (under + over) / 2
    >>> out.shape
    (20, 20)
    """
    from .network import mef_net_fuse

    return mef_net_fuse(images, weights=weights or None)
