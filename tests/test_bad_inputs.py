"""Bad inputs to the command line: a one-line error naming the file or parameter, exit code 2, no
traceback, the sources unchanged and nothing half-written (issue 19's data-loss and hang cases)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import imagefusion
from imagefusion.cli import app

runner = CliRunner()


@pytest.fixture()
def pairs(tmp_path) -> Path:
    """A paired folder of two small synthetic pairs (``ir``/``vi``)."""
    rng = np.random.default_rng(0)
    for name in ("p1", "p2"):
        for src in ("ir", "vi"):
            imagefusion.write_image(tmp_path / "pairs" / src / f"{name}.png", rng.uniform(0, 1, (40, 48)).astype(np.float32))
    return tmp_path / "pairs"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(res, *needles: str, code: int = 2) -> None:
    """One line, no traceback; exit 2 for a wrong command line, 1 for a problem met while working."""
    assert res.exit_code == code, res.output
    text = res.output.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert text.startswith("error:"), text
    for n in needles:
        assert n in text, (n, text)


def test_evaluate_never_overwrites_a_source_or_its_own_csv(pairs, tmp_path):
    fused = tmp_path / "fused"
    for name in ("p1", "p2"):
        imagefusion.write_image(fused / f"{name}.png", imagefusion.fuse([pairs / "ir" / f"{name}.png",
                                                                          pairs / "vi" / f"{name}.png"], "average"))
    before = _digest(pairs)
    for out in (pairs / "ir" / "p1.png", tmp_path / "r.md", tmp_path / "r.json"):
        res = runner.invoke(app, ["evaluate", "--fused", str(fused), "--sources", str(pairs), "--metrics", "en",
                                  "--out", str(out)])
        _one_line_error(res, str(out), ".csv")
    (tmp_path / "dir.csv").mkdir()
    res = runner.invoke(app, ["evaluate", "--fused", str(fused), "--sources", str(pairs), "--metrics", "en",
                              "--out", str(tmp_path / "dir.csv")])
    _one_line_error(res, "is a folder", code=1)
    assert _digest(pairs) == before and not (tmp_path / "r.md").exists()


@pytest.mark.parametrize("ext", ["/../../x.png", "../x.png", ".exe", "png/x"])
def test_fuse_pairs_ext_must_be_an_image_ending(pairs, tmp_path, ext):
    before = _digest(tmp_path)
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "-m", "average",
                              "--ext", ext])
    _one_line_error(res, "not an image file ending")
    assert _digest(tmp_path) == before


def test_fuse_pairs_out_at_a_file(pairs, tmp_path):
    (tmp_path / "file").write_text("keep")
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(tmp_path / "file"), "-m", "average"])
    _one_line_error(res, "is a file", code=1)
    assert (tmp_path / "file").read_text() == "keep"


def test_output_below_a_regular_file(pairs, tmp_path):
    (tmp_path / "file").write_text("keep")
    res = runner.invoke(app, ["fuse", str(pairs / "ir" / "p1.png"), str(pairs / "vi" / "p1.png"), "-m", "average",
                              "-o", str(tmp_path / "file" / "x.png")])
    _one_line_error(res, "cannot write there", code=1)
    assert (tmp_path / "file").read_text() == "keep"


@pytest.mark.parametrize("tile", ["0", "-1", "1"])
def test_tiny_tiles_are_refused_not_run_for_hours(pairs, tmp_path, tile):
    res = runner.invoke(app, ["fuse", str(pairs / "ir" / "p1.png"), str(pairs / "vi" / "p1.png"), "-m", "densefuse",
                              "-p", f"tile={tile}", "-o", str(tmp_path / "x.png")])
    _one_line_error(res, f"tile={tile}", "densefuse")
    assert not (tmp_path / "x.png").exists()


def test_bench_out_at_a_file_and_unknown_convention(pairs, tmp_path):
    (tmp_path / "file").write_text("keep")
    res = runner.invoke(app, ["bench", "--datasets", str(pairs), "--methods", "average", "--out", str(tmp_path / "file")])
    _one_line_error(res, "is a file", code=1)
    res = runner.invoke(app, ["bench", "--datasets", str(pairs), "--methods", "average", "--metrics", "en",
                              "--convention", "nosuch", "--out", str(tmp_path / "b")])
    _one_line_error(res, "unknown convention 'nosuch'")
    assert not (tmp_path / "b").exists()


def test_explain_at_an_existing_file(pairs, tmp_path):
    (tmp_path / "file").write_text("keep")
    res = runner.invoke(app, ["fuse", str(pairs / "ir" / "p1.png"), str(pairs / "vi" / "p1.png"), "-m", "cam-fusion",
                              "-o", str(tmp_path / "x.png"), "--explain", str(tmp_path / "file")])
    _one_line_error(res, "is a file", code=1)
    assert (tmp_path / "file").read_text() == "keep" and not (tmp_path / "x.png").exists()


def test_long_output_name_and_normal_permissions(pairs, tmp_path):
    name = "x" * 246 + ".png"  # 250 characters: the temporary name must not pass 255 bytes
    old = os.umask(0o022)
    try:
        res = runner.invoke(app, ["fuse", str(pairs / "ir" / "p1.png"), str(pairs / "vi" / "p1.png"), "-m", "average",
                                  "-o", str(tmp_path / name)])
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
    assert mode == 0o644, oct(mode)  # readable by colleagues, as open() would make it
    assert not list(tmp_path.glob(".if-*.part"))


def test_two_source_metrics_refuse_three_sources_with_the_projects_error():
    from imagefusion.metrics import evaluate, list_metrics

    rng = np.random.default_rng(1)
    a, b, c, f = (rng.uniform(0, 1, (48, 48)).astype(np.float32) for _ in range(4))
    two = [m.name for m in list_metrics() if m.sources == 2]
    assert set(two) >= {"qs", "qw", "qe", "qc", "qy", "qcb", "qcv", "qncie", "viff"}
    for name in two:
        with pytest.raises(imagefusion.InvalidImageError, match=f"{name} is defined for two sources, got 3"):
            evaluate(f, [a, b, c], [name])
    values = evaluate(f, [a, b, c], [m.name for m in list_metrics() if m.sources is None and m.name != "mef_ssim"])
    assert all(np.isfinite(v) for v in values.values())


def test_metrics_command_lists_every_metric_as_json():
    import json

    from imagefusion.metrics import list_metrics

    res = runner.invoke(app, ["metrics", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["name"] for r in rows] == [m.name for m in list_metrics()]
    qabf = next(r for r in rows if r["name"] == "qabf")
    assert qabf == {"name": "qabf", "direction": "higher", "range": [0.0, 1.0], "unbounded": [], "sources": None,
                    "reference": "Xydeas & Petrovic, Electron. Lett. 2000", "module": "imagefusion.metrics.features"}
    psnr = next(r for r in rows if r["name"] == "psnr")  # JSON has no infinity: null, and which side
    assert psnr["range"][1] is None and psnr["unbounded"] == ["above"]
    assert '"inf"' not in res.output and "Infinity" not in res.output and "NaN" not in res.output
    assert next(r for r in rows if r["name"] == "qcv")["direction"] == "lower"
    assert next(r for r in rows if r["name"] == "viff")["sources"] == 2


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"imagefusion {imagefusion.__version__}"


def _png_declaring(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose header declares width × height pixels (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def _jpeg(tmp_path: Path, name: str, damage: str) -> Path:
    import cv2

    img = (np.random.default_rng(0).uniform(0, 1, (120, 160, 3)) * 255).astype(np.uint8)
    data = bytearray(cv2.imencode(".jpg", img)[1].tobytes())
    if damage == "middle":
        data[len(data) // 2: len(data) // 2 + 40] = b"\xaa" * 40
    elif damage == "truncated":
        data = data[: len(data) // 2]
    (tmp_path / name).write_bytes(bytes(data))
    return tmp_path / name


@pytest.mark.parametrize("case,needle", [
    ("bomb", "more than the limit"), ("corrupt", "corrupt JPEG data"), ("truncated", "not a readable image"),
    ("multipage", "multi-page TIFF (2 pages)"),
])
def test_unsafe_or_damaged_sources_are_refused_before_fusing(tmp_path, case, needle):
    from PIL import Image

    good = _jpeg(tmp_path, "good.jpg", "")
    if case == "bomb":
        bad = tmp_path / "bomb.png"
        bad.write_bytes(_png_declaring(60000, 60000))
    elif case == "multipage":
        bad = tmp_path / "multi.tif"
        page = Image.open(good)
        page.save(bad, save_all=True, append_images=[page])
    else:
        bad = _jpeg(tmp_path, f"{case}.jpg", "middle" if case == "corrupt" else "truncated")
    before = _digest(tmp_path)
    res = runner.invoke(app, ["fuse", str(good), str(bad), "-m", "average", "-o", str(tmp_path / "out" / "x.png")])
    _one_line_error(res, str(bad), needle, code=1)
    assert _digest(tmp_path) == before and not (tmp_path / "out").exists()


def test_pixel_limit_is_configurable(tmp_path, monkeypatch):
    import imagefusion.io as io

    good = _jpeg(tmp_path, "good.jpg", "")
    monkeypatch.setattr(io, "MAX_PIXELS", 100 * 100)
    with pytest.raises(imagefusion.InvalidImageError, match="160x120 pixels is more than the limit of 10000"):
        imagefusion.read_image(good)
    monkeypatch.setattr(io, "MAX_PIXELS", 160 * 120)
    assert imagefusion.read_image(good).shape == (120, 160, 3)


def test_batch_resume_is_keyed_by_method_and_parameters(pairs, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "-m", "average"])
    assert res.exit_code == 0 and "2 fused, 0 already there" in res.output
    first = _digest(out)
    for extra in (["-m", "lp"], ["-m", "lp", "-p", "levels=2"]):
        res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), *extra])
        _one_line_error(res, "holds results of average (defaults)", "--overwrite")
    assert _digest(out) == first
    # a zero-byte output (a kill between create and write in another tool) is fused again, and a
    # temporary file a killed run left behind is removed
    (out / "p1.png").write_bytes(b"")
    stale = out / ".if-999999999-abc.part"  # its writer (pid 999999999) is gone
    stale.write_bytes(b"half")
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "-m", "average"])
    assert res.exit_code == 0 and "1 fused, 1 already there" in res.output, res.output
    assert _digest(out) == first and not stale.exists()
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "-m", "lp", "--overwrite"])
    assert res.exit_code == 0 and "2 fused" in res.output


def test_batch_that_matches_nothing_is_an_error(tmp_path):
    for src, name in (("ir", "a"), ("vi", "b")):
        imagefusion.write_image(tmp_path / "p" / src / f"{name}.png", np.zeros((8, 8), np.float32))
    res = runner.invoke(app, ["fuse", "--pairs", str(tmp_path / "p"), "--out", str(tmp_path / "o"), "-m", "average"])
    assert res.exit_code == 1 and "no matched pairs" in res.output



def test_json_output_of_methods_and_evaluate(pairs, tmp_path):
    import json

    res = runner.invoke(app, ["methods", "--task", "mef", "--json"])
    rows = json.loads(res.output)
    assert [r["name"] for r in rows][:1] == [imagefusion.ranking.best_method("mef")]
    gff = json.loads(runner.invoke(app, ["methods", "--json"]).output)
    gff = next(r for r in gff if r["name"] == "gff")
    assert gff["params"]["r1"] == 45 and gff["ranges"]["r1"] == [1, 1024] and "mef" not in gff["tasks"]
    fused = tmp_path / "fused"
    for name in ("p1", "p2"):
        imagefusion.write_image(fused / f"{name}.png", imagefusion.fuse([pairs / "ir" / f"{name}.png",
                                                                          pairs / "vi" / f"{name}.png"], "average"))
    res = runner.invoke(app, ["evaluate", "--fused", str(fused), "--sources", str(pairs), "--metrics", "en,qabf",
                              "--json", "--out", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["images"]) == {"p1", "p2"} and doc["summary"]["en"]["n"] == 2


def test_quiet_verbose_and_device(pairs, tmp_path):
    args = ["fuse", str(pairs / "ir" / "p1.png"), str(pairs / "vi" / "p1.png"), "-o"]
    res = runner.invoke(app, ["--quiet", *args, str(tmp_path / "q.png"), "-m", "average"])
    assert res.exit_code == 0 and res.output == "" and (tmp_path / "q.png").is_file()
    res = runner.invoke(app, [*args, str(tmp_path / "n.png"), "-m", "average"])
    assert res.output.startswith("wrote ")
    # a traceback only with --verbose; the one-line error always ends the output
    res = runner.invoke(app, ["--verbose", *args, str(tmp_path / "v.png"), "-m", "lp", "-p", "levels=99"])
    assert res.exit_code == 2 and "Traceback" in res.output
    assert res.output.strip().splitlines()[-1] == "error: parameter levels=99 of 'lp': must be in [1, 12]"
    res = runner.invoke(app, [*args, str(tmp_path / "d.png"), "-m", "gff", "--device", "cuda"])
    _one_line_error(res, "--device cuda: method 'gff' runs on the CPU")
    res = runner.invoke(app, [*args, str(tmp_path / "d.png"), "-m", "densefuse", "--device", "quantum"])
    _one_line_error(res, "--device 'quantum': use cpu, cuda, cuda:N or auto")
    res = runner.invoke(app, [*args, str(tmp_path / "d.png"), "-m", "densefuse", "--device", "cpu"])
    assert res.exit_code == 0, res.output


def test_workers_are_capped_at_the_cpu_count(caplog, monkeypatch):
    import logging

    from imagefusion.cluster import JobRunner

    monkeypatch.setattr(logging.getLogger("imagefusion"), "propagate", True)  # the CLI turns it off

    cpus = os.cpu_count() or 1
    with caplog.at_level("WARNING", logger="imagefusion.cluster"):
        runner = JobRunner(1000)
    assert runner.workers == cpus
    assert f"--workers 1000: capped at this machine's {cpus} CPU core(s)" in caplog.text


def test_a_scheduler_lost_mid_run_is_one_line_saying_rerun_resumes(pairs, tmp_path, monkeypatch):
    """The client's connection closes while results are awaited (the scheduler was killed)."""
    import distributed
    from distributed.comm.core import CommClosedError

    from imagefusion.cluster import JobRunner

    class Client:
        scheduler = type("S", (), {"address": "tcp://10.0.0.9:8786"})()

        def submit(self, func, job, **kw):
            return type("Future", (), {"result": lambda self: func(job)})()

    def as_completed(futures):
        yield next(iter(futures))
        raise CommClosedError("in <TCP (closed)>: Stream is closed")

    monkeypatch.setattr(distributed, "as_completed", as_completed)
    runner = JobRunner(2)
    runner.inline, runner.client = False, Client()
    done = []
    with pytest.raises(imagefusion.errors.OutputError) as info:
        for job, _ in runner.map(abs, [1, 2, 3]):
            done.append(job)
    assert done == [1]
    assert str(info.value) == ("lost the Dask scheduler (tcp://10.0.0.9:8786) mid-run (CommClosedError); rerun the "
                               "same command to resume: what finished is kept")


