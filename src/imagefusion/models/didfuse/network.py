"""DIDFuse (Zhao, Xu, Zhang, Liu, Zhang & Liu, "DIDFuse: deep image decomposition for infrared and visible
image fusion", IJCAI 2020), with its authors' weights.

The network (the authors' ``DIDFuse.py``, 64 channels): an encoder — a reflection-padded 3×3
convolution, a 3×3 convolution (both with batch norm and PReLU), then two 3×3 convolutions with batch
norm and ``tanh`` from the same features, the base and the detail layer — and a decoder: the base and
detail layers concatenated through a 3×3 convolution, concatenated with the encoder's second features
through another, then with its first through a reflection-padded 3×3 convolution to one channel, batch
norm and a sigmoid. Each source is encoded alone; the four feature maps of the two sources are fused
by a rule (sum, average or their l1-norm weighting) and decoded once.

The weights are the authors' ``Models/Encoder_weight_IJCAI.pkl`` and ``Decoder_weight_IJCAI.pkl``
(``Zhaozixiang1228/IVIF-DIDFuse``; no licence file, so never shipped: fetched at first use or read
from ``$IMAGEFUSION_WEIGHTS_DIR``; :mod:`imagefusion.nn.published`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...nn.published import load_published, register_weight_file, torch_state_dict
from ...nn.weights import load_state

__all__ = ["DIDFuseEncoder", "DIDFuseDecoder", "didfuse_networks", "didfuse_fuse", "RULES"]

#: The authors' feature fusion rules (``addition_mode`` ``Sum``, ``Average``, ``l1_norm``).
RULES = ("sum", "average", "l1")

_COMMIT = "5f287300dce7cbc90b9e08e6872455af6baa279f"
_CITATION = ("Zhao, Xu, Zhang, Liu, Zhang & Liu, 'DIDFuse: Deep image decomposition for infrared and visible "
             "image fusion', IJCAI 2020, 970-976")
for _part, _sha, _size in (("Encoder", "4d84a4e64e58469d3d4591f83c6683ead3e422498519db99bb617cb29d268471", 454838),
                           ("Decoder", "c6974e2a7c66ab579a77bacb086023237a229e769d459783bad8ff43e52e9986", 600772)):
    register_weight_file(f"didfuse-{_part.lower()}", network="didfuse",
                         path=f"didfuse/Models/{_part}_weight_IJCAI.pkl", repo="Zhaozixiang1228/IVIF-DIDFuse",
                         commit=_COMMIT, sha256=_sha, size=_size, licence="no licence file", citation=_CITATION,
                         convert=torch_state_dict)  # their {"weight": state dict, "epoch": n}


def _block(cin: int, cout: int, act: nn.Module, reflect: bool = False) -> nn.Sequential:
    parts: list[nn.Module] = [nn.ReflectionPad2d(1)] if reflect else []
    return nn.Sequential(*parts, nn.Conv2d(cin, cout, 3, padding=0 if reflect else 1), nn.BatchNorm2d(cout), act)


class _Wrap(nn.Module):
    """The authors' one-attribute wrappers (``cov1.cov1``), kept for their tensor names."""

    def __init__(self, name: str, seq: nn.Sequential) -> None:
        super().__init__()
        self.add_module(name, seq)
        self._name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self._name)(x)


