"""The one training loop of every network: seeded, device-agnostic, resumable.

:func:`run_loop` runs ``epochs × steps_per_epoch`` training steps of any set of networks and
optimisers; what differs between trainers comes in as hooks (:class:`LoopHooks`): the step itself
(one optimiser update for a supervised network, :func:`fit`; a generator's and its critics' updates
for a GAN, :func:`imagefusion.train.gan_loop.fit_gan`), the validation, the learning-rate schedule,
a call before each epoch and after each step, state to checkpoint beside the networks, the log row.
:func:`fit` runs ``epochs × steps_per_epoch`` optimiser steps. Each epoch draws its batches from a
random generator seeded by ``(seed, epoch)``, so a run that is interrupted and resumed from its
checkpoint makes the same batches, and on one machine and thread count ends with the same weights,
as a run that was never interrupted. After every epoch it writes, atomically, in ``out``:

* ``checkpoint.pt`` — network, optimiser, epoch and log (deleted by nobody: a later run with
  ``resume=True`` continues from it, a finished run with more ``epochs`` trains on);
* ``log.csv`` — one row per epoch: training loss and accuracy, validation loss and accuracy, the
  learning rate, seconds;
* ``loss.png`` — training and validation loss per epoch.

At the end it writes ``NAME.safetensors`` and its model card ``NAME.json``
(:func:`imagefusion.nn.weights.save_weights`).
"""

from __future__ import annotations

import csv
import io
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..io import write_bytes_atomic
from ..nn.inference import cpu_threads, select_device, select_dtype
from ..nn.weights import save_weights

__all__ = ["TrainConfig", "StepOutput", "LoopHooks", "run_loop", "fit", "load_checkpoint", "plot_losses"]


def load_checkpoint(path: str | Path, keys: tuple[str, ...], device: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a training checkpoint as data: tensors, numbers, strings, lists and dicts, never code.

    The file is unpickled with ``torch.load(..., weights_only=True)``, whose unpickler builds only
    tensors and plain containers: a pickle that would import a module or call a function (a planted
    payload) is refused before anything in it runs.

    Parameters
    ----------
    path : str or Path
        ``checkpoint.pt`` as :func:`fit` or :func:`imagefusion.train.gan_loop.fit_gan` write it.
    keys : tuple of str
        The entries the checkpoint must hold (``"model"``, ``"optimizer"``, ...).
    device : str or torch.device, default "cpu"
        Where the tensors are loaded.

    Returns
    -------
    dict
        The checkpoint's entries.

    Raises
    ------
    WeightsError
        The file is not a checkpoint: truncated, not a torch file, a pickle that builds anything but
        tensors and containers, or one of ``keys`` missing. The message names the file, says what is
        wrong, and how to start afresh (``--no-resume`` or another ``--out``).

    Examples
    --------
    >>> import pickle, tempfile, torch
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, d / "checkpoint.pt")
    >>> load_checkpoint(d / "checkpoint.pt", ("model", "epoch"))["epoch"]
    3
    >>> class Payload:
    ...     def __reduce__(self):
    ...         return (print, ("this never prints",))
    >>> _ = (d / "planted.pt").write_bytes(pickle.dumps({"model": Payload()}))
    >>> try:
    ...     load_checkpoint(d / "planted.pt", ("model",))
    ... except Exception as exc:
    ...     print(type(exc).__name__, "refusing" in str(exc))
    WeightsError True
    """
    import pickle
    import zipfile

    from ..errors import WeightsError

    path = Path(path)
    fresh = "move it away, or start afresh with --no-resume or another --out"
    if not path.is_file():
        raise WeightsError(f"{path}: checkpoint not found (or not a regular file)")
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()
        why = next((ln.strip() for ln in first if "Unsupported global" in ln or "GLOBAL" in ln), "")
        raise WeightsError(f"{path}: refusing to load a checkpoint that holds more than tensors and plain data"
                           f"{' (' + why[:160] + ')' if why else ''}; {fresh}") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, AttributeError, TypeError) as exc:
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise WeightsError(f"{path}: not a readable checkpoint (truncated or not a torch file: {msg}); {fresh}") from None
    if not isinstance(ck, dict):
        raise WeightsError(f"{path}: not an imagefusion checkpoint (holds a {type(ck).__name__}, not a dict); {fresh}")
    missing = [k for k in keys if k not in ck]
    if missing:
        raise WeightsError(f"{path}: not an imagefusion checkpoint of this trainer (no {', '.join(missing)}); {fresh}")
    return ck


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (every field can come from a JSON/TOML config file).

    Attributes
    ----------
    epochs : int
        Epochs to train (an epoch is ``steps_per_epoch`` optimiser steps).
    steps_per_epoch : int
    batch_size : int
    lr : float
        Adam's learning rate at the start; it follows a cosine to ``lr_min`` over all steps.
    lr_min : float
    weight_decay : float
    seed : int
        Seeds the network's initial weights and every batch.
    val_size : int
        Validation samples drawn once (seeded) from the validation data.
    device : str
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    precision : str
        ``"auto"``: bfloat16 mixed precision (``torch.autocast``; the weights stay float32) where the
        device computes bfloat16 natively (:func:`imagefusion.nn.inference.select_dtype`), about 5×
        faster on an AMX CPU; ``"float32"``; ``"bfloat16"``.
    threads : int or None
        torch CPU threads (default: all cores).
    extra : dict
        Method-specific settings (blur levels, patch size, ...).

    Examples
    --------
    >>> cfg = TrainConfig(epochs=2, batch_size=8)
    >>> cfg.epochs, cfg.steps_per_epoch, cfg.device
    (2, 500, 'cpu')
    """

    epochs: int = 10
    steps_per_epoch: int = 500
    batch_size: int = 128
    lr: float = 1e-3
    lr_min: float = 1e-5
    weight_decay: float = 0.0
    seed: int = 0
    val_size: int = 4096
    device: str = "cpu"
    precision: str = "auto"
    threads: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        """Build from a mapping; unknown keys go to :attr:`extra`."""
        known = {f for f in cls.__dataclass_fields__}
        base = {k: v for k, v in values.items() if k in known and k != "extra"}
        extra = dict(values.get("extra", {}))
        extra.update({k: v for k, v in values.items() if k not in known})
        return cls(**base, extra=extra)


