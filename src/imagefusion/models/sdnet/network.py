"""SDNet (Zhang & Ma, "SDNet: a versatile squeeze-and-decomposition network for real-time image fusion",
IJCV 129, 2021), with its authors' weights: one model each for infrared–visible, medical, multi-exposure
and multi-focus fusion.

The fusion path of the network (the authors' ``test.py``; its decomposition layers 6–9 serve training
only): for each of the two sources its own four convolutions — 5×5 to 16 channels, then three 3×3
convolutions of 16 channels, each seeing the concatenation of the branch's earlier outputs (dense
connections) — with leaky ReLU (``max(x, 0.2 x)``); the eight 16-channel maps interleaved (first
source's, second source's, layer by layer) and squeezed by a 1×1 convolution to one channel and
``tanh``. Zero ("SAME") padding. Inputs and output in [−1, 1].

The weights are the authors' TensorFlow 1 checkpoints ``<task>/checkpoint/*.model-N`` (``HaoZhang1018/SDNet``,
MIT License): fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR``, and converted once with
TensorFlow's reader (``pip install 'imagefusion[convert]'``; :func:`imagefusion.nn.published.tf_checkpoint`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.inference import pointwise_conv_of_concat
from ...nn.published import load_published, register_tf_checkpoint
from ...nn.weights import load_state

__all__ = ["SDNet", "sdnet_network", "sdnet_fuse", "CHECKPOINTS"]

_CITATION = ("Zhang & Ma, 'SDNet: A versatile squeeze-and-decomposition network for real-time image fusion', "
             "International Journal of Computer Vision 129, 2761-2785, 2021")
#: task → (registry name, checkpoint prefix in the repository, (index sha256, size), (data sha256, size))
CHECKPOINTS = {
    "ivif": ("sdnet-ivif", "IR_VIS/checkpoint/IRVIS.model-10",
             ("bed2d4628732a36bc972de1189c4e139d8bc233077da20156e8e662a17df35aa", 1325),
             ("17e4426453f09f3dae7887244f48eed54550bdd584792ac284597ee3713293a0", 268364)),
    "mif": ("sdnet-mif", "Medical/checkpoint/Medical.model-29",
            ("e7e22f1195e6b624f38ba886c36a734be183a0399282c1ee6e9582db15ffa969", 1325),
            ("062d217c7eca5cf910d11115a40347927d7a7b2e6c034a7a76b6149defd97898", 268364)),
    "mef": ("sdnet-mef", "Multi_exposure/checkpoint/MEF.model-11",
            ("93054dfad619624e602abbc49eecc85d4d33794d2444296cfec0ff698320ae68", 1325),
            ("81fe45422b083a002a842c728f9fa1cf14b32a80e82f120a4e97a1006bfc4e6f", 268364)),
    "mff": ("sdnet-mff", "Multi_focus/checkpoint/MFF.model-19",
            ("e0047d1b76f501e8730ba8b98ac3d3736d940c3961f2549dbec8f1cccaa39d72", 1325),
            ("1d568798216d6b22ad4e019e70717b950ebf79682a813acc9846c86e8c4e10f0", 268364)),
}
for _name, _prefix, _index, _data in CHECKPOINTS.values():
    register_tf_checkpoint(_name, network="sdnet", prefix=f"sdnet/{_prefix}", index=_index, data=_data,
                           repo="HaoZhang1018/SDNet", commit="bf6a2eeed1f723f0fd319b882d2bf38016bf6e55",
                           licence="MIT License", citation=_CITATION)


class _Branch(nn.Module):
    """One source's four densely connected convolutions (16 channels each)."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1, 16, 5, padding=2), nn.Conv2d(16, 16, 3, padding=1),
                                    nn.Conv2d(32, 16, 3, padding=1), nn.Conv2d(48, 16, 3, padding=1)])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = [F.leaky_relu(self.convs[0](x), 0.2)]
        for conv in self.convs[1:]:
            outs.append(F.leaky_relu(conv(torch.cat(outs, dim=1) if len(outs) > 1 else outs[0]), 0.2))
        return outs


