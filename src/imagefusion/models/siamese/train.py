"""Training of the Siamese focus classifiers (``siamese-cnn``, ``cnn-liu2017``).

Liu et al., Information Fusion 36, 2017, Section 3.2: cross-entropy on pairs of 16×16 grey patches,
one sharp and one Gaussian-blurred copy (σ = 2, 7×7, 1–5 times), in both orders. Our patches come
from BSDS500 (:func:`imagefusion.train.data.bsds500_images`); see
:class:`~imagefusion.train.data.MultiFocusPatchPairs` for the sampling.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ...errors import ParameterError
from ...nn.registry import import_networks, network_class
from ...train.data import MultiFocusPatchPairs, bsds500_images, load_grey
from ...train.loop import StepOutput, TrainConfig, fit
from ...train.registry import register_trainer

__all__ = ["train_siamese"]

def _step(model: torch.nn.Module, batch: Any, device: torch.device) -> StepOutput:
    a, b, label = (torch.from_numpy(x).to(device) for x in batch)
    logits = model(a, b).flatten(1).float()
    loss = F.cross_entropy(logits, label)
    correct = int((logits.argmax(1) == label).sum())
    return StepOutput(loss=loss, correct=correct, count=len(label))


_SIAMESE_EXTRAS = {"blur_levels": 5, "both_blurred": 0.25, "store_float16": False, "fc1_rank": 0}
_PATCHES = "synthetic multi-focus patch pairs from BSDS500"


@register_trainer("cnn-liu2017", defaults={"epochs": 10, "steps_per_epoch": 300, "batch_size": 128, "lr": 5e-4,
                                           "lr_min": 1e-5, "val_size": 4096},
                  extras={**_SIAMESE_EXTRAS, "store_float16": True, "fc1_rank": 32}, summary=_PATCHES)
@register_trainer("siamese-cnn", defaults={"epochs": 12, "steps_per_epoch": 400, "batch_size": 128, "lr": 1e-3,
                                           "lr_min": 1e-5, "val_size": 4096},
                  extras=_SIAMESE_EXTRAS, summary=_PATCHES)
def train_siamese(
    name: str,
    config: TrainConfig,
    out: str | os.PathLike,
    *,
    data_root: str | os.PathLike,
    max_images: int | None = None,
    resume: bool = True,
    command: str = "",
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``siamese-cnn`` or ``cnn-liu2017`` on synthetic multi-focus patch pairs.

    Parameters
    ----------
    name : {"siamese-cnn", "cnn-liu2017"}
    config : TrainConfig
        ``extra`` may set ``blur_levels`` (5), ``both_blurred`` (0.25), ``store_float16``, and for
        ``cnn-liu2017`` ``fc1_rank`` (32 by default; 0 keeps the full layer): the trained ``fc1`` is
        saved as its best rank-r approximation (:meth:`~imagefusion.models.siamese.network.LiuCNN.low_rank`), and
        the model card's ``fc1_low_rank`` gives the validation loss and accuracy before and after.
    out : path
        Output folder (checkpoint, log, loss curve, weights, model card).
    data_root : path
        The ``shared/data`` folder (BSDS500 under ``natural/bsds500``).
    max_images : int, optional
        Use only the first images of each split (smoke runs).

    Returns
    -------
    dict: the model card.

    Raises
    ------
    ParameterError
        ``fc1_rank`` for ``siamese-cnn``, or outside [0, 256].

    Examples
    --------
    >>> from imagefusion.train.registry import get_trainer
    >>> get_trainer("siamese-cnn").func is train_siamese, get_trainer("cnn-liu2017").func is train_siamese
    (True, True)
    """
    import_networks()
    extra = config.extra
    rank = int(extra.get("fc1_rank") or 0)
    if rank and (name != "cnn-liu2017" or not 1 <= rank <= 256):
        raise ParameterError(f"fc1_rank applies to cnn-liu2017 and must be in [0, 256], got {rank} for {name}")
    train_paths, val_paths = bsds500_images(data_root)
    if max_images:
        train_paths, val_paths = train_paths[:max_images], val_paths[: max(1, max_images // 4)]
    levels = int(extra.get("blur_levels", 5))
    mixed = float(extra.get("both_blurred", 0.25))
    train_set = MultiFocusPatchPairs([load_grey(p) for p in train_paths], levels=levels, both_blurred=mixed)
    val_set = MultiFocusPatchPairs([load_grey(p) for p in val_paths], levels=levels, both_blurred=mixed)
    val_batch = val_set.sample(config.val_size, np.random.default_rng([config.seed, 10**6]))
    torch.manual_seed(config.seed)
    model = network_class(name)()
    card = {
        "task": "mff",
        "training_data": {
            "source": "natural/bsds500/images (BSDS500), grey Y; train+test folders for training, val for validation",
            "excluded": ["val/41033", "train/323016", "test/81095"],
            "train_images": len(train_paths),
            "val_images": len(val_paths),
            "samples": "16x16 patch pairs: sharp vs Gaussian-blurred (sigma 2, 7x7, 1-5 times), both orders; "
                       f"{mixed:.0%} mildly blurred vs blurrier",
        },
    }

    def low_rank(net: torch.nn.Module, validate: Any) -> tuple[torch.nn.Module, dict[str, Any]]:
        small = net.low_rank(rank)
        (loss_full, acc_full), (loss, acc) = validate(net), validate(small)
        return small, {"fc1_low_rank": {
            "rank": rank,
            "how": "truncated SVD of the trained fc1 weight matrix (256 x 32768), balanced factors",
            "parameters_full": int(sum(p.numel() for p in net.parameters())),
            "val_loss_full": loss_full, "val_acc_full": acc_full, "val_loss": loss, "val_acc": acc,
        }}

    return fit(name, model, sample=lambda rng, n: train_set.sample(n, rng), step=_step, config=config,
               out=Path(out), val_batch=val_batch, resume=resume, command=command, card=card, progress=progress,
               export=low_rank if rank else None)
