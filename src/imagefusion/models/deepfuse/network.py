"""DeepFuse (Prabhakar, Srikar & Babu, "DeepFuse: a deep unsupervised approach for exposure fusion with extreme
exposure image pairs", ICCV 2017), with its authors' weights.

The network (the authors' Lasagne ``main.py``): the two exposures' Y channels (grey levels 0–255, as MATLAB's
``rgb2ycbcr`` gives them) each through the same two layers — a 3×3 convolution to 32 channels and a 5×5 one
to 64 (weights shared between the exposures) — the two 64-channel maps added, then 7×7 (64), 5×5 (32), 5×5
(16) and 7×7 (1) convolutions. No biases; zero padding; Lasagne's ``leaky_rectify`` (slope 0.01) after every
layer, the last included; Lasagne flips its kernels (a true convolution), so they are flipped here for
PyTorch's correlation. The output is stretched to 0–255 (its minimum to 0, maximum to 255).

Colour follows the authors' ``Gen_Result.m``: the fused luminance stretched by MATLAB's ``imadjust`` (1 % of
the pixels saturated at each end) into the studio range 16–235, Cb and Cr of the exposures weighted by
``|C − 128|``, back to RGB by ``ycbcr2rgb``.

The weights are the authors' ``DF_model_Epoch99.npz`` (``KRamPrabhakar/DeepFuse``; no licence file, so never
shipped): six arrays read with numpy (no pickles), fetched at first use or read from
``$IMAGEFUSION_WEIGHTS_DIR``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file
from ...nn.weights import load_state

__all__ = ["DeepFuseNet", "deepfuse_network", "deepfuse_luminance", "deepfuse_fuse", "rgb2ycbcr", "ycbcr2rgb"]

#: Lasagne's parameter order in the file (``arr_0`` … ``arr_5``) and our layer names.
_LAYERS = ["conv1", "conv11", "conv40", "conv4", "conv41", "conv5"]


def _npz_arrays(path: Path) -> dict[str, Any]:
    """The six arrays of the authors' ``.npz`` (``allow_pickle=False``: data only), as our layer names."""
    from ...errors import WeightsError

    with np.load(path, allow_pickle=False) as f:
        if sorted(f.files) != [f"arr_{i}" for i in range(len(_LAYERS))]:
            raise WeightsError(f"{path}: expected arrays arr_0 … arr_5, found {', '.join(sorted(f.files))}")
        return {f"{name}.weight": torch.from_numpy(np.ascontiguousarray(f[f"arr_{i}"], np.float32))
                for i, name in enumerate(_LAYERS)}


register_weight_file(
    "deepfuse", network="deepfuse", path="deepfuse/DF_model_Epoch99.npz", repo="KRamPrabhakar/DeepFuse",
    commit="31c226f807957a7c356391854c6d80586e872166",
    sha256="dd6ad74ad6bb91ea083febf49a5ab2af888416e6a3a1ec4b7af07920fdd9b91a", size=1268970,
    licence="no licence file",
    citation="Prabhakar, Srikar & Babu, 'DeepFuse: A deep unsupervised approach for exposure fusion with extreme "
             "exposure image pairs', ICCV 2017, 4714-4722",
    convert=_npz_arrays)


