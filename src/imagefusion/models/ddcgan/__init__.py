"""DDcGAN: infrared–visible fusion by a generator trained against two discriminators.

Source: Ma, Xu, Jiang, Mei & Zhang, IEEE TIP 29, 2020 (:mod:`imagefusion.models.ddcgan.network`).
torch is imported only when the method runs.

The authors' ``generate.py`` writes the generator's float output with ``scipy.misc.imsave``, which
byte-scales a float image from its own minimum and maximum to 0–255: every DDcGAN result they
publish is stretched to the full range. ``stretch=True`` does the same; the default returns the
generator's output as it is, which keeps the scene's brightness better with the shipped weights (the
stretch crushes dark scenes with a few hot targets to black: docs/gan.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...registry import DEEP_RANGES, register_method

__all__ = ["ddcgan"]


@register_method(
    "ddcgan",
    tasks=("ivif",),
    family="deep",
    reference="Ma, Xu, Jiang, Mei & Zhang, 'DDcGAN: a dual-discriminator conditional generative adversarial network "
              "for multi-resolution image fusion', IEEE TIP 29, 2020",
    networks=("ddcgan",),
    max_sources=2,
    ranges=dict(DEEP_RANGES),
)
def ddcgan(images: Sequence[np.ndarray], *, stretch: bool = False, weights: str = "", device: str | None = None,
           precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """DDcGAN's dense encoder–decoder generator on the visible and infrared images.

    Parameters
    ----------
    images : sequence of two ndarray, float32, shape (H, W), values in [0, 1]
        Infrared, then visible (luminance); any size of at least 2 × 2.
    stretch : bool, default False
        Stretch the generator's output linearly from its minimum and maximum to [0, 1] over the whole
        image (after tiling), as the authors' ``generate.py`` saves it; False returns the raw output.
    weights : str, default "" (the shipped weights)
        A ``ddcgan`` safetensors file from ``imagefusion train ddcgan``.
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
    Ma, Xu, Jiang, Mei & Zhang, "DDcGAN: a dual-discriminator conditional generative adversarial network for
    multi-resolution image fusion", IEEE TIP 29, 2020; code ``hanna-xu/DDcGAN``.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.9  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.6, 64, dtype=np.float32), (64, 1))
    >>> out = ddcgan([ir, vi])
    >>> out.shape, bool(out[32, 32] > out[5, 32] + 0.2)
    ((64, 64), True)
    >>> s = ddcgan([ir, vi], stretch=True)
    >>> float(s.min()), float(s.max())
    (0.0, 1.0)
    """
    from ...nn.gan import run_generator

    out = run_generator("ddcgan", images, weights=weights, device=device, precision=precision, tile=tile)
    if not stretch:
        return out
    lo, hi = float(out.min()), float(out.max())
    return ((out - lo) / (hi - lo)).astype(np.float32) if hi > lo else out