@dataclass
class StepOutput:
    """What a loss function returns for one batch: the loss to minimise and the number of correct
    predictions (for an accuracy column; ``None`` when the task has no classes).

    Parameters
    ----------
    loss : torch.Tensor
        A scalar, the loss to minimise.
    correct : int, optional
        Correct predictions in the batch (classifiers).
    count : int, default 1
        Samples in the batch, for the accuracy.

    Examples
    --------
    >>> import torch
    >>> out = StepOutput(torch.tensor(0.5), correct=7, count=8)
    >>> float(out.loss), out.correct / out.count
    (0.5, 0.875)
    """

    loss: torch.Tensor
    correct: int | None = None
    count: int = 1


def _lr_at(cfg: TrainConfig, step: int) -> float:
    total = max(1, cfg.epochs * cfg.steps_per_epoch)
    return cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1 + math.cos(math.pi * min(step, total) / total))


def plot_losses(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Write the training/validation loss curve of ``rows`` (``log.csv`` rows) as a PNG.

    Parameters
    ----------
    rows : list of dict
        ``log.csv`` rows: ``epoch``, ``train_loss``, ``val_loss`` (and ``val_acc``).
    path : path
        The PNG to write (atomically).
    title : str

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "loss.png"
    >>> plot_losses([{"epoch": 1, "train_loss": 0.5, "val_loss": 0.6}, {"epoch": 2, "train_loss": 0.3, "val_loss": 0.4}], p, "demo")
    >>> p.read_bytes()[1:4]
    b'PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    ep = [r["epoch"] for r in rows]
    ax.plot(ep, [r["train_loss"] for r in rows], "o-", label="training")
    if rows and rows[0].get("val_loss") is not None:
        ax.plot(ep, [r["val_loss"] for r in rows], "s-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def _write_log(rows: list[dict[str, Any]], path: Path) -> None:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    write_bytes_atomic(path, buf.getvalue().encode())


@dataclass
class LoopHooks:
    """What one trainer adds to :func:`run_loop`.

    Attributes
    ----------
    sample : callable (rng) -> batch
        Draws one training batch with the epoch's generator (``numpy.random.Generator``).
    train_step : callable (batch, global step) -> dict of str to float
        One training iteration: runs its updates and returns its losses as numbers; the log row
        holds each one's mean over the epoch.
    validate : callable () -> dict of str to float or None
        Scores the validation data after each epoch (``val_loss``, ``val_acc``, ...).
    lr_scale : callable (global step) -> float, optional
        Multiplier of every optimiser's initial learning rates (default constant 1).
    on_epoch : callable (epoch) -> None, optional
        Called before each epoch (0-based), also on resume, so schedules survive an interruption.
    after_step : callable () -> None, optional
        Called after each training step (a weight average's update).
    state : dict of str to (getter, setter), optional
        More entries checkpointed beside the networks: ``getter()`` returns data (tensors, numbers,
        containers), ``setter(value)`` restores it on resume (``None`` when the checkpoint lacks it;
        the networks are restored by then).
    row : callable (row) -> dict, optional
        Finishes an epoch's log row (``epoch``, ``steps``, the mean losses, the validation) before
        ``seconds`` is added.
    plot : callable (rows, path) -> None, optional
        Draws ``loss.png`` (default :func:`plot_losses`).
    postfix : str, default "train_loss"
        The loss the progress bar shows.

    Examples
    --------
    >>> hooks = LoopHooks(sample=lambda rng: None, train_step=lambda b, i: {"train_loss": 0.0}, validate=dict)
    >>> hooks.lr_scale(10)
    1.0
    """

    sample: Callable[[np.random.Generator], Any]
    train_step: Callable[[Any, int], dict[str, float]]
    validate: Callable[[], dict[str, Any]]
    lr_scale: Callable[[int], float] = lambda step: 1.0
    on_epoch: Callable[[int], None] | None = None
    after_step: Callable[[], None] | None = None
    state: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = field(default_factory=dict)
    row: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    plot: Callable[[list[dict[str, Any]], Path], None] | None = None
    postfix: str = "train_loss"


def _read_loop_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    """The checkpoint of :func:`run_loop`, or one of :func:`fit` before the loops were one (a single
    network under ``model``/``optimizer``), as data."""
    ck = load_checkpoint(path, ("rows", "epoch"), device)
    if "modules" not in ck and "model" in ck and "optimizer" in ck:
        ck["modules"], ck["optimizers"] = {"model": ck["model"]}, {"model": ck["optimizer"]}
    if "modules" not in ck or "optimizers" not in ck:
        from ..errors import WeightsError

        raise WeightsError(f"{path}: not an imagefusion checkpoint of this trainer (no networks or optimisers); "
                           "move it away, or start afresh with --no-resume or another --out")
    return ck


def _resume(ckpt: Path, modules: dict[str, torch.nn.Module], optimizers: dict[str, torch.optim.Optimizer],
            hooks: LoopHooks, device: torch.device) -> tuple[list[dict[str, Any]], int, float]:
    """Restore a run from its checkpoint; return (log rows, epochs done, seconds so far)."""
    ck = _read_loop_checkpoint(ckpt, device)
    for k, m in modules.items():
        m.load_state_dict(ck["modules"][k])
    for k, o in optimizers.items():
        o.load_state_dict(ck["optimizers"][k])
    if "torch_rng" in ck:
        torch.set_rng_state(ck["torch_rng"])
    for k, (_, restore) in hooks.state.items():
        restore(ck.get(k))
    return ck["rows"], ck["epoch"], ck.get("seconds", 0.0)


def run_loop(
    name: str,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    hooks: LoopHooks,
    config: TrainConfig,
    out: str | Path,
    *,
    device: torch.device,
    resume: bool = True,
    progress: bool = True,
) -> tuple[list[dict[str, Any]], float]:
    """Train ``modules`` for ``config.epochs`` epochs, checkpointing after each one.

    Each epoch draws its batches from ``numpy.random.default_rng((config.seed, epoch))``; the torch
    random state is checkpointed too, so a resumed run repeats what an uninterrupted one does. After
    each epoch ``out`` gets ``checkpoint.pt`` (every network, optimiser and ``hooks.state`` entry;
    read back as data only, :func:`load_checkpoint`), ``log.csv`` and ``loss.png``, each written
    atomically.

    Parameters
    ----------
    name : str
        For the progress bar.
    modules : dict of str to torch.nn.Module
        Every network the run trains (already on ``device``); checkpointed by key.
    optimizers : dict of str to torch.optim.Optimizer
        Checkpointed by key; their learning rates are ``initial × hooks.lr_scale(step)``.
    hooks : LoopHooks
    config : TrainConfig
    out : path
        Output folder (created).
    device : torch.device
    resume : bool, default True
        Continue from ``out/checkpoint.pt`` when it exists.
    progress : bool, default True
        A progress bar (tqdm; hidden when stderr is not a terminal).

    Returns
    -------
    rows : list of dict
        The log, one row per epoch.
    seconds : float
        Training time, resumed runs included.

    Raises
    ------
    imagefusion.errors.WeightsError
        ``checkpoint.pt`` is not a checkpoint of this run's networks, or holds more than data.

    Examples
    --------
    >>> import tempfile, numpy as np, torch
    >>> net = torch.nn.Linear(1, 1)
    >>> opt = {"net": torch.optim.SGD(net.parameters(), lr=0.1)}
    >>> def step(x, i):  # learn y = 2x
    ...     loss = ((net(x) - 2 * x) ** 2).mean(); opt["net"].zero_grad(); loss.backward(); opt["net"].step()
    ...     return {"train_loss": float(loss)}
    >>> hooks = LoopHooks(sample=lambda rng: torch.from_numpy(rng.random((8, 1), dtype=np.float32)),
    ...                   train_step=step, validate=dict)
    >>> rows, _ = run_loop("demo", {"net": net}, opt, hooks, TrainConfig(epochs=2, steps_per_epoch=200),
    ...                    tempfile.mkdtemp(), device=torch.device("cpu"), progress=False)
    >>> len(rows), rows[-1]["train_loss"] < 1e-3
    (2, True)
    """
    from tqdm import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    base_lr = {k: [g["lr"] for g in o.param_groups] for k, o in optimizers.items()}
    rows: list[dict[str, Any]] = []
    start, elapsed = 0, 0.0
    if resume and ckpt.is_file():
        rows, start, elapsed = _resume(ckpt, modules, optimizers, hooks, device)
    plot = hooks.plot or (lambda r, p: plot_losses(r, p, name))
    n = config.steps_per_epoch
    with cpu_threads(config.threads):
        for m in modules.values():
            m.train()
        for epoch in range(start, config.epochs):
            t0 = time.perf_counter()
            if hooks.on_epoch is not None:
                hooks.on_epoch(epoch)
            rng = np.random.default_rng([config.seed, epoch])
            sums: dict[str, float] = {}
            bar = tqdm(range(n), desc=f"{name} epoch {epoch + 1}/{config.epochs}",
                       disable=None if progress else True, leave=False)
            for i in bar:
                gstep = epoch * n + i
                scale = hooks.lr_scale(gstep)
                for k, o in optimizers.items():
                    for grp, lr in zip(o.param_groups, base_lr[k]):
                        grp["lr"] = lr * scale
                losses = hooks.train_step(hooks.sample(rng), gstep)
                if hooks.after_step is not None:
                    hooks.after_step()
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                bar.set_postfix(loss=f"{sums.get(hooks.postfix, 0.0) / (i + 1):.4f}")
            row: dict[str, Any] = {"epoch": epoch + 1, "steps": (epoch + 1) * n, **{k: v / n for k, v in sums.items()},
                                   **hooks.validate()}
            elapsed += time.perf_counter() - t0
            rows.append({**(hooks.row(row) if hooks.row else row), "seconds": round(elapsed, 1)})
            buf = io.BytesIO()
            torch.save({"modules": {k: m.state_dict() for k, m in modules.items()}, "epoch": epoch + 1, "rows": rows,
                        "optimizers": {k: o.state_dict() for k, o in optimizers.items()}, "seconds": elapsed,
                        "config": asdict(config), "torch_rng": torch.get_rng_state(),
                        **{k: get() for k, (get, _) in hooks.state.items()}}, buf)
            write_bytes_atomic(ckpt, buf.getvalue())
            _write_log(rows, out / "log.csv")
            plot(rows, out / "loss.png")
    return rows, elapsed


def run_card(name: str, shipped: torch.nn.Module, config: TrainConfig, rows: list[dict[str, Any]], elapsed: float,
             command: str, device: torch.device) -> dict[str, Any]:
    """The model-card fields every trainer writes: the network, its size, the run and where it ran."""
    return {"network": name, "architecture": type(shipped).__name__,
            "parameters": int(sum(p.numel() for p in shipped.parameters())), "config": asdict(config),
            "epochs": len(rows), "steps": rows[-1].get("steps", 0) if rows else 0, "training_seconds": round(elapsed, 1),
            "command": command, "torch": torch.__version__,
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "device": str(device)}


def _supervised(name: str, model: torch.nn.Module, sample: Callable[[np.random.Generator, int], Any],
                step: Callable[[torch.nn.Module, Any, torch.device], StepOutput], config: TrainConfig,
                device: torch.device, val_batch: Any, trainable: Any, on_epoch: Callable[[int], None] | None,
                loss_name: str | None) -> tuple[LoopHooks, Callable, torch.optim.Optimizer]:
    """:func:`fit`'s hooks: one Adam update per step on a cosine schedule, the loss (and accuracy) logged."""
    amp_dtype = select_dtype(device, config.precision)
    autocast = lambda: torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype != torch.float32)  # noqa: E731
    params = list(model.parameters()) if trainable is None else list(trainable)
    opt = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)

    def validate(net: torch.nn.Module) -> tuple[float | None, float | None]:
        if val_batch is None:
            return None, None
        mode = net.training
        net.eval()
        with torch.no_grad(), autocast():
            res = step(net, val_batch, device)
        net.train(mode)
        return float(res.loss), None if res.correct is None else res.correct / res.count

    def train_step(batch: Any, gstep: int) -> dict[str, float]:
        with autocast():
            res = step(model, batch, device)
        opt.zero_grad(set_to_none=True)
        res.loss.backward()
        opt.step()
        losses = {"train_loss": float(res.loss.detach())}
        if res.correct is not None:
            losses.update(correct=float(res.correct), count=float(res.count))
        return losses

    def row(r: dict[str, Any]) -> dict[str, Any]:
        correct, count = r.pop("correct", None), r.pop("count", None)
        return {"epoch": r["epoch"], "steps": r["steps"], "lr": _lr_at(config, r["steps"]), "train_loss": r["train_loss"],
                "train_acc": correct / count if count else None, "val_loss": r["val_loss"], "val_acc": r["val_acc"]}

    def curve(rows: list[dict[str, Any]], path: Path) -> None:
        has_acc = rows[-1].get("train_acc") is not None
        plot_losses(rows, path, loss_name or (f"{name}: cross-entropy" if has_acc else name))

    hooks = LoopHooks(sample=lambda rng: sample(rng, config.batch_size), train_step=train_step,
                      validate=lambda: dict(zip(("val_loss", "val_acc"), validate(model))),
                      lr_scale=lambda s: _lr_at(config, s) / config.lr,
                      on_epoch=on_epoch, row=row, plot=curve)
    return hooks, validate, opt


