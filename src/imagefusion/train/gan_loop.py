"""GAN training on the one training loop (:func:`imagefusion.train.loop.run_loop`): every network of a
GAN stepped by one ``step`` function, resumable.

:func:`fit_gan` writes ``checkpoint.pt`` (all networks, optimisers, random states) after every epoch, so
an interrupted run resumes, logs every loss per epoch in ``log.csv`` and draws the generator's and the
discriminator's (critic's) curves side by side in ``loss.png``; at the end it ships the generator
alone (or its weight average, :func:`ema_update`), spectral normalisation folded into its weights,
with its model card.
"""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from ..io import write_bytes_atomic
from ..nn.inference import select_device, select_dtype
from ..nn.weights import save_weights
from .loop import LoopHooks, TrainConfig, run_card, run_loop

__all__ = ["fit_gan", "ema_update"]


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
    device = select_device(config.device)
    amp = select_dtype(device, config.precision)
    modules = {"generator": generator, **critics}
    for m in modules.values():
        m.to(device)
    if not 0.0 <= ema < 1.0:
        raise ValueError(f"ema must be in [0, 1), got {ema!r}")
    average = copy.deepcopy(generator).requires_grad_(False) if ema > 0 else None
    vb = torch.from_numpy(val_batch).to(device)

    def validate() -> dict[str, float]:
        net = average if average is not None else generator
        net.eval()
        with torch.no_grad(), torch.autocast(device.type, dtype=amp, enabled=amp != torch.float32):
            v = float(val_loss(net, vb))
        net.train()
        return {"val_loss": v}

    def _restore_average(saved: dict[str, Any] | None) -> None:  # without one: from the resumed generator
        average.load_state_dict(saved if saved is not None else generator.state_dict())

    def train_step(batch: torch.Tensor, gstep: int) -> dict[str, float]:
        with torch.autocast(device.type, dtype=amp, enabled=amp != torch.float32):
            return step(batch, gstep)

    def row(r: dict[str, Any]) -> dict[str, Any]:
        head = {"epoch": r["epoch"], "steps": r["steps"], "lr_scale": lr_at(r["steps"]) if lr_at else 1.0}
        losses = {k: v for k, v in r.items() if k not in ("epoch", "steps", "val_loss")}
        return {**head, **losses, "train_loss": losses.get("g_total"), "val_loss": r["val_loss"]}

    hooks = LoopHooks(
        sample=lambda rng: torch.from_numpy(sample(rng, config.batch_size, patch)).to(device),
        train_step=train_step, validate=validate, lr_scale=lr_at or (lambda s: 1.0),
        after_step=(lambda: ema_update(average, generator, ema)) if average is not None else None,
        state={"average": (lambda: average.state_dict(), _restore_average)} if average is not None else {},
        row=row, plot=lambda rows, path: _plot(rows, path, loss_name or name), postfix="g_total")
    rows, elapsed = run_loop(name, modules, optimizers, hooks, config, out, device=device, resume=resume,
                             progress=progress)
    out = Path(out)
    shipped = _fold_spectral_norm(average if average is not None else generator).cpu().eval()
    last = rows[-1] if rows else {}
    full_card = {
        **run_card(name, shipped, config, rows, elapsed, command, device),
        "architecture": type(generator).__name__,
        "critics": {k: {"architecture": type(m).__name__, "parameters": int(sum(p.numel() for p in m.parameters()))}
                    for k, m in critics.items()},
        "final": {"train_loss": last.get("train_loss"), "train_acc": None, "val_loss": last.get("val_loss"), "val_acc": None,
                  **{k: v for k, v in last.items() if k.startswith(("g_", "d_"))}},
        "threads": torch.get_num_threads(),
        **({"weight_average": f"exponential moving average of the generator, {ema:g} per step (shipped)"} if ema > 0 else {}),
        **(card or {}),
    }
    save_weights(shipped, out / f"{name}.safetensors", full_card)
    return full_card
