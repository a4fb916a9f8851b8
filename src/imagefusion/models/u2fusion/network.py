"""U2Fusion (Xu, Ma, Jiang, Guo & Ling, "U2Fusion: a unified unsupervised image fusion network", IEEE TPAMI
44(1), 2022), with its authors' weights: one model for infrared–visible, medical, multi-exposure and
multi-focus fusion.

The network (the authors' ``Net.py``): the two sources' Y channels stacked as two channels; an encoder of a
3×3 convolution to 44 channels and five densely connected 3×3 convolutions of 44 channels each (each
layer's output put *before* its input, as their ``tf.concat([out, x], 3)``), 264 channels out; a decoder
of 3×3 convolutions 264 → 128 → 64 → 32 → 1. Every convolution pads by reflection (1 pixel) and is
followed by a leaky ReLU (``max(x, 0.2 x)``), the last by ``tanh / 2 + 0.5``. No batch normalisation.

The weights are the authors' TensorFlow 1 checkpoint ``model/model.ckpt`` (``hanna-xu/U2Fusion``; no
licence file, so never shipped): fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR``, and
converted once with TensorFlow's reader (``pip install 'imagefusion[convert]'``) to safetensors in the
user cache (:func:`imagefusion.nn.published.tf_checkpoint`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_tf_checkpoint
from ...nn.weights import load_state

__all__ = ["U2FusionNet", "u2fusion_network", "u2fusion_fuse", "FIRST_SOURCE"]

register_tf_checkpoint(
    "u2fusion", network="u2fusion", prefix="u2fusion/model/model.ckpt",
    index=("15b7d283a1de8f616cc42978346bd24d47a9c380d624370368b956beb593014e", 905),
    data=("e50cada8d4ec92f2577ad5db5d212fba521dffb35d04e00a20364b43512c64c8", 2636868),
    repo="hanna-xu/U2Fusion", commit="0a5882140df67b3e0b588e1f2233e18cf944f1a4", licence="no licence file",
    citation="Xu, Ma, Jiang, Guo & Ling, 'U2Fusion: A unified unsupervised image fusion network', IEEE Transactions "
             "on Pattern Analysis and Machine Intelligence 44(1), 502-518, 2022")

#: Per task, which of the project's sources the authors feed as their first input (``SOURCE1``): the
#: visible image of ``[ir, vi]``, the PET/CT/SPECT image of ``[pet, mri]``, the over-exposed image of
#: ``[under, over]``; multi-focus pairs go in the order given.
FIRST_SOURCE = {"ivif": 1, "mif": 0, "mef": 1, "mff": 0}

_WIDTH = 44
_ENCODER = ["conv1_1"] + [f"dense_block_conv{i}" for i in range(1, 6)]
_DECODER = ["conv2_1", "conv2_2", "conv2_3", "conv2_4"]


class U2FusionNet(nn.Module):
    """U2Fusion's generator; ``forward(s1, s2)`` maps two (N, 1, H, W) images in [0, 1] to the fused
    (N, 1, H, W) in (0, 1).

    Examples
    --------
    >>> net = U2FusionNet().eval()
    >>> a, b = torch.rand(2, 1, 1, 10, 12)
    >>> y = net(a, b)
    >>> y.shape, bool(((y > 0) & (y < 1)).all())
    (torch.Size([1, 1, 10, 12]), True)
    """

    def __init__(self) -> None:
        super().__init__()
        n = _WIDTH
        self.encoder = nn.ModuleDict({name: nn.Conv2d(2 if i == 0 else n * i, n, 3) for i, name in enumerate(_ENCODER)})
        sizes = [6 * n, 128, 64, 32, 1]
        self.decoder = nn.ModuleDict({name: nn.Conv2d(sizes[i], sizes[i + 1], 3) for i, name in enumerate(_DECODER)})

    def forward(self, s1: torch.Tensor, s2: torch.Tensor) -> torch.Tensor:
        def pad(t: torch.Tensor) -> torch.Tensor:
            return F.pad(t, (1, 1, 1, 1), mode="reflect")

        # The dense stack is kept reflection-padded: padding each new layer's output and concatenating is
        # the same as padding the concatenation, without padding the growing stack at every layer.
        x = pad(torch.cat([s1, s2], dim=1))
        for i, name in enumerate(_ENCODER):
            out = pad(F.leaky_relu(self.encoder[name](x), 0.2, inplace=True))
            x = out if i == 0 else torch.cat([out, x], dim=1)
        for name in _DECODER[:-1]:
            x = pad(F.leaky_relu(self.decoder[name](x), 0.2, inplace=True))
        return torch.tanh(self.decoder[_DECODER[-1]](x)) / 2 + 0.5


def u2fusion_network(weights: str | None = None) -> U2FusionNet:
    """The generator with the authors' weights, in evaluation mode.

    Parameters
    ----------
    weights : path, optional
        The user's own copy of ``model.ckpt.data-00000-of-00001`` (its SHA-256 is checked; the
        ``.index`` file is looked for as usual).

    Returns
    -------
    U2FusionNet

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded (the message says where to put it), is not the
        authors', or TensorFlow is needed to convert it and is not installed.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = u2fusion_network() if locate("u2fusion") else U2FusionNet().eval()
    >>> net.training
    False
    """
    tf = load_published("u2fusion", weights)
    state = {}
    for part, names, scope in (("encoder", _ENCODER, "Generator/encoder"), ("decoder", _DECODER, "Generator_1/decoder")):
        for name in names:
            state[f"{part}.{name}.weight"] = tf[f"{scope}/{name}/kernel"]
            state[f"{part}.{name}.bias"] = tf[f"{scope}/{name}/bias"]
    return load_state(U2FusionNet(), state, "u2fusion").eval()


def _y_cbcr(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The authors' ``rgb2ycbcr`` on [0, 1] values (Cb, Cr offset by 128/255); grey passes through, and so
    does an RGB image with three equal channels (a grey source :func:`imagefusion.fuse` repeated)."""
    from ...io import is_grey_rgb

    if image.ndim == 2:
        return image, None, None
    if is_grey_rgb(image):
        return image[..., 0], None, None
    r, g, b = (image[..., k].astype(np.float64) for k in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return y, -0.1687 * r - 0.3313 * g + 0.5 * b + 128 / 255.0, 0.5 * r - 0.4187 * g - 0.0813 * b + 128 / 255.0


def _to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """The authors' ``ycbcr2rgb`` (not clipped)."""
    return np.stack([y + 1.402 * (cr - 128 / 255.0),
                     y - 0.34414 * (cb - 128 / 255.0) - 0.71414 * (cr - 128 / 255.0),
                     y + 1.772 * (cb - 128 / 255.0)], axis=-1)


def u2fusion_fuse(images: Sequence[np.ndarray], *, task: str | None = None, colour: bool = True, stretch: bool = True,
                  weights: str | None = None, tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse two images as the authors' ``test_main.py`` does.

    Each source's Y (the authors' ``rgb2ycbcr``; a grey source, or RGB with three equal channels, as it
    is) goes in, in the authors' order for the task (:data:`FIRST_SOURCE`). With exactly one colour source, the fused Y takes its Cb and Cr
    back to RGB (the authors' ``ycbcr2rgb``); with two, the authors save the fused Y alone
    (``colour=False``), and by default here that saved Y takes Cb and Cr, each the average of the
    sources' weighted by ``|C − 128/255|`` (the rule MEF-Net's and IFCNN's colour paths use). The authors
    save with ``scipy.misc.toimage(output, cmin=0, cmax=max(output))``: values scaled so that the maximum
    (over all channels of what they save) becomes 255, negatives clipped, rounded — ``stretch=True``, the
    default.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        In the project's order for the task: ``[ir, vi]``, ``[ct|pet|spect, mri]``, ``[a, b]``,
        ``[under, over]``.
    task : {"ivif", "mif", "mff", "mef"}, optional
        Decides the authors' input order; default: as given.
    colour : bool, default True
        Colour output where a source is in colour (see above); ``False``: the fused Y.
    stretch : bool, default True
        The authors' save step (maximum to 1); ``False``: the output clipped to [0, 1].
    weights : path, optional
        A local copy of ``model.ckpt.data-00000-of-00001``.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 10-pixel reach).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively (``benchmarks/measure/u2fusion_reference.py``
        measures its distance from float32); ``float32`` gives the authors' output.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour`` and a colour source, else (H, W).

    Raises
    ------
    ParameterError
        Not two sources, or an unknown task.
    WeightsError
        See :func:`u2fusion_network`.

    References
    ----------
    Xu et al., IEEE TPAMI 44(1), 2022; the authors' ``Net.py`` and ``test_main.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = u2fusion_fuse([ir, vi], task="ivif") if locate("u2fusion") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...errors import ParameterError
    from ...nn.inference import bytescale, tiled_network

    if len(images) != 2:
        raise ParameterError(f"u2fusion fuses two sources, got {len(images)}")
    if task is not None and task not in FIRST_SOURCE:
        raise ParameterError(f"task must be one of {', '.join(FIRST_SOURCE)}, got {task!r}")
    first = FIRST_SOURCE.get(task, 0) if task else 0
    ordered = [images[first], images[1 - first]]
    planes = [_y_cbcr(im) for im in ordered]
    y = tiled_network(u2fusion_network(weights), [p[0] for p in planes], halo=16, tile=tile, precision=precision)
    y = y.astype(np.float64)

    def save(x: np.ndarray) -> np.ndarray:  # the authors' scipy.misc.toimage(x, cmin=0, cmax=max(x))
        return bytescale(x, cmin=0.0) / 255.0 if stretch else x

    chroma = [(cb, cr) for _, cb, cr in planes if cb is not None]
    if colour and len(chroma) == 1:  # the authors' colour path: the RGB image saved
        out = save(_to_rgb(y, *chroma[0]))
    elif colour and len(chroma) == 2:  # theirs saves the Y; the chroma, weighted by distance from grey, added
        fused = []
        for k in range(2):
            c = np.stack([ch[k] for ch in chroma])
            w = np.abs(c - 128 / 255.0) + 1e-8
            fused.append((w * c).sum(0) / w.sum(0))
        out = _to_rgb(save(y), *fused)
    else:
        out = save(y)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
