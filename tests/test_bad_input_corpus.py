"""The bad-input corpus: generated cases (no binary file committed), each run through the command line.

For every case: a one-line error (no traceback) that names the file or option and the problem, the
expected exit code (2: a wrong command line; 1: a problem met while working), the sources unchanged
(SHA-256 of every file under ``src/``), nothing half-written (no temporary ``.part`` file, no output
where the case failed). Cases marked ``ok`` must instead succeed with a correct result. The count is
asserted (at least 60) and quoted in the docs (docs/robustness.md).
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

    state = load_file(str(shipped_weights_path("densefuse")))
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


def test_the_corpus_has_at_least_60_cases():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path, monkeypatch):
    import imagefusion.io

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(imagefusion.io, "LENIENT", False)  # --lenient sets both; restored after the test
    monkeypatch.setenv("IMAGEFUSION_LENIENT", "0")
    _setup(tmp_path)
    argv = case.build(tmp_path)
    before = _digest(tmp_path / "src")
    res = runner.invoke(app, argv)
    assert _digest(tmp_path / "src") == before, "a source changed"
    assert not list(tmp_path.rglob(".if-*.part")), "a temporary file was left"
    if case.code == 0:
        assert res.exit_code == 0, res.output
        if "--lenient" in argv:  # decoded with a warning that names the file
            assert "corrupt.jpg: corrupt JPEG data" in res.output and (tmp_path / "out/x.png").is_file()
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
