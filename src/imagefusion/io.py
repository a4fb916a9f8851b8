"""Reading, validating and writing images.

Internally every image is ``float32`` in [0, 1] with shape ``(H, W)`` (grey) or ``(H, W, 3)`` (RGB).
Files are decoded with OpenCV (PNG, JPEG, BMP, TIFF; 8 or 16 bits per channel); an RGB file whose
three channels are equal at every pixel (TNO and the Harvard CT/MRI slices ship like that) is read as
grey, because its colour carries no information.

Outputs are written atomically: the encoded bytes go to a temporary file in the destination folder,
which is then renamed over the destination, so an interrupted job never leaves a half-written file.
A source image is never overwritten.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from .errors import InvalidImageError, OverwriteError, SizeMismatchError

__all__ = [
    "IMAGE_EXTENSIONS",
    "read_image",
    "read_image_raw",
    "write_image",
    "write_bytes_atomic",
    "to_float",
    "validate_image",
    "check_header",
    "remove_stale_temporaries",
    "sha256_file",
    "MAX_PIXELS",
    "check_output_name",
    "LENIENT",
    "check_same_size",
    "is_grey_rgb",
]

#: File endings (lower case) that are read as images.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

_MAX_FOR_DTYPE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}

#: Largest image, in pixels, that is decoded: 16384 × 16384 by default, what a 24 GiB machine fuses
#: with tiled inference. Checked from the file's header before decoding, so a decompression bomb (a
#: small file declaring 60000 × 60000 pixels) is refused without allocating. Set the environment
#: variable ``IMAGEFUSION_MAX_PIXELS`` (read at import) or assign this attribute to change it.
MAX_PIXELS = int(os.environ.get("IMAGEFUSION_MAX_PIXELS", str(16384 * 16384)))

#: Decode JPEG files whose data libjpeg reports corrupt or truncated, with a logged warning naming the
#: file, instead of refusing them (``imagefusion --lenient``; environment variable
#: ``IMAGEFUSION_LENIENT=1``, read at import, so worker processes inherit it).
LENIENT = os.environ.get("IMAGEFUSION_LENIENT", "") == "1"

# OpenCV's own warnings ("[ WARN ] PNG input buffer is incomplete") duplicate the one-line errors raised
# here; ``imagefusion --verbose`` turns them back on.
#: OpenCV's log levels: 2 errors only (the default here), 3 warnings too (``imagefusion --verbose``).
OPENCV_QUIET, OPENCV_VERBOSE = 2, 3
if hasattr(cv2, "setLogLevel"):
    cv2.setLogLevel(OPENCV_QUIET)

#: EXIF orientation (tag 274) → the numpy operation that shows the image upright, as Pillow's
#: ``ImageOps.exif_transpose`` does: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
#: 7 transverse, 8 rotate 90° counter-clockwise.
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


def _exif_orientation(data: np.ndarray) -> int:
    """The EXIF orientation tag of encoded image bytes (1, upright, when there is none)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(memoryview(data))) as im:
            value = im.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError):
        return 1
    return int(value) if isinstance(value, int) and value in _ORIENT else 1