def test_a_full_disk_while_evaluate_writes_is_one_line(pairs, tmp_path, monkeypatch):
    import errno

    import imagefusion.io as io

    fused = tmp_path / "fused"
    runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(fused), "-m", "average"])

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "fsync", lambda fd: full(fd, b""))
    res = runner.invoke(app, ["evaluate", "--fused", str(fused), "--sources", str(pairs), "--metrics", "en",
                              "--out", str(tmp_path / "r.csv")])
    last = res.output.strip().splitlines()[-1]
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert last.startswith("error:") and "r.csv: cannot write (No space left on device)" in last, last
    assert not list(tmp_path.glob(".if-*.part")) and not (tmp_path / "r.csv").exists()


def test_two_concurrent_batches_into_one_folder_never_both_claim_it(pairs, tmp_path):
    """Two processes, two methods, one output folder: one fuses, the other is refused (the folder's
    lock or its manifest); the folder then holds only the first method's images."""
    import subprocess
    import sys

    for i in range(3, 9):  # enough pairs that the runs overlap
        for src in ("ir", "vi"):
            imagefusion.write_image(pairs / src / f"p{i}.png", np.random.default_rng(i).uniform(0, 1, (40, 48)))
    out = tmp_path / "both"
    cmd = [sys.executable, "-m", "imagefusion.cli", "fuse", "--pairs", str(pairs), "--out", str(out), "-m"]
    for trial in range(3):
        if out.exists():
            import shutil

            shutil.rmtree(out)
        runs = [subprocess.Popen(cmd + [m], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for m in ("average", "max-abs")]
        results = [(r.wait(timeout=300), r.stdout.read()) for r in runs]
        ok = [m for m, (code, _) in zip(("average", "max-abs"), results) if code == 0]
        assert len(ok) == 1, results
        refused = [text for code, text in results if code != 0][0]
        assert ("another imagefusion run" in refused or "holds results of" in refused), refused
        assert "Traceback" not in refused
        want = imagefusion.fuse([pairs / "ir" / "p1.png", pairs / "vi" / "p1.png"], ok[0])
        got = imagefusion.read_image(out / "p1.png")
        assert np.abs(got - want).max() <= 0.5 / 255 + 1e-6 and len(list(out.glob("*.png"))) == 8
