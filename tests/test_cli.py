"""The command line: fuse (single and folder mode with resume), methods, demo."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

import imagefusion
from imagefusion.cli import app

runner = CliRunner()


def test_fuse_two_files(tmp_path, data_dir):
    out = tmp_path / "fused.png"
    res = runner.invoke(app, ["fuse", str(data_dir / "mff/lytro/a/lytro_01.jpg"),
                              str(data_dir / "mff/lytro/b/lytro_01.jpg"), "-o", str(out), "-m", "lp", "-p", "levels=3"])
    assert res.exit_code == 0, res.output
    img = imagefusion.read_image(out)
    assert img.shape == (520, 520, 3)
    direct = imagefusion.fuse([data_dir / "mff/lytro/a/lytro_01.jpg", data_dir / "mff/lytro/b/lytro_01.jpg"],
                              method="lp", levels=3)
    assert np.abs(img - direct).max() <= 0.5 / 255 + 1e-6


def test_fuse_refuses_to_overwrite_a_source(tmp_path):
    a = imagefusion.write_image(tmp_path / "a.png", np.zeros((8, 8), np.float32))
    b = imagefusion.write_image(tmp_path / "b.png", np.ones((8, 8), np.float32))
    before = a.read_bytes()
    res = runner.invoke(app, ["fuse", str(a), str(b), "-o", str(a)])
    assert res.exit_code == 2 and "refusing to overwrite" in res.output
    assert a.read_bytes() == before


def test_folder_mode_matches_reports_and_resumes(tmp_path, data_dir):
    # A small paired folder made of 3 real TNO pairs plus one unmatched name.
    pairs = tmp_path / "pairs"
    for name in ("01", "05", "06"):
        for src in ("ir", "vi"):
            img = imagefusion.read_image(data_dir / f"ivif/tno/{src}/{name}.png")
            imagefusion.write_image(pairs / src / f"{name}.png", img)
    imagefusion.write_image(pairs / "vi" / "extra.png", np.zeros((8, 8), np.float32))
    out = tmp_path / "out"
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "--method", "gff"])
    assert res.exit_code == 0, res.output
    assert "unmatched" in res.output and "extra" in res.output
    assert "3 fused, 0 already there" in res.output
    for name in ("01", "05", "06"):
        assert imagefusion.read_image(out / f"{name}.png").shape == imagefusion.read_image(pairs / "ir" / f"{name}.png").shape
    # Interrupted run: one output missing -> only that one is fused again.
    (out / "05.png").unlink()
    stamp = (out / "01.png").stat().st_mtime_ns
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "--method", "gff"])
    assert "1 fused, 2 already there" in res.output
    assert (out / "01.png").stat().st_mtime_ns == stamp
    res = runner.invoke(app, ["fuse", "--pairs", str(pairs), "--out", str(out), "--method", "gff", "--overwrite"])
    assert "3 fused, 0 already there" in res.output


def test_methods_lists_the_registry():
    res = runner.invoke(app, ["methods"], terminal_width=200)
    assert res.exit_code == 0
    for name in ("gff", "lp-similarity", "dtcwt", "contrast"):
        assert name in res.output


def test_methods_names_the_authors_weights_with_licence_and_citation():
    import json

    rows = {r["name"]: r for r in json.loads(runner.invoke(app, ["methods", "--json"]).output)}
    sea = rows["seafusion"]["published"]
    assert [f["name"] for f in sea] == ["seafusion"] and sea[0]["licence"] == "MIT License"
    assert sea[0]["repo"] == "Linfeng-Tang/VIF-Benchmark" and "Information Fusion" in sea[0]["citation"]
    assert sea[0]["present"] is True  # tests read ../shared/weights/official
    assert [f["name"] for f in rows["didfuse"]["published"]] == ["didfuse-encoder", "didfuse-decoder"]
    assert rows["lp"]["published"] == []
    text = " ".join(runner.invoke(app, ["methods", "mef-net"]).output.split())  # wrapped at 80 columns
    assert "makedede/MEFNet" in text and "(no licence file, 0.3 MB, here)" in text and "cite Ma, Duanmu" in text


def test_weights_fetch_gets_both_files_of_a_tensorflow_checkpoint():
    lines = runner.invoke(app, ["weights", "fetch", "u2fusion"]).output.splitlines()  # paths never wrapped
    assert len(lines) == 2 and lines[0].startswith("u2fusion: ") and lines[0].endswith("model.ckpt.data-00000-of-00001")
    assert lines[1].startswith("u2fusion-index: ") and lines[1].endswith("model.ckpt.index")


def test_bad_param_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["fuse", "a.png", "b.png", "-o", str(tmp_path / "x.png"), "-p", "levels=many", "-m", "lp"])
    assert res.exit_code == 2 and "levels='many'" in res.output


def test_demo_writes_sources_fused_and_figure(tmp_path):
    out = tmp_path / "demo"
    res = runner.invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("mff_near", "mff_far", "mff_fused", "mef_under", "mef_over", "mef_fused", "demo"):
        assert (out / f"{name}.png").is_file()
    near, far, fused = (imagefusion.read_image(out / f"mff_{n}.png") for n in ("near", "far", "fused"))
    # The fused multi-focus image is sharper than either source (mean gradient magnitude).
    g = [float(np.mean(np.hypot(*np.gradient(x.mean(axis=2))))) for x in (near, far, fused)]
    assert g[2] > max(g[0], g[1])


def test_help_shows_plain_value_names_not_python_types():
    """Every command's --help names values TEXT, INTEGER, PATH ... and flags none (issue 22)."""
    import re

    from typer.testing import CliRunner

    from imagefusion.cli import app

    runner = CliRunner()
    for command in ([], ["fuse"], ["methods"], ["metrics"], ["demo"], ["evaluate"], ["bench"], ["ui"], ["train"]):
        res = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
        assert res.exit_code == 0, res.output
        assert not re.search(r"<(bool|str|int|float|path|Path|list\[[^\]]*\])>", res.output), res.output
    res = runner.invoke(app, ["fuse", "--help"], env={"COLUMNS": "160"})
    assert "PATH..." in res.output and "--bit-depth" in res.output and "INTEGER" in res.output


def test_help_shows_plain_value_names_without_patching_typer_for_other_apps():
    import typer.core

    from imagefusion._cli_base import _plain_type

    text = runner.invoke(app, ["fuse", "--help"], terminal_width=200).output
    assert "PATH" in text and "<list[Path]>" not in text and "<bool>" not in text
    assert typer.core.TyperOption.display_type_rich is not _plain_type  # typer's own classes stay as they are