class SDNet(nn.Module):
    """SDNet's fusion path; ``forward(a, b)`` maps two (N, 1, H, W) images in [−1, 1] to the fused image
    (N, 1, H, W) in (−1, 1). ``a`` takes the authors' first input (infrared, functional, under-exposed,
    near-focused), ``b`` the second.

    Examples
    --------
    >>> net = SDNet().eval()
    >>> a, b = torch.rand(2, 1, 1, 10, 12) * 2 - 1
    >>> y = net(a, b)
    >>> y.shape, bool(y.abs().max() < 1)
    (torch.Size([1, 1, 10, 12]), True)
    """

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = _Branch(), _Branch()
        self.squeeze = nn.Conv2d(128, 1, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        fa, fb = self.a(a), self.b(b)
        return torch.tanh(pointwise_conv_of_concat([t for pair in zip(fa, fb) for t in pair], self.squeeze))


def sdnet_network(task: str = "ivif", weights: str | None = None) -> SDNet:
    """The fusion path with the authors' weights for ``task``, in evaluation mode.

    Parameters
    ----------
    task : {"ivif", "mif", "mef", "mff"}
    weights : path, optional
        The user's own copy of that checkpoint's ``.data-00000-of-00001`` file (SHA-256 checked).

    Returns
    -------
    SDNet

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = sdnet_network() if locate("sdnet-ivif") else SDNet().eval()
    >>> net.training
    False
    """
    tf = load_published(CHECKPOINTS[task][0], weights)
    state = {"squeeze.weight": tf["fusion_model/layer5_fuse/w5_fuse"], "squeeze.bias": tf["fusion_model/layer5_fuse/b5_fuse"]}
    for ours, theirs in (("a", "ir"), ("b", "vi")):
        for k in range(4):
            state[f"{ours}.convs.{k}.weight"] = tf[f"fusion_model/layer{k + 1}_{theirs}/w{k + 1}_{theirs}"]
            state[f"{ours}.convs.{k}.bias"] = tf[f"fusion_model/layer{k + 1}_{theirs}/b{k + 1}_{theirs}"]
    return load_state(SDNet(), state, CHECKPOINTS[task][0]).eval()


def sdnet_fuse(images: Sequence[np.ndarray], *, task: str = "ivif", stretch: bool = True, weights: str | None = None,
               tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Fuse two grey images as the authors' ``test.py`` does.

    The first source goes in the authors' first slot (their ``Test_ir``, ``Test_Function``, ``Test_under``,
    ``Test_near`` folders), the second in the other. Grey levels 0–255 are mapped to [−1, 1] (``(x −
    127.5) / 127.5``); the output comes back the same way and the authors save it with
    ``scipy.misc.imsave``, which stretches it to the full 0–255 range (minimum to 0, maximum to 255,
    rounded) — ``stretch=True``, the default.

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
        Grey sources (the luminance of colour ones, see :func:`imagefusion.fuse`).
    task : {"ivif", "mif", "mef", "mff"}, default "ivif"
        Which of the four trained models.
    stretch : bool, default True
        The authors' save step; ``False`` keeps the network's output, clipped to [0, 1].
    weights : path, optional
        A local copy of the task's checkpoint data file.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 5-pixel reach).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively (``benchmarks/measure/sdnet_reference.py``
        measures its distance from float32); ``float32`` gives the authors' output.

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        Not two sources, or an unknown task.
    WeightsError
        See :func:`sdnet_network`.

    References
    ----------
    Zhang & Ma, IJCV 129, 2021; the authors' ``<task>/test.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = sdnet_fuse([ir, vi]) if locate("sdnet-ivif") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...errors import ParameterError
    from ...nn.inference import bytescale, tiled_network

    if len(images) != 2:
        raise ParameterError(f"sdnet fuses two sources, got {len(images)}")
    if task not in CHECKPOINTS:
        raise ParameterError(f"task must be one of {', '.join(CHECKPOINTS)}, got {task!r}")
    out = tiled_network(sdnet_network(task, weights), images, scale=(2.0, -1.0), halo=16, tile=tile, precision=precision)
    y = out.astype(np.float64) * 127.5 + 127.5
    if stretch:  # the authors' scipy.misc.imsave
        y = bytescale(y)
    return np.clip(y / 255.0, 0.0, 1.0).astype(np.float32)
