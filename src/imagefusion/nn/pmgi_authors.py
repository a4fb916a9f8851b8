"""PMGI as its authors' test code runs it (``HaoZhang1018/PMGI_AAAI2020``, ``Code_PMGI/<task>/test_one_image.py``),
for their four TensorFlow 1 checkpoints: ``pmgi -p weights=authors``.

The network: a path for each source, fed ``[A, A, B]`` and ``[B, B, A]`` (grey levels mapped to [−1, 1]);
per path a 5×5 convolution to 16 channels, a 3×3 one, a 1×1 "pathwise transfer" convolution of both paths'
second maps, a 3×3 convolution of the path's maps so far, a second transfer, a fourth 3×3 convolution; each
followed by batch normalisation and leaky ReLU (``max(x, 0.2 x)``); the eight 16-channel maps interleaved and
reduced by a 1×1 convolution and ``tanh``. Zero ("SAME") padding.

Their test code calls ``tf.contrib.layers.batch_norm`` in its default training mode and never restores the
batch norms' variables: every batch norm normalises each channel by the statistics of the image being fused
(mean and biased variance over its pixels, ε = 1e-5), with scale 1 and offset 0 — the trained scales and
offsets in the checkpoints are unused. So the whole image goes through at once (statistics of a tile would
differ). The output is mapped back to 0–255 and saved with ``scipy.misc.imsave``, which stretches it to the
full range.

The weights are MIT-licensed; they are fetched at first use or read from ``$IMAGEFUSION_WEIGHTS_DIR`` and
converted once with TensorFlow's reader (``pip install 'imagefusion[convert]'``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .published import load_published, register_tf_checkpoint
from .weights import load_state

__all__ = ["PMGIAuthors", "pmgi_authors_network", "pmgi_authors_fuse", "CHECKPOINTS"]

_CITATION = ("Zhang, Xu, Xiao, Guo & Ma, 'Rethinking the image fusion: a fast unified image fusion network based on "
             "proportional maintenance of gradient and intensity', AAAI 2020, 12797-12804")
#: task → (registry name, checkpoint prefix in the repository, (index sha256, size), (data sha256, size))
CHECKPOINTS = {
    "ivif": ("pmgi-ivif", "Code_PMGI/IR_VI/checkpoint/CGAN_120/CGAN.model-1",
             ("043868b3410d237300f80d1d023192f01bd5fd3d7360c2832ffdeb90c01939ea", 2644),
             ("005d29cd3fdbf3805369a8372ce3fb15190905db6aed7dee661880776b8cfccf", 169604)),
    "mif": ("pmgi-mif", "Code_PMGI/Medical/checkpoint/CGAN_120/CGAN.model-29",
            ("26ee2784ffc0f1caea86b8705dd05380dae61f77f339839db2251a8380334d2c", 2644),
            ("3e95eefac0b8b6e3aca4b91d1f79c76c1bc40ccff717d58e77e2107c5d698816", 169604)),
    "mef": ("pmgi-mef", "Code_PMGI/Multi-exp/checkpoint/CGAN_120/CGAN.model-9",
            ("ed373d296376e9b907d2a80c4bdd206946cf9c00b27e8ddb1e8109d16cfd002e", 2644),
            ("f4593b9ebb63b832cb067512689504a8a0afbba3319f8926748f6ddba7cfd4f7", 169604)),
    "mff": ("pmgi-mff", "Code_PMGI/Multi-focus/checkpoint/CGAN_60/CGAN.model-1",
            ("8a4d10df2e327028124024a3ff47571354108b71db8aff6c19db3b17711bb209", 2644),
            ("25ca20b23bede382dd161532049380105ce1532b2d22f3276f142003e5b16d99", 169604)),
}
for _name, _prefix, _index, _data in CHECKPOINTS.values():
    register_tf_checkpoint(_name, network="pmgi", prefix=f"pmgi/{_prefix}", index=_index, data=_data,
                           repo="HaoZhang1018/PMGI_AAAI2020", commit="61a85e49a306f5e9cdb05479696ad7c66253f83d",
                           licence="MIT License", citation=_CITATION)

#: Our layer names → the authors' (their A path; the B path adds ``_vi``).
_LAYERS = {"conv1": ("layer1", 1), "conv2": ("layer2", 2), "transfer2": ("layer2_3", "2_3"), "conv3": ("layer3", 3),
           "transfer3": ("layer3_4", "3_4"), "conv4": ("layer4", 4)}


class _Path(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.transfer2 = nn.Conv2d(32, 16, 1)
        self.conv3 = nn.Conv2d(48, 16, 3, padding=1)
        self.transfer3 = nn.Conv2d(32, 16, 1)
        self.conv4 = nn.Conv2d(64, 16, 3, padding=1)


def _block(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """Convolution, batch norm with the image's own statistics (scale 1, offset 0), leaky ReLU 0.2."""
    return F.leaky_relu(F.instance_norm(conv(x), eps=1e-5), 0.2)