class DeepFuseNet(nn.Module):
    """DeepFuse; ``forward(y1, y2)`` maps two exposures' Y (N, 1, H, W), grey levels 0–255, to the network's
    output (N, 1, H, W) before the stretch. The layers hold the authors' kernels as stored (Lasagne's
    convolution order); ``forward`` flips them.

    Examples
    --------
    >>> net = DeepFuseNet().eval()
    >>> y1, y2 = torch.rand(2, 1, 1, 16, 20) * 255
    >>> net(y1, y2).shape
    torch.Size([1, 1, 16, 20])
    """

    def __init__(self) -> None:
        super().__init__()
        sizes = {"conv1": (1, 32, 3), "conv11": (32, 64, 5), "conv40": (64, 64, 7), "conv4": (64, 32, 5),
                 "conv41": (32, 16, 5), "conv5": (16, 1, 7)}
        for name, (cin, cout, k) in sizes.items():
            setattr(self, name, nn.Conv2d(cin, cout, k, padding=k // 2, bias=False))

    def _layer(self, name: str, x: torch.Tensor) -> torch.Tensor:
        conv = getattr(self, name)
        return F.leaky_relu(F.conv2d(x, conv.weight.flip(-1, -2), padding=conv.padding), 0.01)

    def forward(self, y1: torch.Tensor, y2: torch.Tensor) -> torch.Tensor:
        both = self._layer("conv11", self._layer("conv1", torch.cat([y1, y2], dim=0)))  # shared weights: one batch
        x = both[: y1.shape[0]] + both[y1.shape[0]:]
        for name in ("conv40", "conv4", "conv41", "conv5"):
            x = self._layer(name, x)
        return x


def deepfuse_network(weights: str | None = None) -> DeepFuseNet:
    """DeepFuse with the authors' weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``DF_model_Epoch99.npz`` (its SHA-256 is checked).

    Returns
    -------
    DeepFuseNet

    Raises
    ------
    WeightsError
        Not here and cannot be downloaded (the message says where to put it), or not the authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = deepfuse_network() if locate("deepfuse") else DeepFuseNet().eval()
    >>> net.training
    False
    """
    return load_state(DeepFuseNet(), load_published("deepfuse", weights), "deepfuse").eval()


#: MATLAB's ``rgb2ycbcr`` (BT.601, studio range) on values 0–1: Y, Cb, Cr = T · RGB / 255 + offset.
_T = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb2ycbcr(rgb_u8: np.ndarray) -> np.ndarray:
    """MATLAB's ``rgb2ycbcr`` of a uint8 RGB image (rounded to uint8, as MATLAB returns it).

    Parameters
    ----------
    rgb_u8 : ndarray, uint8, (H, W, 3)

    Returns
    -------
    ndarray, uint8, (H, W, 3): Y in 16–235, Cb and Cr in 16–240

    Examples
    --------
    >>> rgb2ycbcr(np.array([[[255, 255, 255], [0, 0, 0]]], np.uint8)).tolist()
    [[[235, 128, 128], [16, 128, 128]]]
    """
    x = rgb_u8.astype(np.float64) / 255.0
    return np.clip(np.round(x @ _T.T + _OFFSET), 0, 255).astype(np.uint8)


def ycbcr2rgb(ycbcr_u8: np.ndarray) -> np.ndarray:
    """MATLAB's ``ycbcr2rgb`` of a uint8 YCbCr image (rounded and clipped to uint8).

    Parameters
    ----------
    ycbcr_u8 : ndarray, uint8, (H, W, 3)

    Returns
    -------
    ndarray, uint8, (H, W, 3)

    Examples
    --------
    >>> ycbcr2rgb(rgb2ycbcr(np.array([[[200, 30, 90]]], np.uint8))).tolist()  # each way rounds to uint8
    [[[199, 30, 89]]]
    """
    x = ycbcr_u8.astype(np.float64) - _OFFSET
    return np.clip(np.round(x @ np.linalg.inv(_T).T * 255.0), 0, 255).astype(np.uint8)


def deepfuse_luminance(y1: np.ndarray, y2: np.ndarray, *, weights: str | None = None, tile: int = 1024,
                       precision: str = "float32") -> np.ndarray:
    """The fused luminance as the authors' ``getres.py`` writes it: the network on two Y channels (grey levels
    0–255), its output stretched to 0–255 and rounded.

    Parameters
    ----------
    y1, y2 : ndarray, (H, W), grey levels 0–255
    weights : path, optional
    tile : int, default 1024
        Largest tile side (24-pixel halos cover the network's 14-pixel reach; the stretch is over the whole image).
    precision : {"float32", "auto", "bfloat16"}, default "float32"

    Returns
    -------
    ndarray, uint8, (H, W)

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> y1, y2 = np.full((16, 16), 40.0), np.full((16, 16), 200.0); y2[4:8, 4:8] = 90.0
    >>> deepfuse_luminance(y1, y2).dtype if locate("deepfuse") else np.dtype("uint8")
    dtype('uint8')
    """
    from ...nn.inference import bytescale, tiled_network

    out = tiled_network(deepfuse_network(weights), [y1, y2], halo=24, tile=tile, precision=precision)
    return bytescale(out).astype(np.uint8)  # their graph's stretch to 0-255, then scipy.misc.imsave


def _imadjust(levels: np.ndarray) -> np.ndarray:
    """MATLAB's ``imadjust(im2double(u8))`` with ``stretchlim``'s default 1 % saturation at each end."""
    cdf = np.cumsum(np.bincount(levels.ravel(), minlength=256)) / levels.size
    low = int(np.argmax(cdf > 0.01))
    high = int(np.argmax(cdf >= 0.99))
    if low == high:
        low, high = 0, 255
    return np.clip((levels.astype(np.float64) - low) / (high - low), 0.0, 1.0)


def deepfuse_fuse(images: Sequence[np.ndarray], *, colour: bool = True, weights: str | None = None,
                  tile: int = 1024, precision: str = "float32") -> np.ndarray:
    """Fuse two exposures as the authors' ``Gen_Input.m``, ``getres.py`` and ``Gen_Result.m`` do.

    Each exposure (8-bit RGB; a grey one repeated) gives its Y by MATLAB's ``rgb2ycbcr``; the network fuses the
    two Y channels (:func:`deepfuse_luminance`). With ``colour`` (the authors' ``Gen_Result.m``), the fused
    luminance is stretched by ``imadjust`` into 16–235, Cb and Cr are the exposures' weighted by ``|C − 128|``
    (128 where both are 128), and ``ycbcr2rgb`` gives the RGB image; otherwise the stretched luminance 0–255 is
    returned, as ``getres.py`` writes it. The authors' ``Gen_Input.m`` first shrinks images to a longest side of
    512; here the output keeps the input's size.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Under- and over-exposed, in either order (the network is symmetric in them).
    colour : bool, default True
    weights : path, optional
        A local copy of ``DF_model_Epoch99.npz``.
    tile : int, default 1024
    precision : {"float32", "auto", "bfloat16"}, default "float32"

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour``, else (H, W).

    Raises
    ------
    ParameterError
        Not two exposures.
    WeightsError
        See :func:`deepfuse_network`.

    References
    ----------
    Prabhakar, Srikar & Babu, ICCV 2017; the authors' ``main.py``, ``getres.py`` and ``Gen_Result.m``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> x = np.linspace(0, 1, 48, dtype=np.float32)[None].repeat(32, 0)
    >>> under, over = x * 0.3, np.clip(x * 2.5, 0, 1)
    >>> out = deepfuse_fuse([under, over]) if locate("deepfuse") else np.stack([under] * 3, -1)
    >>> out.shape
    (32, 48, 3)
    """
    from ...errors import ParameterError

    if len(images) != 2:
        raise ParameterError(f"deepfuse fuses two exposures, got {len(images)}")
    u8 = [np.round(np.clip(im, 0.0, 1.0) * 255.0).astype(np.uint8) for im in images]
    ycc = [rgb2ycbcr(a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)) for a in u8]
    fused = deepfuse_luminance(ycc[0][..., 0], ycc[1][..., 0], weights=weights, tile=tile, precision=precision)
    if not colour:
        return fused.astype(np.float32) / 255.0
    j = _imadjust(fused)
    out = np.empty(fused.shape + (3,))
    out[..., 0] = j * 235.0 + (1.0 - j) * 16.0
    for k in (1, 2):
        c = np.stack([y[..., k].astype(np.float64) for y in ycc])
        w = np.abs(c - 128.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            fused_c = (c * w / w.sum(0)).sum(0)
        out[..., k] = np.where(np.isnan(fused_c), 128.0, fused_c)
    rgb = ycbcr2rgb(np.clip(np.round(out), 0, 255).astype(np.uint8))  # MATLAB's uint8(K1) rounds
    return rgb.astype(np.float32) / 255.0