class DIDFuseEncoder(nn.Module):
    """DIDFuse's encoder: ``forward(x)`` → the first and second features, the base and the detail layer.

    Parameters
    ----------
    channels : int, default 64

    Examples
    --------
    >>> f1, f2, b, d = DIDFuseEncoder().eval()(torch.rand(1, 1, 10, 12))
    >>> b.shape, bool(b.abs().max() <= 1)
    (torch.Size([1, 64, 10, 12]), True)
    """

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        c = channels
        self.cov1 = _Wrap("cov1", _block(1, c, nn.PReLU(), reflect=True))
        self.cov2 = _Wrap("cov2", _block(c, c, nn.PReLU()))
        self.cov3 = _Wrap("cov3", _block(c, c, nn.Tanh()))
        self.cov4 = _Wrap("cov4", _block(c, c, nn.Tanh()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        f1 = self.cov1(x)
        f2 = self.cov2(f1)
        return f1, f2, self.cov3(f2), self.cov4(f2)


class DIDFuseDecoder(nn.Module):
    """DIDFuse's decoder: ``forward(f1, f2, base, detail)`` → the image (N, 1, H, W) in (0, 1).

    Parameters
    ----------
    channels : int, default 64

    Examples
    --------
    >>> f = torch.rand(4, 1, 64, 10, 12)
    >>> DIDFuseDecoder().eval()(*f).shape
    torch.Size([1, 1, 10, 12])
    """

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        c = channels
        self.cov5 = _Wrap("cov5", _block(2 * c, c, nn.PReLU()))
        self.cov6 = _Wrap("cov6", _block(2 * c, c, nn.PReLU()))
        self.cov7 = _Wrap("cov7", _block(2 * c, 1, nn.Sigmoid(), reflect=True))

    def forward(self, f1: torch.Tensor, f2: torch.Tensor, base: torch.Tensor, detail: torch.Tensor) -> torch.Tensor:
        x = self.cov5(torch.cat([base, detail], dim=1))
        x = self.cov6(torch.cat([x, f2], dim=1))
        return self.cov7(torch.cat([x, f1], dim=1))


def didfuse_networks(encoder: str | None = None, decoder: str | None = None) -> tuple[DIDFuseEncoder, DIDFuseDecoder]:
    """The encoder and decoder with the authors' weights, in evaluation mode, batch norms folded.

    Parameters
    ----------
    encoder, decoder : path, optional
        The user's own copies of ``Encoder_weight_IJCAI.pkl`` and ``Decoder_weight_IJCAI.pkl`` (SHA-256
        checked).

    Returns
    -------
    (DIDFuseEncoder, DIDFuseDecoder)

    Raises
    ------
    WeightsError
        A file is not here and cannot be downloaded (the message says where to put it), or not the
        authors' file.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> enc, dec = didfuse_networks() if locate("didfuse-encoder") else (DIDFuseEncoder(), DIDFuseDecoder())
    >>> enc.eval().training or dec.eval().training
    False
    """
    from ...nn.inference import fold_batch_norm

    enc = load_state(DIDFuseEncoder(), load_published("didfuse-encoder", encoder), "didfuse-encoder").eval()
    dec = load_state(DIDFuseDecoder(), load_published("didfuse-decoder", decoder), "didfuse-decoder").eval()
    fold_batch_norm(enc)
    fold_batch_norm(dec)
    return enc, dec


def _l1_weighted(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The authors' ``l1_addition``: activity = 3×3 mean (zero padding) of the channel sum of |features|
    (their C×C kernel sums the channels), the same weight for every channel."""
    k = torch.full((1, 1, 3, 3), 1.0 / 9.0, dtype=a.dtype, device=a.device)
    wa = F.conv2d(a.abs().sum(1, keepdim=True), k, padding=1)
    wb = F.conv2d(b.abs().sum(1, keepdim=True), k, padding=1)
    return wa / (wa + wb) * a + wb / (wa + wb) * b


def _fuse_features(fa: Sequence[torch.Tensor], fb: Sequence[torch.Tensor], rule: str) -> list[torch.Tensor]:
    if rule == "sum":
        return [x + y for x, y in zip(fa, fb)]
    if rule == "average":
        return [(x + y) / 2 for x, y in zip(fa, fb)]
    return [_l1_weighted(x, y) for x, y in zip(fa, fb)]


def didfuse_fuse(images: Sequence[np.ndarray], *, rule: str = "sum", colour: bool = True,
                 encoder: str | None = None, decoder: str | None = None, tile: int = 1024,
                 precision: str = "auto") -> np.ndarray:
    """Fuse an infrared and a visible image as the authors' ``test.py`` does.

    Both sources are made grey (Pillow's ``convert("L")``; the authors read grey files) and scaled to
    [0, 1]; each is encoded, the four feature maps are fused by ``rule`` and decoded; the authors save
    the decoder's output rounded to 8 bits (``skimage.io.imsave``). With ``colour`` and a colour visible
    image, that grey image becomes the Y of the visible image's YCrCb (OpenCV) — the authors' code has no
    colour path.

    Parameters
    ----------
    images : sequence of two ndarray, float32 in [0, 1], (H, W) or (H, W, 3)
        Infrared then visible, as read.
    rule : {"sum", "average", "l1"}, default "sum"
        The feature fusion rule: the authors' ``test.py`` default ``Sum``; ``l1`` is their ``l1_norm``
        (weights from the 3×3 mean of the channel-summed absolute features), which
        ``Linfeng-Tang/VIF-Benchmark`` runs.
    colour : bool, default True
        The visible image's colour on the fused grey image.
    encoder, decoder : path, optional
        Local copies of the authors' two files.
    tile : int, default 1024
        Largest tile side (16-pixel halos cover the network's 6-pixel reach, 7 with ``l1``).
    precision : {"auto", "float32", "bfloat16"}, default "auto"
        ``auto`` runs in bfloat16 where the CPU computes it natively
        (``benchmarks/measure/didfuse_reference.py`` measures its distance from float32); ``float32`` gives
        the authors' output.

    Returns
    -------
    ndarray, float32, values in [0, 1]
        (H, W, 3) with ``colour`` and a colour visible image, else (H, W).

    Raises
    ------
    ParameterError
        An unknown ``rule``.
    WeightsError
        See :func:`didfuse_networks`.

    References
    ----------
    Zhao et al., IJCAI 2020; the authors' ``DIDFuse.py``, ``utils_didfuse.py`` (``Test_fusion``,
    ``l1_addition``) and ``test.py``.

    Examples
    --------
    >>> from imagefusion.nn.published import locate
    >>> ir = np.zeros((24, 24), np.float32); ir[8:16, 8:16] = 1.0
    >>> vi = np.full((24, 24), 0.4, np.float32)
    >>> out = didfuse_fuse([ir, vi]) if locate("didfuse-encoder") else np.maximum(ir, vi)
    >>> out.shape, bool(out[12, 12] > out[2, 2])  # the warm target stands out
    ((24, 24), True)
    """
    from ...errors import ParameterError
    from ...nn.inference import _pillow_grey_u8, cpu_threads, prepare_model, tiled_apply

    if rule not in RULES:
        raise ParameterError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    enc, dec = didfuse_networks(encoder, decoder)
    planes = [_pillow_grey_u8(im).astype(np.float32) / 255.0 for im in images]
    prepared: dict[tuple[torch.device, torch.dtype], tuple[nn.Module, nn.Module]] = {}

    def run(t: list[torch.Tensor]) -> torch.Tensor:
        key = (t[0].device, t[0].dtype)
        if key not in prepared:
            prepared[key] = (prepare_model(enc, *key), prepare_model(dec, *key))
        e, d = prepared[key]
        both = e(torch.cat(t, dim=0).contiguous(memory_format=torch.channels_last))  # one pass, two sources
        return d(*_fuse_features([f[:1] for f in both], [f[1:] for f in both], rule))

    with cpu_threads(None):
        fused = tiled_apply(run, planes, halo=16, tile=tile, precision=precision)
    fused = np.round(np.clip(fused, 0.0, 1.0) * 255.0) / 255.0  # the authors' imsave rounds to 8 bits
    vi = images[1]
    if not colour or vi.ndim == 2:
        return fused.astype(np.float32)
    ycrcb = cv2.cvtColor(np.round(np.clip(vi, 0.0, 1.0) * 255.0).astype(np.uint8), cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = np.round(fused * 255.0).astype(np.uint8)
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB).astype(np.float32) / 255.0
