"""Small helpers shared by the methods (not part of the public API)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..runtime import parallel_map  # noqa: F401  (re-exported for the methods)


def as_float_stack(images: Sequence[np.ndarray]) -> np.ndarray:
    """Stack luminance images into one float32 array of shape (N, H, W)."""
    return np.stack([np.asarray(im, dtype=np.float32) for im in images])


def box_sum(image: np.ndarray, size: int) -> np.ndarray:
    """Sum over a ``size``×``size`` window centred on each pixel (zero outside the image)."""
    return cv2.boxFilter(image, -1, (size, size), normalize=False, borderType=cv2.BORDER_CONSTANT)


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)×(2r+1) window, with reflected borders."""
    k = 2 * radius + 1
    return cv2.boxFilter(image, -1, (k, k), normalize=True, borderType=cv2.BORDER_REFLECT)


def normalise_weights(weights: np.ndarray) -> np.ndarray:
    """Clip (N, H, W) weight maps at 0 and normalise them to sum to 1 at every pixel
    (equal weights where all are 0)."""
    w = np.clip(weights, 0.0, None)
    total = w.sum(axis=0)
    empty = total <= 1e-12
    w = w / np.where(empty, 1.0, total)
    if np.any(empty):
        w[:, empty] = 1.0 / w.shape[0]
    return w


