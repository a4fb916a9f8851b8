"""The colour path shared by every fusion method.

Fusion methods only ever see luminance (or grey) images. Colour sources are converted to YCbCr
(ITU-R BT.601, full range as in JPEG/JFIF: Y in [0, 1], Cb and Cr in [0, 1] with 0.5 neutral), the
Y channels are fused by the method, and colour is rebuilt from chroma chosen here:

* exactly one colour source (infrared + RGB visible, MRI + PET/SPECT pseudo-colour): the chroma of
  that source, unchanged;
* every source in colour, and a method that decides per pixel which source to take (a focus weight
  map, a decision map, GFF's weight maps; registered with ``channel_rule=True``): Cb and Cr fused by
  the method's own rule with the same maps as Y, as the papers fuse each colour channel (e.g. Liu et
  al., Information Fusion 2017, Section 3.3; Li, Kang & Hu, IEEE TIP 2013, Section III). Otherwise the
  chroma of a blurred or badly exposed source is mixed into the in-focus one;
* otherwise, two or more colour sources (multi-focus, multi-exposure): per pixel and per chroma
  channel, the average of the sources' chroma weighted by its distance from neutral,
  ``C = Σ_n C_n |C_n − 0.5| / Σ_n |C_n − 0.5|`` (0.5 where every source is neutral) — the rule used by
  e.g. Prabhakar et al., "DeepFuse", ICCV 2017, eq. (5), for Cb/Cr fusion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

__all__ = [
    "ChannelRule", "rgb_to_ycbcr", "ycbcr_to_rgb", "split_colour", "split_luminance", "fuse_chroma",
    "weighted_rule", "merge_luminance",
]

#: A method's rule for fusing one more channel of the sources with the maps it computed on their
#: luminance: ``rule(planes) -> plane``, N planes of shape (H, W), float32, in, one (H, W) out.
ChannelRule = Callable[[Sequence[np.ndarray]], np.ndarray]


# ITU-R BT.601 luma coefficients; Cb and Cr scaled to [-0.5, 0.5] and offset by 0.5 (JFIF full range).
_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB
_FORWARD = np.array([
    [_KR, _KG, _KB],
    [-0.5 * _KR / (1 - _KB), -0.5 * _KG / (1 - _KB), 0.5],
    [0.5, -0.5 * _KG / (1 - _KR), -0.5 * _KB / (1 - _KR)],
])
_OFFSET = np.array([0.0, 0.5, 0.5])
_TO_YCBCR = np.hstack([_FORWARD, _OFFSET[:, None]]).astype(np.float32)
_INVERSE = np.linalg.inv(_FORWARD)
_TO_RGB = np.hstack([_INVERSE, (-_INVERSE @ _OFFSET)[:, None]]).astype(np.float32)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """Convert RGB to YCbCr (ITU-R BT.601 coefficients, full range).

    ``Y = 0.299 R + 0.587 G + 0.114 B``, ``Cb = 0.5 + (B − Y) / 1.772``, ``Cr = 0.5 + (R − Y) / 1.402``.

    Parameters
    ----------
    rgb : ndarray, float32, shape (H, W, 3), values in [0, 1]

    Returns
    -------
    ndarray, float32, shape (H, W, 3)
        Channels Y, Cb, Cr, each in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> ycc = rgb_to_ycbcr(np.array([[[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]], np.float32))
    >>> np.round(ycc.astype(np.float64), 4).tolist()  # white: Y = 1, neutral chroma; red: Y = 0.299
    [[[1.0, 0.5, 0.5], [0.299, 0.3313, 1.0]]]
    """
    return cv2.transform(np.ascontiguousarray(rgb, dtype=np.float32), _TO_YCBCR)


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr` (the exact inverse matrix), clipped to [0, 1].

    Parameters
    ----------
    ycbcr : ndarray, float32, shape (H, W, 3)
        Channels Y, Cb, Cr.

    Returns
    -------
    ndarray, float32, shape (H, W, 3), values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> rgb = np.random.default_rng(0).random((4, 4, 3)).astype(np.float32)
    >>> float(np.abs(ycbcr_to_rgb(rgb_to_ycbcr(rgb)) - rgb).max()) < 1e-6
    True
    """
    return np.clip(cv2.transform(np.ascontiguousarray(ycbcr, dtype=np.float32), _TO_RGB), 0.0, 1.0)


def weighted_rule(weights: np.ndarray) -> ChannelRule:
    """The channel rule of a per-pixel weighted average, ``F = Σ_n W_n I_n``.

    Parameters
    ----------
    weights : ndarray, float, shape (N, H, W), values in [0, 1], summing to 1 over the N sources

    Returns
    -------
    ChannelRule
        Takes N planes of shape (H, W) and returns their weighted average, float32, shape (H, W).

    Examples
    --------
    >>> import numpy as np
    >>> rule = weighted_rule(np.stack([np.full((2, 2), 0.25), np.full((2, 2), 0.75)]))
    >>> rule([np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)]).tolist()
    [[0.75, 0.75], [0.75, 0.75]]
    """
    w = np.asarray(weights, np.float32)

    def rule(planes: Sequence[np.ndarray]) -> np.ndarray:
        if len(planes) != len(w):
            raise ValueError(f"the rule was made for {len(w)} sources, got {len(planes)} planes")
        return np.einsum("nhw,nhw->hw", w, np.stack(planes).astype(np.float32))

    return rule


def fuse_chroma(chromas: Sequence[np.ndarray], rule: ChannelRule | None = None) -> np.ndarray:
    """Fuse the chroma (Cb, Cr) of the colour sources.

    Parameters
    ----------
    chromas : sequence of ndarray, float32, shape (H, W, 2), values in [0, 1]
        Cb and Cr of each colour source (grey sources are left out).
    rule : ChannelRule, optional
        The fusion method's own rule (module docstring); only for chroma of every source.

    Returns
    -------
    ndarray, float32, shape (H, W, 2), values in [0, 1]
        The one source's chroma if there is one; else Cb and Cr each fused by ``rule``; else the
        average weighted by ``|C − 0.5|`` (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> neutral = np.full((2, 2, 2), 0.5, np.float32)
    >>> vivid = np.full((2, 2, 2), 0.9, np.float32)
    >>> round(float(fuse_chroma([neutral, vivid])[0, 0, 0]), 4)  # the neutral source has no say
    0.9
    """
    if len(chromas) == 1:
        return chromas[0]
    if rule is not None:
        planes = [np.clip(rule([np.ascontiguousarray(c[..., k]) for c in chromas]), 0.0, 1.0) for k in (0, 1)]
        return np.stack(planes, axis=-1).astype(np.float32)
    stack = np.stack(chromas)  # (N, H, W, 2)
    weight = np.abs(stack - 0.5)
    total = weight.sum(axis=0)
    fused = (stack * weight).sum(axis=0) / np.maximum(total, 1e-12)
    return np.where(total > 1e-12, fused, 0.5).astype(np.float32)


def split_colour(sources: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Split the sources into luminance and chroma.

    Parameters
    ----------
    sources : sequence of ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
        Grey sources are 2-D; colour sources are RGB.

    Returns
    -------
    luminances : list of ndarray, float32, shape (H, W)
        Y of each colour source, the grey source itself otherwise.
    chromas : list of ndarray, float32, shape (H, W, 2)
        Cb and Cr of each colour source, in source order (empty when every source is grey).

    Examples
    --------
    >>> import numpy as np
    >>> grey, rgb = np.full((4, 4), 0.5, np.float32), np.full((4, 4, 3), 0.5, np.float32)
    >>> lums, chromas = split_colour([grey, rgb])
    >>> [l.shape for l in lums], [c.shape for c in chromas]
    ([(4, 4), (4, 4)], [(4, 4, 2)])
    """
    lums, chromas = [], []
    for s in sources:
        if s.ndim == 2:
            lums.append(s)
        else:
            ycc = rgb_to_ycbcr(s)
            lums.append(np.ascontiguousarray(ycc[..., 0]))
            chromas.append(ycc[..., 1:])
    return lums, chromas


def split_luminance(sources: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Split the sources into the luminance a method fuses and the chroma of the output.

    Parameters
    ----------
    sources : sequence of ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
        Grey sources are 2-D; colour sources are RGB.

    Returns
    -------
    luminances : list of ndarray, float32, shape (H, W)
        Y of each colour source, the grey source itself otherwise.
    chroma : ndarray, float32, shape (H, W, 2), or None
        The fused Cb/Cr by the neutral-distance rule (see :func:`fuse_chroma`); None when every
        source is grey.

    Examples
    --------
    >>> import numpy as np
    >>> rgb = np.zeros((4, 4, 3), np.float32); rgb[..., 0] = 1.0  # pure red
    >>> lums, chroma = split_luminance([np.full((4, 4), 0.2, np.float32), rgb])
    >>> round(float(lums[1][0, 0]), 3), chroma.shape
    (0.299, (4, 4, 2))
    """
    lums, chromas = split_colour(sources)
    return lums, (fuse_chroma(chromas) if chromas else None)


def merge_luminance(luminance: np.ndarray, chroma: np.ndarray | None) -> np.ndarray:
    """Rebuild the output from the fused luminance and the fused chroma.

    Parameters
    ----------
    luminance : ndarray, float32, shape (H, W), values in [0, 1]
    chroma : ndarray, float32, shape (H, W, 2), or None

    Returns
    -------
    ndarray, float32, shape (H, W) if ``chroma`` is None else (H, W, 3); values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.full((2, 2), 0.5, np.float32)
    >>> merge_luminance(y, None).shape, merge_luminance(y, np.full((2, 2, 2), 0.5, np.float32))[0, 0].round(4).tolist()
    ((2, 2), [0.5, 0.5, 0.5])
    """
    if chroma is None:
        return luminance
    ycc = np.concatenate([luminance[..., None], chroma], axis=-1)
    return ycbcr_to_rgb(ycc)
