"""Whole-image inference for patch networks: devices, precision, threads, padding, tiling.

A patch network (such as :class:`~imagefusion.models.siamese.network.SiameseResidualCNN`) applied to a whole
image gives a dense score map with one entry per ``patch × patch`` window at a fixed ``stride``.
:func:`dense_score_map` pads any image size to fit the stride, cuts large images into overlapping
tiles so that memory stays bounded, and stitches the tiles so that the result equals one pass
over the whole image. :func:`tiled_apply` does the same for image-to-image networks
(autoencoder fusion). :func:`patch_average` turns the score map into a per-pixel weight map by
giving each score to every pixel of its patch and averaging where patches overlap (Liu et al.,
Information Fusion 36, 2017, Section 3.3).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import numpy as np
import torch

from ..runtime import release_free_memory

__all__ = [
    "select_device",
    "select_dtype",
    "cpu_threads",
    "fold_batch_norm",
    "prepare_model",
    "dense_score_map",
    "patch_average",
    "tiled_apply",
    "tiled_network",
    "bytescale",
    "pointwise_conv_of_concat",
]


def select_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device to run on.

    Parameters
    ----------
    device : str, torch.device or None
        ``None`` or ``"cpu"``: the CPU (the default everywhere in imagefusion). ``"auto"``: CUDA when
        present, else the CPU. Anything else is passed to :class:`torch.device` (``"cuda:1"``).

    Returns
    -------
    torch.device

    Raises
    ------
    ParameterError
        A device torch does not know, or a CUDA device asked for where torch sees none.

    Examples
    --------
    >>> select_device(None), select_device("cpu")
    (device(type='cpu'), device(type='cpu'))
    """
    from ..errors import ParameterError

    if device is None or device == "cpu":
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ParameterError(f"device={device!r} is not a device; use cpu, cuda, cuda:N or auto") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} asked for, but this torch ({torch.__version__}) sees no CUDA device; "
                             "use device=cpu or auto")
    return dev


@lru_cache(maxsize=1)
def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def select_dtype(device: torch.device, precision: str = "auto") -> torch.dtype:
    """The floating-point type for inference.

    Parameters
    ----------
    device : torch.device
    precision : {"auto", "float32", "bfloat16"}
        ``"auto"``: bfloat16 on a CPU with native bfloat16 arithmetic (AMX or AVX512-BF16, about
        2× faster than float32 there) and on CUDA devices that support it, else float32.

    Returns
    -------
    torch.dtype

    Raises
    ------
    ValueError
        An unknown precision.

    Examples
    --------
    >>> import torch
    >>> select_dtype(torch.device("cpu"), "float32")
    torch.float32
    """
    if precision == "float32":
        return torch.float32
    if precision == "bfloat16":
        return torch.bfloat16
    if precision != "auto":
        from ..errors import ParameterError

        raise ParameterError(f"precision must be 'auto', 'float32' or 'bfloat16', got {precision!r}")
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if _cpu_has_bf16() else torch.float32


