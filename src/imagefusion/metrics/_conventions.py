"""How the reference implementations prepare images before a metric, by convention name.

``"vifb"``
    The VIFB benchmark's MATLAB code (Zhang, Ye & Xiao, CVPRW 2020; ``metrics/metrics<Name>.m``):
    images as ``imread`` returns them (uint8, 0–255, colour kept). A metric that compares the fused
    image with the sources is computed per RGB channel of the fused image — against channel k of a
    colour source, or the whole of a 1-channel source — and the channel values are averaged. If the
    fused image is grey and a source is colour, the source goes through MATLAB's ``rgb2gray``.
``"mefb"``
    The MEFB benchmark's MATLAB code (Zhang, Information Fusion 2021): VIFB's per-channel loop and
    0–255 range, with one difference: when every source is 1-channel and the fused image is RGB,
    only the fused image's first (red) channel is scored. Where a metric's MEFB code differs from
    VIFB's (SF: per channel, not side by side), the metric's docstring says so.
``"cddfuse"``
    The Python evaluator of CDDFuse (Zhao et al., CVPR 2023; ``utils/Evaluator.py``): every image is
    converted to grey first, ``round(0.299 R + 0.587 G + 0.114 B)`` (OpenCV ``BGR2GRAY`` on float32,
    then ``np.round``), and metrics are computed on that grey image in 0–255.

Inputs to every metric: uint8 arrays (0–255), uint16 (scaled to 0–255 and rounded), or float in
[0, 1] (scaled by 255 and rounded to integers, i.e. evaluated as the image would be saved at 8 bits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ..errors import InvalidImageError, UnknownNameError

CONVENTIONS = ("vifb", "mefb", "cddfuse")
#: The default convention. VIFB's and MEFB's MATLAB code is what most fusion papers' tables were
#: computed with; MEFB's (a superset of VIFB's code) has the widest metric set of the three.
DEFAULT_CONVENTION = "mefb"


def check_convention(convention: str) -> str:
    """Return ``convention`` or raise :class:`UnknownNameError` naming the known ones."""
    if convention not in CONVENTIONS:
        raise UnknownNameError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return convention


def as_u8_values(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Image → float64 array of integer grey levels 0–255, shape (H, W) or (H, W, 3).

    Raises
    ------
    InvalidImageError
        Empty, wrong shape, NaN/inf, float outside [0, 1], unsupported dtype.
    """
    x = np.asarray(image)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    if x.size == 0 or x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[2] != 3):
        raise InvalidImageError(f"{name}: shape {x.shape}; (H, W) or (H, W, 3) expected")
    if x.dtype == np.uint8:
        return x.astype(np.float64)
    if x.dtype == np.uint16:
        return np.round(x.astype(np.float64) / 257.0)
    if np.issubdtype(x.dtype, np.floating):
        if not np.all(np.isfinite(x)):
            raise InvalidImageError(f"{name}: NaN or infinite values")
        if x.min() < 0 or x.max() > 1:
            raise InvalidImageError(f"{name}: float images must lie in [0, 1]")
        # Scaled in the array's own precision, as write_image does, so that an array and the 8-bit
        # file written from it score the same.
        return np.round(x * 255.0).astype(np.float64)
    if np.issubdtype(x.dtype, np.integer) and x.min() >= 0 and x.max() <= 255:
        return x.astype(np.float64)
    raise InvalidImageError(f"{name}: unsupported dtype {x.dtype}")


