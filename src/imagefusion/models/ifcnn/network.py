"""IFCNN (Zhang, Liu, Sun, Yan, Zhao & Zhang, "IFCNN: A general image fusion framework based on
convolutional neural network", Information Fusion 54, 2020), with its authors' weights.

The network: ResNet-101's first convolution (7×7, 64 channels, stride set to 1, its padding replaced by
3 replicated pixels), a 3×3 convolution + batch norm + ReLU block (replicate padding), the element-wise
fusion of the sources' features (``max``, ``sum`` or ``mean``, one trained model each), a second such
block and a 1×1 convolution back to three channels. The three weight files are the authors'
``Code/snapshots/IFCNN-{MAX,SUM,MEAN}.pth`` (``uzeful/IFCNN``; no licence file, so they are never shipped:
fetched at first use, or read from ``$IMAGEFUSION_WEIGHTS_DIR``; :mod:`imagefusion.nn.published`).

Inference follows the authors' ``IFCNN_Main.py`` branch for each task (:func:`ifcnn_fuse`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file, torch_state_dict
from ...nn.weights import load_state

__all__ = ["IFCNN", "FastIFCNN", "ifcnn_fuse", "ifcnn_network", "RULES", "IMAGENET_MEAN", "IMAGENET_STD"]

#: The fusion rule of each weight file (one trained model per rule).
RULES = ("max", "sum", "mean")
#: The normalisation the authors use for colour multi-focus pairs (their "CMF" branch).
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

_CITATION = ("Zhang, Liu, Sun, Yan, Zhao & Zhang, 'IFCNN: A general image fusion framework based on convolutional "
             "neural network', Information Fusion 54, 99-118, 2020")
_COMMIT = "8fe59c2b1553e52acc793986208ca479d134a8da"
for _rule, _sha, _size in (("max", "6022b44c88a2f0367ba9b08fcdf0d663745d9a966fca0ee1f41867797b6ff53f", 337094),
                           ("sum", "a8c1d293f1bf16a93e6244a4bf8f7a7bd300dc10555c8597ad7ef3320b0410cb", 337107),
                           ("mean", "fd2ee9361f1d428fc9749e28e8a2c5c5ef6ce6528ab6f5ad8ef5def42e7ffa4b", 337079)):
    register_weight_file(f"ifcnn-{_rule}", network="ifcnn", path=f"ifcnn/Code/snapshots/IFCNN-{_rule.upper()}.pth",
                         repo="uzeful/IFCNN", commit=_COMMIT, sha256=_sha, size=_size, licence="no licence file",
                         citation=_CITATION, convert=torch_state_dict)


class _ConvBlock(nn.Module):
    """3×3 convolution (no bias) on a 1-pixel replicate-padded input, batch norm, ReLU."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(F.pad(x, (1, 1, 1, 1), mode="replicate"))))


class IFCNN(nn.Module):
    """The IFCNN network (the authors' ``model.py``), its tensors named as in their snapshots.

    Parameters
    ----------
    rule : {"max", "sum", "mean"}, default "max"
        How the sources' features are fused; each rule has its own trained weights.

    Examples
    --------
    >>> net = IFCNN().eval()
    >>> a, b = torch.rand(2, 1, 3, 20, 24)
    >>> net(a, b).shape
    torch.Size([1, 3, 20, 24])
    """

    def __init__(self, rule: str = "max") -> None:
        super().__init__()
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.rule = rule
        self.conv1 = nn.Conv2d(3, 64, 7, stride=1, padding=0, bias=False)  # ResNet-101's conv1, stride 1
        self.conv2 = _ConvBlock()
        self.conv3 = _ConvBlock()
        self.conv4 = nn.Conv2d(64, 3, 1)

    def forward(self, *sources: torch.Tensor) -> torch.Tensor:
        feats = [self.conv2(self.conv1(F.pad(s, (3, 3, 3, 3), mode="replicate"))) for s in sources]
        fused = feats[0]
        for f in feats[1:]:  # in the authors' order, so that float sums round alike
            fused = torch.maximum(fused, f) if self.rule == "max" else fused + f
        if self.rule == "mean":
            fused = fused / len(feats)
        return self.conv4(self.conv3(fused))


