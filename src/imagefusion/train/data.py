"""Training data: image lists with deterministic splits, patch sampling, paired-folder and
single-image datasets, and synthetic multi-focus pairs.

Training images come from ``shared/data/natural/bsds500`` (all 500 BSDS500 images are training
data; its ``val`` folder is held out to check training) minus the three images that
``mff/classic`` was made from (:data:`BSDS500_TEST_OVERLAP`). Evaluation sets (``mff/*``,
``ivif/tno``, ``ivif/roadscene``, ``medical/ct-mri``) are refused by :func:`check_not_evaluation_set`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..color import rgb_to_ycbcr
from ..errors import InvalidImageError
from ..io import IMAGE_EXTENSIONS, read_image
from ..pairs import find_pairs

__all__ = [
    "random_focus_mask",
    "synthetic_exposure_pair",
    "BSDS500_TEST_OVERLAP",
    "EVALUATION_SETS",
    "check_not_evaluation_set",
    "list_images",
    "split_train_val",
    "bsds500_images",
    "roadscene_training_names",
    "MEDICAL_TRAINING_SETS",
    "medical_training_images",
    "load_grey",
    "random_patches",
    "SingleImageDataset",
    "PairedFolderDataset",
    "blur_stack",
    "MultiFocusPatchPairs",
    "synthetic_multifocus_pair",
]

#: BSDS500 images that ``mff/classic`` pairs aymaz_03/06/07/20 were made from (shared/data README).
BSDS500_TEST_OVERLAP = ("val/41033", "train/323016", "test/81095")

#: Dataset folders used for evaluation; never train on them.
EVALUATION_SETS = ("mff/lytro", "mff/mffw", "mff/classic", "ivif/tno", "ivif/roadscene", "medical/ct-mri")


def check_not_evaluation_set(folder: str | os.PathLike) -> None:
    """Raise :class:`ValueError` if ``folder`` is (inside) one of :data:`EVALUATION_SETS`.

    Parameters
    ----------
    folder : path

    Raises
    ------
    ValueError
        ``folder`` is, or lies inside, an evaluation set.

    Examples
    --------
    >>> check_not_evaluation_set("data/ivif/roadscene-full")  # a training set: nothing happens
    >>> try:
    ...     check_not_evaluation_set("data/mff/lytro")
    ... except ValueError as exc:
    ...     print(str(exc)[:40])
    data/mff/lytro: mff/lytro is an evaluati
    """
    parts = Path(folder).resolve().as_posix()
    for name in EVALUATION_SETS:
        if f"/{name}/" in parts + "/":
            raise ValueError(f"{folder}: {name} is an evaluation set; training on it would leak the test data")


def list_images(folder: str | os.PathLike, exclude: Sequence[str] = ()) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted), without those whose path relative to
    ``folder`` minus the extension is in ``exclude`` (e.g. ``"val/41033"``).

    Parameters
    ----------
    folder : path
    exclude : sequence of str, optional
        Paths relative to ``folder`` without the extension.

    Returns
    -------
    list of Path

    Raises
    ------
    InvalidImageError
        ``folder`` is not a folder or holds no images.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("train/1", "train/2", "val/3"):
    ...     _ = write_image(root / f"{name}.png", np.zeros((4, 4)))
    >>> [p.stem for p in list_images(root, exclude=["train/2"])]
    ['1', '3']
    """
    root = Path(folder)
    if not root.is_dir():
        raise InvalidImageError(f"{root}: not a folder")
    skip = set(exclude)
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
        and p.relative_to(root).with_suffix("").as_posix() not in skip
    )
    if not files:
        raise InvalidImageError(f"{root}: no images ({', '.join(IMAGE_EXTENSIONS)}) found")
    return files


