"""Training pairs for the end-to-end fusion networks, from the training splits only.

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

Every patch gets a random flip and transposition (:func:`task_samplers`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..pairs import find_pairs
from .data import (
    bsds500_images,
    load_grey,
    random_focus_mask,
    roadscene_training_names,
    split_train_val,
    synthetic_exposure_pair,
    synthetic_multifocus_pair,
)

__all__ = ["PairSampler", "SyntheticPairSampler", "darken_pairs", "task_samplers"]


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
