"""The hostile-input corpus: generated cases (no binary file committed) through the command line
and the Python API.

For every command-line case: a one-line error (no traceback) that names the file or option and the
problem, the expected exit code (2: a wrong command line; 1: a problem met while working), the sources
unchanged (SHA-256 of every file under ``src/``), nothing half-written (no temporary ``.part`` file, no
output where the case failed), no file written outside the command's output, and no process left
running. Cases with code 0 must instead succeed with a correct result. Every parameter of every
method gets a value out of its range (generated from the registry). The API cases call the
library and expect one exception of the project's, with a one-line message. The count is asserted
(at least 150) and quoted in the docs (docs/robustness.md).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import imagefusion
from imagefusion.cli import app

runner = CliRunner()


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]  # makes its files under the root, returns the argv
    code: int  # expected exit code; 0 = a correct result
    needles: tuple[str, ...] = ()  # text the error must contain ("{root}" is replaced)
    absent: str | None = None  # an output that must not exist afterwards (relative to the root)


def _grey(h: int = 40, w: int = 48, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (h, w)).astype(np.float32)


def _setup(root: Path) -> None:
    """The sources every case may use, under ``src/``: a pair, a paired folder, odd files."""
    s = root / "src"
    imagefusion.write_image(s / "ir.png", _grey(seed=1))
    imagefusion.write_image(s / "vi.png", _grey(seed=2))
    imagefusion.write_image(s / "small.png", _grey(20, 24, seed=3))
    imagefusion.write_image(s / "tiny.png", _grey(1, 1, seed=4))
    imagefusion.write_image(s / "tiny2.png", _grey(1, 1, seed=5))
    for n in ("p1", "p2"):
        imagefusion.write_image(s / "pairs" / "ir" / f"{n}.png", _grey(seed=6))
        imagefusion.write_image(s / "pairs" / "vi" / f"{n}.png", _grey(seed=7))
        imagefusion.write_image(s / "fused" / f"{n}.png", _grey(seed=8))
    (s / "notimage.png").write_text("hello, I am text")
    (s / "empty.png").write_bytes(b"")
    png = (s / "ir.png").read_bytes()
    (s / "truncated.png").write_bytes(png[: len(png) // 2])
    (s / "bomb.png").write_bytes(_png_declaring(60000, 60000))
    (s / "bomb.jpg").write_bytes(_jpeg_declaring(65000, 65000))
    jpg = _jpeg_bytes()
    (s / "good.jpg").write_bytes(jpg)
    damaged = bytearray(jpg)
    damaged[len(jpg) // 2: len(jpg) // 2 + 40] = b"\xaa" * 40
    (s / "corrupt.jpg").write_bytes(bytes(damaged))
    (s / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    from PIL import Image

    page = Image.open(s / "good.jpg")
    page.save(s / "multi.tif", save_all=True, append_images=[page])
    import tifffile

    nan = _grey(40, 48, seed=9)
    nan[3, 4] = np.nan
    tifffile.imwrite(s / "nan.tif", nan)
    (s / "folder.png").mkdir()
    (s / "weights.txt").write_text("not weights")
    (s / "config-unknown.json").write_text(json.dumps({"epochs": 1, "no_such_setting": 3}))


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def _jpeg_bytes() -> bytes:
    import cv2

    img = (np.random.default_rng(0).uniform(0, 1, (40, 48, 3)) * 255).astype(np.uint8)
    return cv2.imencode(".jpg", img)[1].tobytes()


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is patched to declare width × height."""
    data = bytearray(_jpeg_bytes())
    i = data.index(b"\xff\xc0")
    data[i + 5: i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _fuse(*extra: str, a: str = "ir.png", b: str = "vi.png", out: str = "out/x.png") -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        srcs = [str(root / "src" / s) if s else s for s in (a, b) if s]
        return ["fuse", *srcs, "-o", str(root / out), *extra]

    return build


def _pairs(*extra: str, out: str = "batch", pairs: str = "src/pairs") -> Callable[[Path], list[str]]:
    return lambda root: ["fuse", "--pairs", str(root / pairs), "--out", str(root / out), *extra]


def _evaluate(*extra: str, fused: str = "src/fused", sources: str = "src/pairs") -> Callable[[Path], list[str]]:
    return lambda root: ["evaluate", "--fused", str(root / fused), "--sources", str(root / sources), "--metrics",
                         "en,qabf", *extra]


def _bench(*extra: str, datasets: str = "src/pairs", out: str = "bench") -> Callable[[Path], list[str]]:
    return lambda root: ["bench", "--datasets", str(root / datasets), "--out", str(root / out), *extra]


def _param(method: str, *params: str) -> Callable[[Path], list[str]]:
    return _fuse("-m", method, *[x for p in params for x in ("-p", p)])


def _with(prepare: Callable[[Path], None], build: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
    def both(root: Path) -> list[str]:
        prepare(root)
        return build(root)

    return both


def _file_at(rel: str, text: str = "x") -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)

    return make


def _second_fused_with_same_stem(root: Path) -> None:
    import shutil

    shutil.copytree(root / "src" / "fused", root / "fused2")
    imagefusion.write_image(root / "fused2" / "p1.jpg", _grey(seed=8))


def _fused_missing_one(root: Path) -> None:
    (root / "fused1").mkdir()
    imagefusion.write_image(root / "fused1" / "p1.png", _grey(seed=8))


def _other_method_batch(root: Path) -> None:
    runner.invoke(app, ["fuse", "--pairs", str(root / "src" / "pairs"), "--out", str(root / "batch"), "-m", "lp"])


def _int64_weights(root: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from imagefusion.nn.registry import shipped_weights_path

    from safetensors.torch import load_file

    state = {k: v.float() for k, v in load_file(str(shipped_weights_path("densefuse"))).items()}
    save_file({k: v.to(torch.int64) for k, v in state.items()}, str(root / "int64.safetensors"))


def _wrong_shape_weights(root: Path) -> None:
    import torch
    from safetensors.torch import save_file

    save_file({"conv.weight": torch.zeros(3, 3)}, str(root / "shape.safetensors"))


W = "{root}"
CASES = [
    # sources that cannot be used
    Case("missing-source", _fuse(a="nosuch.png"), 1, ("nosuch.png",), "out/x.png"),
    Case("source-is-folder", _fuse(a="folder.png"), 1, ("folder.png",), "out/x.png"),
    Case("source-not-image", _fuse(a="notimage.png"), 1, ("notimage.png", "not a readable image"), "out/x.png"),
    Case("source-empty", _fuse(a="empty.png"), 1, ("empty.png",), "out/x.png"),
    Case("source-truncated-png", _fuse(a="truncated.png"), 1, ("truncated.png",), "out/x.png"),
    Case("source-corrupt-jpeg", _fuse(a="good.jpg", b="corrupt.jpg"), 1, ("corrupt.jpg", "corrupt JPEG data"),
         "out/x.png"),
    Case("source-corrupt-jpeg-lenient", lambda r: ["--lenient", *_fuse(a="good.jpg", b="corrupt.jpg")(r)], 0),
    Case("source-truncated-jpeg", _fuse(a="good.jpg", b="truncated.jpg"), 1, ("truncated.jpg",), "out/x.png"),
    Case("png-bomb-header", _fuse(a="bomb.png"), 1, ("bomb.png", "more than the limit"), "out/x.png"),
    Case("jpeg-bomb-header", _fuse(a="good.jpg", b="bomb.jpg"), 1, ("bomb.jpg", "more than the limit"),
         "out/x.png"),
    Case("multi-page-tiff", _fuse(a="multi.tif", b="good.jpg"), 1, ("multi.tif", "2 pages"), "out/x.png"),
    Case("float-tiff-source", _fuse(a="nan.tif"), 1, ("nan.tif", "float32"), "out/x.png"),
    Case("sizes-differ", _fuse(b="small.png"), 1, ("small.png", "48x40"), "out/x.png"),
    Case("one-source", _fuse(b=""), 2, ("two or more",), "out/x.png"),
    Case("three-sources-for-a-pair-method", lambda r: ["fuse", *(str(r / "src" / f) for f in ("ir.png", "vi.png", "ir.png")),
                                                      "-m", "lp-similarity", "-o", str(r / "out/x.png")],
         1, ("lp-similarity", "got 3"), "out/x.png"),
    # outputs that would destroy or cannot be written
    Case("out-is-a-source", _fuse(out="src/vi.png"), 2, ("vi.png",)),
    Case("out-below-a-file", _with(_file_at("afile"), _fuse(out="afile/x.png")), 1, ("afile",), None),
    Case("out-is-a-folder", _with(lambda r: (r / "adir.png").mkdir(), _fuse(out="adir.png")), 1, ("adir.png",)),
    Case("out-unknown-ending", _fuse(out="out/x.xyz"), 2, ("x.xyz",), "out/x.xyz"),
    Case("out-name-too-long", _fuse(out="out/" + "n" * 260 + ".png"), 1, ("too long",)),
    Case("out-name-250-chars-works", _fuse(out="out/" + "n" * 246 + ".png"), 0),
    Case("no-out", lambda r: ["fuse", str(r / "src/ir.png"), str(r / "src/vi.png")], 2, ("-o",)),
    Case("bit-depth-12", _fuse("--bit-depth", "12"), 2, ("12",), "out/x.png"),
    # names and parameters
    Case("unknown-method", _fuse("-m", "nosuch"), 2, ("nosuch",), "out/x.png"),
    Case("unknown-task", _fuse("--task", "nosuch"), 2, ("nosuch",), "out/x.png"),
    Case("unknown-param", _param("lp", "nosuch=1"), 2, ("nosuch",), "out/x.png"),
    Case("param-without-equals", _param("lp", "levels"), 2, ("levels",), "out/x.png"),
    Case("param-not-a-number", _param("lp", "levels=abc"), 2, ("levels", "abc"), "out/x.png"),
    Case("levels-negative", _param("lp", "levels=-1"), 2, ("levels", "-1"), "out/x.png"),
    Case("levels-zero", _param("lp", "levels=0"), 2, ("levels",), "out/x.png"),
    Case("levels-huge", _param("lp", "levels=1000"), 2, ("levels", "1000"), "out/x.png"),
    Case("gff-r1-zero", _param("gff", "r1=0"), 2, ("r1",), "out/x.png"),
    Case("gff-r1-negative", _param("gff", "r1=-5"), 2, ("r1", "-5"), "out/x.png"),
    Case("gff-r1-huge", _param("gff", "r1=100000"), 2, ("r1", "100000"), "out/x.png"),
    Case("gff-eps1-nan", _param("gff", "eps1=nan"), 2, ("eps1", "nan"), "out/x.png"),
    Case("gff-eps1-inf", _param("gff", "eps1=inf"), 2, ("eps1", "inf"), "out/x.png"),
    Case("gff-average-size-zero", _param("gff", "average_size=0"), 2, ("average_size",), "out/x.png"),
    Case("dwt-unknown-wavelet", _param("dwt", "wavelet=nosuch"), 2, ("wavelet", "nosuch"), "out/x.png"),
    Case("dwt-window-zero", _param("dwt", "window=0"), 2, ("window",), "out/x.png"),
    Case("dtcwt-unknown-biort", _param("dtcwt", "biort=nosuch"), 2, ("biort", "nosuch"), "out/x.png"),
    Case("threshold-nan", _param("lp-similarity", "threshold=nan"), 2, ("threshold",), "out/x.png"),
    Case("densefuse-tile-zero", _param("densefuse", "tile=0"), 2, ("tile",), "out/x.png"),
    Case("densefuse-tile-negative", _param("densefuse", "tile=-1"), 2, ("tile",), "out/x.png"),
    Case("densefuse-tile-one", _param("densefuse", "tile=1"), 2, ("tile",), "out/x.png"),
    Case("device-nosuch-param", _param("densefuse", "device=nosuch"), 2, ("nosuch",), "out/x.png"),
    Case("device-nosuch-option", _fuse("-m", "densefuse", "--device", "nosuch"), 2, ("nosuch",), "out/x.png"),
    Case("device-cuda-on-cpu", _fuse("-m", "densefuse", "--device", "cuda"), 2, ("cuda",), "out/x.png"),
    Case("device-on-classical", _fuse("-m", "gff", "--device", "cuda"), 2, ("gff",), "out/x.png"),
    Case("precision-bogus", _param("densefuse", "precision=bogus"), 2, ("precision", "bogus"), "out/x.png"),
    Case("weights-missing", _fuse("-m", "densefuse", "--weights", "nosuch.safetensors"), 2, ("nosuch.safetensors",),
         "out/x.png"),
    Case("weights-not-safetensors", lambda r: _fuse("-m", "densefuse", "--weights", str(r / "src/weights.txt"))(r),
         1, ("weights.txt",), "out/x.png"),
    Case("weights-int64", _with(_int64_weights, lambda r: _fuse("-m", "densefuse", "--weights",
                                                                str(r / "int64.safetensors"))(r)),
         1, ("int64.safetensors", "int64"), "out/x.png"),
    Case("weights-wrong-shapes", _with(_wrong_shape_weights, lambda r: _fuse("-m", "densefuse", "--weights",
                                                                             str(r / "shape.safetensors"))(r)),
         1, ("shape.safetensors",), "out/x.png"),
    Case("published-file-missing", _fuse("-m", "didfuse", "-p", "encoder=nosuch.pkl"), 1, ("nosuch.pkl",), "out/x.png"),
    Case("published-file-not-the-authors", lambda r: _fuse("-m", "didfuse", "-p", f"encoder={r / 'src/weights.txt'}")(r),
         1, ("weights.txt", "SHA-256", "didfuse-encoder"), "out/x.png"),
    Case("weights-on-classical", _fuse("-m", "gff", "--weights", "x.safetensors"), 2, ("gff",), "out/x.png"),
    Case("explain-not-cam", _fuse("-m", "gff", "--explain", "ex"), 2, ("cam-fusion",), "out/x.png"),
    Case("explain-at-a-file", _with(_file_at("exfile"), lambda r: _fuse("-m", "cam-fusion", "--explain",
                                                                       str(r / "exfile"))(r)),
         1, ("exfile",), "out/x.png"),
    Case("workers-without-pairs", _fuse("--workers", "2"), 2, ("--pairs",), "out/x.png"),
    # batch folders
    Case("pairs-missing", _pairs(pairs="nosuch"), 1, ("nosuch",), "batch"),
    Case("pairs-one-folder", _with(lambda r: imagefusion.write_image(r / "one/ir/a.png", _grey()),
                                   _pairs(pairs="one")), 1, ("one",), "batch"),
    Case("pairs-nothing-matched", _with(lambda r: [imagefusion.write_image(r / "nm" / s / f"{s}.png", _grey())
                                                   for s in ("ir", "vi")], _pairs(pairs="nm")),
         1, ("no matched pairs",), "batch"),
    Case("pairs-ext-escapes", _pairs("--ext", "/../../x.png"), 2, ("--ext",), "batch"),
    Case("pairs-ext-not-image", _pairs("--ext", ".exe"), 2, ("--ext", ".exe"), "batch"),
    Case("pairs-out-at-a-file", _with(_file_at("bfile"), _pairs(out="bfile")), 1, ("bfile",)),
    Case("pairs-out-is-source-folder", _pairs(out="src/pairs/ir"), 2, ("source folder",)),
    Case("pairs-and-sources", lambda r: ["fuse", str(r / "src/ir.png"), str(r / "src/vi.png"), "--pairs",
                                         str(r / "src/pairs"), "--out", str(r / "batch")], 2, ("not both",), "batch"),
    Case("pairs-without-out", lambda r: ["fuse", "--pairs", str(r / "src/pairs")], 2, ("--out",)),
    Case("pairs-workers-zero", _pairs("--workers", "0"), 2, ("workers",)),
    Case("pairs-into-other-methods-results", _with(_other_method_batch, _pairs("-m", "gff")), 2,
         ("holds results of lp",)),
    Case("pairs-ok", _pairs("-m", "average"), 0),
    # evaluate
    Case("evaluate-out-a-source", lambda r: _evaluate("--out", str(r / "src/pairs/ir/p1.png"))(r), 2, (".csv",)),
    Case("evaluate-out-markdown", lambda r: _evaluate("--out", str(r / "r.md"))(r), 2, (".csv",), "r.md"),
    Case("evaluate-out-folder", _with(lambda r: (r / "d.csv").mkdir(), lambda r: _evaluate("--out", str(r / "d.csv"))(r)),
         1, ("is a folder",)),
    Case("evaluate-fused-missing-a-pair", _with(_fused_missing_one, _evaluate(fused="fused1")), 1, ("p2",)),
    Case("evaluate-two-fused-same-name", _with(_second_fused_with_same_stem, _evaluate(fused="fused2")), 1,
         ("p1",)),
    Case("evaluate-unknown-metric", lambda r: ["evaluate", "--fused", str(r / "src/fused"), "--sources",
                                               str(r / "src/pairs"), "--metrics", "nosuch"], 2, ("nosuch",)),
    Case("evaluate-unknown-convention", _evaluate("--convention", "nosuch"), 2, ("nosuch",)),
    Case("evaluate-sources-missing", _evaluate(sources="nosuch"), 1, ("nosuch",)),
    Case("evaluate-ok", _evaluate(), 0),
    # bench
    Case("bench-out-at-a-file", _with(_file_at("benchfile"), _bench(out="benchfile")), 1, ("benchfile",)),
    Case("bench-unknown-convention", _bench("--convention", "nosuch"), 2, ("nosuch",), "bench"),
    Case("bench-unknown-method", _bench("--methods", "nosuch"), 2, ("nosuch",), "bench"),
    Case("bench-unknown-metric", _bench("--methods", "average", "--metrics", "nosuch"), 2, ("nosuch",), "bench"),
    Case("bench-dataset-missing", _bench("--methods", "average", datasets="nosuch"), 1, ("nosuch",), "bench"),
    Case("bench-workers-zero", _bench("--methods", "average", "--workers", "0"), 2, ("workers",), "bench"),
    Case("bench-refresh-not-benchmarked", _bench("--methods", "average", "--refresh", "lp"), 2, ("lp",), "bench"),
    Case("bench-results-folder-missing", _bench("--methods", "results:nosuch"), 1, ("nosuch",), "bench"),
    Case("bench-ok", _bench("--methods", "average", "--metrics", "en"), 0),
    # train
    Case("train-unknown-network", lambda r: ["train", "nosuch", "--out", str(r / "t")], 2, ("nosuch",), "t"),
    Case("train-unknown-setting", lambda r: ["train", "densefuse", "--config", str(r / "src/config-unknown.json"),
                                             "--out", str(r / "t")], 2, ("no_such_setting",), "t"),
    Case("train-config-missing", lambda r: ["train", "densefuse", "--config", str(r / "nosuch.json"), "--out",
                                            str(r / "t")], 2, ("nosuch.json",), "t"),
]


def _png_bytes(h: int = 40, w: int = 48, seed: int = 8) -> bytes:
    import cv2

    return cv2.imencode(".png", (_grey(h, w, seed) * 255).astype(np.uint8))[1].tobytes()


def _truncated_output(root: Path) -> None:
    """A finished batch whose p1 output was cut short (a crash of another program, a full disk)."""
    runner.invoke(app, ["fuse", "--pairs", str(root / "src/pairs"), "--out", str(root / "batch"), "-m", "average"])
    data = (root / "batch" / "p1.png").read_bytes()
    (root / "batch" / "p1.png").write_bytes(data[: len(data) // 3])


def _wrong_size_output(root: Path) -> None:
    runner.invoke(app, ["fuse", "--pairs", str(root / "src/pairs"), "--out", str(root / "batch"), "-m", "average"])
    imagefusion.write_image(root / "batch" / "p2.png", _grey(10, 10))


_HELD: list[int] = []


def _locked_batch(root: Path) -> None:
    """Another run holds the batch folder's lock (a second ``open`` + ``flock`` conflicts even in one
    process); released by the test after the case."""
    import fcntl
    import os

    (root / "batch").mkdir()
    fd = os.open(root / "batch" / ".imagefusion-batch.lock", os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242")
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _HELD.append(fd)


def _weights_like(root: Path, name: str, fill: float | None = None, scale: float | None = None) -> None:
    """densefuse's shipped tensors in float32 (the package stores them in float16), all set to ``fill`` (or
    multiplied by ``scale``)."""
    import torch
    from safetensors.torch import load_file, save_file

    from imagefusion.nn.registry import shipped_weights_path

    state = {k: v.float() for k, v in load_file(str(shipped_weights_path("densefuse"))).items()}
    out = {k: (torch.full_like(v, fill) if fill is not None else v * scale) for k, v in state.items()}
    save_file(out, str(root / name))


def _planted_checkpoint(root: Path) -> None:
    import torch

    class Payload:
        def __reduce__(self):
            return (Path.touch, (root / "PWNED",))

    (root / "t").mkdir()
    torch.save({"model": Payload(), "optimizer": {}, "rows": [], "epoch": 0}, root / "t" / "checkpoint.pt")


def _truncated_checkpoint(root: Path) -> None:
    import torch

    (root / "t").mkdir()
    torch.save({"model": {"w": torch.ones(4096)}, "epoch": 1}, root / "t" / "checkpoint.pt")
    data = (root / "t" / "checkpoint.pt").read_bytes()
    (root / "t" / "checkpoint.pt").write_bytes(data[: len(data) // 2])


def _float_tiffs(root: Path) -> None:
    import tifffile

    tifffile.imwrite(root / "src" / "f1.tif", _grey(seed=11))
    tifffile.imwrite(root / "src" / "f2.tif", _grey(seed=12))
    tifffile.imwrite(root / "src" / "hdr.tif", _grey(seed=13) * 8)


def _rotated_jpeg(root: Path) -> None:
    """A 48 × 40 JPEG stored sideways (40 × 48) with EXIF orientation 6: upright it fits ir.png."""
    from PIL import Image

    im = Image.fromarray((np.rot90(_grey(seed=14), 1) * 255).astype(np.uint8))
    exif = im.getexif()
    exif[0x0112] = 6
    im.save(root / "src" / "sideways.jpg", exif=exif, quality=95)


def _fifo(root: Path) -> None:
    import os

    os.mkfifo(root / "src" / "pipe.png")


def _train(*extra: str) -> Callable[[Path], list[str]]:
    return lambda root: ["train", "cnn-liu2017", "--out", str(root / "t"), "--data", str(root / "nodata"), *extra]


def _config(text: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / "c.json").write_text(text)
        return ["train", "densefuse", "--config", str(root / "c.json"), "--out", str(root / "t")]

    return build


def _deep(name: str) -> Callable[[Path], list[str]]:
    return lambda root: _fuse("-m", "densefuse", "--weights", str(root / name))(root)


def _param_cases() -> list[Case]:
    """Every parameter of every registered method, given a value outside its range or type."""
    import numbers

    from imagefusion.registry import list_methods
    from imagefusion.ui import PATH_PARAMS

    cases = []
    for spec in list_methods(None):
        for key, default in spec.params.items():
            allowed = spec.ranges.get(key)
            if key in PATH_PARAMS or key == "device":
                continue  # files and devices: their own cases
            if isinstance(default, bool):
                bad = "maybe"
            elif isinstance(allowed, tuple) and len(allowed) == 2 and all(
                    isinstance(x, numbers.Real) and not isinstance(x, bool) for x in allowed):
                hi = allowed[1]
                bad = str(hi + (1 if isinstance(hi, int) else abs(hi) + 1))
            elif isinstance(allowed, tuple):
                bad = "nosuch"
            elif isinstance(default, float):
                bad = "nan"
            elif isinstance(default, int) or (isinstance(default, tuple) and default):
                bad = "1.5"
            else:
                bad = "nosuch/../x"
            cases.append(Case(f"param-{spec.name}-{key}", _param(spec.name, f"{key}={bad}"), 2, (key,), "out/x.png"))
    return cases


CASES += [
    # files that are not what they claim, and file types the field uses
    Case("source-fifo", _with(_fifo, _fuse(a="pipe.png")), 1, ("pipe.png", "named pipe"), "out/x.png"),
    Case("float-tiff-sources-ok", _with(_float_tiffs, _fuse(a="f1.tif", b="f2.tif")), 0),
    Case("float-tiff-out-of-range", _with(_float_tiffs, _fuse(a="f1.tif", b="hdr.tif")), 1,
         ("hdr.tif", "[0, 1]"), "out/x.png"),
    Case("exif-rotated-jpeg-ok", _with(_rotated_jpeg, _fuse(b="sideways.jpg")), 0),
    Case("source-is-the-output-folder", _fuse(a="pairs"), 1, ("pairs", "folder"), "out/x.png"),
    # list-valued parameters
    Case("nsct-levels-out-of-range", _param("nsct-sr", "levels=[2,3]"), 2, ("levels", "[0, 2]"), "out/x.png"),
    Case("nsct-levels-huge", _param("nsct-sr", "levels=[0,99]"), 2, ("levels", "99"), "out/x.png"),
    Case("nsct-levels-empty", _param("nsct-sr", "levels=[]"), 2, ("levels", "one or more"), "out/x.png"),
    Case("nsct-levels-text", _param("nsct-sr", "levels=abc"), 2, ("levels", "abc"), "out/x.png"),
    Case("nsct-levels-too-many", _param("nsct-sr", "levels=1,1,1,1,1,1,1,1,1"), 2, ("levels", "at most 8"),
         "out/x.png"),
    # weights files of the right shapes that cannot be trained weights
    Case("weights-all-zeros", _with(lambda r: _weights_like(r, "zeros.safetensors", fill=0.0), _deep("zeros.safetensors")),
         1, ("zeros.safetensors", "all zeros"), "out/x.png"),
    Case("weights-1e30", _with(lambda r: _weights_like(r, "huge.safetensors", fill=1e30), _deep("huge.safetensors")),
         1, ("huge.safetensors", "1e+30"), "out/x.png"),
    Case("weights-nan", _with(lambda r: _weights_like(r, "nan.safetensors", fill=float("nan")), _deep("nan.safetensors")),
         1, ("nan.safetensors", "NaN"), "out/x.png"),
    Case("weights-scaled-1e9", _with(lambda r: _weights_like(r, "big.safetensors", scale=1e9), _deep("big.safetensors")),
         1, ("big.safetensors", "saturate"), "out/x.png"),
    Case("weights-empty-file", _with(_file_at("empty.safetensors", ""), _deep("empty.safetensors")), 1,
         ("empty.safetensors",), "out/x.png"),
    # batch folders: resume, locks, workers, schedulers
    Case("pairs-truncated-output-refused-ok", _with(_truncated_output, _pairs("-m", "average")), 0),
    Case("pairs-wrong-size-output-refused-ok", _with(_wrong_size_output, _pairs("-m", "average")), 0),
    Case("pairs-folder-locked-by-another-run", _with(_locked_batch, _pairs("-m", "average")), 1,
         ("another imagefusion run (pid 4242)",)),
    Case("pairs-scheduler-not-json", _with(_file_at("s.json", "{bad"), lambda r: _pairs("--scheduler",
                                                                                       str(r / "s.json"))(r)),
         1, ("s.json", "not valid JSON"), "batch/p1.png"),
    Case("pairs-scheduler-json-no-address", _with(_file_at("s.json", "[]"), lambda r: _pairs("--scheduler",
                                                                                            str(r / "s.json"))(r)),
         1, ("s.json", "address"), "batch/p1.png"),
    Case("pairs-scheduler-file-missing", lambda r: _pairs("--scheduler", str(r / "nosuch.json"))(r), 1,
         ("nosuch.json", "no such scheduler file"), "batch/p1.png"),
    Case("pairs-scheduler-not-an-address", _pairs("--scheduler", "nosuch"), 2, ("nosuch", "tcp://"), "batch/p1.png"),
    Case("pairs-workers-negative", _pairs("--workers", "-3"), 2, ("workers",), "batch"),
    Case("pairs-ext-empty", _pairs("--ext", ""), 2, ("--ext",), "batch"),
    Case("pairs-bit-depth-7", _pairs("--bit-depth", "7"), 2, ("7",), "batch/p1.png"),
    Case("pairs-explain", _pairs("-m", "cam-fusion", "--explain", "ex"), 2, ("--pairs",), "batch/p1.png"),
    Case("fuse-scheduler-without-pairs", _fuse("--scheduler", "local"), 2, ("--pairs",), "out/x.png"),
    Case("fuse-global-quiet-after-command-ok", _fuse("-q", "-m", "average"), 0),
    # evaluate
    Case("evaluate-metrics-empty", _evaluate("--metrics", ""), 2, ("--metrics",)),
    Case("evaluate-metrics-commas", _evaluate("--metrics", ",,,"), 2, ("--metrics", ",,,")),
    Case("evaluate-out-unwritable", lambda r: _evaluate("--out", "/proc/imagefusion-x.csv")(r), 1,
         ("imagefusion-x",)),
    Case("evaluate-fused-missing", _evaluate(fused="nosuch"), 1, ("nosuch",)),
    Case("evaluate-fused-is-a-file", _evaluate(fused="src/ir.png"), 1, ("ir.png",)),
    Case("evaluate-three-source-metric-mismatch", lambda r: ["evaluate", "--fused", str(r / "src/fused"), "--sources",
                                                             str(r / "src/pairs"), "--metrics", "qabf,nosuch"],
         2, ("nosuch",)),
    # bench
    Case("bench-metrics-empty", _bench("--methods", "average", "--metrics", ""), 2, ("--metrics",), "bench"),
    Case("bench-methods-commas", _bench("--methods", ",,"), 2, ("--methods",), "bench"),
    Case("bench-datasets-commas", lambda r: ["bench", "--datasets", ",,", "--out", str(r / "bench"), "--methods",
                                             "average"], 2, ("--datasets",), "bench"),
    Case("bench-out-inside-the-dataset", _bench("--methods", "average", out="src/pairs/results"), 2,
         ("inside the dataset",), "src/pairs/results"),
    Case("bench-out-is-a-source-folder", _bench("--methods", "average", out="src/pairs/ir"), 2,
         ("inside the dataset",)),
    Case("bench-out-holds-the-dataset", _bench("--methods", "average", out="src"), 2, ("holds the dataset",)),
    Case("bench-unknown-task", _bench("--methods", "average", "--task", "nosuch"), 2, ("nosuch",), "bench"),
    Case("bench-scheduler-missing", lambda r: _bench("--methods", "average", "--scheduler", str(r / "no.json"))(r),
         1, ("no.json",)),
    Case("bench-device-nosuch", _bench("--methods", "densefuse", "--device", "nosuch"), 2, ("nosuch",), "bench"),
    # train
    Case("train-config-wrong-types", _config('{"epochs": "many", "lr": "fast"}'), 2, ("epochs", "integer"), "t"),
    Case("train-config-a-list", _config("[1, 2]"), 2, ("c.json", "list"), "t"),
    Case("train-config-not-json", _config("{epochs: 3"), 2, ("c.json",), "t"),
    Case("train-config-negative-lr", _config('{"lr": -1}'), 2, ("lr", "greater than 0"), "t"),
    Case("train-config-zero-batch", _config('{"batch_size": 0}'), 2, ("batch_size", "at least 1"), "t"),
    Case("train-out-is-a-file", _with(_file_at("tfile"), lambda r: ["train", "densefuse", "--out", str(r / "tfile")]),
         1, ("tfile", "is a file")),
    Case("train-epochs-zero", _train("--epochs", "0"), 2, ("--epochs",), "t"),
    Case("train-epochs-negative", _train("--epochs", "-1"), 2, ("--epochs",), "t"),
    Case("train-steps-zero", _train("--steps", "0"), 2, ("--steps",), "t"),
    Case("train-batch-size-zero", _train("--batch-size", "0"), 2, ("--batch-size",), "t"),
    Case("train-max-images-zero", _train("--max-images", "0"), 2, ("--max-images",), "t"),
    Case("train-max-images-negative", _train("--max-images", "-5"), 2, ("--max-images",), "t"),
    Case("train-seed-negative", _train("--seed", "-2"), 2, ("--seed",), "t"),
    Case("train-planted-checkpoint", _with(_planted_checkpoint, lambda r: ["train", "cnn-liu2017", "--out",
                                                                            str(r / "t"), "--data", str(r / "src")]),
         1, ("checkpoint.pt", "refusing to load")),
    Case("train-truncated-checkpoint", _with(_truncated_checkpoint, lambda r: ["train", "cnn-liu2017", "--out",
                                                                                str(r / "t"), "--data", str(r / "src")]),
         1, ("checkpoint.pt", "not a readable checkpoint")),
    Case("train-device-nosuch", _train("--device", "nosuch"), 2, ("nosuch",), "t"),
    # other commands
    Case("demo-out-is-a-file", _with(_file_at("dfile"), lambda r: ["demo", "--out", str(r / "dfile")]), 1, ("dfile",)),
    Case("ui-port-negative", lambda r: ["ui", "--port", "-5"], 2, ("--port",)),
    Case("ui-port-too-big", lambda r: ["ui", "--port", "99999"], 2, ("--port",)),
    Case("ui-weights-dir-missing", lambda r: ["ui", "--weights-dir", str(r / "nosuch")], 2, ("nosuch", "not a folder")),
    Case("ui-device-nosuch", lambda r: ["ui", "--device", "nosuch"], 2, ("nosuch",)),
    Case("methods-unknown-task", lambda r: ["methods", "--task", "nosuch"], 2, ("nosuch",)),
    Case("unknown-command", lambda r: ["nosuch"], 2, ("nosuch",)),
    Case("unknown-option", lambda r: ["fuse", "--nosuch"], 2, ("--nosuch",)),
] + _param_cases()


@dataclass
class ApiCase:
    name: str
    call: Callable[[Path], object]  # gets the root (``_setup`` done), calls the library
    error: type  # the project's exception it must raise
    needles: tuple[str, ...] = ()


def _arr(h: int = 40, w: int = 48, seed: int = 0) -> np.ndarray:
    return _grey(h, w, seed)


def _api_fuse(*sources, **kw):
    return lambda root: imagefusion.fuse([root / "src" / s if isinstance(s, str) else s for s in sources], **kw)


def _api_page(params: str, **kw):
    from imagefusion.ui import fuse_for_page

    def call(root: Path):
        r = fuse_for_page([str(root / "src/ir.png"), str(root / "src/vi.png")], "densefuse", params,
                          out_dir=root / "page", **kw)
        if r["error"]:
            raise imagefusion.ImageFusionError(r["error"])
        return r

    return call


def _api_checkpoint(root: Path):
    from imagefusion.train.loop import load_checkpoint

    _planted_checkpoint(root)
    return load_checkpoint(root / "t" / "checkpoint.pt", ("model",))


def _api_batch_locked(root: Path):
    from imagefusion.batch import fuse_folder

    _locked_batch(root)
    return fuse_folder(root / "src/pairs", root / "batch", "average")


def _api_runner(workers):
    from imagefusion.cluster import JobRunner

    return lambda root: JobRunner(workers)


def _api_scheduler(text: str | None):
    from imagefusion.cluster import JobRunner

    def call(root: Path):
        path = root / "sched.json"
        if text is not None:
            path.write_text(text)
        with JobRunner(1, str(path)):
            pass

    return call


E = imagefusion.errors
API_CASES = [
    ApiCase("api-one-source", _api_fuse("ir.png"), E.ImageFusionError, ("at least two",)),
    ApiCase("api-unknown-method", _api_fuse("ir.png", "vi.png", method="nosuch"), E.UnknownNameError, ("nosuch",)),
    ApiCase("api-sizes-differ", _api_fuse("ir.png", "small.png"), E.SizeMismatchError, ("small.png",)),
    ApiCase("api-nan-array", _api_fuse(np.full((8, 8), np.nan, np.float32), _arr(8, 8)), E.InvalidImageError, ("NaN",)),
    ApiCase("api-float-out-of-range", _api_fuse(_arr() * 3, _arr()), E.InvalidImageError, ("[0, 1]",)),
    ApiCase("api-4d-array", _api_fuse(np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 8, 3))), E.InvalidImageError, ("shape",)),
    ApiCase("api-int32-array", _api_fuse(np.zeros((8, 8), np.int32), np.zeros((8, 8), np.int32)), E.InvalidImageError,
            ("int32",)),
    ApiCase("api-unknown-param", _api_fuse("ir.png", "vi.png", method="lp", nosuch=1), E.ParameterError, ("nosuch",)),
    ApiCase("api-param-wrong-type", _api_fuse("ir.png", "vi.png", method="lp", levels="five"), E.ParameterError,
            ("levels",)),
    ApiCase("api-param-bool-for-int", _api_fuse("ir.png", "vi.png", method="lp", levels=True), E.ParameterError,
            ("levels",)),
    ApiCase("api-nsct-levels-not-a-list", _api_fuse("ir.png", "vi.png", method="nsct-sr", levels=2), E.ParameterError,
            ("levels", "list")),
    ApiCase("api-fifo-source", lambda r: (_fifo(r), imagefusion.read_image(r / "src/pipe.png")), E.InvalidImageError,
            ("named pipe",)),
    ApiCase("api-write-over-a-source", lambda r: imagefusion.write_image(r / "src/ir.png", _arr(),
                                                                        protect=[r / "src/ir.png"]),
            E.OverwriteError, ("ir.png",)),
    ApiCase("api-evaluate-unknown-metric", lambda r: imagefusion.evaluate(_arr(), [_arr(), _arr()], ["nosuch"]),
            E.UnknownNameError, ("nosuch",)),
    ApiCase("api-evaluate-unknown-convention", lambda r: imagefusion.evaluate(_arr(), [_arr(), _arr()], ["en"],
                                                                              convention="nosuch"),
            E.ImageFusionError, ("nosuch",)),
    ApiCase("api-planted-checkpoint", _api_checkpoint, E.WeightsError, ("refusing to load",)),
    ApiCase("api-batch-folder-locked", _api_batch_locked, E.OutputError, ("another imagefusion run",)),
    ApiCase("api-runner-workers-zero", _api_runner(0), E.ParameterError, ("workers",)),
    ApiCase("api-runner-workers-bool", _api_runner(True), E.ParameterError, ("workers",)),
    ApiCase("api-scheduler-file-missing", _api_scheduler(None), E.OutputError, ("no such scheduler file",)),
    ApiCase("api-scheduler-file-not-json", _api_scheduler("{x"), E.OutputError, ("not valid JSON",)),
    ApiCase("api-page-weights-server-path", _api_page("weights=/etc/passwd"), E.ImageFusionError,
            ("names a file on the server",)),
    ApiCase("api-page-weights-outside-the-folder", lambda r: _api_page("weights=../src/weights.txt",
                                                                       weights_dir=r / "src" / "pairs")(r),
            E.ImageFusionError, ("server's weights folder",)),
    ApiCase("api-page-classifier-path", lambda r: imagefusion.ui.fuse_for_page(
        [str(r / "src/ir.png"), str(r / "src/vi.png")], "cam-fusion", "classifier=/etc/hosts", out_dir=r / "page"),
            None, ("names a file on the server",)),
]


def test_the_corpus_has_at_least_150_cases():
    assert len(CASES) + len(API_CASES) >= 150
    names = [c.name for c in CASES] + [c.name for c in API_CASES]
    assert len(set(names)) == len(names)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


#: Where a command may write: its output file or folders (``out/x.png``, ``--out``, ``-o``).
OUTPUTS = ("out", "batch", "bench", "t", "ex", "page")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.is_relative_to(root / "src")}


@pytest.fixture(autouse=True)
def _release_held_locks():
    yield
    import os

    while _HELD:
        os.close(_HELD.pop())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path, monkeypatch):
    import multiprocessing

    import imagefusion.io

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(imagefusion.io, "LENIENT", False)  # --lenient sets both; restored after the test
    monkeypatch.setenv("IMAGEFUSION_LENIENT", "0")
    _setup(tmp_path)
    argv = case.build(tmp_path)
    before = _digest(tmp_path / "src")
    files_before = _files(tmp_path)
    res = runner.invoke(app, argv)
    assert _digest(tmp_path / "src") == before, "a source changed"
    assert not list(tmp_path.rglob(".if-*.part")), "a temporary file was left"
    assert not (tmp_path / "PWNED").exists(), "a planted pickle ran"
    outside = sorted(f for f in _files(tmp_path) - files_before if f.split("/")[0] not in OUTPUTS)
    assert not outside, f"written outside the output: {outside}"
    assert not multiprocessing.active_children(), "a worker process was left running"
    if case.code == 0:
        assert res.exit_code == 0, res.output
        if "--lenient" in argv:  # decoded with a warning that names the file
            assert "corrupt.jpg: corrupt JPEG data" in res.output and (tmp_path / "out/x.png").is_file()
        written = [Path(argv[argv.index("-o") + 1])] if "-o" in argv else sorted((tmp_path / "batch").glob("p*.png"))
        for path in written:  # a complete image of the pair's size
            assert imagefusion.read_image(path).shape[:2] == (40, 48), path
        if "--pairs" in argv:
            assert len(written) == 2
        return
    lines = res.output.strip().splitlines()
    assert res.exit_code == case.code, res.output
    # notes (the default method chosen, unmatched names) may come first; the error is one last line
    assert "Traceback" not in res.output and lines and lines[-1].startswith("error:"), res.output
    assert sum(line.startswith("error:") for line in lines) == 1, res.output
    text = lines[-1]
    for needle in case.needles:
        assert needle.replace(W, str(tmp_path)) in text, (needle, text)
    if case.absent is not None:
        assert not (tmp_path / case.absent).exists(), f"{case.absent} was written"


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: c.name)
def test_bad_api_call(case: ApiCase, tmp_path, monkeypatch):
    import imagefusion.ui  # noqa: F401  (fuse_for_page)

    monkeypatch.chdir(tmp_path)
    _setup(tmp_path)
    before = _digest(tmp_path / "src")
    if case.error is None:  # the page reports the error in its result instead of raising
        text = case.call(tmp_path)["error"]
    else:
        with pytest.raises(case.error) as info:
            case.call(tmp_path)
        assert isinstance(info.value, imagefusion.ImageFusionError)
        text = str(info.value)
    assert text and "\n" not in text and "Traceback" not in text, text
    for needle in case.needles:
        assert needle in text, (needle, text)
    assert all(_digest(tmp_path / "src").get(k) == v for k, v in before.items()), "a source changed"
    assert not (tmp_path / "PWNED").exists(), "a planted pickle ran"