def fit(
    name: str,
    model: torch.nn.Module,
    *,
    sample: Callable[[np.random.Generator, int], Any],
    step: Callable[[torch.nn.Module, Any, torch.device], StepOutput],
    config: TrainConfig,
    out: str | Path,
    val_batch: Any = None,
    resume: bool = True,
    command: str = "",
    card: dict[str, Any] | None = None,
    progress: bool = True,
    on_epoch: Callable[[int], None] | None = None,
    trainable: Any = None,
    loss_name: str | None = None,
    export: Callable[[torch.nn.Module, Callable[[torch.nn.Module], tuple[float | None, float | None]]],
                     tuple[torch.nn.Module, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Train ``model`` and export its weights.

    Parameters
    ----------
    name : str
        The network's registry name; names the weights file ``out/NAME.safetensors``.
    model : torch.nn.Module
        Freshly initialised (seed torch with ``config.seed`` before building it).
    sample : callable (rng, batch_size) -> batch
        Draws one training batch (numpy arrays) with the given generator.
    step : callable (model, batch, device) -> StepOutput
        Moves the batch to ``device``, runs the network and returns the loss.
    config : TrainConfig
    out : path
        Output folder (created).
    val_batch : batch, optional
        A fixed validation batch (same kind as ``sample``'s), scored after each epoch.
    resume : bool, default True
        Continue from ``out/checkpoint.pt`` when it exists.
    command : str
        The command line that started the run (for the model card).
    card : dict, optional
        More model-card fields (training data, ...).
    progress : bool, default True
        Show a progress bar (tqdm; hidden when stderr is not a terminal).
    on_epoch : callable (epoch) -> None, optional
        Called before each epoch (0-based) — for schedules such as a loss weight that switches on
        after some epochs; it is also called on resume, so schedules survive an interruption.
    trainable : iterable of parameters, optional
        The parameters to optimise (default all of ``model``'s; pass a subset to freeze the rest).
    loss_name : str, optional
        Title of the loss-curve plot.
    export : callable (model, validate) -> (model, dict), optional
        Turns the trained network into the one that is saved (a compressed copy, say) and returns
        more model-card fields; ``validate(net)`` scores any network on the validation batch exactly
        as after each epoch and returns ``(loss, accuracy)``. It also runs when a finished run is
        resumed, so a new export needs no retraining.

    Returns
    -------
    dict
        The model card written beside the weights.

    Examples
    --------
    >>> import tempfile, numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> def sample(rng, n):  # learn y = x1 + x2
    ...     x = rng.random((n, 2)).astype(np.float32)
    ...     return x, x.sum(1, keepdims=True)
    >>> def step(model, batch, device):
    ...     x, y = (torch.from_numpy(v).to(device) for v in batch)
    ...     return StepOutput(torch.mean((model(x) - y) ** 2))
    >>> cfg = TrainConfig(epochs=2, steps_per_epoch=100, batch_size=16, lr=0.05, val_size=32)
    >>> card = fit("demo-linear", torch.nn.Linear(2, 1), sample=sample, step=step, config=cfg,
    ...            out=tempfile.mkdtemp(), val_batch=sample(np.random.default_rng(1), 32), progress=False)
    >>> card["steps"], card["final"]["val_loss"] < 0.01
    (200, True)
    """
    device = select_device(config.device)
    model.to(device)
    if device.type == "cpu":
        model.to(memory_format=torch.channels_last)
    hooks, validate, opt = _supervised(name, model, sample, step, config, device, val_batch, trainable, on_epoch,
                                       loss_name)
    rows, elapsed = run_loop(name, {"model": model}, {"model": opt}, hooks, config, out, device=device, resume=resume,
                             progress=progress)
    out = Path(out)
    model.eval()
    exported: dict[str, Any] = {}
    if export is not None:
        with cpu_threads(config.threads):
            model, exported = export(model, validate)
        model.eval()
    last = rows[-1] if rows else {}
    full_card = {**run_card(name, model, config, rows, elapsed, command, device),
                 "final": {k: last.get(k) for k in ("train_loss", "train_acc", "val_loss", "val_acc")},
                 **(card or {}), **exported}
    dtype = torch.float16 if config.extra.get("store_float16") else None
    save_weights(model, out / f"{name}.safetensors", full_card, dtype=dtype)
    return full_card