def split_train_val(paths: Sequence[Path], val_fraction: float = 0.1, seed: int = 0) -> tuple[list[Path], list[Path]]:
    """Deterministic split by a hash of each file name and ``seed`` (stable when files are added).

    Parameters
    ----------
    paths : sequence of Path
    val_fraction : float, default 0.1
        Share held out for validation, about.
    seed : int, default 0

    Returns
    -------
    train, val : list of Path

    Examples
    --------
    >>> from pathlib import Path
    >>> train, val = split_train_val([Path(f"{i}.png") for i in range(100)], 0.2)
    >>> len(train) + len(val), 10 < len(val) < 30, split_train_val([Path("a.png"), Path("b.png")])[1] == []
    (100, True, True)
    """
    def u(p: Path) -> float:
        h = hashlib.sha256(f"{seed}:{p.name}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64

    val = [p for p in paths if u(p) < val_fraction]
    train = [p for p in paths if u(p) >= val_fraction]
    return train, val


def bsds500_images(data_root: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """BSDS500 training and validation images from ``data_root/natural/bsds500/images``.

    Training: the ``train`` and ``test`` folders; validation: ``val``; both without
    :data:`BSDS500_TEST_OVERLAP`.

    Parameters
    ----------
    data_root : path
        The ``shared/data`` folder.

    Returns
    -------
    train, val : list of Path (390 and 99 files for the full set)

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("train/1", "test/2", "val/3", "val/41033"):
    ...     _ = write_image(root / "natural/bsds500/images" / f"{name}.png", np.zeros((4, 4)))
    >>> [[p.stem for p in part] for part in bsds500_images(root)]  # val/41033 is an evaluation image
    [['2', '1'], ['3']]
    """
    root = Path(data_root) / "natural" / "bsds500" / "images"
    files = list_images(root, exclude=BSDS500_TEST_OVERLAP)
    train = [p for p in files if p.parent.name in ("train", "test")]
    val = [p for p in files if p.parent.name == "val"]
    return train, val


def roadscene_training_names(data_root: str | os.PathLike) -> list[str]:
    """File names of the RoadScene pairs that may be used for training: ``ivif/roadscene-full``
    without the 50 pairs of the ``ivif/roadscene`` test set (shared/data README).

    Parameters
    ----------
    data_root : path
        The ``shared/data`` folder.

    Returns
    -------
    list of str, sorted (171 names for the full set)

    Raises
    ------
    InvalidImageError
        ``ivif/roadscene-full`` is missing or not a paired folder.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub in ("ir", "vi"):
    ...     for n in ("FLIR_1", "FLIR_2"):
    ...         _ = write_image(root / "ivif/roadscene-full" / sub / f"{n}.png", np.zeros((4, 4)))
    ...     _ = write_image(root / "ivif/roadscene" / sub / "FLIR_2.png", np.zeros((4, 4)))  # a test pair
    >>> roadscene_training_names(root)
    ['FLIR_1.png']
    """
    root = Path(data_root) / "ivif"
    full = find_pairs(root / "roadscene-full").pairs
    test_dir = root / "roadscene"
    test = set(find_pairs(test_dir).pairs) if test_dir.is_dir() else set()
    if not test_dir.is_dir():
        import warnings

        warnings.warn(f"{test_dir} not found: cannot remove the RoadScene test pairs from training", stacklevel=2)
    return [Path(full[n][0]).name for n in sorted(full) if n not in test]


#: Medical sets whose slices may be used for training (``medical/ct-mri`` is the evaluation set).
MEDICAL_TRAINING_SETS = ("medical/pet-mri", "medical/spect-mri")


def medical_training_images(data_root: str | os.PathLike, val_fraction: float = 0.1,
                            seed: int = 0) -> tuple[list[Path], list[Path]]:
    """Single slices of :data:`MEDICAL_TRAINING_SETS` (both members of every pair: MRI and the
    PET/SPECT image), split by pair so that both slices of a pair fall on the same side.

    Parameters
    ----------
    data_root : path
        The ``shared/data`` folder.
    val_fraction : float, default 0.1
        Share of the pairs held out for validation (hash split on the pair's name,
        :func:`split_train_val`).
    seed : int

    Returns
    -------
    train, val : list of Path (216 and 14 files for the shared sets with seed 0)

    Raises
    ------
    InvalidImageError
        A set is missing or is not a paired folder.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for s, src in (("pet-mri", "pet"), ("spect-mri", "spect")):
    ...     for i in range(10):
    ...         for sub in ("mri", src):
    ...             _ = write_image(root / "medical" / s / sub / f"{i}.png", np.zeros((4, 4)))
    >>> train, val = medical_training_images(root)
    >>> len(train) + len(val), len(val) % 2  # both slices of a pair fall on the same side
    (40, 0)
    """
    train: list[Path] = []
    val: list[Path] = []
    for rel in MEDICAL_TRAINING_SETS:
        pairs = find_pairs(Path(data_root) / rel)
        names = [Path(n) for n in sorted(pairs.pairs)]
        tr, va = split_train_val(names, val_fraction, seed)
        train += [Path(p) for n in tr for p in pairs.pairs[n.name]]
        val += [Path(p) for n in va for p in pairs.pairs[n.name]]
    return train, val


def load_grey(path: str | os.PathLike) -> np.ndarray:
    """An image as grey float32 in [0, 1], shape (H, W): the Y of YCbCr for colour files.

    Parameters
    ----------
    path : path
        An image file.

    Returns
    -------
    ndarray, float32, (H, W), values in [0, 1]

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from imagefusion.io import write_image
    >>> p = write_image(tempfile.mkdtemp() + "/red.png", np.dstack([np.ones((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))]))
    >>> round(float(load_grey(p)[0, 0]), 3)  # the Y of pure red
    0.299
    """
    im = read_image(path)
    return im if im.ndim == 2 else np.ascontiguousarray(rgb_to_ycbcr(im)[..., 0])


def random_patches(images: Sequence[np.ndarray], n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random ``size × size`` crops of randomly chosen images.

    Parameters
    ----------
    images : sequence of ndarray, shape (H, W) or (H, W, C), H, W ≥ size
    n, size : int
    rng : numpy Generator

    Returns
    -------
    ndarray, shape (n, size, size[, C]), the images' dtype

    Examples
    --------
    >>> import numpy as np
    >>> img = np.arange(100, dtype=np.float32).reshape(10, 10)
    >>> random_patches([img], 3, 4, np.random.default_rng(0)).shape
    (3, 4, 4)
    """
    idx = rng.integers(0, len(images), n)
    out = []
    for i in idx:
        im = images[i]
        y = rng.integers(0, im.shape[0] - size + 1)
        x = rng.integers(0, im.shape[1] - size + 1)
        out.append(im[y : y + size, x : x + size])
    return np.stack(out)


@dataclass
class SingleImageDataset:
    """Single images for autoencoder-style training (e.g. DenseFuse): random grey or colour patches.

    Parameters
    ----------
    paths : sequence of path
    grey : bool, default True
        Load the Y channel (float32 [0, 1], (H, W)); else RGB/grey as stored.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> p = write_image(pathlib.Path(tempfile.mkdtemp()) / "a.png", np.random.default_rng(0).random((32, 32)))
    >>> SingleImageDataset([p]).patches(5, 16, np.random.default_rng(0)).shape
    (5, 16, 16)
    """

    paths: Sequence[Path]
    grey: bool = True

    def __post_init__(self) -> None:
        self.images = [load_grey(p) if self.grey else read_image(p) for p in self.paths]

    def patches(self, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random patches, float32, shape (n, size, size[, 3]) (see :func:`random_patches`)."""
        return random_patches(self.images, n, size, rng)


@dataclass
class PairedFolderDataset:
    """Registered source pairs of a folder in the ``shared/data`` layout (any task), for
    training methods that learn from real pairs (GANs, unsupervised networks).

    Parameters
    ----------
    root : path
        A folder with one sub-folder per source (``ir/``, ``vi/``, ...).
    names : sequence of str, optional
        Pair stems to use (e.g. a training split); default all.
    grey : bool, default True
        Load each source as grey Y.

    Raises
    ------
    ValueError
        ``root`` is an evaluation set (:func:`check_not_evaluation_set`).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "roadscene-full"
    >>> for sub in ("ir", "vi"):
    ...     _ = write_image(root / sub / "p1.png", np.zeros((8, 8)))
    >>> ds = PairedFolderDataset(root)
    >>> len(ds), ds.sources, ds.patches(3, 4, np.random.default_rng(0)).shape
    (1, ['ir', 'vi'], (3, 2, 4, 4))
    """

    root: Path
    names: Sequence[str] | None = None
    grey: bool = True

    def __post_init__(self) -> None:
        check_not_evaluation_set(self.root)
        pairs = find_pairs(self.root)
        self.sources = pairs.sources
        stems = sorted(pairs.pairs) if self.names is None else list(self.names)
        load = load_grey if self.grey else read_image
        self.pairs = {s: [load(p) for p in pairs.pairs[s]] for s in stems}

    def __len__(self) -> int:
        return len(self.pairs)

    def patches(self, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random co-located patches of every source, shape (n, sources, size, size[, 3])."""
        stems = list(self.pairs)
        out = []
        for i in rng.integers(0, len(stems), n):
            ims = self.pairs[stems[i]]
            y = rng.integers(0, ims[0].shape[0] - size + 1)
            x = rng.integers(0, ims[0].shape[1] - size + 1)
            out.append(np.stack([im[y : y + size, x : x + size] for im in ims]))
        return np.stack(out)


def blur_stack(image: np.ndarray, levels: int = 5, sigma: float = 2.0, ksize: int = 7) -> np.ndarray:
    """The image and ``levels`` successively Gaussian-blurred copies (Liu et al., Information
    Fusion 36, 2017, Section 3.2: σ = 2, 7×7 window, applied 1 to 5 times).

    Parameters
    ----------
    image : ndarray, float32, (H, W), values in [0, 1]
    levels : int, default 5
        Blurred copies.
    sigma : float, default 2.0
    ksize : int, default 7
        The Gaussian window's side.

    Returns
    -------
    ndarray, float32, shape (levels + 1, H, W); index 0 is the image itself.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> stack = blur_stack(img, 3)
    >>> stack.shape, [round(float(s.std()), 3) for s in stack]  # each level smoother
    ((4, 32, 32), [0.286, 0.046, 0.032, 0.025])
    """
    out = [np.asarray(image, np.float32)]
    for _ in range(levels):
        out.append(cv2.GaussianBlur(out[-1], (ksize, ksize), sigma, borderType=cv2.BORDER_REFLECT))
    return np.stack(out)


class MultiFocusPatchPairs:
    """Synthetic multi-focus training pairs: a patch and a blurred copy of it (Liu et al. 2017).

    Each sample takes a random ``size × size`` window of a random image at two blur levels: the
    sharper one is level 0 (Liu et al.'s pairs) or, with probability ``both_blurred``, a mildly
    blurred level 1–2 against a blurrier one at least 2 levels higher, so that the network also
    ranks two defocused patches. The order is random: label 1 means the first patch is the sharper.

    Parameters
    ----------
    images : sequence of ndarray, float32, shape (H, W), values in [0, 1]
        Grey training images, each at least ``size`` pixels on its short side.
    levels : int, default 5
        Blur levels (see :func:`blur_stack`).
    size : int, default 16
    both_blurred : float, default 0.25

    Examples
    --------
    >>> import numpy as np
    >>> pairs = MultiFocusPatchPairs([np.random.default_rng(0).random((64, 64)).astype(np.float32)])
    >>> a, b, label = pairs.sample(4, np.random.default_rng(1))
    >>> a.shape, b.shape, label.shape
    ((4, 1, 16, 16), (4, 1, 16, 16), (4,))
    """

    def __init__(self, images: Sequence[np.ndarray], levels: int = 5, size: int = 16, both_blurred: float = 0.25) -> None:
        self.stacks = [blur_stack(im, levels).astype(np.float16) for im in images]
        self.levels, self.size, self.both_blurred = levels, size, both_blurred

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` pairs.

        Returns
        -------
        a, b : ndarray, float32, shape (n, 1, size, size), values in [0, 1]
        label : ndarray, int64, shape (n,); 1 where ``a`` is the sharper patch
        """
        s = self.size
        a = np.empty((n, 1, s, s), np.float32)
        b = np.empty_like(a)
        label = rng.integers(0, 2, n)
        mild = rng.random(n) < self.both_blurred
        for k in range(n):
            st = self.stacks[rng.integers(0, len(self.stacks))]
            y = rng.integers(0, st.shape[1] - s + 1)
            x = rng.integers(0, st.shape[2] - s + 1)
            if mild[k] and self.levels >= 3:
                sharp = int(rng.integers(1, min(2, self.levels - 2) + 1))
                blur = int(rng.integers(sharp + 2, self.levels + 1))
            else:
                sharp, blur = 0, int(rng.integers(1, self.levels + 1))
            p_sharp = st[sharp, y : y + s, x : x + s]
            p_blur = st[blur, y : y + s, x : x + s]
            # random flips / transposition: focus does not depend on orientation
            t = rng.integers(0, 8)
            if t & 1:
                p_sharp, p_blur = p_sharp[::-1], p_blur[::-1]
            if t & 2:
                p_sharp, p_blur = p_sharp[:, ::-1], p_blur[:, ::-1]
            if t & 4:
                p_sharp, p_blur = p_sharp.T, p_blur.T
            a[k, 0], b[k, 0] = (p_sharp, p_blur) if label[k] else (p_blur, p_sharp)
        return a, b, label.astype(np.int64)


def synthetic_multifocus_pair(image: np.ndarray, mask: np.ndarray, sigma: float = 2.0, repeats: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A whole-image multi-focus pair from a region mask: source ``a`` has the region where
    ``mask`` is true in focus and the rest blurred, source ``b`` the opposite.

    Parameters
    ----------
    image : ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
    mask : ndarray, bool, shape (H, W)
    sigma, repeats : float, int
        Blur: a 7×7 Gaussian of this σ applied ``repeats`` times (:func:`blur_stack`).

    Returns
    -------
    a, b : ndarray, float32, same shape as ``image``

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    >>> mask = np.zeros((32, 32), bool); mask[:, :16] = True
    >>> a, b = synthetic_multifocus_pair(img, mask)
    >>> bool(np.array_equal(a[mask], img[mask])), bool(np.array_equal(b[~mask], img[~mask]))
    (True, True)
    """
    blurred = np.asarray(image, np.float32)
    for _ in range(repeats):
        blurred = cv2.GaussianBlur(blurred, (7, 7), sigma, borderType=cv2.BORDER_REFLECT)
    m = mask.astype(np.float32)
    if image.ndim == 3:
        m = m[..., None]
    a = m * image + (1 - m) * blurred
    b = (1 - m) * image + m * blurred
    return a.astype(np.float32), b.astype(np.float32)


def random_focus_mask(shape: tuple[int, int], rng: np.random.Generator, cells: int = 4) -> np.ndarray:
    """A random region mask with smooth blob-shaped borders, for synthetic multi-focus pairs: coarse
    uniform noise on a ``cells × cells`` grid, up-sampled bicubically, thresholded at its median (so
    about half of the pixels are true).

    Parameters
    ----------
    shape : tuple of int
        (H, W).
    rng : numpy Generator
    cells : int, default 4

    Returns
    -------
    ndarray, bool, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = random_focus_mask((64, 48), np.random.default_rng(0))
    >>> m.shape, 0.3 < m.mean() < 0.7
    ((64, 48), True)
    """
    noise = rng.random((cells, cells)).astype(np.float32)
    up = cv2.resize(noise, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return up > np.median(up)


def synthetic_exposure_pair(image: np.ndarray, stops: float, gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """An under- and an over-exposed copy of an image, for multi-exposure training without exposure
    stacks: the image is linearised (display gamma 2.2), scaled by ``2^−stops`` and ``2^+stops``,
    clipped to [0, 1] (the over-exposed copy loses its highlights), re-encoded with gamma
    ``2.2·gamma`` and quantised to 8 bits (the under-exposed copy keeps fewer grey levels, so its
    shadows lose detail).

    Parameters
    ----------
    image : ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
    stops : float
        Exposure change of each copy in EV (> 0).
    gamma : float, default 1.0
        A change of tone curve (1 keeps the display gamma).

    Returns
    -------
    under, over : ndarray, float32, same shape, values in [0, 1] on the 8-bit grid

    Examples
    --------
    >>> import numpy as np
    >>> img = np.linspace(0, 1, 256, dtype=np.float32)[None]
    >>> under, over = synthetic_exposure_pair(img, 2.0)
    >>> float(under.max()) < 0.6, float((over == 1).mean()) > 0.4, len(np.unique(under))  # fewer levels left
    (True, True, 137)
    """
    lin = np.clip(np.asarray(image, np.float32), 0, 1) ** 2.2
    enc = 1.0 / (2.2 * gamma)
    under = np.clip(lin * 2.0 ** -stops, 0, 1) ** enc
    over = np.clip(lin * 2.0 ** stops, 0, 1) ** enc
    q = lambda x: (np.rint(x * 255.0) / 255.0).astype(np.float32)  # noqa: E731
    return q(under), q(over)
