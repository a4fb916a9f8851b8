"""Siamese-CNN multi-focus fusion: a focus weight map from a patch network, then pyramid blending
or a refined decision map.

* ``siamese-cnn``: Yang, Zheng & Dai, "Image fusion based on Siamese convolutional neural network",
  Computer Systems & Applications 29(5), 2020 — the residual Siamese network
  (:class:`~imagefusion.models.siamese.network.SiameseResidualCNN`) and pyramid blending.
* ``cnn-liu2017``: Liu, Chen, Peng & Wang, "Multi-focus image fusion with a deep convolutional
  neural network", Information Fusion 36, 2017 — the original network
  (:class:`~imagefusion.models.siamese.network.LiuCNN`) and its decision-map path.

Both run the same pipeline (:func:`focus_map`, then :func:`pyramid_blending` or
:func:`decision_map_fusion`); ``rule`` picks the fusion step, so either network can be combined with
either rule. Colour sources: the weight map (pyramid) or the refined decision map (decision) also
fuses Cb and Cr, as Liu et al. apply the decision map to every colour channel
(:func:`imagefusion.color.fuse_chroma`). torch is imported only when one of these methods runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...color import weighted_rule
from ...errors import ParameterError
from ...methods.filtering import guided_filter
from ...methods.pyramid import lp_similarity
from ...registry import DEEP_RANGES, register_method

__all__ = ["focus_map", "pyramid_blending", "decision_map", "refined_decision_map", "decision_map_fusion", "siamese_cnn", "cnn_liu2017"]


def focus_map(
    a: np.ndarray,
    b: np.ndarray,
    network: str = "siamese-cnn",
    *,
    weights: str | os.PathLike | None = None,
    device: str | None = None,
    precision: str = "auto",
    tile: int = 1024,
) -> np.ndarray:
    """Weight map W of source ``a``: the network's "``a`` is in focus" probability per 16×16 patch,
    averaged over the overlapping patches at each pixel (Liu et al. 2017, Section 3.3).

    Parameters
    ----------
    a, b : ndarray, float32, shape (H, W), values in [0, 1]
        Grey (luminance) sources, any size.
    network : {"siamese-cnn", "cnn-liu2017"}
    weights : path, optional
        A safetensors file from ``imagefusion train``; default the shipped weights.
    device, precision, tile
        See :func:`imagefusion.nn.inference.dense_score_map`.

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    WeightsError
        Unreadable or mismatched weights.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> sharp = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> blurred = cv2.GaussianBlur(sharp, (0, 0), 2)
    >>> a = np.hstack([sharp[:, :32], blurred[:, 32:]]); b = np.hstack([blurred[:, :32], sharp[:, 32:]])
    >>> w = focus_map(a, b)
    >>> bool(w[:, :24].mean() > 0.5 > w[:, 40:].mean())  # a is in focus on the left
    True
    """
    from ...nn.inference import cpu_threads, dense_score_map, patch_average
    from ...nn.weights import inference_network

    model = inference_network(network, weights, device, precision)
    with cpu_threads():
        scores = dense_score_map(model, a, b, device=device, precision=precision, tile=tile)
    return patch_average(scores, a.shape, model.patch_size, model.stride)


def pyramid_blending(a: np.ndarray, b: np.ndarray, weight: np.ndarray, *, threshold: float = 0.6,
                     levels: int | None = None) -> np.ndarray:
    """Yang et al. 2020's pyramid blending of a weight map: Gaussian pyramid of W, Laplacian
    pyramids of the sources, and at each pixel of each level the local-energy / match-measure rule
    (:func:`imagefusion.methods.pyramid.similarity_rule`: weighted average where
    ``S = 2ΣL_A L_B/(E_A+E_B) ≥ t``, else the coefficient with the larger 3×3 energy).

    Parameters
    ----------
    a, b : ndarray, float32, shape (H, W), values in [0, 1]
    weight : ndarray, float32, shape (H, W), values in [0, 1]
        Weight of ``a`` (``b`` gets ``1 − W``).
    threshold : float, default 0.6
    levels : int or None
        Detail levels; None decomposes until the coarsest level is about 8 pixels.

    Returns
    -------
    ndarray, float32, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.random.default_rng(0).random((2, 32, 32)).astype(np.float32)
    >>> out = pyramid_blending(a, a, np.full((32, 32), 0.3, np.float32))
    >>> float(np.abs(out - a).max()) < 1e-5  # a source blended with itself is itself
    True
    """
    return lp_similarity([a, b], weight_map=weight, threshold=threshold, levels=levels)


def decision_map(weight: np.ndarray, *, min_region: float = 0.01) -> np.ndarray:
    """Liu et al. 2017's initial decision map (Section 3.3, steps 2–3): ``W > 0.5``, then regions
    (of either value) smaller than ``min_region`` of the image area are flipped.

    Parameters
    ----------
    weight : ndarray, float, shape (H, W), values in [0, 1]
    min_region : float, default 0.01
        Area threshold as a fraction of H·W.

    Returns
    -------
    ndarray, bool, shape (H, W): True where source ``a`` is chosen.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.zeros((32, 32)); w[:, :16] = 0.9; w[5, 25] = 0.9  # a one-pixel island
    >>> d = decision_map(w)
    >>> bool(d[:, :16].all()), bool(d[5, 25])  # the island is below 1 % of the area: flipped
    (True, False)
    """
    from skimage.morphology import remove_small_holes, remove_small_objects  # imported here: 0.1 s

    d = weight > 0.5
    area = max(1, int(round(min_region * d.size)))
    if _skimage_has_max_size():
        return remove_small_holes(remove_small_objects(d, max_size=area - 1), max_size=area - 1)
    return remove_small_holes(remove_small_objects(d, min_size=area), area_threshold=area)


@functools.lru_cache(maxsize=1)
def _skimage_has_max_size() -> bool:
    """Whether scikit-image names the size bound ``max_size`` (0.26+) rather than ``min_size``."""
    import inspect

    from skimage.morphology import remove_small_objects

    return "max_size" in inspect.signature(remove_small_objects).parameters


def refined_decision_map(a: np.ndarray, b: np.ndarray, weight: np.ndarray, *, min_region: float = 0.01,
                         radius: int = 8, eps: float = 0.1) -> np.ndarray:
    """Liu et al. 2017's final decision map (Section 3.3, steps 2–4): :func:`decision_map`, refined
    by a guided filter (r = 8, ε = 0.1) with the initial fused image ``D·A + (1 − D)·B`` as guide.

    Parameters
    ----------
    a, b : ndarray, float32, shape (H, W), values in [0, 1]
    weight : ndarray, float32, shape (H, W), values in [0, 1]
    min_region, radius, eps : float, int, float

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]: the weight of ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.random.default_rng(0).random((2, 32, 32)).astype(np.float32)
    >>> w = np.zeros((32, 32), np.float32); w[:, :16] = 1.0
    >>> m = refined_decision_map(a, b, w)
    >>> m.shape, round(float(m[:, :12].mean()), 2), round(float(m[:, 20:].mean()), 2)
    ((32, 32), 0.9, 0.1)
    """
    d = decision_map(weight, min_region=min_region).astype(np.float32)
    initial = d * a + (1 - d) * b
    return np.clip(guided_filter(initial, d, radius, eps), 0.0, 1.0)


def decision_map_fusion(a: np.ndarray, b: np.ndarray, weight: np.ndarray, *, min_region: float = 0.01,
                        radius: int = 8, eps: float = 0.1) -> np.ndarray:
    """Liu et al. 2017's fusion step (Section 3.3, step 4): the pixel-wise weighted average
    ``F = D·A + (1 − D)·B`` with the :func:`refined_decision_map` D.

    Parameters
    ----------
    a, b : ndarray, float32, shape (H, W), values in [0, 1]
    weight : ndarray, float32, shape (H, W), values in [0, 1]
    min_region, radius, eps : float, int, float

    Returns
    -------
    ndarray, float32, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.random.default_rng(0).random((2, 32, 32)).astype(np.float32)
    >>> w = np.zeros((32, 32), np.float32); w[:, :16] = 1.0
    >>> out = decision_map_fusion(a, b, w)
    >>> round(float(np.abs(out[:, :8] - a[:, :8]).mean()), 2), round(float(np.abs(out[:, 24:] - b[:, 24:]).mean()), 2)
    (0.02, 0.02)
    """
    refined = refined_decision_map(a, b, weight, min_region=min_region, radius=radius, eps=eps)
    return (refined * a + (1 - refined) * b).astype(np.float32)


def _fuse(network: str, images: Sequence[np.ndarray], rule: str, threshold: float, levels: int | None,
          min_region: float, weights: Any, device: str | None, precision: str, tile: int,
          channel_rule: bool) -> Any:
    if rule not in ("pyramid", "decision"):
        raise ParameterError(f"rule must be 'pyramid' or 'decision', got {rule!r}")
    fused = np.asarray(images[0], np.float32)
    steps = []  # the weight of the running result at each step, for the chroma
    # more than two sources: fuse one after another (Liu et al. 2017, Section 4.5)
    for nxt in images[1:]:
        b = np.asarray(nxt, np.float32)
        w = focus_map(fused, b, network, weights=weights or None, device=device, precision=precision, tile=tile)
        if rule == "decision":
            w = refined_decision_map(fused, b, w, min_region=min_region)
        steps.append(weighted_rule(np.stack([w, 1 - w])))
        if rule == "pyramid":
            fused = pyramid_blending(fused, b, w, threshold=threshold, levels=levels)
        else:
            fused = steps[-1]([fused, b])
    if not channel_rule:
        return fused

    def chain(planes: Sequence[np.ndarray]) -> np.ndarray:
        acc = planes[0]
        for step, plane in zip(steps, planes[1:]):
            acc = step([acc, plane])
        return acc

    return fused, chain


_DOC_PARAMS = """
    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        Two or more luminance images of any size (more than two are fused one after another).
    rule : {{"pyramid", "decision"}}, default {rule!r}
        ``"pyramid"``: :func:`pyramid_blending` of the weight map (Yang et al. 2020);
        ``"decision"``: :func:`decision_map_fusion` (Liu et al. 2017).
    threshold : float, default 0.6
        Match-measure threshold t of the pyramid rule.
    levels : int or None
        Pyramid levels (None: until about 8 pixels).
    min_region : float, default 0.01
        Small-region removal of the decision rule, as a fraction of the image area.
    weights : str, default "" (the shipped weights)
        A safetensors file of one's own (``imagefusion fuse --weights``).
    device : str or None
        None/"cpu" (default), "cuda", "auto".
    precision : {{"auto", "float32", "bfloat16"}}
        "auto" uses bfloat16 where the CPU computes it natively.
    tile : int, default 1024
        Tile side for bounded memory on large images.

    channel_rule : bool, default False
        Also return the rule that fuses further channels (the chroma) with the same maps:
        the focus weight map W for ``"pyramid"`` (the pyramid's weighted-average branch), the refined
        decision map for ``"decision"``; see :func:`imagefusion.color.fuse_chroma`.

    Returns
    -------
    ndarray, float32, shape (H, W)
        With ``channel_rule``: ``(fused, rule)``.

    Raises
    ------
    WeightsError
        Missing, unreadable or mismatched weights.
    ParameterError
        An unknown rule.
"""


@register_method(
    "siamese-cnn",
    tasks=("mff", "mif", "ivif"),
    family="deep",
    reference="Yang, Zheng & Dai, 'Image fusion based on Siamese convolutional neural network', "
              "Computer Systems & Applications 29(5), 2020",
    networks=("siamese-cnn",),
    channel_rule=True,
    ranges={"rule": ("pyramid", "decision"), "threshold": (-1.0, 1.0), "levels": (1, 12), "min_region": (0.0, 1.0), **DEEP_RANGES},
)
def siamese_cnn(images: Sequence[np.ndarray], *, rule: str = "pyramid", threshold: float = 0.6,
                levels: int | None = None, min_region: float = 0.01, weights: str = "",
                device: str | None = None, precision: str = "auto", tile: int = 1024,
                channel_rule: bool = False) -> Any:
    """Residual Siamese CNN focus map with pyramid blending (Yang, Zheng & Dai 2020).

    Also listed for infrared–visible fusion: the focus network's weight map with the pyramid
    similarity rule is how Liu, Chen, Cheng, Peng & Wang apply a focus CNN to infrared and visible
    images ("Infrared and visible image fusion with convolutional neural networks", IJWMIP 16(3),
    2018); measured on TNO and RoadScene beside the official networks in the docs' benchmarks.

    References
    ----------
    Yang, Zheng & Dai, 'Image fusion based on Siamese convolutional neural network', Computer
    Systems & Applications 29(5), 2020.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> sharp = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> blurred = cv2.GaussianBlur(sharp, (0, 0), 2)
    >>> a = np.hstack([sharp[:, :32], blurred[:, 32:]]); b = np.hstack([blurred[:, :32], sharp[:, 32:]])
    >>> out = siamese_cnn([a, b])
    >>> bool(np.abs(out - sharp)[:, 4:28].mean() < np.abs(blurred - sharp)[:, 4:28].mean())
    True
    """
    return _fuse("siamese-cnn", images, rule, threshold, levels, min_region, weights, device, precision, tile,
                 channel_rule)


@register_method(
    "cnn-liu2017",
    tasks=("mff", "mif"),
    family="deep",
    reference="Liu, Chen, Peng & Wang, 'Multi-focus image fusion with a deep convolutional neural network', "
              "Information Fusion 36, 2017",
    networks=("cnn-liu2017",),
    channel_rule=True,
    ranges={"rule": ("pyramid", "decision"), "threshold": (-1.0, 1.0), "levels": (1, 12), "min_region": (0.0, 1.0), **DEEP_RANGES},
)
def cnn_liu2017(images: Sequence[np.ndarray], *, rule: str = "decision", threshold: float = 0.6,
                levels: int | None = None, min_region: float = 0.01, weights: str = "",
                device: str | None = None, precision: str = "auto", tile: int = 1024,
                channel_rule: bool = False) -> Any:
    """Liu et al. 2017's CNN focus map with the refined decision map.

    References
    ----------
    Liu, Chen, Peng & Wang, 'Multi-focus image fusion with a deep convolutional neural network',
    Information Fusion 36, 2017.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> sharp = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    >>> blurred = cv2.GaussianBlur(sharp, (0, 0), 2)
    >>> a = np.hstack([sharp[:, :32], blurred[:, 32:]]); b = np.hstack([blurred[:, :32], sharp[:, 32:]])
    >>> out = cnn_liu2017([a, b])
    >>> bool(np.abs(out - sharp)[:, 4:28].mean() < np.abs(blurred - sharp)[:, 4:28].mean())
    True
    """
    return _fuse("cnn-liu2017", images, rule, threshold, levels, min_region, weights, device, precision, tile,
                 channel_rule)


siamese_cnn.__doc__ = (siamese_cnn.__doc__ or "") + _DOC_PARAMS.format(rule="pyramid")
cnn_liu2017.__doc__ = (cnn_liu2017.__doc__ or "") + _DOC_PARAMS.format(rule="decision")
