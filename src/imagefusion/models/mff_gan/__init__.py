"""MFF-GAN: unsupervised multi-focus fusion with adaptive and gradient joint constraints.

Source: Zhang, Le, Shao, Xu & Ma, Information Fusion 66, 2021 (:mod:`imagefusion.models.mff_gan.network`).
torch is imported only when the method runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["mff_gan"]


@register_method(
    "mff-gan",
    tasks=("mff",),
    family="deep",
    reference="Zhang, Le, Shao, Xu & Ma, 'MFF-GAN: an unsupervised generative adversarial network with adaptive and "
              "gradient joint constraints for multi-focus image fusion', Information Fusion 66, 2021",
    networks=("mff-gan",),
    published=("mff-gan-lytro", "mff-gan-lytro-index"),
    max_sources=2,
    ranges=dict(DEEP_RANGES),
)
def mff_gan(images: Sequence[np.ndarray], *, weights: str = "", device: str | None = None, precision: str = "auto",
            tile: int = 1024) -> np.ndarray:
    """MFF-GAN's generator: two paths with pathwise transfer blocks, end to end, no decision map.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
        The two focus settings; any size.
    weights : str, default "" (the shipped weights)
        An ``mff-gan`` safetensors file from ``imagefusion train mff-gan``; or ``"authors"``: the authors'
        Lytro checkpoint (MIT License; fetched at first use, converted once with ``imagefusion[convert]``)
        run as their ``test.py`` runs it (:func:`imagefusion.models.mff_gan.network.mffgan_authors_fuse`: the first
        source in their ``near`` slot, the output stretched to the full range).
    device, precision, tile
        See :func:`imagefusion.nn.gan.run_generator`.

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    WeightsError
        Missing, unreadable or mismatched weights.

    References
    ----------
    Zhang, Le, Shao, Xu & Ma, "MFF-GAN: an unsupervised generative adversarial network with adaptive and
    gradient joint constraints for multi-focus image fusion", Information Fusion 66, 2021; code
    ``HaoZhang1018/MFF-GAN``.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> sharp = (np.indices((64, 64)).sum(0) % 8 < 4).astype(np.float32)  # a checkerboard
    >>> soft = cv2.GaussianBlur(sharp, (9, 9), 3)
    >>> a = sharp.copy(); a[:, 32:] = soft[:, 32:]  # left half in focus
    >>> b = sharp.copy(); b[:, :32] = soft[:, :32]  # right half in focus
    >>> out = mff_gan([a, b])
    >>> def detail(x): return float(np.abs(np.diff(x, axis=1)).mean())
    >>> out.shape, detail(out) > detail(soft)
    ((64, 64), True)
    """
    if weights == "authors":
        from .network import mffgan_authors_fuse

        return mffgan_authors_fuse(images, tile=tile, precision=precision)
    from ...nn.gan import run_generator

    return run_generator("mff-gan", images, weights=weights, device=device, precision=precision, tile=tile)
