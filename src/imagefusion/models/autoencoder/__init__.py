"""Autoencoder fusion: encode every source, fuse the feature maps with a fusion rule, decode.

* ``densefuse``: Li & Wu, "DenseFuse: a fusion approach to infrared and visible images", IEEE TIP
  28(5), 2019 (:class:`~imagefusion.models.autoencoder.network.DenseFuseNet`), with the element-wise maximum of
  the feature maps (default), their mean (the authors' PyTorch test code), the paper's addition rule
  (Section III-C-1, eq. 4) or its l1-norm rule (Section III-C-2, eqs. 5–7).
* ``cam-fusion``: Wan, Qin & Zeng, "Method for infrared and visible image fusion based on class
  activation mapping", Journal of North University of China 46(5), 2025: the CAM autoencoder
  (:class:`~imagefusion.models.autoencoder.network.CamAutoencoder`) whose features are weighted channel by
  channel with ``Ŵ_c = 0.5·tanh(W_c) + 0.5`` from the infrared/visible classifier
  (:class:`~imagefusion.models.autoencoder.network.FWANet`), ``φ_f = Σ_c Ŵ_c ⊗ φ_c`` (IVF-Net).
  :func:`cam_explanation` gives the class activation maps and channel weights behind a result
(:func:`imagefusion.explain.write_cam_explanation` draws them).

torch is imported only when one of these methods runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ParameterError
from ...registry import DEEP_RANGES, register_method

__all__ = ["l1_norm_weights", "weighted_sum", "densefuse", "cam_channel_weights", "cam_fusion", "cam_explanation"]

#: DenseFuse's fusion rules on the encoder features (see :func:`densefuse`).
DENSEFUSE_RULES = ("max", "mean", "add", "l1")

#: Network weights each cam-fusion variant uses: (autoencoder, classifier or None).
CAM_VARIANTS = {"peak": ("cam-ae", "cam-fwa"), "paper": ("cam-ae", "cam-fwa"), "cam": ("cam-ae", "cam-fwa"),
                "no-ldf": ("cam-ae", "cam-fwa.no-ldf"), "l1": ("cam-ae", None)}


def l1_norm_weights(features: Sequence[Any], radius: int = 1, *, nonnegative: bool = False) -> list[Any]:
    """DenseFuse's l1-norm fusion weights (Li & Wu 2019, eqs. 5–7).

    Activity ``C_i(x, y) = ‖φ_i(x, y)‖_1`` over the channels, block-averaged over a
    ``(2r + 1) × (2r + 1)`` window (``Ĉ_i``), then ``w_i = Ĉ_i / Σ_j Ĉ_j`` (the paper's "soft-max";
    equal weights where all activities are zero).

    Parameters
    ----------
    features : sequence of torch.Tensor, shape (N, C, h, w)
        Encoder features of each source.
    radius : int, default 1
        r of the block average (the paper's r = 1).
    nonnegative : bool, default False
        The features are known to be ≥ 0 (ReLU outputs, as from the DenseFuse and CAM encoders):
        the l1 norm is then the channel sum, and the pass that takes absolute values is skipped.

    Returns
    -------
    list of torch.Tensor, float32, shape (N, 1, h, w), values in [0, 1], summing to 1 over the sources.

    Examples
    --------
    >>> import torch
    >>> strong, weak = torch.full((1, 4, 8, 8), 3.0), torch.full((1, 4, 8, 8), 1.0)
    >>> w = l1_norm_weights([strong, weak])
    >>> round(float(w[0][0, 0, 4, 4]), 4), round(float(w[1][0, 0, 4, 4]), 4)  # activity 12 vs 4
    (0.75, 0.25)
    """
    from torch.nn import functional as F

    k = 2 * radius + 1
    acts = [F.avg_pool2d(_channel_sum(f if nonnegative else f.abs()), k, stride=1, padding=radius,
                         count_include_pad=False) for f in features]
    eps = 1e-12
    total = sum(acts) + eps * len(acts)
    return [(a + eps) / total for a in acts]


def _channel_sum(x: Any) -> Any:
    """Σ over the channels of (N, C, h, w) → (N, 1, h, w) float32, as a 1×1 convolution with ones:
    on a bfloat16 channels-last feature map on the CPU that is about 8× faster than ``Tensor.sum``
    over dim 1 (oneDNN; accumulated in float32, the bfloat16 result rounded to 3 significant
    digits, the features' own precision)."""
    from torch.nn import functional as F

    return F.conv2d(x, x.new_ones(1, x.shape[1], 1, 1)).float()


def weighted_sum(features: Sequence[Any], weights: Sequence[Any]) -> Any:
    """``Σ_i w_i φ_i`` with weight maps that sum to 1; for two sources ``torch.lerp(φ_2, φ_1, w_1)``,
    one pass over the feature maps instead of three.

    Parameters
    ----------
    features : sequence of torch.Tensor, shape (N, C, h, w)
    weights : sequence of torch.Tensor, shape (N, 1, h, w), summing to 1 over the sources

    Returns
    -------
    torch.Tensor, shape (N, C, h, w), the dtype of the features

    Examples
    --------
    >>> import torch
    >>> a, b = torch.ones(1, 2, 4, 4), torch.zeros(1, 2, 4, 4)
    >>> w = torch.full((1, 1, 4, 4), 0.25)
    >>> float(weighted_sum([a, b], [w, 1 - w])[0, 0, 0, 0])
    0.25
    """
    import torch

    if len(features) == 2:
        a, b = features
        return torch.lerp(b, a, weights[0].to(a.dtype))
    return sum(w.to(f.dtype) * f for w, f in zip(weights, features))


@register_method(
    "densefuse",
    tasks=("ivif", "mif", "mef", "mff"),
    family="deep",
    reference="Li & Wu, 'DenseFuse: a fusion approach to infrared and visible images', IEEE TIP 28(5), 2019",
    networks=("densefuse",),
    published=("densefuse-gray",),
    ranges={"rule": DENSEFUSE_RULES, "radius": (0, 16), **DEEP_RANGES},
)
def densefuse(images: Sequence[np.ndarray], *, rule: str = "max", radius: int = 1, weights: str = "",
              device: str | None = None, precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """DenseFuse: dense-block encoder, a fusion rule on the feature maps, decoder (Li & Wu 2019).

    The decoder is trained to reconstruct one image from its own features. A ReLU network with small
    biases is close to positively homogeneous, ``D(2φ) ≈ 2·D(φ)``, so the paper's addition rule
    (features of two sources summed) decodes to about twice the brightness and whites out; the
    authors' PyTorch test code fuses the *mean* of the features instead. The default here, the
    element-wise maximum (as IFCNN fuses its features), keeps the feature scale of one image and the
    stronger response of either source; measured on TNO and RoadScene beside the official outputs
    in the docs' benchmark.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        Two or more luminance sources of any size.
    rule : {"max", "mean", "add", "l1"}, default "max"
        ``"max"``: ``φ_f = max_i φ_i`` element by element; ``"mean"``: ``φ_f = (1/N) Σ_i φ_i`` (the
        authors' ``net.fusion``); ``"add"``: ``φ_f = Σ_i φ_i`` (eq. 4; whites out, kept for
        comparison); ``"l1"``: ``φ_f = Σ_i w_i φ_i`` with :func:`l1_norm_weights` (eqs. 5–8).
    radius : int, default 1
        Block-average radius r of the l1-norm rule.
    weights : str, default "" (the shipped weights)
        A ``densefuse`` safetensors file from ``imagefusion train densefuse``; or ``"authors"``: the
        authors' PyTorch weights (``densefuse_gray.model`` of ``hli1221/densefuse-pytorch``, fetched at
        first use, :mod:`imagefusion.models.autoencoder.authors`) run as their code runs them (grey levels
        0–255, 8-bit truncation; their own test path is ``rule=mean``, their TensorFlow release's
        l1-norm rule is ``rule=l1 radius=0``).
    device : str or None
        None/"cpu" (default), "cuda", "auto".
    precision : {"auto", "float32", "bfloat16"}
        "auto" uses bfloat16 where the CPU computes it natively.
    tile : int, default 1024
        Tile side for bounded memory on large images (the result does not depend on it).

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1] (the decoder's output clipped)

    Raises
    ------
    ParameterError
        An unknown rule.
    WeightsError
        Missing, unreadable or mismatched weights.

    References
    ----------
    Li & Wu, "DenseFuse: a fusion approach to infrared and visible images", IEEE TIP 28(5), 2019.
    Zhang et al., "IFCNN: a general image fusion framework based on convolutional neural network",
    Information Fusion 54, 2020 (element-wise maximum of feature maps).

    Examples
    --------
    >>> import numpy as np
    >>> from imagefusion.models.autoencoder import densefuse
    >>> a = np.zeros((32, 32), np.float32); a[:, :16] = 0.8
    >>> b = np.zeros((32, 32), np.float32); b[16:] = 0.6
    >>> densefuse([a, b]).shape
    (32, 32)
    """
    if rule not in DENSEFUSE_RULES:
        raise ParameterError(f"rule must be one of {', '.join(DENSEFUSE_RULES)}, got {rule!r}")
    import torch

    from ...nn.inference import cpu_threads, tiled_apply
    from ...nn.weights import inference_network

    def fuse_features(feats: list[Any]) -> Any:
        if rule == "max":
            return functools.reduce(torch.maximum, feats)
        if rule in ("add", "mean"):
            fused = functools.reduce(torch.add, feats)  # no 0 + φ_1 copy of a full feature map
            return fused / len(feats) if rule == "mean" else fused
        return weighted_sum(feats, l1_norm_weights(feats, radius, nonnegative=True))

    if weights == "authors":  # their PyTorch release: reflection padding, grey levels 0–255, 8-bit truncation
        from .authors import densefuse_authors_fuse

        return densefuse_authors_fuse(images, fuse_features)
    model = inference_network("densefuse", weights, device, precision)

    def run(parts: list[Any]) -> Any:
        return model.decoder(fuse_features(list(model.encoder(torch.cat(parts)).split(1))))  # sources in one batch

    with cpu_threads():
        out = tiled_apply(run, [np.asarray(im, np.float32) for im in images], stride=1,
                          halo=model.radius + radius + 8, tile=tile, device=device, precision=precision)
    return np.clip(out, 0.0, 1.0)


def cam_channel_weights(variant: str = "paper", classifier: str | os.PathLike | None = None) -> np.ndarray:
    """Channel weights ``Ŵ_ir = 0.5·tanh(W_ir) + 0.5`` of the infrared features (Wan et al. 2025,
    IVF-Net); the visible features get ``Ŵ_vi = 0.5·tanh(−W_ir) + 0.5 = 1 − Ŵ_ir``.

    Parameters
    ----------
    variant : {"paper", "peak", "cam", "no-ldf"}
        Which shipped classifier: trained with L_df (``cam-fwa``; variants ``paper``, ``peak`` and
        ``cam``, the former name of ``paper``) or without (``cam-fwa.no-ldf``).
    classifier : path, optional
        A classifier safetensors file of one's own (overrides ``variant``).

    Returns
    -------
    ndarray, float32, shape (128,), values in (0, 1)

    Raises
    ------
    ParameterError
        A variant without a classifier.

    Examples
    --------
    >>> w = cam_channel_weights("paper")
    >>> w.shape, bool((w > 0).all() and (w < 1).all())
    ((128,), True)
    """
    from ...nn.weights import inference_network

    net = CAM_VARIANTS.get(variant, (None, None))[1]
    if net is None:
        raise ParameterError(f"variant must be one of paper, peak, no-ldf for channel weights, got {variant!r}")
    fwa = inference_network(net, classifier, None, "float32")
    w_ir, _ = fwa.class_weights()
    return (0.5 * np.tanh(w_ir.numpy().astype(np.float64)) + 0.5).astype(np.float32)


def _check_cam(images: Sequence[np.ndarray], variant: str) -> None:
    if variant not in CAM_VARIANTS:
        raise ParameterError(f"variant must be one of {', '.join(CAM_VARIANTS)}, got {variant!r}")
    if len(images) != 2:
        raise ParameterError(f"cam-fusion fuses one infrared and one visible image, got {len(images)} sources")


@register_method(
    "cam-fusion",
    tasks=("ivif",),
    family="deep",
    reference="Wan, Qin & Zeng, 'Method for infrared and visible image fusion based on class activation mapping', "
              "Journal of North University of China 46(5), 2025",
    networks=("cam-ae", "cam-fwa", "cam-fwa.no-ldf"),
    max_sources=2,
    ranges={"variant": tuple(CAM_VARIANTS), **DEEP_RANGES},
)
def cam_fusion(images: Sequence[np.ndarray], *, variant: str = "peak", weights: str = "", classifier: str = "",
               device: str | None = None, precision: str = "auto", tile: int = 1024) -> np.ndarray:
    """Class-activation-map weighted infrared–visible fusion (Wan, Qin & Zeng 2025).

    Parameters
    ----------
    images : (ir, vi), each ndarray, float32, shape (H, W), values in [0, 1]
        The infrared source first, then the visible luminance (the ``ir``/``vi`` order of the
        ``shared/data`` layout); any size.
    variant : {"peak", "paper", "l1", "no-ldf"}, default "peak"
        ``"paper"`` (also ``"cam"``): ``Ŵ_ir ⊗ φ_ir + Ŵ_vi ⊗ φ_vi`` with the channel weights of the
        classifier trained with ``BCE + α·L_df``, as the paper fuses;
        ``"peak"``: the same weights divided channel by channel by the larger of ``Ŵ_ir`` and
        ``Ŵ_vi``, so the source a channel favours keeps its full feature (the weights sum to 1–2),
        and the result shifted to the mean brightness of ``"paper"``. The paper's weights sum to 1
        in every channel, so their fusion is a per-channel convex combination, flat next to either
        source; ``"peak"`` has higher EN, SCD and VIFF than ``"paper"`` and than the official
        DenseFuse and IFCNN outputs on TNO and RoadScene (``benchmarks/studies/cam_variants.py``), and the
        best mean rank of the variants over VIFB's 13 metrics (docs/benchmarks.md); it also
        strengthens the infrared sensor's noise in flat regions;
        ``"no-ldf"``: the paper's weights of the classifier trained with BCE only (its ablation);
        ``"l1"``: DenseFuse's l1-norm rule on the same features instead of channel weights (ablation).
    weights : str, default "" (shipped)
        A ``cam-ae`` safetensors file of one's own.
    classifier : str, default "" (shipped)
        A ``cam-fwa`` safetensors file of one's own.
    device, precision, tile
        See :func:`densefuse`.

    Returns
    -------
    ndarray, float32, shape (H, W), values in [0, 1]

    Raises
    ------
    ParameterError
        An unknown variant, or not exactly two sources.
    WeightsError
        Missing, unreadable or mismatched weights.

    References
    ----------
    Wan, Qin & Zeng, 'Method for infrared and visible image fusion based on class activation
    mapping', Journal of North University of China 46(5), 2025.

    Examples
    --------
    >>> import numpy as np
    >>> ir = np.zeros((64, 64), np.float32); ir[24:40, 24:40] = 0.9  # a warm target
    >>> vi = np.tile(np.linspace(0.2, 0.8, 64, dtype=np.float32), (64, 1))
    >>> out = cam_fusion([ir, vi])
    >>> out.shape, out.dtype, bool(out[32, 32] > out[32, 8])  # the target stands out
    ((64, 64), dtype('float32'), True)
    """
    _check_cam(images, variant)
    import torch

    from ...nn.inference import cpu_threads, tiled_apply
    from ...nn.weights import inference_network

    ae = inference_network("cam-ae", weights, device, precision)
    w_ir = None if variant == "l1" else torch.from_numpy(cam_channel_weights(variant, classifier or None))

    def run(parts: list[Any]) -> Any:
        fi, fv = ae.encoder(2 * torch.cat(parts) - 1).split(1)  # both sources in one batch
        if w_ir is None:
            fused = weighted_sum([fi, fv], l1_norm_weights([fi, fv], 1, nonnegative=True))
        else:
            w = w_ir.to(device=fi.device, dtype=fi.dtype).view(1, -1, 1, 1)
            fused = w * fi + (1 - w) * fv
            if variant == "peak":  # the paper's fusion and the peak one, from one encoder pass, one decoder batch
                top = torch.maximum(w, 1 - w)
                fused = torch.cat([fused, (w / top) * fi + ((1 - w) / top) * fv])
        return ((ae.decoder(fused) + 1) / 2).transpose(0, 1)  # (1, 1 or 2, h, w)

    srcs = [np.asarray(im, np.float32) for im in images]
    with cpu_threads():
        out = tiled_apply(run, srcs, stride=ae.stride, halo=ae.radius, tile=tile, device=device, precision=precision)
    if variant == "peak":  # shifted to the paper's mean over the whole image, so tiles do not matter
        paper, strong = out
        out = strong + (float(paper.mean(dtype=np.float64)) - float(strong.mean(dtype=np.float64)))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def cam_explanation(ir: np.ndarray, vi: np.ndarray, *, variant: str = "paper", classifier: str = "",
                    device: str | None = None, precision: str = "auto", tile: int = 1024) -> dict[str, np.ndarray]:
    """What ``cam-fusion`` based its weights on: the class activation maps of both sources and the
    per-channel weights (Wan et al. 2025, Section 2.2; Zhou et al., "Learning deep features for
    discriminative localization", CVPR 2016, eq. 2).

    Parameters
    ----------
    ir, vi : ndarray, float32, shape (H, W), values in [0, 1]
    variant : {"paper", "peak", "cam", "no-ldf"}
        Which classifier's maps: ``cam-fwa`` (paper, peak, cam) or ``cam-fwa.no-ldf`` (no-ldf).
    classifier : str, optional
        A ``cam-fwa`` safetensors file of one's own.
    device, precision, tile
        See :func:`densefuse`.

    Returns
    -------
    dict with
        ``cam_ir``, ``cam_vi``: ndarray float32 (H, W) in [0, 1] — ``Σ_k W_c^k φ_k`` of the source's
        own class (infrared weights on the infrared image, visible weights on the visible image),
        bilinearly up-sampled and min–max normalised;
        ``weights_ir``: ndarray float32 (C,) in (0, 1), :func:`cam_channel_weights`;
        ``probability_ir``: ndarray float32 (2,), P(infrared) of the infrared and of the visible image.

    Raises
    ------
    ParameterError
        ``variant`` has no classifier (``"l1"``).

    Examples
    --------
    >>> import numpy as np
    >>> ir, vi = np.random.default_rng(0).random((2, 64, 64)).astype(np.float32)
    >>> ex = cam_explanation(ir, vi)
    >>> ex["cam_ir"].shape, round(float(ex["cam_ir"].min()), 3), round(float(ex["cam_ir"].max()), 3)
    ((64, 64), 0.0, 1.0)
    """
    import torch
    from torch.nn import functional as F

    from ...nn.inference import cpu_threads, tiled_apply
    from ...nn.weights import inference_network

    net = CAM_VARIANTS.get(variant, (None, None))[1]
    if net is None:
        raise ParameterError(f"variant must be one of paper, peak, no-ldf to explain, got {variant!r}")
    fwa = inference_network(net, classifier or None, device, precision)
    w_ir, w_vi = fwa.class_weights()
    out: dict[str, np.ndarray] = {}
    probs = []
    with cpu_threads():
        for key, im, w in (("cam_ir", ir, w_ir), ("cam_vi", vi, w_vi)):
            def run(parts: list[Any], w: Any = w) -> Any:
                x = 2 * parts[0] - 1
                cam = fwa.cam(x, w.to(x.device))[:, None]
                return F.interpolate(cam.float(), size=x.shape[2:], mode="bilinear", align_corners=False)

            cam = tiled_apply(run, [np.asarray(im, np.float32)], stride=4, halo=64, tile=tile, device=device,
                              precision=precision)
            lo, hi = float(cam.min()), float(cam.max())
            out[key] = ((cam - lo) / (hi - lo) if hi > lo else np.zeros_like(cam)).astype(np.float32)
            # image-level class probability: the linear layer on the mean of the CAM features
            with torch.inference_mode():
                x = torch.from_numpy(2 * np.asarray(im, np.float32) - 1)[None, None]
                x = F.interpolate(x, scale_factor=min(1.0, 512 / max(im.shape)), mode="area")
                x = x[:, :, : x.shape[2] // 4 * 4, : x.shape[3] // 4 * 4]
                p = next(fwa.parameters())
                probs.append(float(torch.sigmoid(fwa(x.to(p.device, p.dtype)).float())[0]))
    out["weights_ir"] = cam_channel_weights(variant, classifier or None)  # from the float32 weights
    out["probability_ir"] = np.asarray(probs, np.float32)
    return out
