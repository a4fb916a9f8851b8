"""PMGI as its authors' test code runs it (``HaoZhang1018/PMGI_AAAI2020``, ``Code_PMGI/<task>/test_one_image.py``),
for their four TensorFlow 1 checkpoints: ``pmgi -p weights=authors``.

The network is the project's :class:`~imagefusion.nn.gan.PathwiseTransferGenerator` (the authors' layers, in
the same order): a path for each source, fed ``[A, A, B]`` and ``[B, B, A]`` (grey levels mapped to [−1, 1]),
its convolutions followed by batch normalisation and leaky ReLU, the eight maps reduced by a 1×1 convolution
and ``tanh``; :func:`~imagefusion.nn.gan.pathwise_from_authors` reads their variables.

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

from ...nn.gan import PathwiseTransferGenerator, pathwise_from_authors
from ...nn.published import load_published, register_tf_checkpoint

__all__ = ["pmgi_authors_network", "pmgi_authors_fuse", "CHECKPOINTS"]

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

def pmgi_authors_network(task: str = "ivif", weights: str | None = None) -> PathwiseTransferGenerator:
    """PMGI's generator (:class:`~imagefusion.nn.gan.PathwiseTransferGenerator`, three channels per path) with
    the authors' checkpoint for ``task``, its batch norms normalising by the image's own statistics with
    scale 1 and offset 0, as their test code runs them.

    ``forward([A, A, B], [B, B, A])`` in [−1, 1], one image at a time.

    Parameters
    ----------
    task : {"ivif", "mif", "mef", "mff"}
    weights : path, optional
        The user's own copy of that checkpoint's ``.data-00000-of-00001`` file (SHA-256 checked).

    Returns
    -------
    PathwiseTransferGenerator

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded, is not the authors', or needs TensorFlow to convert.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = pmgi_authors_network() if locate("pmgi-ivif") else PathwiseTransferGenerator(3, batch_norm=True).eval()
    >>> net.training
    False
    """
    name = CHECKPOINTS[task][0]
    return pathwise_from_authors(load_published(name, weights), 3, "_vi", per_image_norm=True, source=name)


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
    from ...errors import ParameterError
    from ...nn.inference import bytescale, cpu_threads

    if task not in CHECKPOINTS:
        raise ParameterError(f"task must be one of {', '.join(CHECKPOINTS)}, got {task!r}")
    net = pmgi_authors_network(task, weights)
    a, b = (torch.from_numpy(np.ascontiguousarray(im, np.float32))[None, None] * 2 - 1 for im in images)
    with torch.inference_mode(), cpu_threads(None):
        y = net(torch.cat([a, a, b], 1), torch.cat([b, b, a], 1))[0, 0].double().numpy() * 127.5 + 127.5
    if stretch:  # the authors' scipy.misc.imsave
        y = bytescale(y)
    return np.clip(y / 255.0, 0.0, 1.0).astype(np.float32)