@contextmanager
def cpu_threads(n: int | None = None) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (default: ``IMAGEFUSION_THREADS`` or every core
    this process may use), restoring the previous setting afterwards.

    Parameters
    ----------
    n : int, optional
        Threads for the block.

    Returns
    -------
    context manager

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with cpu_threads(1):
    ...     print(torch.get_num_threads())
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n is None:
        env = os.environ.get("IMAGEFUSION_THREADS")
        n = int(env) if env else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def fold_batch_norm(model: torch.nn.Module) -> int:
    """Fold every batch norm that directly follows a convolution inside an ``nn.Sequential`` into that
    convolution, in place, for inference: the convolution's weights and bias absorb the running
    statistics and the affine parameters, the batch norm becomes ``nn.Identity``.

    Only ``nn.Sequential`` pairs are folded, where the order of the two layers is certain. The result is
    the same function in eval mode (to float32 rounding), one pass over the feature map cheaper — which
    matters most in bfloat16 on the CPU, where a batch norm over a 256-channel 640 × 480 map costs a
    fifth of a convolution.

    Parameters
    ----------
    model : torch.nn.Module
        Changed in place; use it in eval mode only afterwards (a folded model no longer normalises by
        batch statistics).

    Returns
    -------
    int
        The number of batch norms folded.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU())
    >>> net[1].running_mean += torch.tensor([0.5, -1.0, 2.0]); net = net.eval()
    >>> x = torch.rand(1, 1, 8, 8); before = net(x)
    >>> fold_batch_norm(net), type(net[1]).__name__, bool(torch.allclose(net(x), before, atol=1e-6))
    (1, 'Identity', True)
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    pairs = _foldable_pairs(model)
    for seq, a, b in pairs:
        seq._modules[a] = fuse_conv_bn_eval(seq._modules[a].eval(), seq._modules[b].eval())
        seq._modules[b] = torch.nn.Identity()
    return len(pairs)


def _foldable_pairs(model: torch.nn.Module) -> list[tuple[torch.nn.Sequential, str, str]]:
    """(sequential, conv name, batch norm name) of each Conv2d → BatchNorm2d pair with running statistics."""
    pairs = []
    for seq in model.modules():
        if isinstance(seq, torch.nn.Sequential):
            names = list(seq._modules)
            for a, b in zip(names[:-1], names[1:]):
                conv, bn = seq._modules[a], seq._modules[b]
                if (isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d)
                        and bn.running_mean is not None and bn.running_var is not None):
                    pairs.append((seq, a, b))
    return pairs


def prepare_model(model: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """``model`` in eval mode on ``device`` in ``dtype`` (channels-last on the CPU), its batch norms
    folded into the convolutions before them (:func:`fold_batch_norm`).

    The model is returned as it is when it already has that device, type and (on the CPU) channels-last
    layout and nothing to fold; otherwise a converted copy is returned, so the caller's model (and a cached one) never loses
    precision to a bfloat16 round trip (the folding is done in float32, before the conversion).

    Parameters
    ----------
    model : torch.nn.Module
    device : torch.device
    dtype : torch.dtype
        The inference precision (:func:`select_dtype`).

    Returns
    -------
    torch.nn.Module
        The model, in eval mode, moved and converted (channels-last on the CPU).

    Examples
    --------
    >>> import torch
    >>> net = prepare_model(torch.nn.Conv2d(1, 4, 3), torch.device("cpu"), torch.float32)
    >>> net.training, net.weight.dtype
    (False, torch.float32)
    """
    p = next(model.parameters())
    nchw = device.type == "cpu" and any(q.dim() == 4 and not q.is_contiguous(memory_format=torch.channels_last)
                                        for q in model.parameters())
    if p.device != device or p.dtype != dtype or _foldable_pairs(model) or nchw:
        import copy

        model = copy.deepcopy(model).eval()
        fold_batch_norm(model)
        model = model.to(device=device, dtype=dtype)
        if device.type == "cpu":
            model = model.to(memory_format=torch.channels_last)
    return model.eval()


def _pad_amount(size: int, patch: int, stride: int) -> int:
    """Rows to add so that ``size ≥ patch`` and ``(size − patch) % stride == 0``."""
    size_p = max(size, patch)
    return size_p - size + (-(size_p - patch)) % stride


def _to_tensor(image: np.ndarray, pad_h: int, pad_w: int) -> torch.Tensor:
    mode = "reflect" if pad_h < image.shape[0] and pad_w < image.shape[1] else "symmetric"
    padded = np.pad(np.asarray(image, np.float32), ((0, pad_h), (0, pad_w)), mode=mode)
    return torch.from_numpy(padded)[None, None]


def dense_score_map(
    model: torch.nn.Module,
    a: np.ndarray,
    b: np.ndarray,
    *,
    device: str | torch.device | None = None,
    precision: str = "auto",
    tile: int = 1024,
) -> np.ndarray:
    """Dense "source ``a`` is in focus" probabilities of a two-input patch network.

    Parameters
    ----------
    model : torch.nn.Module
        A Siamese patch network with attributes ``patch_size``, ``stride`` and ``halo`` whose
        ``forward(a, b)`` returns logits of shape (N, 2, h, w) (:mod:`imagefusion.models.siamese.network`).
    a, b : ndarray, float32, shape (H, W), values in [0, 1]
        The two grey sources, any size. Images smaller than a patch, or whose size does not fit the
        stride, are padded by reflection on the bottom and right (the extra scores are computed but
        cover only padding, and :func:`patch_average` crops them away).
    device : str, torch.device or None
        See :func:`select_device`; CPU by default.
    precision : {"auto", "float32", "bfloat16"}
        See :func:`select_dtype`.
    tile : int, default 1024
        Largest tile side in pixels (a multiple of 4 is used). Larger images are cut into tiles that
        overlap by the network's receptive field, so peak memory grows with the tile, not the image;
        the stitched map equals the untiled one up to floating-point round-off.

    Returns
    -------
    ndarray, float32, shape (h, w), values in [0, 1]
        ``h = (H' − patch) // stride + 1`` with ``H'`` the padded height; entry ``(i, j)`` belongs
        to the patch whose top-left pixel is ``(stride·i, stride·j)``.

    Raises
    ------
    ValueError
        Sources of different shapes, or a bad device or precision.

    Examples
    --------
    >>> import numpy as np
    >>> from imagefusion.nn.weights import create_network
    >>> a, b = np.random.default_rng(0).random((2, 64, 64)).astype(np.float32)
    >>> scores = dense_score_map(create_network("siamese-cnn"), a, b)
    >>> scores.shape, bool(((scores >= 0) & (scores <= 1)).all())
    ((13, 13), True)
    """
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"two grey images of one size are needed, got shapes {a.shape} and {b.shape}")
    patch, stride, halo = model.patch_size, model.stride, model.halo
    dev = select_device(device)
    dtype = select_dtype(dev, precision)
    H, W = a.shape
    ph, pw = _pad_amount(H, patch, stride), _pad_amount(W, patch, stride)
    ta = _to_tensor(a, ph, pw)
    tb = _to_tensor(b, ph, pw)
    Hp, Wp = ta.shape[2:]
    nh, nw = (Hp - patch) // stride + 1, (Wp - patch) // stride + 1
    # scores per tile side: a tile covers the input of `step` scores plus the halo on each side
    step = max(1, (max(tile, patch + 2 * halo) - patch - 2 * halo) // stride + 1)
    model = prepare_model(model, dev, dtype)
    out = np.empty((nh, nw), np.float32)
    with torch.inference_mode():
        for i0 in range(0, nh, step):
            i1 = min(i0 + step, nh)
            y0 = max(i0 * stride - halo, 0)
            y1 = min((i1 - 1) * stride + patch + halo, Hp)
            for j0 in range(0, nw, step):
                j1 = min(j0 + step, nw)
                x0 = max(j0 * stride - halo, 0)
                x1 = min((j1 - 1) * stride + patch + halo, Wp)
                pa = ta[:, :, y0:y1, x0:x1].to(device=dev, dtype=dtype)
                pb = tb[:, :, y0:y1, x0:x1].to(device=dev, dtype=dtype)
                if dev.type == "cpu":
                    pa = pa.contiguous(memory_format=torch.channels_last)
                    pb = pb.contiguous(memory_format=torch.channels_last)
                prob = torch.softmax(model(pa, pb).float(), dim=1)[0, 1]
                oi, oj = i0 - y0 // stride, j0 - x0 // stride
                out[i0:i1, j0:j1] = prob[oi : oi + i1 - i0, oj : oj + j1 - j0].cpu().numpy()
    return out


def patch_average(scores: np.ndarray, shape: tuple[int, int], patch: int = 16, stride: int = 4) -> np.ndarray:
    """Per-pixel weight map from patch scores: each score goes to every pixel of its patch and
    overlapping patches are averaged (Liu et al. 2017, Section 3.3, "focus map").

    Parameters
    ----------
    scores : ndarray, float32, shape (h, w)
        Output of :func:`dense_score_map`; entry (i, j) belongs to the patch at (stride·i, stride·j).
    shape : (int, int)
        (H, W) of the original image; the map is cropped to it.
    patch, stride : int, default 16, 4
        ``patch`` must be a multiple of ``stride``.

    Returns
    -------
    ndarray, float32, shape (H, W), values in the range of ``scores``

    Raises
    ------
    ValueError
        ``patch`` is not a multiple of ``stride``.

    Examples
    --------
    >>> import numpy as np
    >>> w = patch_average(np.ones((5, 5), np.float32), (32, 32))
    >>> w.shape, float(w.min()), float(w.max())
    ((32, 32), 1.0, 1.0)
    """
    if patch % stride:
        raise ValueError(f"patch {patch} must be a multiple of stride {stride}")
    k = patch // stride
    s = np.pad(scores.astype(np.float64), k - 1)
    c = np.pad(np.ones_like(scores, np.float64), k - 1)
    # sum over the k×k patches that cover each stride×stride cell (2-D running sum)
    def window_sum(x: np.ndarray) -> np.ndarray:
        cs = np.cumsum(np.cumsum(np.pad(x, ((1, 0), (1, 0))), axis=0), axis=1)
        return cs[k:, k:] - cs[:-k, k:] - cs[k:, :-k] + cs[:-k, :-k]

    cells = np.clip(window_sum(s) / window_sum(c), scores.min(), scores.max())  # running sums round off
    full = np.repeat(np.repeat(cells, stride, axis=0), stride, axis=1)
    return np.ascontiguousarray(full[: shape[0], : shape[1]], dtype=np.float32)


def tiled_apply(
    fn: Callable[[list[torch.Tensor]], torch.Tensor],
    images: Sequence[np.ndarray],
    *,
    stride: int = 1,
    halo: int = 32,
    tile: int = 1024,
    device: str | torch.device | None = None,
    precision: str = "auto",
) -> np.ndarray:
    """Apply an image-to-image network function to whole images in overlapping tiles.

    ``fn`` gets the co-located tiles of all sources, each a tensor (1, 1, h, w) on the device in
    the chosen precision with h and w multiples of ``stride``, and returns one map (1, 1, h, w), or
    C maps (1, C, h, w) computed from the same tiles.
    Images are first padded by reflection on the bottom and right to a multiple of ``stride``;
    images larger than ``tile`` are cut into tiles that overlap by ``halo`` pixels (rounded up to a
    multiple of ``stride``) on each side, and only each tile's centre is kept. When ``halo`` covers
    the receptive field of ``fn`` the stitched map equals one pass over the whole image (up to
    floating-point round-off), while memory grows with the tile, not the image.

    Parameters
    ----------
    fn : callable
        Runs under ``torch.inference_mode``.
    images : sequence of ndarray, float32, shape (H, W)
        Sources of one shape, any size.
    stride : int, default 1
        The network's total down-sampling factor.
    halo : int, default 32
        Overlap in pixels; at least the receptive-field radius of ``fn``.
    tile : int, default 1024
        Largest tile side in pixels, halo included.
    device, precision
        See :func:`select_device` and :func:`select_dtype`.

    Returns
    -------
    ndarray, float32, shape (H, W); (C, H, W) when ``fn`` returns C > 1 maps

    Raises
    ------
    ValueError
        Sources of different shapes, or no source.
    ParameterError
        ``tile`` leaves a core of fewer than 16 pixels (or one stride) inside the halo on both sides,
        ``tile < 2·halo + 16``: such tiny tiles would take hours on an ordinary image.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.random.default_rng(0).random((2, 100, 80)).astype(np.float32)
    >>> out = tiled_apply(lambda t: (t[0] + t[1]) / 2, [a, b], tile=48, halo=8, precision="float32")
    >>> out.shape, float(np.abs(out - (a + b) / 2).max())  # 3 × 2 tiles, seamless
    ((100, 80), 0.0)
    """
    if not images or any(im.shape != images[0].shape or im.ndim != 2 for im in images):
        raise ValueError(f"grey images of one size are needed, got shapes {[im.shape for im in images]}")
    least = 2 * (-(-halo // stride) * stride) + max(16, stride)
    if not isinstance(tile, (int, np.integer)) or isinstance(tile, bool) or tile < least:
        from ..errors import ParameterError

        raise ParameterError(f"tile={tile!r} is too small: at least {least} pixels (twice the {halo}-pixel halo "
                             f"plus 16)")
    dev = select_device(device)
    dtype = select_dtype(dev, precision)
    H, W = images[0].shape
    ph, pw = (-H) % stride, (-W) % stride
    ts = [_to_tensor(im, ph, pw) for im in images]
    Hp, Wp = ts[0].shape[2:]
    halo = -(-halo // stride) * stride
    core = max(stride, (max(tile, 2 * halo + stride) - 2 * halo) // stride * stride)
    out: np.ndarray | None = None
    several = Hp > core or Wp > core
    with torch.inference_mode():
        for y0 in range(0, Hp, core):
            y1 = min(y0 + core, Hp)
            ya, yb = max(y0 - halo, 0), min(y1 + halo, Hp)
            for x0 in range(0, Wp, core):
                x1 = min(x0 + core, Wp)
                xa, xb = max(x0 - halo, 0), min(x1 + halo, Wp)
                parts = []
                for t in ts:
                    p = t[:, :, ya:yb, xa:xb].to(device=dev, dtype=dtype)
                    parts.append(p.contiguous(memory_format=torch.channels_last) if dev.type == "cpu" else p)
                res = fn(parts).float()[0]  # (C, h, w)
                if out is None:
                    out = np.empty((res.shape[0], Hp, Wp), np.float32)
                out[:, y0:y1, x0:x1] = res[:, y0 - ya : y1 - ya, x0 - xa : x1 - xa].cpu().numpy()
                del parts, res
                if several:
                    release_free_memory()
    return out[0, :H, :W] if out.shape[0] == 1 else out[:, :H, :W]


def tiled_network(net: torch.nn.Module, planes: Sequence[np.ndarray], *, scale: tuple[float, float] = (1.0, 0.0),
                  halo: int = 16, tile: int = 1024, precision: str = "auto") -> np.ndarray:
    """Run a network of two or more single-channel inputs over whole images in tiles (:func:`tiled_apply`),
    the model prepared once per device and type (:func:`prepare_model`), on the CPU's threads.

    Parameters
    ----------
    net : torch.nn.Module
        ``net(x1, x2, …)`` maps (1, 1, h, w) tensors to (1, 1, h, w).
    planes : sequence of ndarray, float32, (H, W)
    scale : (a, b), default (1, 0)
        Each input becomes ``a · x + b`` before the network (``(2, −1)`` maps [0, 1] to [−1, 1]).
    halo, tile, precision
        See :func:`tiled_apply`; the halo must cover the network's reach.

    Returns
    -------
    ndarray, float32, (H, W)
        The network's output, as it comes.

    Examples
    --------
    >>> net = torch.nn.Conv2d(2, 1, 3, padding=1)
    >>> class Pair(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.net = net
    ...     def forward(self, a, b):
    ...         return self.net(torch.cat([a, b], 1))
    >>> planes = [np.random.rand(40, 50).astype(np.float32) for _ in range(2)]
    >>> whole = tiled_network(Pair(), planes, precision="float32")
    >>> tiled = tiled_network(Pair(), planes, tile=24, halo=4, precision="float32")
    >>> whole.shape, bool(np.abs(whole - tiled).max() < 1e-5)
    ((40, 50), True)
    """
    prepared: dict[tuple[torch.device, torch.dtype], torch.nn.Module] = {}
    a, b = scale

    def run(t: list[torch.Tensor]) -> torch.Tensor:
        key = (t[0].device, t[0].dtype)
        if key not in prepared:
            prepared[key] = prepare_model(net, *key)
        return prepared[key](*(x if (a, b) == (1.0, 0.0) else x * a + b for x in t))

    with cpu_threads(None):
        return tiled_apply(run, [np.asarray(p, np.float32) for p in planes], halo=halo, tile=tile, precision=precision)


def pointwise_conv_of_concat(parts: Sequence[torch.Tensor], conv: torch.nn.Conv2d) -> torch.Tensor:
    """``conv(torch.cat(parts, dim=1))`` for a 1×1 convolution, without building the concatenation.

    The sum over the parts of the convolution of each with its slice of the weights, plus the bias:
    the same value up to float rounding (a different order of the channel sum), without the
    concatenated map (for eight 16-channel float32 maps of a 640×480 image, 157 MB allocated and
    written once per image). The densely connected networks' last layers use it (SDNet, PMGI, MFF-GAN).

    Parameters
    ----------
    parts : sequence of torch.Tensor
        Maps (N, C_k, H, W) whose channels add up to ``conv.in_channels``, in concatenation order.
    conv : torch.nn.Conv2d
        A 1×1 convolution, stride 1, no groups.

    Returns
    -------
    torch.Tensor
        (N, conv.out_channels, H, W), the dtype of the parts.

    Raises
    ------
    ValueError
        ``conv`` is not a 1×1, stride-1, ungrouped convolution, or the parts' channels do not add up to
        its input channels.

    Examples
    --------
    >>> conv = torch.nn.Conv2d(6, 2, 1)
    >>> parts = [torch.rand(1, 4, 5, 7), torch.rand(1, 2, 5, 7)]
    >>> y = pointwise_conv_of_concat(parts, conv)
    >>> bool(torch.allclose(y, conv(torch.cat(parts, dim=1)), atol=1e-6))
    True
    """
    if conv.kernel_size != (1, 1) or conv.stride != (1, 1) or conv.groups != 1:
        raise ValueError(f"pointwise_conv_of_concat takes a 1×1, stride-1 convolution, got {conv}")
    if sum(t.shape[1] for t in parts) != conv.in_channels:
        raise ValueError(f"the parts have {sum(t.shape[1] for t in parts)} channels, the convolution takes {conv.in_channels}")
    out = None
    start = 0
    for t in parts:
        y = torch.nn.functional.conv2d(t, conv.weight[:, start:start + t.shape[1]])
        out = y if out is None else out.add_(y)
        start += t.shape[1]
    return out if conv.bias is None else out.add_(conv.bias.view(1, -1, 1, 1))


def bytescale(values: np.ndarray, cmin: float | None = None, cmax: float | None = None) -> np.ndarray:
    """``scipy.misc.bytescale`` (what ``scipy.misc.imsave`` and ``toimage`` did to float images before saving them,
    and what many published networks' test code relies on): ``cmin`` to 0, ``cmax`` to 255, clipped, rounded half
    up — as grey levels.

    Parameters
    ----------
    values : ndarray, any float shape
    cmin, cmax : float, optional
        Default: the array's minimum and maximum.

    Returns
    -------
    ndarray, float64, same shape: integers 0–255

    Examples
    --------
    >>> bytescale(np.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 128.0, 255.0]
    >>> bytescale(np.array([0.2, 0.4]), cmin=0.0).tolist()  # the maximum to 255, zero stays 0
    [128.0, 255.0]
    """
    v = np.asarray(values, np.float64)
    lo = float(v.min()) if cmin is None else cmin
    hi = float(v.max()) if cmax is None else cmax
    return np.floor(np.clip((v - lo) * (255.0 / (hi - lo if hi > lo else 1.0)), 0.0, 255.0) + 0.5)


def _pillow_grey_u8(image: np.ndarray) -> np.ndarray:
    """An image in [0, 1] as 8-bit grey the way the authors' test code reads a file with Pillow's
    ``convert("L")`` (a grey image as it is)."""
    from PIL import Image

    u8 = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return u8 if u8.ndim == 2 else np.asarray(Image.fromarray(u8).convert("L"))
