"""The GAN training loop: every network of a GAN stepped by one ``step`` function, resumable.

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

from ..io import write_bytes_atomic
from ..nn.inference import cpu_threads, select_device, select_dtype
from ..nn.weights import save_weights
from .loop import TrainConfig, _write_log, load_checkpoint

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