def check_header(path: str | os.PathLike, data: bytes | np.ndarray | None = None) -> tuple[int, int]:
    """Read an image file's header only and check it before decoding.

    Parameters
    ----------
    path : str or path-like
    data : bytes or uint8 ndarray, optional
        The file's contents when already read (then the file is not opened again); ``path`` names it.

    Returns
    -------
    (width, height) : tuple of int
        As the header declares them.

    Raises
    ------
    InvalidImageError
        More pixels than :data:`MAX_PIXELS`; a multi-page file (TIFF with several pages: the page
        count is named); a header that cannot be parsed.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> p = write_image(tempfile.mkdtemp() + "/x.png", np.zeros((3, 5), np.float32))
    >>> check_header(p)
    (5, 3)
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    Image.MAX_IMAGE_PIXELS = None  # the limit is ours (MAX_PIXELS), checked below without decoding
    try:
        import io

        with Image.open(path if data is None else io.BytesIO(memoryview(data))) as im:
            w, h = im.size
            pages = getattr(im, "n_frames", 1)
            if w * h > MAX_PIXELS:
                raise InvalidImageError(
                    f"{path}: {w}x{h} pixels is more than the limit of {MAX_PIXELS} "
                    "(imagefusion.io.MAX_PIXELS, or IMAGEFUSION_MAX_PIXELS)")
            if pages > 1 and im.format == "TIFF":
                raise InvalidImageError(f"{path}: a multi-page TIFF ({pages} pages); save the page to fuse as its "
                                        "own file")
    except InvalidImageError:
        raise
    except UnidentifiedImageError:
        return 0, 0  # not an image Pillow knows: the decoder decides
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(f"{path}: corrupt image header ({exc})") from None
    return w, h


_STDERR_LOCK = threading.Lock()


def _decode(data: np.ndarray, path: Path) -> np.ndarray | None:
    """``cv2.imdecode`` that turns libjpeg's corrupt-data warnings into an error naming the file.

    libjpeg reports corrupt or truncated entropy-coded data ("Corrupt JPEG data: …", "Premature end
    of JPEG file") on the process's stderr and goes on decoding, so a damaged JPEG would be fused with
    wrong pixels and only a library warning. For JPEG files the C-level stderr is captured during the
    decode (under a lock; a non-blocking pipe, so it can never stall).
    """
    if not (data.size > 3 and data[0] == 0xFF and data[1] == 0xD8):  # not a JPEG
        return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    with _STDERR_LOCK:
        sys.stderr.flush()
        r, w = os.pipe()
        os.set_blocking(w, False)
        saved = os.dup(2)
        try:
            os.dup2(w, 2)
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(w)
        os.set_blocking(r, False)
        try:
            text = os.read(r, 1 << 16).decode("utf-8", "replace")
        except BlockingIOError:
            text = ""
        finally:
            os.close(r)
    bad = [line.strip() for line in text.splitlines() if "JPEG" in line or "jpeg" in line]
    if bad and LENIENT and image is not None:
        import logging

        logging.getLogger("imagefusion.io").warning("%s: corrupt JPEG data (%s); decoded anyway (--lenient)",
                                                    path, bad[0])
    elif bad:
        raise InvalidImageError(f"{path}: corrupt JPEG data ({bad[0]}); imagefusion --lenient decodes it anyway")
    if text and not bad:
        sys.stderr.write(text)  # not libjpeg's: pass it on
    return image


def is_grey_rgb(image: np.ndarray) -> bool:
    """Tell whether an RGB image stores grey content (R = G = B at every pixel).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), any dtype
        A 2-D array is grey by definition.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> is_grey_rgb(np.full((2, 2, 3), 7, np.uint8)), is_grey_rgb(np.eye(3, dtype=np.uint8).reshape(1, 3, 3))
    (True, False)
    """
    if image.ndim == 2:
        return True
    return bool(np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 0], image[..., 2]))


def read_image_raw(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file to its stored integer values, RGB channel order, nothing collapsed.

    Parameters
    ----------
    path : str or path-like
        PNG, JPEG, BMP or TIFF file.

    Returns
    -------
    ndarray, uint8, uint16 or float32, shape (H, W) or (H, W, 3)
        An alpha channel is dropped. A 32- or 64-bit float TIFF comes back as float32 (its values
        must lie in [0, 1]). An EXIF orientation tag is applied, as Pillow's ``exif_transpose`` does.

    Raises
    ------
    InvalidImageError
        The file is missing, not a regular file (a folder, a named pipe, a device), empty, not a
        decodable image, has zero pixels, stores another sample type than 8- or 16-bit unsigned
        integers or 32-bit floats, or float values that are not finite or outside [0, 1]; and what
        :func:`check_header` refuses before decoding (too many pixels, several pages), and a JPEG
        whose data libjpeg reports corrupt or truncated.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> path = write_image(tempfile.mkdtemp() + "/g.png", np.full((4, 4), 0.5), bit_depth=16)
    >>> raw = read_image_raw(path)
    >>> raw.dtype, int(raw[0, 0])
    (dtype('uint16'), 32768)
    """
    import stat

    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InvalidImageError(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InvalidImageError(f"{path}: is a folder, not an image file")
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise InvalidImageError(f"{path}: is {kind}, not a regular file; give an image file")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise InvalidImageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidImageError(f"{path}: is a folder, not an image file") from None
    except OSError as exc:
        raise InvalidImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise InvalidImageError(f"{path}: the file is empty (0 bytes)")
    check_header(path, data)
    image = _decode(data, path)
    if image is None:
        raise InvalidImageError(f"{path}: not a readable image (PNG, JPEG, BMP or TIFF expected)")
    if image.dtype in (np.float32, np.float64):  # float TIFF (medical, HDR): values must lie in [0, 1]
        image = image.astype(np.float32, copy=False)
        if image.size and not np.all(np.isfinite(image)):
            bad = int(np.count_nonzero(~np.isfinite(image)))
            raise InvalidImageError(f"{path}: float32 image with {bad} NaN or infinite value(s)")
        if image.size and (float(image.min()) < 0.0 or float(image.max()) > 1.0):
            raise InvalidImageError(f"{path}: float32 values must lie in [0, 1], found "
                                    f"[{float(image.min()):.4g}, {float(image.max()):.4g}]; rescale the file")
    elif image.dtype not in _MAX_FOR_DTYPE:
        raise InvalidImageError(
            f"{path}: unsupported sample type {image.dtype} ({image.dtype.itemsize * 8}-bit); "
            "8- or 16-bit unsigned integer or 32-bit float images are supported"
        )
    if image.size == 0:
        raise InvalidImageError(f"{path}: the image has no pixels")
    orientation = _exif_orientation(data)
    if orientation != 1:  # shown upright, as viewers and Pillow's exif_transpose do
        image = _ORIENT[orientation](image)
    if image.ndim == 3:
        channels = image.shape[2]
        if channels == 1:
            image = image[..., 0]
        elif channels == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        elif channels == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        else:
            raise InvalidImageError(f"{path}: {channels} channels; grey, RGB or RGBA expected")
    return np.ascontiguousarray(image)


def to_float(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Convert an array to the internal representation, float32 in [0, 1].

    Parameters
    ----------
    image : ndarray, shape (H, W), (H, W, 1) or (H, W, 3)
        uint8 (0–255), uint16 (0–65535), bool, or float in [0, 1].
    name : str
        How the array is named in error messages (a file path or "source 2").

    Returns
    -------
    ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]

    Raises
    ------
    InvalidImageError
        Empty array, wrong number of dimensions or channels, NaN/inf values, float values outside
        [0, 1], or an unsupported dtype.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(to_float(np.array([[0, 128, 255]], np.uint8)).astype(np.float64), 4).tolist()
    [[0.0, 0.502, 1.0]]
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.size == 0:
        raise InvalidImageError(f"{name}: empty image (shape {image.shape})")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise InvalidImageError(f"{name}: shape {image.shape}; (H, W) or (H, W, 3) expected")
    if image.dtype == bool:
        return image.astype(np.float32)
    if image.dtype in _MAX_FOR_DTYPE:
        return image.astype(np.float32) / np.float32(_MAX_FOR_DTYPE[image.dtype])
    if np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)):
            bad = int(np.count_nonzero(~np.isfinite(image)))
            raise InvalidImageError(f"{name}: {bad} NaN or infinite value(s)")
        lo, hi = float(image.min()), float(image.max())
        if lo < 0.0 or hi > 1.0:
            raise InvalidImageError(
                f"{name}: float values must lie in [0, 1], found [{lo:.4g}, {hi:.4g}]"
            )
        return image.astype(np.float32, copy=False)
    raise InvalidImageError(
        f"{name}: unsupported dtype {image.dtype}; uint8, uint16, bool or float in [0, 1] expected"
    )


