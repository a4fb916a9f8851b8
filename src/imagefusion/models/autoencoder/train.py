"""Training of the autoencoders (``densefuse``, ``cam-ae``) and of the CAM classifier (``cam-fwa``, and
its ablation ``cam-fwa.no-ldf`` trained without L_df). MFEnet's trainer is :mod:`imagefusion.models.mfenet.train`.

* Autoencoders: random grey patches of natural images — BSDS500 (train + test folders,
  :func:`~imagefusion.train.data.bsds500_images`) and both sources of the RoadScene training split
  (:func:`~imagefusion.train.data.roadscene_training_names`) — reconstructed under
  ``L = L_pixel + λ·L_ssim`` with ``L_pixel`` the mean squared error and ``L_ssim = 1 − SSIM``
  (Li & Wu 2019, eqs. 1–3; Wan et al. 2025, same form with λ = 100). Validation: BSDS500 ``val``.
* Classifier: 256×256 sliding-window patches (stride 128) of the RoadScene training split,
  infrared = 1, visible = 0, with the pretrained ``cam-ae`` encoder frozen.
  ``L_class = BCE + α·L_df`` with ``L_df = mean |norm(Σ_k φ_k) − norm(Σ_k W_c^k φ_k)|`` (min–max
  normalised per sample, c the patch's true class), α = 0 for the first ``ldf_start`` epochs and
  ``ldf_weight`` after (paper: 20 epochs, α = 3). Validation: a hash-split 10 % of the training pairs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ...errors import ParameterError
from ...nn.losses import ssim_loss
from ...nn.registry import import_networks, network_class
from ...nn.weights import NETWORKS, load_weights, shipped_weights_path
from ...train.data import (
    bsds500_images,
    load_grey,
    random_patches,
    roadscene_training_names,
    split_train_val,
)
from ...train.loop import StepOutput, TrainConfig, fit
from ...train.registry import register_trainer

__all__ = ["train_autoencoder", "train_fwa", "fwa_loss"]


def _ae_data(data_root: str | os.PathLike, max_images: int | None) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, Any]]:
    train_paths, val_paths = bsds500_images(data_root)
    rs_root = Path(data_root) / "ivif" / "roadscene-full"
    names = roadscene_training_names(data_root)
    rs_paths = [rs_root / src / n for n in names for src in ("ir", "vi")]
    if max_images:
        train_paths, val_paths, rs_paths = train_paths[:max_images], val_paths[:max(1, max_images // 4)], rs_paths[:max_images]
    train = [load_grey(p) for p in [*train_paths, *rs_paths]]
    val = [load_grey(p) for p in val_paths]
    info = {
        "source": "natural/bsds500/images train+test (grey Y) and ivif/roadscene-full ir+vi minus the 50 "
                  "ivif/roadscene test pairs; validation: bsds500 val",
        "excluded": ["bsds500 val/41033", "bsds500 train/323016", "bsds500 test/81095", "ivif/roadscene (50 names)"],
        "train_images": len(train),
        "val_images": len(val),
    }
    return train, val, info


def _ae_step(name: str, ssim_weight: float):
    signed = name == "cam-ae"  # the CAM autoencoder works in [-1, 1]

    def step(model: torch.nn.Module, batch: Any, device: torch.device) -> StepOutput:
        x = torch.from_numpy(batch).to(device)[:, None]
        if signed:
            x = 2 * x - 1
        x = x.contiguous(memory_format=torch.channels_last) if device.type == "cpu" else x
        y = model(x).float()
        xs = x.float()
        pixel = F.mse_loss(y, xs)
        rng = 2.0 if signed else 1.0
        loss = pixel + ssim_weight * ssim_loss(y, xs, data_range=rng)
        return StepOutput(loss=loss)

    return step


_AE = {"lr": 1e-3, "lr_min": 1e-5, "batch_size": 16, "val_size": 64}
_AE_EXTRAS = {"patch": 128, "ssim_weight": 100.0, "init": "", "freeze": "", "store_float16": False}
_GREY = "grey natural images (BSDS500) and RoadScene training pairs"


@register_trainer("cam-ae", defaults={"epochs": 28, "steps_per_epoch": 200, **_AE}, extras=_AE_EXTRAS, summary=_GREY)
@register_trainer("densefuse", defaults={"epochs": 6, "steps_per_epoch": 150, **_AE}, extras=_AE_EXTRAS, summary=_GREY)
def train_autoencoder(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
                      max_images: int | None = None, resume: bool = True, command: str = "",
                      progress: bool = True) -> dict[str, Any]:
    """Train ``densefuse`` or ``cam-ae`` as an autoencoder (see the module docstring).

    Parameters
    ----------
    name : {"densefuse", "cam-ae"}
    config : TrainConfig
        ``extra``: ``patch`` (128), ``ssim_weight`` λ (100); for fine-tuning, ``init`` (a weights file
        to start from, or ``"shipped"`` for the package's own) and ``freeze`` (``"encoder"``: train
        the decoder only, so that networks built on the frozen encoder — the CAM classifier — stay
        valid).
    out : path
    data_root : path
        The ``shared/data`` folder.
    max_images : int, optional
        Use only the first images (smoke runs).

    Returns
    -------
    dict: the model card.

    Raises
    ------
    ParameterError
        ``freeze`` is not ``"encoder"`` or empty.
    WeightsError
        ``init`` cannot be read or does not fit the network.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("densefuse").func is train_autoencoder  # run it through imagefusion.train.train
    True
    """
    import_networks()
    extra = config.extra
    size = int(extra.get("patch", 128))
    lam = float(extra.get("ssim_weight", 100.0))
    init = str(extra.get("init", "") or "")
    freeze = str(extra.get("freeze", "") or "")
    if freeze not in ("", "encoder"):
        raise ParameterError(f"freeze must be 'encoder' or empty, got {freeze!r}")
    train, val, info = _ae_data(data_root, max_images)
    train = [im for im in train if min(im.shape) >= size]
    val_batch = random_patches([im for im in val if min(im.shape) >= size], config.val_size, size,
                               np.random.default_rng([config.seed, 10**6]))
    torch.manual_seed(config.seed)
    model = network_class(name)()
    info["samples"] = f"random {size}x{size} grey patches"
    card = {"task": "ivif", "loss": f"MSE + {lam:g} * (1 - SSIM)", "training_data": info}
    if init:
        start = shipped_weights_path(name) if init == "shipped" else Path(init)
        load_weights(model, start)
        card["fine_tuned_from"] = _provenance(start)
    trainable = None
    if freeze:
        for p in model.encoder.parameters():
            p.requires_grad_(False)
        trainable = list(model.decoder.parameters())
        card["frozen"] = "encoder"
    return fit(name, model, sample=lambda rng, n: random_patches(train, n, size, rng), step=_ae_step(name, lam),
               config=config, out=Path(out), val_batch=val_batch, resume=resume, command=command, card=card,
               progress=progress, loss_name=f"{name}: MSE + {lam:g}(1 - SSIM)", trainable=trainable)


def _provenance(path: Path) -> dict[str, Any]:
    """SHA-256 of a weights file and the training record of its model card (when it has one)."""
    import hashlib

    from ...nn.weights import read_model_card

    info: dict[str, Any] = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    try:
        prior = read_model_card(path)  # {} for a file without a card
    except (OSError, ValueError):  # a card that cannot be read or is not JSON: record the hash only
        return info
    for key in ("command", "epochs", "steps", "final", "training_seconds", "fine_tuned_from"):
        if key in prior:
            info[key] = prior[key]
    return info


def _windows(images: list[np.ndarray], size: int, stride: int) -> list[tuple[int, int, int]]:
    out = []
    for i, im in enumerate(images):
        h, w = im.shape
        if h < size or w < size:
            continue
        ys = sorted({*range(0, h - size + 1, stride), h - size})
        xs = sorted({*range(0, w - size + 1, stride), w - size})
        out += [(i, y, x) for y in ys for x in xs]
    return out


class _WindowPatches:
    """Sliding-window patches of infrared (label 1) and visible (label 0) images."""

    def __init__(self, ir: list[np.ndarray], vi: list[np.ndarray], size: int, stride: int) -> None:
        self.images = {1: ir, 0: vi}
        self.size = size
        self.windows = {c: _windows(ims, size, stride) for c, ims in self.images.items()}

    def __len__(self) -> int:
        return sum(len(w) for w in self.windows.values())

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 2, n)
        s = self.size
        x = np.empty((n, s, s), np.float32)
        for k, c in enumerate(labels):
            i, y0, x0 = self.windows[int(c)][rng.integers(0, len(self.windows[int(c)]))]
            patch = self.images[int(c)][i][y0 : y0 + s, x0 : x0 + s]
            x[k] = patch[:, ::-1] if rng.random() < 0.5 else patch
        return x, labels.astype(np.float32)


def _minmax(t: torch.Tensor) -> torch.Tensor:
    flat = t.flatten(1)
    lo, hi = flat.min(1, keepdim=True)[0], flat.max(1, keepdim=True)[0]
    return ((flat - lo) / (hi - lo + 1e-8)).view_as(t)


def fwa_loss(model: torch.nn.Module, x: torch.Tensor, label: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``L_class = BCE + α·L_df`` of the FWA classifier on a batch (Wan et al. 2025).

    Parameters
    ----------
    model : FWANet
    x : torch.Tensor, (N, 1, H, W) in [−1, 1]
    label : torch.Tensor, (N,), 1 = infrared, 0 = visible
    alpha : float

    Returns
    -------
    loss : scalar tensor
    logits : (N,) tensor

    Examples
    --------
    >>> import torch
    >>> from imagefusion.models.autoencoder.network import FWANet
    >>> _ = torch.manual_seed(0)
    >>> loss, logits = fwa_loss(FWANet(), torch.zeros(2, 1, 32, 32), torch.tensor([1.0, 0.0]), alpha=0.0)
    >>> tuple(logits.shape), round(float(loss.detach()), 2)  # untrained: about ln 2
    ((2,), 0.69)
    """
    phi = model.features(x).float()
    logits = model.fc(phi.mean((2, 3)))[:, 0]
    loss = F.binary_cross_entropy_with_logits(logits, label)
    if alpha > 0:
        w = model.fc.weight[0].float()
        sign = (2 * label - 1)[:, None]  # W_ir = w, W_vi = -w
        cam = torch.einsum("nchw,nc->nhw", phi, sign * w[None])
        agnostic = phi.sum(1)
        loss = loss + alpha * (_minmax(agnostic) - _minmax(cam)).abs().mean()
    return loss, logits