def matlab_rgb2gray(rgb: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2gray`` of 8-bit RGB values (rounded to integers as for uint8 input)."""
    y = 0.298936021293775 * rgb[..., 0] + 0.587043074451121 * rgb[..., 1] + 0.114020904255103 * rgb[..., 2]
    return np.floor(y + 0.5)


def cddfuse_grey(x: np.ndarray) -> np.ndarray:
    """CDDFuse's grey conversion: OpenCV BGR2GRAY on float32 values, then ``np.round``."""
    if x.ndim == 2:
        return x
    grey = cv2.cvtColor(np.ascontiguousarray(x[..., ::-1], dtype=np.float32), cv2.COLOR_BGR2GRAY)
    return np.round(grey).astype(np.float64)


def matlab_round(x: np.ndarray) -> np.ndarray:
    """MATLAB ``round``: halves away from zero (NumPy's ``round`` sends them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def per_channel(
    core: Callable[..., float],
    sources: Sequence[np.ndarray],
    fused: np.ndarray,
    convention: str,
) -> float:
    """Apply ``core(*sources_2d, fused_2d)`` the way the convention handles colour.

    vifb/mefb: per channel of the fused image, averaged (module docstring). cddfuse: once, on the
    grey conversions.
    """
    from ._cache import cached

    if convention == "cddfuse":
        grey = [cached("cddfuse_grey", x, cddfuse_grey) for x in (*sources, fused)]
        return float(core(*grey))
    if convention == "mefb" and fused.ndim == 3 and all(s.ndim == 2 for s in sources):
        fused = fused[..., 0]
    if fused.ndim == 2:
        srcs = [cached("rgb2gray", s, matlab_rgb2gray) if s.ndim == 3 else s for s in sources]
        return float(core(*srcs, fused))
    from ..runtime import parallel_map

    # A colour source whose three channels are equal (an infrared image stored as RGB) gives the same
    # plane to every channel's call, so per-plane results are computed once (see _cache).
    planes = [cached("equal_channels", s, _equal_channels) if s.ndim == 3 else s for s in sources]
    values = parallel_map(
        lambda k: core(*[p[..., k] if p.ndim == 3 else p for p in planes], fused[..., k]), range(fused.shape[2])
    )
    return float(np.mean(values))


def _equal_channels(x: np.ndarray) -> np.ndarray:
    """The first channel of ``x`` if all channels are equal, else ``x``."""
    first = x[..., 0]
    if all(np.array_equal(first, x[..., k]) for k in range(1, x.shape[2])):
        return first
    return x


def fused_channels(fused: np.ndarray, convention: str) -> list[np.ndarray]:
    """The 2-D planes a fused-only metric is averaged over: each RGB channel (vifb/mefb) or the grey
    conversion (cddfuse)."""
    if convention == "cddfuse":
        from ._cache import cached

        return [cached("cddfuse_grey", fused, cddfuse_grey)]
    if fused.ndim == 2:
        return [fused]
    return [fused[..., k] for k in range(fused.shape[2])]


def normalize1(x: np.ndarray) -> np.ndarray:
    """Z. Liu's ``normalize1`` (used by VIFB/MEFB's MI, NMI, Q_TE, Q_NCIE, Q_CB, Q_CV): min–max
    stretch to 0–255 and round half away from zero. A constant image maps to zeros (the reference
    divides 0 by 0 there, except for an all-zero image, which it returns unchanged: also zeros).
    Within one evaluation (see ``_cache``) each plane is stretched once."""
    from ._cache import cached

    return cached("normalize1", x, _normalize1)


def _normalize1(x: np.ndarray) -> np.ndarray:
    lo, hi = x.min(), x.max()
    if hi == lo:
        return np.zeros_like(x)
    if lo >= 0 and hi <= 255:
        levels = x.astype(np.uint8)
        if np.array_equal(levels, x):  # 8-bit grey levels: one look-up table
            lut = matlab_round((np.arange(256, dtype=np.float64) - lo) / (hi - lo) * 255)
            return lut[levels]
    return matlab_round((x - lo) / (hi - lo) * 255)


def u8_values(x: np.ndarray, name: str) -> np.ndarray:
    """:func:`as_u8_values`, shared between the metrics of one evaluation."""
    from ._cache import cached

    x = np.asarray(x)
    return cached("u8", x, lambda arr: as_u8_values(arr, name))


def fused_planes(fused: np.ndarray, convention: str) -> list[np.ndarray]:
    """Check the convention and the fused image; return the planes a fused-only metric averages over
    (see :func:`fused_channels`)."""
    check_convention(convention)
    return fused_channels(u8_values(fused, "fused"), convention)