def validate_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Check an array and return it as float32 in [0, 1]; see :func:`to_float` for the rules.

    Parameters
    ----------
    image : ndarray
        uint8, uint16, bool or float in [0, 1]; shape (H, W) or (H, W, 3).
    name : str, default "image"
        What the error message calls it (a file path, ``"source 2"``).

    Returns
    -------
    ndarray, float32, (H, W) or (H, W, 3), values in [0, 1]

    Raises
    ------
    InvalidImageError
        See :func:`to_float`.

    Examples
    --------
    >>> import numpy as np
    >>> validate_image(np.zeros((2, 2), np.uint16)).dtype
    dtype('float32')
    """
    return to_float(image, name)


def read_image(path: str | os.PathLike, *, collapse_grey: bool = True) -> np.ndarray:
    """Read an image file as float32 in [0, 1].

    Parameters
    ----------
    path : str or path-like
        PNG, JPEG, BMP or TIFF; 8 or 16 bits per channel; grey, RGB or RGBA (alpha dropped).
    collapse_grey : bool, default True
        Return an RGB file whose three channels are equal as a 2-D grey image.

    Returns
    -------
    ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]
        16-bit files are scaled by 1/65535, 8-bit files by 1/255.

    Raises
    ------
    InvalidImageError
        See :func:`read_image_raw`.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> path = write_image(tempfile.mkdtemp() + "/g.png", np.full((4, 4, 3), 0.5))  # grey stored as RGB
    >>> img = read_image(path)
    >>> img.shape, img.dtype, round(float(img[0, 0]), 4)
    ((4, 4), dtype('float32'), 0.502)
    """
    raw = read_image_raw(path)
    if collapse_grey and raw.ndim == 3 and is_grey_rgb(raw):
        raw = raw[..., 0]
    return to_float(raw, str(path))


def check_same_size(images: Sequence[np.ndarray], names: Sequence[str]) -> tuple[int, int]:
    """Check that all images share one height and width.

    Parameters
    ----------
    images : sequence of ndarray, shapes (H, W) or (H, W, C)
    names : sequence of str
        The file path or label of each image, used in the error message.

    Returns
    -------
    (H, W) : tuple of int

    Raises
    ------
    SizeMismatchError
        Naming the first image and the first one of another size, with both sizes as W×H.

    Examples
    --------
    >>> import numpy as np
    >>> check_same_size([np.zeros((4, 6)), np.zeros((4, 6, 3))], ["a.png", "b.png"])
    (4, 6)
    """
    h, w = images[0].shape[:2]
    for image, name in zip(images[1:], names[1:]):
        if image.shape[:2] != (h, w):
            hh, ww = image.shape[:2]
            raise SizeMismatchError(
                f"sources differ in size: {names[0]} is {w}x{h} but {name} is {ww}x{hh} (WxH); "
                "fusion needs registered images of one size"
            )
    return h, w


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_name(path: str | os.PathLike, bit_depth: int = 8) -> str:
    """Check an output file's ending and bit depth before any work; return the ending.

    Parameters
    ----------
    path : str or path-like
        The output file; its ending picks the format.
    bit_depth : {8, 16}
        Bits per channel; 16 needs PNG or TIFF.

    Returns
    -------
    str
        The ending, lower case with its dot (``".png"``).

    Raises
    ------
    ParameterError
        An ending that is not one of :data:`IMAGE_EXTENSIONS`, a bit depth other than 8 or 16, or
        16 bits for a format that cannot hold them.

    Examples
    --------
    >>> check_output_name("fused.PNG", 16)
    '.png'
    """
    from .errors import ParameterError

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ParameterError(f"{path}: unsupported output format {ext or '(none)'}; use one of "
                             f"{', '.join(IMAGE_EXTENSIONS)}")
    if bit_depth not in (8, 16):
        raise ParameterError(f"{path}: bit depth {bit_depth} not supported; use 8 or 16")
    if bit_depth == 16 and ext not in (".png", ".tif", ".tiff"):
        raise ParameterError(f"{path}: 16-bit output needs PNG or TIFF, not {ext}")
    return ext


def write_image(
    path: str | os.PathLike,
    image: np.ndarray,
    *,
    bit_depth: int = 8,
    protect: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write an image atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : str or path-like
        Destination; the ending picks the format (.png, .jpg, .bmp, .tif). Missing folders are made.
    image : ndarray, shape (H, W) or (H, W, 3)
        float in [0, 1] (values outside are clipped), or uint8/uint16 written as they are.
        A 2-D array is written as a 1-channel grey file, (H, W, 3) as RGB.
    bit_depth : {8, 16}
        Bits per channel for float input. 16 needs PNG or TIFF.
    protect : iterable of paths
        Source files that must not be overwritten.

    Returns
    -------
    Path
        The written path.

    Raises
    ------
    OverwriteError
        ``path`` is one of ``protect``.
    ParameterError
        Unsupported ending or bit depth (:func:`check_output_name`).
    InvalidImageError
        An array shape that is not an image, or the encoder failed.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> path = write_image(tempfile.mkdtemp() + "/out/f.png", np.linspace(0, 1, 16).reshape(4, 4))
    >>> path.name, read_image_raw(path)[3, 3]
    ('f.png', 255)
    """
    path = Path(path)
    for src in protect:
        src = Path(src)
        if path.resolve() == src.resolve() or _same_file(path, src):
            raise OverwriteError(f"{path}: refusing to overwrite the source image {src}")
    ext = check_output_name(path, bit_depth)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3) or arr.size == 0:
        raise InvalidImageError(f"{path}: cannot write an array of shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise InvalidImageError(f"{path}: the image to write holds NaN or infinite values")
        scale = 255.0 if bit_depth == 8 else 65535.0
        dtype = np.uint8 if bit_depth == 8 else np.uint16
        arr = np.round(np.clip(arr, 0.0, 1.0) * scale).astype(dtype)
    elif arr.dtype not in _MAX_FOR_DTYPE:
        raise InvalidImageError(f"{path}: cannot write dtype {arr.dtype}")
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(ext, arr)
    if not ok:
        raise InvalidImageError(f"{path}: the {ext} encoder failed")
    return write_bytes_atomic(path, buf.tobytes())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder (made if missing),
    flushed to disk, given the permissions the umask allows (``0o666 & ~umask``, as ``open`` would),
    then renamed over ``path``. An interrupted write leaves no partial file under ``path``.

    Parameters
    ----------
    path : str or path-like
    data : bytes

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        The folder cannot be made or written (a path component is a file, no permission), the name is
        too long, or the disk is full; the temporary file is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_bytes_atomic(pathlib.Path(tempfile.mkdtemp()) / "a" / "x.txt", b"hi")
    >>> p.read_bytes()
    b'hi'
    """
    from .errors import OutputError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a short temporary name, so that a long output name does not pass the 255-byte limit
        fd, tmp = tempfile.mkstemp(prefix=f".if-{os.getpid()}-", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, hex (read in blocks).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str, 64 hex digits

    Raises
    ------
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files (``.if-<pid>-*.part``) that a killed writer left in ``folder``: those
    whose process is gone. A live process's temporaries are kept.

    Parameters
    ----------
    folder : path

    Returns
    -------
    list of Path: the files removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / ".if-999999999-x.part").write_bytes(b"half")
    >>> [p.name for p in remove_stale_temporaries(d)]
    ['.if-999999999-x.part']
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for tmp in folder.glob(".if-*.part"):
        pid = tmp.name[4:].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # its writer is alive
            except ProcessLookupError:
                pass
            except OSError:
                continue
        else:
            continue
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ----------------------------------------------------------------------------------------------
# Paired folders: <DIR>/<source-1>/<NAME>.<ext>, <DIR>/<source-2>/<NAME>.<ext>, ...
