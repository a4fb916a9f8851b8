"""EMFusion (Xu & Ma, "EMFusion: an unsupervised enhanced medical image fusion network", Information Fusion 76,
2021), with its authors' CT–MRI weights.

The fusion network of their test code (``fnet.py``): the CT and MRI images stacked as two channels; a 3×3
convolution to 32 channels, three densely connected 3×3 convolutions of 32 channels (each layer's output
placed before its input, as their ``tf.concat([out, x], 3)``), then 3×3 convolutions 128 → 64 → 32 → 1.
Reflection padding (1 pixel), leaky ReLU (``max(x, 0.2 x)``), ``tanh / 2 + 0.5`` last. The surface- and
deep-level constraints of the paper shape the training only.

The weights are in the authors' ``CT-MRI.zip`` (``hanna-xu/EMFusion``; no licence file, so never shipped), with
their test images and their results: fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR``, and the
checkpoint ``models/3200/3200.ckpt`` inside it converted once with TensorFlow's reader
(``pip install 'imagefusion[convert]'``; :func:`imagefusion.nn.published.tf_checkpoint_in_zip`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file, tf_checkpoint_in_zip
from ...nn.weights import load_state

__all__ = ["EMFusionNet", "emfusion_network", "emfusion_fuse"]

register_weight_file(
    "emfusion-ct-mri", network="emfusion", path="emfusion/CT-MRI.zip", repo="hanna-xu/EMFusion",
    commit="26ea2a17f778e7fdd6de7719669733d651793ce8",
    sha256="5af94fe6994070b0ba6f3810c06fde1d84b7c1e36ec82aa3ff9c6f701fdf5200", size=3692697,
    licence="no licence file",
    citation="Xu & Ma, 'EMFusion: An unsupervised enhanced medical image fusion network', Information Fusion 76, "
             "177-186, 2021",
    convert=tf_checkpoint_in_zip("models/3200/3200.ckpt"))

_LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv6", "conv7", "conv8"]
_SIZES = {"conv1": (2, 32), "conv2": (32, 32), "conv3": (64, 32), "conv4": (96, 32), "conv6": (128, 64),
          "conv7": (64, 32), "conv8": (32, 1)}


class EMFusionNet(nn.Module):
    """EMFusion's fusion network; ``forward(ct, mri)`` maps (N, 1, H, W) images in [0, 1] to the fused image in
    (0, 1).

    Examples
    --------
    >>> net = EMFusionNet().eval()
    >>> ct, mri = torch.rand(2, 1, 1, 10, 12)
    >>> y = net(ct, mri)
    >>> y.shape, bool(((y > 0) & (y < 1)).all())
    (torch.Size([1, 1, 10, 12]), True)
    """

    def __init__(self) -> None:
        super().__init__()
        self.fuse = nn.ModuleDict({name: nn.Conv2d(*_SIZES[name], 3) for name in _LAYERS})

    def forward(self, ct: torch.Tensor, mri: torch.Tensor) -> torch.Tensor:
        def pad(t: torch.Tensor) -> torch.Tensor:
            return F.pad(t, (1, 1, 1, 1), mode="reflect")

        # The dense stack is kept reflection-padded: padding each new output once and concatenating equals
        # padding the concatenation.
        x = pad(torch.cat([ct, mri], dim=1))
        for i, name in enumerate(_LAYERS[:-1]):
            out = pad(F.leaky_relu(self.fuse[name](x), 0.2, inplace=True))
            x = torch.cat([out, x], dim=1) if 1 <= i <= 3 else out
        return torch.tanh(self.fuse[_LAYERS[-1]](x)) / 2 + 0.5


def emfusion_network(weights: str | None = None) -> EMFusionNet:
    """The fusion network with the authors' CT–MRI weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``CT-MRI.zip`` (its SHA-256 is checked).

    Returns
    -------
    EMFusionNet

    Raises
    ------
    WeightsError
        The file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = emfusion_network() if locate("emfusion-ct-mri") else EMFusionNet().eval()
    >>> net.training
    False
    """
    tf = load_published("emfusion-ct-mri", weights)
    state = {}
    for name in _LAYERS:
        state[f"fuse.{name}.weight"] = tf[f"fnet/fuse/{name}/kernel"]
        state[f"fuse.{name}.bias"] = tf[f"fnet/fuse/{name}/bias"]
    return load_state(EMFusionNet(), state, "emfusion-ct-mri").eval()


def emfusion_fuse(images: Sequence[np.ndarray], *, stretch: bool = True, weights: str | None = None,
                  tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse a CT (or other functional) image and an MRI image as the authors' ``test.py`` does.

    Grey levels /255 go in as ``[CT, MRI]``; the authors save the output with ``scipy.misc.imsave``, which
    stretches it to the full 0–255 range (``stretch=True``, the default).

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        CT then MRI (luminance; :func:`imagefusion.fuse` puts a colour source's chroma back).
    stretch : bool, default True
        The authors' save step; ``False`` keeps the network's output.
    weights : path, optional
        A local copy of ``CT-MRI.zip``.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 7-pixel reach).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively; ``float32`` gives the authors' output.

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        Not two sources.
    WeightsError
        See :func:`emfusion_network`.

    References
    ----------
    Xu & Ma, Information Fusion 76, 2021; the authors' ``test.py`` and ``fnet.py`` in ``CT-MRI.zip``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ct = np.zeros((32, 32), np.float32); ct[8:24, 8:24] = 1.0  # bone
    >>> mri = np.full((32, 32), 0.4, np.float32)
    >>> out = emfusion_fuse([ct, mri]) if locate("emfusion-ct-mri") else np.maximum(ct, mri)
    >>> out.shape, bool(out[16, 16] > out[2, 2])
    ((32, 32), True)
    """
    from ...errors import ParameterError
    from ...nn.inference import bytescale, tiled_network

    if len(images) != 2:
        raise ParameterError(f"emfusion fuses two sources, got {len(images)}")
    y = tiled_network(emfusion_network(weights), images, halo=16, tile=tile, precision=precision).astype(np.float64)
    if stretch:  # the authors' scipy.misc.imsave
        y = bytescale(y) / 255.0
    return np.clip(y, 0.0, 1.0).astype(np.float32)