class PMGIAuthors(nn.Module):
    """The authors' PMGI test network; ``forward(a, b)`` maps sources (1, 1, H, W) in [−1, 1] to the fused
    image (1, 1, H, W) in (−1, 1). One image at a time: its batch norms use the image's statistics.

    Examples
    --------
    >>> net = PMGIAuthors().eval()
    >>> a, b = torch.rand(2, 1, 1, 10, 12) * 2 - 1
    >>> net(a, b).shape
    torch.Size([1, 1, 10, 12])
    """

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = _Path(), _Path()
        self.out = nn.Conv2d(128, 1, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        pa, pb = self.a, self.b
        a1, b1 = _block(pa.conv1, torch.cat([a, a, b], 1)), _block(pb.conv1, torch.cat([b, b, a], 1))
        a2, b2 = _block(pa.conv2, a1), _block(pb.conv2, b1)
        mid = torch.cat([a2, b2], 1)
        a23, b23 = _block(pa.transfer2, mid), _block(pb.transfer2, mid)
        a3, b3 = _block(pa.conv3, torch.cat([a1, a2, a23], 1)), _block(pb.conv3, torch.cat([b1, b2, b23], 1))
        mid = torch.cat([a3, b3], 1)
        a34, b34 = _block(pa.transfer3, mid), _block(pb.transfer3, mid)
        a4, b4 = _block(pa.conv4, torch.cat([a1, a2, a3, a34], 1)), _block(pb.conv4, torch.cat([b1, b2, b3, b34], 1))
        return torch.tanh(self.out(torch.cat([a1, b1, a2, b2, a3, b3, a4, b4], 1)))


def pmgi_authors_network(task: str = "ivif", weights: str | None = None) -> PMGIAuthors:
    """The network with the authors' checkpoint for ``task`` (their batch norms' variables left out, as
    their test code leaves them).

    Parameters
    ----------
    task : {"ivif", "mif", "mef", "mff"}
    weights : path, optional
        The user's own copy of that checkpoint's ``.data-00000-of-00001`` file (SHA-256 checked).

    Returns
    -------
    PMGIAuthors

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = pmgi_authors_network() if locate("pmgi-ivif") else PMGIAuthors().eval()
    >>> net.training
    False
    """
    tf = load_published(CHECKPOINTS[task][0], weights)
    state = {"out.weight": tf["fusion_model/layer5/w5"], "out.bias": tf["fusion_model/layer5/b5"]}
    for ours, suffix in (("a", ""), ("b", "_vi")):
        for layer, (scope, k) in _LAYERS.items():
            state[f"{ours}.{layer}.weight"] = tf[f"fusion_model/{scope}{suffix}/w{k}{suffix}"]
            state[f"{ours}.{layer}.bias"] = tf[f"fusion_model/{scope}{suffix}/b{k}{suffix}"]
    return load_state(PMGIAuthors(), state, CHECKPOINTS[task][0]).eval()


def pmgi_authors_fuse(images: Sequence[np.ndarray], *, task: str = "ivif", stretch: bool = True,
                      weights: str | None = None) -> np.ndarray:
    """Fuse two grey images as the authors' ``test_one_image.py`` does.

    The first source goes in their first slot (``Test_ir``), the second in the other. Grey levels are mapped
    to [−1, 1]; the output is mapped back and, as their ``scipy.misc.imsave`` does, stretched to the full
    0–255 range and rounded (``stretch=True``).

    Parameters
    ----------
    images : sequence of two ndarray, float32 (H, W), values in [0, 1]
    task : {"ivif", "mif", "mef", "mff"}, default "ivif"
    stretch : bool, default True
        The authors' save step; ``False`` clips the network's output to [0, 1].
    weights : path, optional
        A local copy of the task's checkpoint data file.

    Returns
    -------
    ndarray, float32 (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        An unknown task.
    WeightsError
        See :func:`pmgi_authors_network`.

    References
    ----------
    Zhang et al., AAAI 2020; the authors' ``Code_PMGI/<task>/test_one_image.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = pmgi_authors_fuse([ir, vi]) if locate("pmgi-ivif") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ..errors import ParameterError
    from .inference import cpu_threads

    if task not in CHECKPOINTS:
        raise ParameterError(f"task must be one of {', '.join(CHECKPOINTS)}, got {task!r}")
    net = pmgi_authors_network(task, weights)
    a, b = (torch.from_numpy(np.ascontiguousarray(im, np.float32))[None, None] * 2 - 1 for im in images)
    with torch.inference_mode(), cpu_threads(None):
        y = net(a, b)[0, 0].double().numpy() * 127.5 + 127.5
    if stretch:  # scipy.misc.imsave -> bytescale(cmin=min, cmax=max), then +0.5 and truncate
        lo, hi = float(y.min()), float(y.max())
        y = np.floor((y - lo) * (255.0 / (hi - lo if hi > lo else 1.0)) + 0.5)
    return np.clip(y / 255.0, 0.0, 1.0).astype(np.float32)