def where(cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.where(cond, x, y)`` for same-shape arrays, several times faster on real images.

    NumPy's ``where`` branches per element and is slow on the irregular masks of fusion decisions;
    OpenCV's masked copy is not. Complex or non-2-D/3-D data falls back to NumPy.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape or x.dtype.kind != "f" or x.ndim not in (2, 3):
        return np.where(cond, x, y)
    out = y.copy()
    mask = np.ascontiguousarray(cond).view(np.uint8) if cond.dtype == bool else cond.astype(np.uint8)
    cv2.copyTo(np.ascontiguousarray(x), mask, out)
    return out


def select_max_abs(bands: Sequence[np.ndarray]) -> np.ndarray:
    """Per element, the value of largest magnitude among ``bands`` (the first one on ties).

    Parameters
    ----------
    bands : sequence of ndarray of one shape (real or complex)

    Returns
    -------
    ndarray, the shape and dtype of ``bands[0]``
    """
    out = bands[0]
    mag = np.abs(out)
    for b in bands[1:]:
        m = np.abs(b)
        better = m > mag
        out = where(better, b, out)
        mag = np.maximum(m, mag)
    return out


def argmax_label(scores: Sequence[np.ndarray]) -> np.ndarray:
    """Per pixel, the index of the largest of ``scores`` (the first on ties), as uint8 (H, W)."""
    best = scores[0]
    label = np.zeros(best.shape, np.uint8)
    for n, s in enumerate(scores[1:], 1):
        better = s > best
        label = _set_label(label, better, n)
        best = np.maximum(s, best)
    return label


def _set_label(label: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    cv2.copyTo(np.full(label.shape, n, np.uint8), np.ascontiguousarray(mask).view(np.uint8), label)
    return label


def choose(label: np.ndarray, choices: Sequence[np.ndarray]) -> np.ndarray:
    """``np.choose(label, choices)`` built on :func:`where` (label values index ``choices``)."""
    out = choices[0]
    for n, c in enumerate(choices[1:], 1):
        out = where(label == n, c, out)
    return out


def vifb_channels(fuse_pair, images: Sequence[np.ndarray], prepare_ir=None) -> np.ndarray:
    """VIFB's colour path for its two-source grey methods: each RGB channel of the visible image
    fused with the same channel of the infrared image (a grey infrared image replicated), as VIFB's
    ``run_<METHOD>.m`` does; grey sources are fused as they are.

    ``fuse_pair(ir, vi)`` fuses two grey float64 planes on VIFB's 0–255 scale; the result is
    returned on [0, 1] (float32, not clipped: :func:`imagefusion.fuse` clips). With ``prepare_ir``,
    ``fuse_pair`` receives ``prepare_ir(ir)`` (what the method computes of the infrared plane alone)
    instead of the plane, computed once for the three channels when they are equal (a grey infrared
    image beside a colour visible one).
    """
    a, b = (np.asarray(im, np.float64) * 255.0 for im in images)
    if a.ndim == 2:
        return (fuse_pair(a if prepare_ir is None else prepare_ir(a), b) / 255.0).astype(np.float32)
    planes = [a[..., c] for c in range(a.shape[2])]
    if prepare_ir is not None:
        same = all(np.array_equal(p, planes[0]) for p in planes[1:])
        planes = [prepare_ir(planes[0])] * len(planes) if same else [prepare_ir(p) for p in planes]
    return np.stack([fuse_pair(p, b[..., c]) for c, p in enumerate(planes)], axis=2).astype(np.float32) / 255.0


def box_mean_truncated(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)² window cut at the image's border (He's ``boxfilter.m`` divided by the
    number of pixels inside: the MATLAB guided filter that VIFB's methods ship)."""
    k = 2 * radius + 1
    image = np.asarray(image)
    image = image if image.dtype in (np.float32, np.float64) else image.astype(np.float64)
    total = cv2.boxFilter(image, -1, (k, k), normalize=False, borderType=cv2.BORDER_CONSTANT)
    h, w = image.shape[:2]
    rows, cols = (np.minimum(np.arange(n) + radius, n - 1) - np.maximum(np.arange(n) - radius, 0) + 1.0 for n in (h, w))
    count = np.outer(rows, cols).astype(total.dtype)  # the pixels of each window inside the image
    return total / (count if total.ndim == 2 else count[..., None])


def guided_filter_truncated(guide: np.ndarray, src: np.ndarray, radius: int, eps: float,
                            dtype: type = np.float64) -> np.ndarray:
    """He, Sun & Tang's grey guided filter with windows cut at the border, float64, exactly as the
    MATLAB ``guidedfilter.m`` that VIFB's methods ship (``q = mean(a)·I + mean(b)``). ``dtype=np.float32``
    is faster and safe where ``eps`` is large beside float32's rounding of the window variances
    (about 1e-7)."""
    guide = np.asarray(guide, dtype)
    src = np.asarray(src, dtype)
    mean_i = box_mean_truncated(guide, radius)
    mean_p = box_mean_truncated(src, radius)
    a = (box_mean_truncated(guide * src, radius) - mean_i * mean_p) / (
        box_mean_truncated(guide * guide, radius) - mean_i * mean_i + eps)
    b = mean_p - a * mean_i
    return box_mean_truncated(a, radius) * guide + box_mean_truncated(b, radius)


def ratio_weights(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """``s1 / (s1 + s2)``, ½ where both are 0 (VIFB's codes divide 0 by 0 there, and MATLAB's
    ``uint8`` then turns the NaN into a black pixel)."""
    total = s1 + s2
    flat = total == 0
    return np.where(flat, 0.5, s1 / np.where(flat, 1.0, total))


def matlab_uint8(x: np.ndarray) -> np.ndarray:
    """MATLAB's conversion to ``uint8``, kept in float64: halves rounded away from zero, saturated to
    [0, 255] (VIFB's codes round their outputs, and some intermediate images, this way)."""
    return np.clip(np.floor(np.asarray(x, np.float64) + 0.5), 0, 255)


def _cubic(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return ((1.5 * a**3 - 2.5 * a**2 + 1) * (a <= 1)
            + (-0.5 * a**3 + 2.5 * a**2 - 4 * a + 2) * ((a > 1) & (a <= 2)))


def _imresize_weights(in_len: int, out_len: int, scale: float, kernel: str) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB ``imresize``'s contributions along one axis: indices (0-based, mirrored at the ends) and
    normalised weights, one row per output sample; antialiased when shrinking (not for nearest)."""
    width = {"nearest": 1.0, "bilinear": 2.0, "bicubic": 4.0}[kernel]
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    shrink = scale < 1 and kernel != "nearest"
    span = width / scale if shrink else width
    left = np.floor(u - span / 2)
    ind = left[:, None] + np.arange(int(np.ceil(span)) + 2)[None, :]
    d = u[:, None] - ind
    if shrink:
        d = d * scale
    if kernel == "nearest":
        w = ((d >= -0.5) & (d < 0.5)).astype(np.float64)
    elif kernel == "bilinear":
        w = np.where(np.abs(d) <= 1, 1 - np.abs(d), 0.0)
    else:
        w = _cubic(d)
    if shrink:
        w = w * scale
    w /= w.sum(axis=1, keepdims=True)
    aux = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    ind = aux[np.mod(ind.astype(np.int64) - 1, aux.size)]
    keep = np.any(w != 0, axis=0)
    return ind[:, keep], w[:, keep]


def matlab_imresize(image: np.ndarray, shape: tuple[int, int], kernel: str = "bicubic",
                    scales: tuple[float, float] | None = None, integer: bool = False) -> np.ndarray:
    """MATLAB's ``imresize`` of a grey image to ``shape``: its kernels (``nearest``, ``bilinear``,
    ``bicubic`` with a = −0.5), antialiasing when shrinking, mirrored borders, the axis of the smaller
    scale first; ``scales`` when the call gave a scale factor rather than a size; with ``integer``
    each pass rounded as MATLAB does for ``uint8`` images. VIFB's GFCE and IFEVIP resize this way."""
    out = np.asarray(image, np.float64)
    if scales is None:
        scales = (shape[0] / out.shape[0], shape[1] / out.shape[1])
    for axis in ((0, 1) if scales[0] <= scales[1] else (1, 0)):
        ind, w = _imresize_weights(out.shape[axis], shape[axis], scales[axis], kernel)
        moved = np.moveaxis(out, axis, 0)
        out = np.moveaxis(np.einsum("ok,ok...->o...", w, moved[ind]), 0, axis)
        if integer:
            out = matlab_uint8(out)
    return out