@lru_cache(maxsize=6)
def ifcnn_network(rule: str = "max", weights: str | None = None) -> IFCNN:
    """IFCNN with the authors' weights for ``rule`` (or a file of the user's), in evaluation mode.

    Parameters
    ----------
    rule : {"max", "sum", "mean"}
    weights : path, optional
        The user's own copy of the authors' ``.pth`` (hash checked) instead of the cached one.

    Returns
    -------
    IFCNN

    Raises
    ------
    WeightsError
        The file is not here and cannot be downloaded (the message says where to put it), or it is
        not the authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> net = ifcnn_network("max") if locate("ifcnn-max") else IFCNN("max").eval()
    >>> net.training
    False
    """
    return load_state(IFCNN(rule), load_published(f"ifcnn-{rule}", weights), f"ifcnn-{rule}").eval()


class FastIFCNN(nn.Module):
    """The same function as :class:`IFCNN` with fewer operations, for inference.

    ``conv1`` (7×7, linear) and ``conv2`` (3×3) compose into one 9×9 convolution on the input padded by
    4 replicated pixels, with ``conv2``'s batch norm folded in: 15,552 multiply–adds per pixel and source
    instead of 46,272. The composition is exact except on the outermost pixel ring, where the authors
    pad ``conv1``'s output rather than the input; that ring is computed the authors' way on thin strips.
    ``conv3``'s batch norm is folded into it. Outputs equal :class:`IFCNN`'s up to float round-off.

    Parameters
    ----------
    net : IFCNN
        The network with its weights, in evaluation mode.

    Examples
    --------
    >>> net = IFCNN().eval()
    >>> for m in (net.conv2.bn, net.conv3.bn):
    ...     _ = m.running_var.uniform_(0.5, 2), m.running_mean.uniform_(-1, 1)
    >>> fast = FastIFCNN(net)
    >>> a, b = torch.rand(2, 1, 3, 21, 26)
    >>> with torch.no_grad():
    ...     print(float((fast(a, b) - net(a, b)).abs().max()) < 1e-4)
    True
    """

    def __init__(self, net: IFCNN) -> None:
        super().__init__()
        self.net = net
        self.rule = net.rule
        with torch.no_grad():
            w1, w2 = net.conv1.weight.double(), net.conv2.conv.weight.double()
            probe = torch.zeros(3, 3, 17, 17, dtype=torch.float64)
            for c in range(3):
                probe[c, c, 8, 8] = 1.0
            response = F.conv2d(F.conv2d(probe, w1), w2)  # (3, 64, 9, 9): W[o, c] flipped
            composite = response.flip(-1, -2).permute(1, 0, 2, 3)
            w12, b12 = _fold(composite, net.conv2.bn)
            w3, b3 = _fold(net.conv3.conv.weight.double(), net.conv3.bn)
        self.register_buffer("w12", w12.contiguous(memory_format=torch.channels_last))
        self.register_buffer("b12", b12)
        self.register_buffer("w3", w3.contiguous(memory_format=torch.channels_last))
        self.register_buffer("b3", b3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU(BN(conv2(pad(conv1(pad(x)))))) of one source, (N, 3, H, W); (N, 1, H, W) stands for a grey
        source's three equal channels (the kernel summed over them: a third of the work)."""
        w12 = self.w12 if x.shape[1] == 3 else self.w12.sum(dim=1, keepdim=True)
        f = torch.relu(F.conv2d(_nhwc(F.pad(x, (4, 4, 4, 4), mode="replicate")), w12, self.b12))
        x = x.expand(-1, 3, -1, -1)
        h, w = x.shape[-2:]
        exact = lambda t: self.net.conv2(self.net.conv1(F.pad(t, (3, 3, 3, 3), mode="replicate")))  # noqa: E731
        k = min(9, h)
        f[..., :1, :] = exact(x[..., :k, :])[..., :1, :]
        f[..., -1:, :] = exact(x[..., h - k:, :])[..., -1:, :]
        k = min(9, w)
        f[..., :, :1] = exact(x[..., :, :k])[..., :, :1]
        f[..., :, -1:] = exact(x[..., :, w - k:])[..., :, -1:]
        return f

    def forward(self, *sources: torch.Tensor) -> torch.Tensor:
        fused = None
        for s in sources:
            f = self.features(s)
            fused = f if fused is None else torch.maximum(fused, f) if self.rule == "max" else fused + f
        if self.rule == "mean":
            fused = fused / len(sources)
        out = torch.relu(F.conv2d(_nhwc(F.pad(fused, (1, 1, 1, 1), mode="replicate")), self.w3, self.b3))
        return self.net.conv4(out)


def _nhwc(x: torch.Tensor) -> torch.Tensor:
    """Channels-last on the CPU, where oneDNN's convolutions are fastest in that layout."""
    return x.contiguous(memory_format=torch.channels_last) if x.device.type == "cpu" else x


def _fold(weight: torch.Tensor, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """A bias-free convolution's float64 kernel followed by an evaluation-mode batch norm, as one
    convolution's float32 kernel and bias (torch's ``fuse_conv_bn_weights``, computed in float64)."""
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    w, b = fuse_conv_bn_weights(weight, None, bn.running_mean.double(), bn.running_var.double(), bn.eps,
                                bn.weight.double(), bn.bias.double())
    return w.detach().float(), b.detach().float()


@lru_cache(maxsize=6)
def _fast(rule: str, weights: str | None) -> FastIFCNN:
    return FastIFCNN(ifcnn_network(rule, weights)).eval()


def _run(net: nn.Module, sources: Sequence[np.ndarray], mean: Sequence[float], std: Sequence[float],
         tile: int, precision: str) -> np.ndarray:
    """``net`` on (H, W, 3) float sources normalised by mean/std; (H, W, 3) float32, denormalised."""
    from ...nn.inference import cpu_threads, select_device, select_dtype, tiled_apply

    m = np.asarray(mean, np.float32)
    s = np.asarray(std, np.float32)
    uniform = bool(np.all(m == m[0]) and np.all(s == s[0]))
    # a grey source (2-D) stands for three equal channels: one channel in, where the normalisation allows
    normed = []
    for src in sources:
        one = uniform and src.ndim == 2
        normed.append(((src[..., None] if one else _rgb(src)) - m[:1 if one else 3]) / s[:1 if one else 3])
    h, w = normed[0].shape[:2]
    if max(h, w) <= tile:  # one pass; an (H, W, 3) array viewed as (1, 3, H, W) is channels-last already
        dev = select_device(None)
        dtype = select_dtype(dev, precision)
        with torch.inference_mode(), cpu_threads(None):
            ts = [torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].to(dev, dtype) for x in normed]
            out = net.to(dev, dtype)(*ts).float()[0].permute(1, 2, 0).cpu().numpy()
        return out * s + m
    counts = [x.shape[2] for x in normed]
    planes = [x[..., c] for x in normed for c in range(x.shape[2])]

    def fn(parts: list[torch.Tensor]) -> torch.Tensor:
        starts = np.cumsum([0, *counts])
        tensors = [torch.cat(parts[a:b], dim=1) for a, b in zip(starts[:-1], starts[1:])]
        return net.to(device=tensors[0].device, dtype=tensors[0].dtype)(*tensors)

    out = tiled_apply(fn, planes, halo=8, tile=tile, precision=precision)  # (3, H, W)
    return out.transpose(1, 2, 0) * s + m


def _truncate(x: np.ndarray) -> np.ndarray:
    """``clamp(0, 1) * 255`` then ``astype(uint8)``, as the authors' code saves (truncation)."""
    return (np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def _u8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def _rgb(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def _ycbcr(image_u8: np.ndarray) -> np.ndarray:
    """PIL's ``convert('YCbCr')`` of an 8-bit RGB (or grey) image, (H, W, 3) uint8."""
    from PIL import Image

    return np.asarray(Image.fromarray(image_u8).convert("RGB").convert("YCbCr"))


def ifcnn_fuse(images: Sequence[np.ndarray], *, task: str = "ivif", rule: str | None = None,
               weights: str | None = None, tile: int = 1024, precision: str = "float32") -> np.ndarray:
    """Fuse with IFCNN as the authors' ``IFCNN_Main.py`` does for each task.

    * ``mff`` (their colour multi-focus branch): RGB normalised by ImageNet's mean and std, fused in RGB;
      output RGB.
    * ``ivif`` and ``mif`` (their infrared–visual and medical branches): each source as RGB (grey
      replicated), no normalisation; the output truncated to 8 bits and turned grey
      (``cv2.COLOR_RGB2GRAY``): a grey image, as the authors save it.
    * ``mef`` (their multi-exposure branch; IFCNN-MEAN): PIL's YCbCr; Y replicated to three channels and
      fused; Cb and Cr fused per pixel as ``Σ C_i |C_i − 128| / Σ |C_i − 128|`` (128 where undefined);
      the fused Y (grey of the truncated output) stretched to [16, 235], truncated, then CLAHE (clip
      limit 2, 8×8 tiles); merged back with OpenCV's YCrCb → RGB.

    Every 8-bit truncation of the authors' code is kept, so the result equals theirs up to JPEG decoding
    and floating-point round-off.

    Parameters
    ----------
    images : sequence of ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Two or more sources of one size (``mff`` and ``mef``: any number).
    task : {"ivif", "mif", "mff", "mef"}, default "ivif"
    rule : {"max", "sum", "mean"}, optional
        The weights (and feature fusion); default ``mean`` for ``mef``, else ``max``, as the authors.
    weights : path, optional
        The user's own copy of the authors' file for ``rule``.
    tile : int, default 1024
        Largest tile side (8-pixel halos; tiles give the same result as one pass).
    precision : {"float32", "bfloat16", "auto"}, default "float32"

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W) for ``ivif`` and ``mif``, (H, W, 3) for ``mff`` and ``mef``; multiples of 1/255.

    Raises
    ------
    WeightsError
        The weights are not here and cannot be downloaded.

    References
    ----------
    Zhang et al., Information Fusion 54, 2020; the authors' ``Code/IFCNN_Main.py`` and ``Code/model.py``.

    Examples
    --------
    >>> import numpy as np
    >>> from imagefusion.nn.published import locate
    >>> a = np.zeros((32, 32), np.float32); a[:, :16] = 0.8
    >>> b = np.zeros((32, 32), np.float32); b[:16] = 0.6
    >>> out = ifcnn_fuse([a, b], task="ivif") if locate("ifcnn-max") else np.maximum(a, b)
    >>> out.shape, float(out[4, 4]) > 0.5  # the bright corner of both stays bright
    ((32, 32), True)
    """
    rule = rule or ("mean" if task == "mef" else "max")
    net = _fast(rule, weights)
    if task == "mef":
        ycc = [_ycbcr(_u8(_rgb(im))).astype(np.float32) for im in images]
        ys = [y[..., 0] / 255.0 for y in ycc]  # Y, standing for the authors' three equal channels
        fused = _run(net, ys, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), tile, precision)
        y = cv2.cvtColor(_truncate(fused), cv2.COLOR_RGB2GRAY).astype(np.float64) / 255.0
        y = (y * 235 + (1 - y) * 16).astype(np.uint8)
        y = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(y)
        chroma = []
        for c in (1, 2):
            cs = np.stack([im[..., c] for im in ycc]).astype(np.float32)
            w = np.abs(cs - 128.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = (cs * w / w.sum(axis=0)).sum(axis=0)
            chroma.append(np.where(np.isnan(v), 128.0, v).astype(np.uint8))  # numpy's uint8 cast truncates
        ycrcb = np.stack([y, chroma[1], chroma[0]], axis=2)
        return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB).astype(np.float32) / 255.0
    if task == "mff":
        srcs = [_rgb(im).astype(np.float32) for im in images]
        return _truncate(_run(net, srcs, IMAGENET_MEAN, IMAGENET_STD, tile, precision)).astype(np.float32) / 255.0
    srcs = [im.astype(np.float32) for im in images]  # grey ones stand for three equal channels
    out = _truncate(_run(net, srcs, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), tile, precision))
    return cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
