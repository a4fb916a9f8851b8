"""The published networks' own weight files: where each comes from, its hash, licence and citation,
and how it reaches a user's machine.

One :class:`WeightFile` per file, registered by the module of the network that reads it
(:func:`register_weight_file`). A file is looked for, in order:

1. ``$IMAGEFUSION_WEIGHTS_DIR/<path>`` — a folder laid out like the authors' repositories
   (``ifcnn/Code/snapshots/IFCNN-MAX.pth``; ``../shared/weights/official`` is one);
2. the user cache, ``<platformdirs user cache>/imagefusion/weights/<path>``;
3. downloaded at first use from its official URL with pooch into the user cache (unless
   ``IMAGEFUSION_OFFLINE=1``).

Whatever its origin, the file's SHA-256 must be the registered one. It is then converted once to
safetensors in the cache (``converted/<name>-<sha256[:12]>-c<CONVERSION>.safetensors``), so the authors'
pickle is read once, by an unpickler that builds tensors and plain containers only, and never again. Offline
with no copy, the error says which file is needed and where to put it. ``imagefusion weights`` lists
every entry with its licence, size and whether it is present; ``imagefusion weights fetch NAME`` gets one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WeightsError
from ..io import sha256_file

__all__ = ["WeightFile", "WEIGHT_FILES", "register_weight_file", "get_weight_file", "cache_dir", "locate",
           "fetch", "load_published", "torch_state_dict", "tf_checkpoint", "tf_checkpoint_in_zip", "register_tf_checkpoint",
           "WEIGHTS_DIR_ENV", "OFFLINE_ENV", "PACKAGED_DIR", "converted_name", "packaged"]

#: A folder laid out like the authors' repositories (``<network>/<path in the repository>``).
WEIGHTS_DIR_ENV = "IMAGEFUSION_WEIGHTS_DIR"
#: Set to 1 to never download (a missing file is then a one-line error saying where to put it).
OFFLINE_ENV = "IMAGEFUSION_OFFLINE"
#: The version of the conversions, part of each converted file's name: a change to a converter raises it,
#: so that files converted before are not read again.
CONVERSION = 2


@dataclass(frozen=True)
class WeightFile:
    """One published weight file.

    Attributes
    ----------
    name : str
        Registry name (``"ifcnn-max"``).
    network : str
        The network that reads it (``"ifcnn"``); the first folder of :attr:`path`.
    path : str
        Where it lies in a weights folder: ``<network>/<path in the authors' repository>``.
    repo, commit : str
        The authors' GitHub repository (``owner/name``) and the commit the file was taken at.
    sha256 : str
        The file's SHA-256 (hex).
    size : int
        Its size in bytes.
    licence : str
        The repository's licence ("MIT License"), or "no licence file"; only MIT-licensed files may be
        shipped inside the package, with their notice.
    citation : str
        The paper to cite.
    convert : callable (path) -> dict of str to tensor
        Reads the file as tensors (a restricted unpickler, TensorFlow's checkpoint reader, numpy).

    Examples
    --------
    >>> import imagefusion.models.ifcnn.network  # registers IFCNN's files
    >>> f = get_weight_file("ifcnn-max")
    >>> f.network, f.licence, f.url.startswith("https://raw.githubusercontent.com/uzeful/IFCNN/")
    ('ifcnn', 'no licence file', True)
    """

    name: str
    network: str
    path: str
    repo: str
    commit: str
    sha256: str
    size: int
    licence: str
    citation: str
    convert: Callable[[Path], dict[str, Any]]

    @property
    def url(self) -> str:
        """The official download address: the file at its commit in the authors' repository."""
        inside = self.path.split("/", 1)[1]
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{inside}"


#: name → :class:`WeightFile`, filled by :func:`register_weight_file`.
WEIGHT_FILES: dict[str, WeightFile] = {}


def register_weight_file(name: str, *, network: str, path: str, repo: str, commit: str, sha256: str, size: int,
                         licence: str, citation: str, convert: Callable[[Path], dict[str, Any]]) -> WeightFile:
    """Register a published weight file (called by the network's module, beside the network).

    Parameters
    ----------
    name : str
        Registry name, lower case (``"ifcnn-max"``).
    network, path, repo, commit, sha256, size, licence, citation, convert
        See :class:`WeightFile`.

    Returns
    -------
    WeightFile

    Raises
    ------
    ValueError
        A name registered twice, or a path that does not start with the network's folder.

    Examples
    --------
    >>> f = register_weight_file("example-w", network="example", path="example/w.pth", repo="o/r", commit="c" * 40,
    ...                          sha256="0" * 64, size=1, licence="MIT License", citation="-", convert=dict)
    >>> f.url
    'https://raw.githubusercontent.com/o/r/cccccccccccccccccccccccccccccccccccccccc/w.pth'
    >>> _ = WEIGHT_FILES.pop("example-w")
    """
    if name in WEIGHT_FILES:
        raise ValueError(f"weight file {name!r} is registered twice")
    if not path.startswith(network + "/"):
        raise ValueError(f"weight file {name!r}: its path must start with {network}/")
    entry = WeightFile(name, network, path, repo, commit, sha256.lower(), size, licence, citation, convert)
    WEIGHT_FILES[name] = entry
    return entry


#: The project's own repository: the weights of our networks' ablation variants are fetched from its
#: ``weights/`` folder (not shipped in the package, to keep the wheel small).
PROJECT_REPO = "imagefusion/imagefusion"
#: The commit that added them there.
PROJECT_WEIGHTS_COMMIT = "5654c475ced75d0dfa0a417ae911f66ae13f9a71"
#: Where a source checkout holds them.
_CHECKOUT_WEIGHTS = Path(__file__).resolve().parents[3] / "weights"


def _read_safetensors(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(path))


def register_project_weights(name: str, *, network: str, sha256: str, size: int) -> WeightFile:
    """Register one of the project's own weight files that the package does not ship (an ablation
    variant, ``unet-gan.wgan-gp``): fetched on demand from the project's repository, hash-checked, like
    a published network's file. Called by the network's module, beside the network.

    Parameters
    ----------
    name : str
        The network's name with its weight tag; the file is ``weights/NAME.safetensors``.
    network : str
        The registered network (``unet-gan``).
    sha256 : str
    size : int

    Returns
    -------
    WeightFile

    Examples
    --------
    >>> import imagefusion.models.unet_gan.network
    >>> f = get_weight_file("unet-gan.wgan-gp")
    >>> f.url.endswith("/weights/unet-gan.wgan-gp.safetensors"), f.licence
    (True, 'MIT License')
    """
    from .registry import ON_DEMAND

    entry = register_weight_file(name, network=network, path=f"{network}/weights/{name}.safetensors", repo=PROJECT_REPO,
                                 commit=PROJECT_WEIGHTS_COMMIT, sha256=sha256, size=size, licence="MIT License",
                                 citation=f"imagefusion (trained with `imagefusion train {name}`; model card "
                                          f"imagefusion/weights/{name}.json)", convert=_read_safetensors)
    ON_DEMAND[name] = lambda: fetch(name)  # what shipped_weights_path(name) returns
    return entry


def get_weight_file(name: str) -> WeightFile:
    """The :class:`WeightFile` registered as ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    WeightFile

    Raises
    ------
    WeightsError
        No such entry (the message lists them).

    Examples
    --------
    >>> import imagefusion.models.ifcnn.network
    >>> get_weight_file("ifcnn-mean").path
    'ifcnn/Code/snapshots/IFCNN-MEAN.pth'
    """
    _import_all()
    if name not in WEIGHT_FILES:
        raise WeightsError(f"no published weight file {name!r}; known: {', '.join(sorted(WEIGHT_FILES))}")
    return WEIGHT_FILES[name]


def _import_all() -> None:
    """Import the network modules, which register their files."""
    from .registry import import_networks

    import_networks()


def cache_dir() -> Path:
    """The user cache of downloaded and converted weights (``platformdirs``' user cache folder of
    ``imagefusion``, then ``weights``; ``IMAGEFUSION_CACHE`` overrides it).

    Returns
    -------
    Path

    Examples
    --------
    >>> cache_dir().name
    'weights'
    """
    env = os.environ.get("IMAGEFUSION_CACHE")
    if env:
        return Path(env) / "weights"
    import platformdirs

    return Path(platformdirs.user_cache_dir("imagefusion")) / "weights"


def _checked(entry: WeightFile, path: Path) -> Path | None:
    if not path.is_file():
        return None
    got = sha256_file(path)
    if got != entry.sha256:
        raise WeightsError(f"{path}: SHA-256 {got[:16]}... is not {entry.name}'s {entry.sha256[:16]}...; "
                           "replace it with the file from " + entry.url)
    return path


def locate(name: str) -> Path | None:
    """The local copy of a published file (``$IMAGEFUSION_WEIGHTS_DIR``; for the project's own files a
    source checkout's ``weights/``; then the user cache), hash checked, or None where there is none.

    Parameters
    ----------
    name : str
        A :data:`WEIGHT_FILES` name.

    Returns
    -------
    Path or None

    Raises
    ------
    WeightsError
        Unknown name, or a copy whose SHA-256 is not the registered one.

    Examples
    --------
    >>> import os
    >>> p = locate("ifcnn-max")  # in $IMAGEFUSION_WEIGHTS_DIR or the cache, or None
    >>> p is None or p.name == "IFCNN-MAX.pth"
    True
    """
    entry = get_weight_file(name)
    folder = os.environ.get(WEIGHTS_DIR_ENV)
    if folder:
        found = _checked(entry, Path(folder) / entry.path)
        if found is not None:
            return found
    if entry.repo == PROJECT_REPO:  # a source checkout of the project holds its own files
        found = _checked(entry, _CHECKOUT_WEIGHTS / entry.path.split("/")[-1])
        if found is not None:
            return found
    return _checked(entry, cache_dir() / entry.path)


def fetch(name: str, *, url: str | None = None) -> Path:
    """The local copy of a published file, downloaded into the user cache first when there is none.

    Parameters
    ----------
    name : str
        A :data:`WEIGHT_FILES` name.
    url : str, optional
        Download from here instead of the official address (a mirror; the hash is checked all the same).

    Returns
    -------
    Path

    Raises
    ------
    WeightsError
        Unknown name; offline (``IMAGEFUSION_OFFLINE=1``, or no network) with no copy — the message
        names the file and where to put it; a download whose SHA-256 differs; pooch not installed.

    Examples
    --------
    >>> p = fetch("ifcnn-max") if locate("ifcnn-max") else None  # never downloads in the doctests
    >>> p is None or p.is_file()
    True
    """
    entry = get_weight_file(name)
    found = locate(name)
    if found is not None:
        return found
    target = cache_dir() / entry.path
    where = (f"put {entry.path.split('/')[-1]} (sha256 {entry.sha256[:16]}..., from {entry.url}) at "
             f"{target}, or at $IMAGEFUSION_WEIGHTS_DIR/{entry.path}")
    if os.environ.get(OFFLINE_ENV, "") == "1":
        raise WeightsError(f"{entry.name} is not here and downloads are off ({OFFLINE_ENV}=1): {where}")
    try:
        import pooch
    except ImportError:
        raise WeightsError(f"{entry.name}: downloading needs pooch (pip install 'imagefusion[deep]'); or {where}") from None
    import logging

    pooch.get_logger().setLevel(logging.WARNING)
    try:
        got = pooch.retrieve(url or entry.url, known_hash=f"sha256:{entry.sha256}", fname=target.name,
                             path=target.parent, progressbar=False)
    except ValueError as exc:  # pooch: the hash does not match
        raise WeightsError(f"{entry.name}: the download's SHA-256 is not the registered one ({str(exc).splitlines()[0]})") from None
    except Exception as exc:  # noqa: BLE001 (requests' and urllib's errors: offline, 404, refused)
        raise WeightsError(f"{entry.name}: cannot download {url or entry.url} ({type(exc).__name__}); {where}") from None
    return Path(got)


#: Converted files of MIT-licensed published weights that ship inside the package in float16 (their licence
#: in ``NOTICE`` beside them), so that a method's default that reads one runs offline without TensorFlow.
PACKAGED_DIR = Path(__file__).resolve().parents[1] / "weights" / "published"


def converted_name(name: str) -> str:
    """The file name of a published file's conversion to safetensors (in the user cache, or packaged).

    Parameters
    ----------
    name : str
        A :data:`WEIGHT_FILES` name.

    Returns
    -------
    str
        ``<name>-<first 12 hex digits of its SHA-256>-c<conversion version>.safetensors``.

    Examples
    --------
    >>> import imagefusion.models.pmgi.authors  # registers PMGI's files
    >>> converted_name("pmgi-mef").startswith("pmgi-mef-f4593b9ebb63-c")
    True
    """
    entry = get_weight_file(name)
    return f"{entry.name}-{entry.sha256[:12]}-c{CONVERSION}.safetensors"


def packaged(name: str) -> Path | None:
    """The packaged conversion of a published file (:data:`PACKAGED_DIR`), or None where it does not ship.

    Parameters
    ----------
    name : str
        A :data:`WEIGHT_FILES` name.

    Returns
    -------
    Path or None

    Examples
    --------
    >>> import imagefusion.models.pmgi.authors
    >>> packaged("pmgi-mef").name.startswith("pmgi-mef-"), packaged("pmgi-ivif")
    (True, None)
    """
    path = PACKAGED_DIR / converted_name(name)
    return path if path.is_file() else None


def load_published(name: str, path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The tensors of a published weight file, converted once to safetensors in the user cache; where
    there is no copy of the file here but its conversion ships in the package (:func:`packaged`), that.

    Parameters
    ----------
    name : str
        A :data:`WEIGHT_FILES` name.
    path : path, optional
        The user's own copy of the file (its hash is checked); default :func:`fetch`.

    Returns
    -------
    dict of str to torch.Tensor
        As the authors' code names them.

    Raises
    ------
    WeightsError
        See :func:`fetch`; or the file cannot be converted (not what its entry says).

    Examples
    --------
    >>> if locate("ifcnn-max"):
    ...     state = load_published("ifcnn-max")
    ...     print(tuple(state["conv1.weight"].shape))
    ... else:
    ...     print((64, 3, 7, 7))
    (64, 3, 7, 7)
    """
    from safetensors.torch import load_file, save

    from ..io import write_bytes_atomic

    entry = get_weight_file(name)
    if path is not None:
        source = _checked(entry, Path(path))
        if source is None:
            raise WeightsError(f"weights file not found: {path}")
    elif (shipped := packaged(name)) is not None and locate(name) is None:
        # no copy of the authors' file here: the packaged conversion (float16, as the project's own shipped
        # weights; its output within 2 levels of theirs, docs/published.md), cast back to float32
        return {k: v.float() for k, v in load_file(str(shipped)).items()}
    else:
        source = fetch(name)
    converted = cache_dir() / "converted" / converted_name(name)
    if converted.is_file():
        try:
            return load_file(str(converted))
        except Exception:  # noqa: BLE001 (a damaged cache entry: convert again)
            converted.unlink(missing_ok=True)
    try:
        state = entry.convert(source)
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise WeightsError(f"{source}: cannot be read as {entry.name} ({type(exc).__name__}: "
                           f"{(str(exc).splitlines() or [''])[0][:200]})") from None
    try:
        data = save({k: v.contiguous() for k, v in state.items()}, metadata={"source": entry.url, "sha256": entry.sha256})
        write_bytes_atomic(converted, data)
    except OSError:  # a read-only cache (OutputError is one): use the tensors without caching them
        pass
    return state


def _dropped(*args: Any) -> None:
    """Stands in for numpy's scalar constructor in a checkpoint: builds nothing."""
    return None


class _DroppedType:
    """Stands in for ``numpy.dtype`` in a checkpoint: holds nothing."""

    def __init__(self, *args: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def torch_state_dict(path: Path) -> dict[str, Any]:
    """A ``torch.save``\\ d state dict (or one under a ``"state_dict"`` or ``"weight"`` key) read as tensors
    only; batch norms' ``num_batches_tracked`` counters are left out.

    The file is read by torch's restricted unpickler (``weights_only=True``), which builds tensors and
    plain containers and refuses any other global. A training checkpoint may also hold numpy scalars
    (MEF-Net's loss history): the two globals they name, numpy's ``scalar`` and ``dtype``, are allowed
    as stand-ins that build nothing (``None``), so the weights are read and the rest is dropped.

    Parameters
    ----------
    path : Path

    Returns
    -------
    dict of str to torch.Tensor

    Raises
    ------
    WeightsError
        The pickle holds more than tensors and containers, or no tensors.

    Examples
    --------
    >>> import tempfile, torch, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.pth"
    >>> torch.save({"a.weight": torch.ones(2)}, p)
    >>> list(torch_state_dict(p))
    ['a.weight']
    """
    import pickle

    import torch

    stand_ins = [(_dropped, "numpy.core.multiarray.scalar"), (_dropped, "numpy._core.multiarray.scalar"),
                 (_DroppedType, "numpy.dtype")]
    try:
        with torch.serialization.safe_globals(stand_ins):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise WeightsError(f"{path}: refusing a pickle that holds more than tensors") from None
    for key in ("state_dict", "weight"):  # a checkpoint {"state_dict": ...}, DIDFuse's {"weight": ..., "epoch": n}
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    tensors = ({k: v for k, v in state.items() if isinstance(v, torch.Tensor) and not k.endswith("num_batches_tracked")}
               if isinstance(state, dict) else {})  # batch norms' step counters are not weights (see save_weights)
    if not tensors:
        raise WeightsError(f"{path}: holds no tensors")
    return tensors


#: Name parts of a TensorFlow checkpoint's optimiser slots and counters, left out when converting.
_TF_NOT_WEIGHTS = ("/Adam", "/RMSProp", "/Momentum", "beta1_power", "beta2_power", "global_step")


def tf_checkpoint(index_name: str) -> Callable[[Path], dict[str, Any]]:
    """A converter for a TensorFlow 1 checkpoint: registered on its ``.data-00000-of-00001`` file, it
    fetches the ``.index`` file registered as ``index_name`` and reads both with TensorFlow's own reader
    (``tf.train.load_checkpoint``; the optional extra ``imagefusion[convert]``), once.

    Variables keep their TensorFlow names; 4-D kernels go from H×W×I×O to PyTorch's O×I×H×W;
    optimiser slots (``…/Adam``, ``beta1_power``…), integer counters and strings are left out.

    Parameters
    ----------
    index_name : str
        The :data:`WEIGHT_FILES` name of the checkpoint's ``.index`` file.

    Returns
    -------
    callable (path of the data file) -> dict of str to torch.Tensor

    Raises
    ------
    WeightsError
        (when called) TensorFlow is not installed (the message says how to install it), or the files
        are not a checkpoint.

    Examples
    --------
    >>> convert = tf_checkpoint("u2fusion-index")
    >>> callable(convert)
    True
    """

    def convert(data: Path) -> dict[str, Any]:
        import shutil
        import tempfile

        index = fetch(index_name)
        with tempfile.TemporaryDirectory() as tmp:  # the reader wants <prefix>.index beside <prefix>.data-*
            prefix = Path(tmp) / "model.ckpt"
            shutil.copyfile(index, f"{prefix}.index")
            shutil.copyfile(data, f"{prefix}.data-00000-of-00001")
            return _read_tf_checkpoint(prefix, data.name)

    return convert


def tf_checkpoint_in_zip(prefix: str) -> Callable[[Path], dict[str, Any]]:
    """A converter for a TensorFlow 1 checkpoint inside a zip archive (EMFusion's release): its
    ``<prefix>.index`` and ``<prefix>.data-00000-of-00001`` members are extracted to a temporary folder (and
    nothing else) and read as :func:`tf_checkpoint` reads a checkpoint.

    Parameters
    ----------
    prefix : str
        The checkpoint's path inside the archive, without the suffixes (``models/3200/3200.ckpt``).

    Returns
    -------
    callable (path of the zip) -> dict of str to torch.Tensor

    Raises
    ------
    WeightsError
        (when called) The archive lacks the members, or TensorFlow is not installed.

    Examples
    --------
    >>> callable(tf_checkpoint_in_zip("models/3200/3200.ckpt"))
    True
    """

    def convert(archive: Path) -> dict[str, Any]:
        import tempfile
        import zipfile

        members = [f"{prefix}.index", f"{prefix}.data-00000-of-00001"]
        with zipfile.ZipFile(archive) as z, tempfile.TemporaryDirectory() as tmp:
            missing = [m for m in members if m not in z.namelist()]
            if missing:
                raise WeightsError(f"{archive}: no {missing[0]} in the archive")
            target = Path(tmp) / "model.ckpt"
            for member, suffix in zip(members, (".index", ".data-00000-of-00001")):
                with z.open(member) as src, open(f"{target}{suffix}", "wb") as dst:
                    dst.write(src.read())
            return _read_tf_checkpoint(target, archive.name)

    return convert


def _read_tf_checkpoint(prefix: Path, what: str) -> dict[str, Any]:
    """Every floating-point variable of a TensorFlow 1 checkpoint, 4-D kernels as O×I×H×W, optimiser slots
    left out (TensorFlow's reader)."""
    import numpy as np
    import torch

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        raise WeightsError(f"{what} is a TensorFlow checkpoint: converting it once needs TensorFlow "
                           "(pip install 'imagefusion[convert]'); the result is cached") from None
    reader = tf.train.load_checkpoint(str(prefix))
    out: dict[str, Any] = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        if any(part in name for part in _TF_NOT_WEIGHTS):
            continue
        value = np.asarray(reader.get_tensor(name))
        if value.dtype.kind != "f":
            continue
        if value.ndim == 4:
            value = value.transpose(3, 2, 0, 1)
        out[name] = torch.from_numpy(np.ascontiguousarray(value, np.float32))
    if not out:
        raise WeightsError(f"{what}: holds no floating-point variables")
    return out


def register_tf_checkpoint(name: str, *, network: str, prefix: str, index: tuple[str, int], data: tuple[str, int],
                           **info: Any) -> WeightFile:
    """Register a TensorFlow 1 checkpoint as two files: ``<name>`` (its ``.data-00000-of-00001``, read
    through :func:`tf_checkpoint`) and ``<name>-index`` (its ``.index``).

    Parameters
    ----------
    name : str
        Registry name of the data file (what a network loads).
    network : str
    prefix : str
        ``<network>/<path in the repository>`` without the suffixes (``u2fusion/model/model.ckpt``).
    index, data : (sha256, size)
        Each file's SHA-256 and size in bytes.
    **info
        ``repo``, ``commit``, ``licence``, ``citation`` (see :class:`WeightFile`).

    Returns
    -------
    WeightFile
        The data file's entry.

    Examples
    --------
    >>> e = register_tf_checkpoint("example-tf", network="example", prefix="example/m.ckpt", index=("0" * 64, 1),
    ...                            data=("1" * 64, 2), repo="o/r", commit="c" * 40, licence="MIT License",
    ...                            citation="-")
    >>> e.path, WEIGHT_FILES["example-tf-index"].path
    ('example/m.ckpt.data-00000-of-00001', 'example/m.ckpt.index')
    >>> _ = WEIGHT_FILES.pop("example-tf"), WEIGHT_FILES.pop("example-tf-index")
    """
    register_weight_file(f"{name}-index", network=network, path=f"{prefix}.index", sha256=index[0], size=index[1],
                         convert=_index_only(name), **info)
    return register_weight_file(name, network=network, path=f"{prefix}.data-00000-of-00001", sha256=data[0],
                                size=data[1], convert=tf_checkpoint(f"{name}-index"), **info)


def _index_only(data_name: str) -> Callable[[Path], dict[str, Any]]:
    def convert(path: Path) -> dict[str, Any]:
        raise WeightsError(f"{path} is a checkpoint's index; load {data_name!r}, which reads it")

    return convert