@register_trainer("cam-fwa", defaults={"epochs": 30, "steps_per_epoch": 10, "batch_size": 16, "lr": 1e-3, "lr_min": 1e-5,
                                       "val_size": 128},
                  extras={"patch": 256, "window_stride": 128, "ldf_start": 20, "ldf_weight": 3.0, "autoencoder": "",
                          "store_float16": False},
                  summary="infrared/visible windows of the RoadScene training pairs",
                  variants={".no-ldf": {"ldf_weight": 0.0, "summary": "infrared/visible windows of the RoadScene "
                                        "training pairs, without L_df"}})
def train_fwa(name: str, config: TrainConfig, out: str | os.PathLike, *, data_root: str | os.PathLike,
              max_images: int | None = None, resume: bool = True, command: str = "",
              progress: bool = True) -> dict[str, Any]:
    """Train the FWA classifier (``cam-fwa``; ``cam-fwa.no-ldf`` has ``ldf_weight`` 0) on RoadScene
    training windows with the ``cam-ae`` encoder frozen.

    Parameters
    ----------
    name : {"cam-fwa", "cam-fwa.no-ldf"}
    config : TrainConfig
        ``extra``: ``patch`` (256), ``window_stride`` (128), ``ldf_start`` (20), ``ldf_weight`` α (3),
        ``autoencoder`` (a ``cam-ae`` safetensors file; default the shipped one).

    Returns
    -------
    dict: the model card.

    Raises
    ------
    WeightsError
        The autoencoder weights are missing or do not fit.

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("cam-fwa.no-ldf").func is train_fwa, get_trainer("cam-fwa.no-ldf").extras["ldf_weight"]
    (True, 0.0)
    """
    import_networks()
    extra = config.extra
    size, stride = int(extra.get("patch", 256)), int(extra.get("window_stride", 128))
    start, alpha = int(extra.get("ldf_start", 20)), float(extra.get("ldf_weight", 3.0))
    ae_path = extra.get("autoencoder") or shipped_weights_path("cam-ae")
    rs_root = Path(data_root) / "ivif" / "roadscene-full"
    names = roadscene_training_names(data_root)
    if max_images:
        names = names[:max_images]
    train_names, val_names = split_train_val([Path(n) for n in names], 0.1, config.seed)
    if not val_names:
        val_names = train_names[-1:]

    def load(ns: list[Path]) -> _WindowPatches:
        ir = [load_grey(rs_root / "ir" / n.name) for n in ns]
        vi = [load_grey(rs_root / "vi" / n.name) for n in ns]
        return _WindowPatches(ir, vi, size, stride)

    train_set, val_set = load(train_names), load(val_names)
    vx, vy = val_set.sample(config.val_size, np.random.default_rng([config.seed, 10**6]))
    torch.manual_seed(config.seed)
    model = network_class(name)()
    ae = NETWORKS["cam-ae"]()
    load_weights(ae, ae_path)
    model.encoder.load_state_dict(ae.encoder.state_dict())
    for p in model.encoder.parameters():
        p.requires_grad_(False)
    state = {"alpha": 0.0}

    def on_epoch(epoch: int) -> None:
        state["alpha"] = alpha if epoch >= start else 0.0

    def step(m: torch.nn.Module, batch: Any, device: torch.device) -> StepOutput:
        x = torch.from_numpy(2 * batch[0] - 1).to(device)[:, None]
        if device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        y = torch.from_numpy(batch[1]).to(device)
        loss, logits = fwa_loss(m, x, y, state["alpha"])
        return StepOutput(loss=loss, correct=int(((logits > 0).float() == y).sum()), count=len(y))

    card = {
        "task": "ivif",
        "loss": f"BCE + alpha * L_df, alpha = 0 for epochs 1-{start}, {alpha:g} after",
        "autoencoder": str(ae_path),
        "training_data": {
            "source": "ivif/roadscene-full minus the 50 ivif/roadscene test pairs, grey Y; "
                      f"{size}x{size} sliding windows (stride {stride}), infrared = 1, visible = 0; "
                      "images smaller than a window are skipped",
            "train_pairs": len(train_names),
            "val_pairs": len(val_names),
            "train_windows": len(train_set),
        },
    }
    return fit(name, model, sample=lambda rng, n: train_set.sample(n, rng), step=step, config=config,
               out=Path(out), val_batch=(vx, vy), resume=resume, command=command, card=card, progress=progress,
               on_epoch=on_epoch, trainable=[p for p in model.parameters() if p.requires_grad],
               loss_name=f"{name}: BCE + alpha L_df")
