"""STDFusionNet (Ma, Tang, Xu, Zhang & Xiao, "STDFusionNet: an infrared and visible image fusion network based
on salient target detection", IEEE TIM 70, 2021), with its authors' weights.

The network (the authors' ``test_network.py``): for each source its own feature extraction — a 5×5
convolution to 16 channels, then three residual blocks (a 1×1, a 3×3 and a 1×1 convolution with leaky ReLU
0.2 between, the block's input added — through a bias-free 1×1 convolution where the width changes —
and leaky ReLU), 16 → 16 → 32 → 64 channels; the visible and infrared features concatenated (visible
first, 128 channels) and reconstructed by four such blocks, 128 → 64 → 32 → 16 → 1, ending in ELU, ELU,
leaky ReLU and ``tanh``. Zero padding. Inputs and output in [−1, 1].

The weights are the authors' TensorFlow 1 checkpoint ``checkpoint/Fusion.model-29`` (``jiayi-ma/STDFusionNet``,
MIT License): fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR``, and converted once with
TensorFlow's reader (``pip install 'imagefusion[convert]'``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_tf_checkpoint
from ...nn.weights import load_state

__all__ = ["STDFusionNet", "stdfusionnet_network", "stdfusionnet_fuse"]

register_tf_checkpoint(
    "stdfusionnet", network="stdfusionnet", prefix="stdfusionnet/checkpoint/Fusion.model-29",
    index=("603a05980b698b76b988c5bc4d9eafbadbe9f5dec73329ef335f9458f61cbc8f", 2846),
    data=("2c4749e2b5364c65c9014f3369df794d0908d2b270e638723cc931165a460e27", 1130052),
    repo="jiayi-ma/STDFusionNet", commit="8b4a51308b713e1fe62b0e48b0e2873ea54952ab", licence="MIT License",
    citation="Ma, Tang, Xu, Zhang & Xiao, 'STDFusionNet: An infrared and visible image fusion network based on "
             "salient target detection', IEEE Transactions on Instrumentation and Measurement 70, 1-13, 2021")


class _Block(nn.Module):
    """``act(conv3(lrelu(conv2(lrelu(conv1(x))))) + skip(x))``: 1×1, 3×3, 1×1; ``skip`` the identity or a
    bias-free 1×1 convolution."""

    def __init__(self, cin: int, mid: int, cout: int, act: str) -> None:
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(cin, mid, 1), nn.Conv2d(mid, mid, 3, padding=1), nn.Conv2d(mid, cout, 1)
        self.identity_conv = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else None
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3(F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)), 0.2))
        y = y + (x if self.identity_conv is None else self.identity_conv(x))
        return {"lrelu": lambda t: F.leaky_relu(t, 0.2), "elu": F.elu, "tanh": torch.tanh}[self.act](y)


class _Extraction(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.block1, self.block2, self.block3 = _Block(16, 16, 16, "lrelu"), _Block(16, 16, 32, "lrelu"), _Block(32, 32, 64, "lrelu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block3(self.block2(self.block1(F.leaky_relu(self.conv1(x), 0.2))))


class STDFusionNet(nn.Module):
    """STDFusionNet; ``forward(ir, vi)`` maps (N, 1, H, W) images in [−1, 1] to the fused image in (−1, 1).

    Examples
    --------
    >>> net = STDFusionNet().eval()
    >>> ir, vi = torch.rand(2, 1, 1, 10, 12) * 2 - 1
    >>> net(ir, vi).shape
    torch.Size([1, 1, 10, 12])
    """

    def __init__(self) -> None:
        super().__init__()
        self.ir_extraction_network, self.vi_extraction_network = _Extraction(), _Extraction()
        self.reconstruction_network = nn.Sequential(
            _Block(128, 128, 64, "elu"), _Block(64, 64, 32, "elu"), _Block(32, 32, 16, "lrelu"), _Block(16, 16, 1, "tanh"))

    def forward(self, ir: torch.Tensor, vi: torch.Tensor) -> torch.Tensor:
        feature = torch.cat([self.vi_extraction_network(vi), self.ir_extraction_network(ir)], dim=1)
        return self.reconstruction_network(feature)


def stdfusionnet_network(weights: str | None = None) -> STDFusionNet:
    """The network with the authors' weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``Fusion.model-29.data-00000-of-00001`` (SHA-256 checked).

    Returns
    -------
    STDFusionNet

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = stdfusionnet_network() if locate("stdfusionnet") else STDFusionNet().eval()
    >>> net.training
    False
    """
    tf = load_published("stdfusionnet", weights)
    state = {}
    for key, value in tf.items():  # STMFusion_model/<part>/[blockN/]<conv>/{w,b} → <part>.[blockN|N-1.]<conv>.{weight,bias}
        parts = key.split("/")[1:]
        if parts[0] == "reconstruction_network":  # an nn.Sequential here
            parts[1] = str(int(parts[1].removeprefix("block")) - 1)
        parts[-1] = {"w": "weight", "b": "bias"}[parts[-1]]
        state[".".join(parts)] = value
    return load_state(STDFusionNet(), state, "stdfusionnet").eval()


def stdfusionnet_fuse(images: Sequence[np.ndarray], *, stretch: bool = True, weights: str | None = None,
                      tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse an infrared and a visible grey image as the authors' ``test_one_image.py`` does.

    Grey levels are mapped to [−1, 1] (``x / 127.5 − 1``); the output is mapped back (``(y + 1) · 127.5``)
    and the authors save it with ``scipy.misc.imsave``, which stretches it to the full 0–255 range
    (``stretch=True``, the default).

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        Infrared then visible (luminance; :func:`imagefusion.fuse` puts the colour back).
    stretch : bool, default True
        The authors' save step; ``False`` clips the network's output to [0, 1].
    weights : path, optional
        A local copy of the checkpoint's data file.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 9-pixel reach).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively (``benchmarks/measure/stdfusionnet_reference.py``
        measures its distance from float32); ``float32`` gives the authors' output.

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        Not two sources.
    WeightsError
        See :func:`stdfusionnet_network`.

    References
    ----------
    Ma et al., IEEE TIM 70, 2021; the authors' ``test_network.py`` and ``test_one_image.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = stdfusionnet_fuse([ir, vi]) if locate("stdfusionnet") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...errors import ParameterError
    from ...nn.inference import bytescale, tiled_network

    if len(images) != 2:
        raise ParameterError(f"stdfusionnet fuses two sources, got {len(images)}")
    out = tiled_network(stdfusionnet_network(weights), images, scale=(2.0, -1.0), halo=16, tile=tile,
                        precision=precision)
    y = (out.astype(np.float64) + 1.0) * 127.5
    if stretch:  # the authors' scipy.misc.imsave
        y = bytescale(y)
    return np.clip(y / 255.0, 0.0, 1.0).astype(np.float32)
