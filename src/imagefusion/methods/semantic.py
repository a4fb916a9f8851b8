"""Semantic image fusion on a frozen ImageNet CNN (Hill & Bull, arXiv 2110.06697, 2021): no fusion training.

``semantic-opt`` (section 2, Algorithm 1): every source goes through the frozen VGG; the chosen layer
outputs are fused once by a rule — choose-max (:func:`choose_max`: per element the value of largest
magnitude) or local majority (:func:`local_majority`: the choose-max decisions smoothed by a majority vote
over a window) — and the output image is then optimised, from the average of the sources, so that its own
layer outputs approach the fused ones in l2, by gradient descent on the pixels (Adam or L-BFGS). The
paper's finding is the default: one full-resolution early layer — ``conv1_1``, the first convolution,
before its ReLU (``benchmarks/build/semantic_tables.py`` compares the first two layers: ``relu1_1``'s
choose-max keeps only positive responses and so favours the brighter source, enough to clip a RoadScene
pair; ``relu1_2`` scores a little higher but costs about 20× as much per iteration) — choose-max, l2. Colour
sources are fused in colour directly through the network (RGB in, RGB out), grey sources give a grey
result; any number of sources.

``semantic-cam`` (section 3): each source's class activation map — Grad-CAM (Selvaraju et al., ICCV 2017)
of the top class at the three lowest-resolution layers (``relu5_1``, ``relu5_2``, ``relu5_3``), each
up-sampled to the image, scaled to a maximum of 1, and averaged into one map per source
(:func:`cam_maps`); the maps, normalised to sum to 1 over the sources, are a per-pixel weight map that
blends the sources. Without a classifier head (offline: the available ImageNet weights are VGG16's
convolutions only) the class-agnostic Eigen-CAM (Muhammad & Yeasin, IJCNN 2020: the first principal
component of the activations) is used instead, and a warning says so. ``semantic-opt`` with ``cam=True``
steers its feature fusion with these weights: per element the source maximising ``w_i·|φ_i|``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..registry import register_method

__all__ = ["semantic_opt", "semantic_cam", "choose_max", "local_majority", "optimise_image", "grad_cam", "eigen_cam",
           "cam_maps", "cam_weights", "layer_index", "SEMANTIC_RULES", "CAM_LAYERS"]

log = logging.getLogger("imagefusion")

#: Feature fusion rules of ``semantic-opt``.
SEMANTIC_RULES = ("max", "majority")
_WARNED: set[tuple[str, str]] = set()
#: The three lowest-resolution spatial layers whose CAMs are combined.
CAM_LAYERS = ("relu5_1", "relu5_2", "relu5_3")


def layer_index(name: str, arch: str = "vgg16") -> int:
    """The ``features`` index of a VGG layer named as in the VGG paper (``conv3_2``, ``relu1_1``, ``pool4``).

    Parameters
    ----------
    name : str
    arch : {"vgg16", "vgg19"}

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        A name the network does not have.

    Examples
    --------
    >>> layer_index("relu1_1"), layer_index("conv4_3"), layer_index("relu5_4", "vgg19")
    (1, 21, 35)
    """
    from ..nn.vgg import VGG_CONFIGS

    names, block, conv, i = {}, 1, 1, 0
    for v in VGG_CONFIGS[arch]:
        if v == "M":
            names[f"pool{block}"] = i
            block, conv, i = block + 1, 1, i + 1
        else:
            names[f"conv{block}_{conv}"], names[f"relu{block}_{conv}"] = i, i + 1
            conv, i = conv + 1, i + 2
    if name not in names:
        raise ParameterError(f"{arch} has no layer {name!r}; layers: conv1_1 … {list(names)[-2]}, relu…, pool1 … pool5")
    return names[name]


def choose_max(features: Sequence[Any], weights: Sequence[Any] | None = None) -> Any:
    """Per element, the feature of largest magnitude among the sources (optionally of largest
    ``w_i·|φ_i|``: the CAM-steered rule). Ties go to the first source.

    Parameters
    ----------
    features : sequence of torch.Tensor, each shape (N, C, H, W)
    weights : sequence of torch.Tensor, each broadcastable to (N, C, H, W), optional

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)

    Examples
    --------
    >>> import torch
    >>> a, b = torch.tensor([[[[1.0, -3.0, 2.0]]]]), torch.tensor([[[[-2.0, 1.0, 2.0]]]])
    >>> choose_max([a, b]).tolist()
    [[[[-2.0, -3.0, 2.0]]]]
    """
    import torch

    best, top = features[0], None
    for i, f in enumerate(features):  # element-wise passes: much faster than argmax over a stacked axis
        score = f.abs() if weights is None else f.abs() * weights[i]
        if top is None:
            top = score
            continue
        take = score > top  # strictly greater: ties keep the earlier source
        best = torch.where(take, f, best)
        top = torch.maximum(top, score)
    return best


def local_majority(features: Sequence[Any], window: int = 5) -> Any:
    """Choose-max decisions smoothed by a majority vote: per element, the source that wins choose-max
    most often in the ``window × window`` neighbourhood of the same channel (zero padding; ties go to
    the first source), and its feature value there.

    Parameters
    ----------
    features : sequence of torch.Tensor, each shape (N, C, H, W)
    window : int, default 5 (odd)

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)

    Raises
    ------
    ParameterError
        An even or non-positive window.

    Examples
    --------
    >>> import torch
    >>> a = torch.ones(1, 1, 3, 3); a[0, 0, 1, 1] = 0.0  # a wins everywhere but the centre
    >>> b = torch.full((1, 1, 3, 3), 0.5)
    >>> local_majority([a, b], window=3)[0, 0].tolist()  # the centre follows its neighbours
    [[1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    """
    import torch
    from torch.nn import functional as F

    if window < 1 or window % 2 == 0:
        raise ParameterError(f"window must be a positive odd number, got {window}")
    n, c, h, w = features[0].shape
    win = torch.zeros(features[0].shape, dtype=torch.long, device=features[0].device)
    top = features[0].abs()
    for i, f in enumerate(features[1:], start=1):  # choose-max decisions, ties to the earlier source
        m = f.abs()
        win = torch.where(m > top, i, win)
        top = torch.maximum(top, m)
    best, most = features[0], None
    for i, f in enumerate(features):  # the source with most votes in the window, ties to the earlier
        votes = F.avg_pool2d((win == i).float().reshape(n * c, 1, h, w), window, stride=1, padding=window // 2,
                             count_include_pad=True).reshape(n, c, h, w)
        if most is None:
            most = votes
            continue
        best = torch.where(votes > most, f, best)
        most = torch.maximum(most, votes)
    return best


class _FirstLayerObjective:
    """The objective of :func:`optimise_image` when its only layer is VGG's first convolution (``conv1_1``,
    before its ReLU, the default): a linear map, so the loss is a quadratic in the normalised image
    ``u = (x − μ)/σ``, ``L = mean (W∗u + b − T)²``. Around the initial image u₀ (``d = u − u₀``, residual
    ``r₀ = W∗u₀ + b − T`` computed by the layer itself), ``N·L = |r₀|² + 2 d·W^T r₀ + d·W^T W d`` and the
    gradient is ``(2/N)(W^T r₀ + W^T W d)``: exactly the layer's at u₀ (0 for an image fused with itself).
    ``W^T W`` is a 5×5 convolution of 3 channels into 3 (zero padding 2) less what it takes from the
    output ring just outside the image, which the layer does not compute (the ring's terms are
    differentiated on four one-pixel strips). A step then costs a 3→3 5×5 convolution instead of the
    3→64 convolution and its transpose: the same gradient (within float32 rounding) about 10× faster.
    Always float32."""

    def __init__(self, weight: Any, bias: Any, target: Any, init: Any) -> None:
        import torch
        from torch.nn import functional as F

        from ..nn.vgg import imagenet_normalise

        self.w, self.grey, self.n = weight, init.shape[1] == 1, target.numel()
        self.std = 1.0 / (imagenet_normalise(torch.ones(1, 3, 1, 1)) - imagenet_normalise(torch.zeros(1, 3, 1, 1)))
        delta = torch.zeros(3, 3, 9, 9)  # W^T W applied to a unit impulse in each channel
        for j in range(3):
            delta[j, j, 4, 4] = 1.0
        response = F.conv_transpose2d(F.conv2d(delta, weight, padding=1), weight, padding=1)
        self.kernel = response[:, :, 2:7, 2:7].transpose(0, 1).flip(-1, -2).contiguous()
        self.u0 = imagenet_normalise(init.clamp(0, 1))
        r0 = F.conv2d(self.u0, weight, bias, padding=1) - target
        self.g0 = F.conv_transpose2d(r0, weight, padding=1)
        self.l0 = float((r0.double() ** 2).sum())

    @classmethod
    def for_net(cls, net: Any, layers: list[int], targets: dict[int, Any], init: Any) -> "_FirstLayerObjective | None":
        """The objective when ``layers`` is the first layer alone and it is a 3×3 convolution (padding 1), else None."""
        import torch

        first = net.features[0]
        if layers != [0] or not isinstance(first, torch.nn.Conv2d) or first.kernel_size != (3, 3) \
                or first.padding != (1, 1) or first.stride != (1, 1):
            return None
        return cls(first.weight.detach().float(), first.bias.detach().float(), targets[0].detach().float(),
                   init.detach().float())

    def _ring(self, d: Any) -> Any:
        import torch
        from torch.nn import functional as F

        d = d.detach().requires_grad_(True)
        strips = (F.conv2d(F.pad(d[:, :, :1, :], (2, 2, 2, 0)), self.w),
                  F.conv2d(F.pad(d[:, :, -1:, :], (2, 2, 0, 2)), self.w),
                  F.conv2d(F.pad(d[:, :, :, :1], (2, 0, 1, 1)), self.w),
                  F.conv2d(F.pad(d[:, :, :, -1:], (0, 2, 1, 1)), self.w))
        (g,) = torch.autograd.grad(0.5 * sum((t * t).sum() for t in strips), d)
        return g

    def __call__(self, x: Any) -> tuple[Any, float]:
        """(gradient with respect to ``x``, loss) at the image ``x`` (1, 3 or 1, H, W) in [0, 1]."""
        from torch.nn import functional as F

        from ..nn.vgg import imagenet_normalise

        d = imagenet_normalise(x) - self.u0  # a grey image repeated to RGB, as the network sees it
        ad = F.conv2d(d, self.kernel, padding=2) - self._ring(d)
        grad_u = (2.0 / self.n) * (self.g0 + ad)
        loss = (self.l0 + 2.0 * float((d.double() * self.g0.double()).sum())
                + float((d.double() * ad.double()).sum())) / self.n
        grad = grad_u / self.std
        return (grad.sum(1, keepdim=True) if self.grey else grad), loss


def optimise_image(net: Any, targets: dict[int, Any], init: Any, *, iterations: int = 100, lr: float = 0.02,
                   optimiser: str = "adam", grey: bool = False, bf16: bool = False, tol: float = 0.0,
                   window: int = 10) -> tuple[Any, list[float]]:
    """Gradient descent on the pixels of an image so that its VGG layer outputs approach ``targets``
    (Hill & Bull, Algorithm 1): loss ``Σ_l mean (φ_l(x) − T_l)²``, pixels kept in [0, 1].

    Each step is reported to :func:`imagefusion.runtime.report_progress` ("semantic-opt iterations").
    With Adam and the first layer alone (``conv1_1``, the default of :func:`semantic_opt`), the loss and
    its gradient come in closed form (:class:`_FirstLayerObjective`: the layer is linear), in float32
    whatever ``bf16`` says.
    With ``tol`` > 0, Adam stops early once the lowest loss so far has fallen by less than ``tol``
    (relative) over the last ``window`` steps: before step k + 1 when ``B[k−window] − B[k] <
    tol·B[k−window]``, B[k] the lowest of the losses measured before steps 1…k + 1 (the lowest, not the
    last: Adam's loss rises for a few steps at times and then falls further).

    Parameters
    ----------
    net : :class:`~imagefusion.nn.vgg.VGG`
        Frozen.
    targets : dict int → torch.Tensor
        ``features`` index → the fused layer output (1, C, h, w).
    init : torch.Tensor, shape (1, 3, H, W) or (1, 1, H, W) when ``grey``, values in [0, 1]
    iterations : int, default 100
        Optimiser steps (L-BFGS: iterations of its inner loop).
    lr : float, default 0.02
    optimiser : {"adam", "lbfgs"}
    grey : bool
        Optimise one grey channel (repeated to RGB for the network).
    bf16 : bool, default False
        Run the network in bfloat16 (``torch.autocast`` on the CPU; the pixels and the loss stay float32).
    tol : float, default 0.0
        Early stop (Adam): the relative fall of the lowest loss over ``window`` steps below which it
        stops; 0 runs every iteration.
    window : int, default 10
        Steps over which the fall is measured.

    Returns
    -------
    image : torch.Tensor, like ``init``, values in [0, 1]
    losses : list of float
        The loss before each step, then after the last.

    Raises
    ------
    ParameterError
        An unknown optimiser.

    Examples
    --------
    >>> import torch
    >>> from imagefusion.nn.vgg import VGG, imagenet_normalise
    >>> _ = torch.manual_seed(0)
    >>> net = VGG("vgg16").eval()
    >>> target = torch.rand(1, 3, 16, 16)
    >>> with torch.no_grad():
    ...     t = net.taps(imagenet_normalise(target), [1])
    >>> img, losses = optimise_image(net, t, torch.full((1, 3, 16, 16), 0.5), iterations=50, lr=0.05)
    >>> losses[-1] < 0.2 * losses[0]
    True
    """
    import torch

    from ..nn.vgg import imagenet_normalise
    from ..runtime import report_progress

    if optimiser not in ("adam", "lbfgs"):
        raise ParameterError(f"optimiser must be 'adam' or 'lbfgs', got {optimiser!r}")
    x = init.detach().clone().requires_grad_(True)
    layers = sorted(targets)
    losses: list[float] = []

    def loss_fn() -> Any:
        inp = x.expand(-1, 3, -1, -1) if grey else x
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = net.taps(imagenet_normalise(inp.clamp(0, 1)), layers)
        return sum(((out[i].float() - targets[i].float()) ** 2).mean() for i in layers)

    if optimiser == "adam":
        linear = _FirstLayerObjective.for_net(net, layers, targets, x)
        opt = torch.optim.Adam([x], lr=lr)
        best: list[float] = []  # the lowest loss so far, before each step
        for step in range(iterations):
            opt.zero_grad(set_to_none=True)
            if linear is None:
                loss = loss_fn()
                losses.append(float(loss.detach()))
            else:
                grad, value = linear(x.detach())
                losses.append(value)
            best.append(min(losses[-1], best[-1]) if best else losses[-1])
            if tol > 0 and step >= window and best[-1 - window] - best[-1] < tol * best[-1 - window]:
                break  # the loss has stopped falling: x is the image whose loss was just measured
            if linear is None:
                loss.backward()
            else:
                x.grad = grad
            opt.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            report_progress(step + 1, iterations, "semantic-opt iterations")
        if linear is not None:
            losses.append(linear(x.detach())[1])
            return x.detach(), losses
    else:
        opt = torch.optim.LBFGS([x], lr=1.0, max_iter=iterations, history_size=10, line_search_fn="strong_wolfe")

        def closure() -> Any:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn()
            losses.append(float(loss.detach()))
            loss.backward()
            report_progress(min(len(losses), iterations), iterations, "semantic-opt iterations")
            return loss

        opt.step(closure)
        with torch.no_grad():
            x.clamp_(0, 1)
    with torch.no_grad():
        losses.append(float(loss_fn()))
    return x.detach(), losses


def grad_cam(net: Any, x: Any, layers: Sequence[int], top_k: int = 1) -> list[Any]:
    """Grad-CAM maps of the top-``k`` classes at several layers: ``ReLU(Σ_c α_c A_c)`` with ``α_c`` the
    spatial mean of ``∂y/∂A_c`` and ``y`` the sum of the ``k`` largest class scores.

    Parameters
    ----------
    net : :class:`~imagefusion.nn.vgg.VGG` with a classifier head
    x : torch.Tensor, shape (1, 3, H, W), normalised (:func:`~imagefusion.nn.vgg.imagenet_normalise`)
    layers : sequence of int
        ``features`` indices.
    top_k : int, default 1

    Returns
    -------
    list of torch.Tensor, each (h_l, w_l), ≥ 0

    References
    ----------
    Selvaraju et al., "Grad-CAM: visual explanations from deep networks via gradient-based localization",
    ICCV 2017, eqs. 1–2.

    Examples
    --------
    >>> import torch
    >>> from imagefusion.nn.vgg import VGG
    >>> _ = torch.manual_seed(0)
    >>> net = VGG("vgg16", classifier=True).eval()
    >>> [tuple(m.shape) for m in grad_cam(net, torch.randn(1, 3, 64, 64), [25, 27, 29])]
    [(4, 4), (4, 4), (4, 4)]
    """
    import torch

    acts: dict[int, Any] = {}
    h = x
    with torch.enable_grad():
        for i, layer in enumerate(net.features):
            h = layer(h)
            if i in layers:
                h.retain_grad()
                acts[i] = h
        logits = net.classifier(torch.flatten(net.avgpool(h), 1))
        score = logits[0].topk(top_k).values.sum()
        score.backward()
    maps = []
    for i in layers:
        a, g = acts[i], acts[i].grad
        alpha = g.mean((2, 3), keepdim=True)
        maps.append(torch.relu((alpha * a).sum(1))[0].detach())
    return maps


def eigen_cam(net: Any, x: Any, layers: Sequence[int]) -> list[Any]:
    """Eigen-CAM maps: the activations at each layer projected on their first principal component
    (over the pixels, centred), the sign chosen so that the map follows the mean activation, negative
    values set to 0. Class-agnostic: it needs no classifier head.

    Parameters
    ----------
    net : :class:`~imagefusion.nn.vgg.VGG`
    x : torch.Tensor, shape (1, 3, H, W), normalised
    layers : sequence of int

    Returns
    -------
    list of torch.Tensor, each (h_l, w_l), ≥ 0

    References
    ----------
    Muhammad & Yeasin, "Eigen-CAM: class activation map using principal components", IJCNN 2020.

    Examples
    --------
    >>> import torch
    >>> from imagefusion.nn.vgg import VGG
    >>> a = torch.zeros(1, 2, 2, 3); a[0, :, 0, 0] = 5.0  # one hot cell in both channels
    >>> class Net:  # a one-layer stand-in: features[0] returns the activations
    ...     def taps(self, x, layers): return {0: a}
    >>> eigen_cam(Net(), torch.zeros(1, 3, 2, 3), [0])[0].argmax().item()
    0
    """
    import torch

    with torch.no_grad():
        taps = net.taps(x, list(layers))
    maps = []
    for i in layers:
        a = taps[i][0].float()  # (C, h, w)
        c, hh, ww = a.shape
        m = a.reshape(c, -1).T  # (hw, C)
        centred = m - m.mean(0, keepdim=True)
        if float(centred.abs().max()) == 0.0:
            maps.append(torch.zeros(hh, ww))
            continue
        _, _, vt = torch.linalg.svd(centred, full_matrices=False)
        proj = centred @ vt[0]
        if float((proj * m.mean(1)).sum()) < 0:
            proj = -proj
        maps.append(torch.relu(proj).reshape(hh, ww))
    return maps


def cam_maps(images: Sequence[np.ndarray], *, backbone: str = "vgg16", weights: str = "", top_k: int = 1,
             layers: Sequence[str] = CAM_LAYERS) -> tuple[list[np.ndarray], str]:
    """One class-activation map per source: Grad-CAM (or, with no classifier head, Eigen-CAM) at
    ``layers``, each up-sampled bilinearly to the image, scaled to a maximum of 1, and averaged.

    Parameters
    ----------
    images : sequence of ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
    backbone : {"vgg16", "vgg19"}
    weights : str
        See :func:`imagefusion.nn.vgg.fusion_backbone`; a file without a classifier head means Eigen-CAM.
    top_k : int, default 1
    layers : sequence of str

    Returns
    -------
    maps : list of ndarray, float32, (H, W), values in [0, 1]
    kind : {"grad-cam", "eigen-cam"}

    Raises
    ------
    WeightsError
        No weights at all.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((64, 64), np.float32); img[16:48, 16:48] = 1.0
    >>> maps, kind = cam_maps([img, img[::-1].copy()])
    >>> kind, maps[0].shape, float(maps[0].max())  # offline: VGG16 convolutions only, so Eigen-CAM
    ('eigen-cam', (64, 64), 1.0)
    """
    import torch
    from torch.nn import functional as F

    from ..errors import WeightsError
    from ..nn.inference import cpu_threads
    from ..nn.vgg import fusion_backbone, imagenet_normalise

    idx = [layer_index(n, backbone) for n in layers]
    try:
        net, kind = fusion_backbone(backbone, weights, classifier=True), "grad-cam"
    except WeightsError as exc:
        net, kind = fusion_backbone(backbone, weights), "eigen-cam"
        if (backbone, str(weights)) not in _WARNED:  # once per weights source and process
            _WARNED.add((backbone, str(weights)))
            log.warning("semantic-cam: no ImageNet classifier head (%s); using the class-agnostic Eigen-CAM",
                        str(exc)[:80])
    out = []
    with cpu_threads():
        for im in images:
            t = torch.from_numpy(np.ascontiguousarray(im, np.float32))
            t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
            x = imagenet_normalise(t)
            maps = grad_cam(net, x, idx, top_k) if kind == "grad-cam" else eigen_cam(net, x, idx)
            acc = torch.zeros(im.shape[:2])
            for m in maps:
                up = F.interpolate(m[None, None].float(), size=im.shape[:2], mode="bilinear", align_corners=False)[0, 0]
                peak = float(up.max())
                acc += up / peak if peak > 0 else up
            acc = acc / len(maps)
            peak = float(acc.max())
            out.append((acc / peak if peak > 0 else acc).numpy().astype(np.float32))
    return out, kind


def cam_weights(maps: list[np.ndarray], floor: float = 0.1) -> list[np.ndarray]:
    """Per-pixel weights from class activation maps: ``w_i = (M_i + floor) / Σ_j (M_j + floor)``.

    Parameters
    ----------
    maps : list of ndarray, float32, (H, W), values in [0, 1]
        One map per source (:func:`cam_maps`).
    floor : float, default 0.1
        Added to every map: where no map is active the sources are averaged.

    Returns
    -------
    list of ndarray, float32, (H, W), summing to 1 at every pixel

    Examples
    --------
    >>> import numpy as np
    >>> w = cam_weights([np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])])
    >>> np.round(w[0].astype(float), 3).tolist(), np.round((w[0] + w[1]).astype(float), 6).tolist()
    ([[0.917, 0.5]], [[1.0, 1.0]])
    """
    total = sum(m + floor for m in maps)
    return [((m + floor) / total).astype(np.float32) for m in maps]


def _as_tensor(im: np.ndarray) -> Any:
    import torch

    t = torch.from_numpy(np.ascontiguousarray(im, np.float32))
    return t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]


@register_method(
    "semantic-opt",
    downloads="ImageNet VGG weights from download.pytorch.org at first use (or a local copy: IMAGEFUSION_VGG16)",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    colour=True,
    reference="Hill & Bull, 'Semantic image fusion', arXiv 2110.06697, 2021 (section 2, Algorithm 1)",
    ranges={"rule": SEMANTIC_RULES, "window": (1, 63), "iterations": (1, 10000), "lr": (1e-5, 10.0),
            "optimiser": ("adam", "lbfgs"), "backbone": ("vgg16", "vgg19"), "top_k": (1, 1000),
            "precision": ("auto", "float32", "bfloat16"), "tol": (0.0, 1.0)},
)
def semantic_opt(images: Sequence[np.ndarray], *, layers: str = "conv1_1", rule: str = "max", window: int = 5,
                 iterations: int = 50, lr: float = 0.02, optimiser: str = "adam", cam: bool = False, top_k: int = 1,
                 backbone: str = "vgg16", weights: str = "", precision: str = "auto", tol: float = 3e-4) -> np.ndarray:
    """Semantic fusion by image optimisation on a frozen VGG's layer outputs (see the module docstring).

    Parameters
    ----------
    images : sequence of ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Two or more sources of one size; colour sources are fused in colour.
    layers : str, default "conv1_1"
        Comma-separated layer names (:func:`layer_index`).
    rule : {"max", "majority"}, default "max"
        :func:`choose_max` or :func:`local_majority`.
    window : int, default 5
        The majority vote's window (odd), in feature pixels.
    iterations : int, default 50
        At most; each is reported to :func:`imagefusion.runtime.report_progress` (the CLI's bar, the
        web page's indicator).
    lr : float, default 0.02
        Adam's step on pixel values in [0, 1].
    optimiser : {"adam", "lbfgs"}, default "adam"
    cam : bool, default False
        Steer the feature fusion with the CAM weights of :func:`semantic_cam`.
    top_k : int, default 1
        Classes summed in Grad-CAM (with ``cam``).
    backbone : {"vgg16", "vgg19"}, default "vgg16"
    weights : str, default ""
        See :func:`imagefusion.nn.vgg.fusion_backbone`.
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        The network's arithmetic: "auto" is bfloat16 where the CPU computes it natively
        (:func:`imagefusion.nn.inference.select_dtype`), about 3× faster; the pixels stay float32.
    tol : float, default 3e-4
        Early stop: Adam stops once its lowest loss so far has fallen by less than ``tol`` (relative)
        over the last 10 iterations (:func:`optimise_image`); 0 runs all ``iterations``. At the default
        50 iterations it rarely stops early (it runs all 50 on eight pairs of the four tasks; 1e-3 stops
        one exposure pair at 21, 32 dB from the full run's picture); with more iterations it ends the
        run where the picture no longer changes.

    Returns
    -------
    ndarray, float32, (H, W) when every source is grey, else (H, W, 3), values in [0, 1]

    Raises
    ------
    ParameterError
        An unknown rule, layer or optimiser.
    WeightsError
        No VGG weights.
    DependencyError
        PyTorch is not installed (``pip install 'imagefusion[deep]'``).

    References
    ----------
    P. R. Hill, D. R. Bull, "Semantic image fusion", arXiv 2110.06697, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((40, 48)).astype(np.float32)
    >>> float(np.abs(semantic_opt([a, a]) - a).max()) < 1e-3  # an image fused with itself comes back
    True
    """
    import torch
    from torch.nn import functional as F

    from ..nn.inference import cpu_threads
    from ..nn.vgg import fusion_backbone, imagenet_normalise

    from ..fusion import require_deep

    require_deep("method 'semantic-opt'")
    if rule not in SEMANTIC_RULES:
        raise ParameterError(f"rule must be one of {', '.join(SEMANTIC_RULES)}, got {rule!r}")
    idx = sorted({layer_index(n.strip(), backbone) for n in layers.split(",") if n.strip()})
    if not idx:
        raise ParameterError("layers is empty")
    from ..nn.inference import select_dtype

    grey = all(im.ndim == 2 for im in images)
    net = fusion_backbone(backbone, weights)
    bf16 = select_dtype(torch.device("cpu"), precision) == torch.bfloat16
    tensors = [_as_tensor(im) for im in images]
    cam_w = None
    if cam:
        maps, _ = cam_maps(images, backbone=backbone, weights=weights, top_k=top_k)
        cam_w = [torch.from_numpy(w)[None, None] for w in cam_weights(maps)]
    with cpu_threads():
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            taps = [net.taps(imagenet_normalise(t), idx) for t in tensors]
        targets = {}
        for i in idx:
            feats = [tp[i] for tp in taps]
            if cam_w is not None:
                ws = [F.interpolate(w, size=feats[0].shape[2:], mode="area") for w in cam_w]
                targets[i] = choose_max(feats, ws)
            elif rule == "max":
                targets[i] = choose_max(feats)
            else:
                targets[i] = local_majority(feats, window)
        init = torch.stack(tensors).mean(0)
        out, _ = optimise_image(net, targets, init, iterations=iterations, lr=lr, optimiser=optimiser, grey=grey,
                                bf16=bf16, tol=tol)
    res = out[0].permute(1, 2, 0).numpy()
    return np.ascontiguousarray(res[..., 0] if grey else res, dtype=np.float32)


@register_method(
    "semantic-cam",
    downloads="ImageNet VGG weights from download.pytorch.org at first use (or a local copy: IMAGEFUSION_VGG16)",
    tasks=("ivif", "mif", "mff", "mef"),
    family="deep",
    colour=True,
    reference="Hill & Bull, 'Semantic image fusion', arXiv 2110.06697, 2021 (section 3); Grad-CAM: Selvaraju et al., "
              "ICCV 2017; Eigen-CAM: Muhammad & Yeasin, IJCNN 2020",
    ranges={"top_k": (1, 1000), "backbone": ("vgg16", "vgg19"), "floor": (0.0, 100.0)},
)
def semantic_cam(images: Sequence[np.ndarray], *, top_k: int = 1, floor: float = 0.1, backbone: str = "vgg16",
                 weights: str = "") -> np.ndarray:
    """Semantic fusion by class activation maps: each source weighted per pixel by its share of the CAMs.

    Parameters
    ----------
    images : sequence of ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]
        Two or more sources of one size.
    top_k : int, default 1
        Classes summed in Grad-CAM.
    floor : float, default 0.1
        Added to every map before normalising, ``w_i = (M_i + floor) / Σ_j (M_j + floor)``: where no map
        is active the sources are averaged instead of following noise-level differences (with 0.001 the
        weights of a TNO pair jumped between 0 and 1 in the sky, in blocks of the maps' 16-pixel cells).
    backbone : {"vgg16", "vgg19"}, default "vgg16"
    weights : str, default ""
        See :func:`imagefusion.nn.vgg.fusion_backbone` (weights without a classifier: Eigen-CAM).

    Returns
    -------
    ndarray, float32, the sources' shape, values in [0, 1]

    Raises
    ------
    WeightsError
        No VGG weights.
    DependencyError
        PyTorch is not installed (``pip install 'imagefusion[deep]'``).

    References
    ----------
    P. R. Hill, D. R. Bull, "Semantic image fusion", arXiv 2110.06697, 2021, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((48, 48)).astype(np.float32)
    >>> float(np.abs(semantic_cam([a, a]) - a).max()) < 1e-5  # equal maps: weights ½
    True
    """
    from ..fusion import require_deep

    require_deep("method 'semantic-cam'")
    maps, _ = cam_maps(images, backbone=backbone, weights=weights, top_k=top_k)
    ws = cam_weights(maps, floor)
    out = sum((w[..., None] if im.ndim == 3 else w) * np.asarray(im, np.float32) for w, im in zip(ws, images))
    return np.asarray(out, np.float32)
