"""External results in the bench (``results:FOLDER``), the measured per-task ranking, the default
method of ``imagefusion fuse``, and Mertens exposure fusion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import imagefusion
from imagefusion.bench import run_bench
from imagefusion.bench.runner import results_folder, results_timing
from imagefusion.cli import app
from imagefusion.errors import InvalidImageError
from imagefusion.metrics import evaluate
from imagefusion.ranking import best_method, method_ranking, task_from_folders
from imagefusion.registry import TASKS

runner = CliRunner()


@pytest.fixture()
def ivif_set(tmp_path, data_dir) -> Path:
    """Three real TNO pairs laid out as ``<tmp>/ivif/tno/{ir,vi}``."""
    root = tmp_path / "data" / "ivif" / "tno"
    for sub in ("ir", "vi"):
        (root / sub).mkdir(parents=True)
        for n in ("01", "05", "06"):
            shutil.copy(data_dir / "ivif/tno" / sub / f"{n}.png", root / sub / f"{n}.png")
    return root


def _results(tmp_path: Path, ivif_set: Path, name: str = "peer", layout: str = "ivif/tno") -> Path:
    folder = tmp_path / name / layout
    folder.mkdir(parents=True)
    for n in ("01", "05", "06"):
        files = [ivif_set / "ir" / f"{n}.png", ivif_set / "vi" / f"{n}.png"]
        imagefusion.write_image(folder / f"{n}.png", imagefusion.fuse(files, "average"))
    return tmp_path / name


def test_results_folder_scored_like_a_method(tmp_path, ivif_set):
    peer = _results(tmp_path, ivif_set)
    (peer / "timing.json").write_text(json.dumps({"ivif/tno/01": 0.5, "ivif/tno/05": 0.7, "ivif/tno/06": 0.9}))
    res = run_bench(["average", f"results:{peer}"], [ivif_set], tmp_path / "out", metrics=["en", "qabf"],
                    convention="vifb", report=True)
    assert res.methods == ["average", "results:peer"] and res.fusions_run == 3
    ours = {r["image"]: r for r in res.rows if r["method"] == "average"}
    theirs = {r["image"]: r for r in res.rows if r["method"] == "results:peer"}
    # the same images (8-bit PNG of the same fusion) get the same scores
    for n in ours:
        assert theirs[n]["en"] == pytest.approx(ours[n]["en"], abs=1e-9)
        want = evaluate(peer / "ivif/tno" / f"{n}.png", [ivif_set / "ir" / f"{n}.png", ivif_set / "vi" / f"{n}.png"],
                        ["qabf"], convention="vifb")
        assert theirs[n]["qabf"] == pytest.approx(want["qabf"], rel=1e-12)
    s = res.summary("tno", "results:peer")
    assert s.median_ms == pytest.approx(700.0) and np.isnan(s.peak_rss_mib)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| results:peer | 700.0 | – |" in report
    # a second run reads everything from the cache
    again = run_bench(["average", f"results:{peer}"], [ivif_set], tmp_path / "out", metrics=["en", "qabf"],
                      convention="vifb", report=False)
    assert again.fusions_run == 0 and [r["en"] for r in again.rows] == [r["en"] for r in res.rows]


def test_results_folder_layouts_timing_csv_and_errors(tmp_path, ivif_set):
    peer = _results(tmp_path, ivif_set, "flat", "tno")  # <set>/<name>.png
    assert sorted(results_folder(peer, ivif_set, ["01", "05", "06"])) == ["01", "05", "06"]
    assert results_folder(peer, tmp_path / "data" / "mff" / "lytro", ["x"]) is None  # no such set: left out
    (tmp_path / "timing.csv").write_text("peer,set,name,fuse_s\nflat,ivif/tno,01,0.25\nother,ivif/tno,01,9\n")
    assert results_timing(peer)["ivif/tno/01"] == 0.25 and results_timing(peer)["tno/01"] == 0.25
    with pytest.raises(InvalidImageError, match="missing 1 pair.*07"):
        results_folder(peer, ivif_set, ["01", "05", "06", "07"])
    imagefusion.write_image(peer / "tno" / "zz.png", np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidImageError, match="not pairs of tno: zz"):
        results_folder(peer, ivif_set, ["01", "05", "06"])
    (peer / "tno" / "zz.png").unlink()
    imagefusion.write_image(peer / "tno" / "01.jpg", np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidImageError, match="two images named 01"):
        results_folder(peer, ivif_set, ["01", "05", "06"])
    with pytest.raises(InvalidImageError, match="not a folder"):
        run_bench([f"results:{tmp_path / 'nosuch'}"], [ivif_set], tmp_path / "out")


def test_official_peers_are_read_with_their_timings(data_dir):
    peers = data_dir.parent / "peers"
    found = results_folder(peers / "ifcnn", data_dir / "ivif/tno", [f"{i:02d}" for i in range(1, 26)])
    assert len(found) == 25 and all(f.suffix == ".png" for f in found.values())
    assert results_timing(peers / "ifcnn")["ivif/tno/01"] > 0.1


def test_task_from_folders_and_ranking():
    assert task_from_folders(["ir", "vi"]) == "ivif" and task_from_folders(["ct", "mri"]) == "mif"
    assert task_from_folders(["a", "b"]) == "mff" and task_from_folders(["under", "over"]) == "mef"
    assert task_from_folders(["left", "right"]) is None
    for task in TASKS:
        ranking = method_ranking(task)
        names = [m for m, _ in ranking]
        assert sorted(names) == sorted(s.name for s in imagefusion.list_methods(task))
        scores = [v for _, v in ranking if v == v]
        assert scores == sorted(scores) and len(scores) >= 3  # measured, best first
        assert best_method(task) == names[0]
    assert best_method(None) == "lp"


def test_fuse_without_method_uses_the_tasks_default(tmp_path, ivif_set):
    from imagefusion.ranking import default_method

    out = tmp_path / "f.png"
    res = runner.invoke(app, ["fuse", str(ivif_set / "ir" / "01.png"), str(ivif_set / "vi" / "01.png"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    default = default_method("ivif")
    assert f"method: {default} (the default for ivif)" in res.output
    direct = imagefusion.fuse([ivif_set / "ir" / "01.png", ivif_set / "vi" / "01.png"], default)
    assert np.abs(imagefusion.read_image(out) - direct).max() <= 0.5 / 255 + 1e-6
    res = runner.invoke(app, ["fuse", str(ivif_set / "ir" / "01.png"), str(ivif_set / "vi" / "01.png"), "-o",
                              str(tmp_path / "g.png"), "--task", "mif"])
    note = f"method: {default_method('mif')} (the default for mif)"
    if best_method("mif") != default_method("mif"):
        note += f"; best measured: {best_method('mif')} (slower or needs a download)"
    assert note in res.output
    res = runner.invoke(app, ["fuse", "a.png", "b.png", "-o", str(tmp_path / "h.png"), "--task", "nosuch"])
    assert res.exit_code == 2 and "unknown task 'nosuch'" in res.output


def test_methods_for_a_task_best_first():
    res = runner.invoke(app, ["methods", "--task", "mff"], terminal_width=250)
    assert res.exit_code == 0, res.output
    import re

    ranking = method_ranking("mff")
    rows = re.findall(r"^│ (\S+)\s+│ (\d+\.\d\d|–)", res.output, flags=re.M)
    assert [name for name, _ in rows] == [m for m, _ in ranking]
    assert [float(v) for _, v in rows if v != "–"] == [round(v, 2) for _, v in ranking if v == v]
    assert "shipped weights" in res.output and re.search(r"^│ gff .*│ default", res.output, flags=re.M)


def test_mertens_fuses_an_image_with_itself_to_itself_and_keeps_colour():
    rng = np.random.default_rng(0)
    im = rng.uniform(0.2, 0.8, (48, 64, 3)).astype(np.float32)
    out = imagefusion.fuse([im, im, im], "mertens")
    assert out.shape == (48, 64, 3) and np.abs(out - im).max() < 1e-4
    grey = im.mean(2)
    assert np.abs(imagefusion.fuse([grey, grey], "mertens") - grey).max() < 1e-4


def test_mertens_prefers_the_well_exposed_source():
    x = np.linspace(0, 1, 128, dtype=np.float32)[None].repeat(64, 0)
    good = 0.3 + 0.4 * x  # mid-grey ramp: well exposed everywhere
    dark = 0.05 * x
    out = imagefusion.fuse([dark, good], "mertens")
    assert np.abs(out - good).mean() < np.abs(out - dark).mean() / 5
    with pytest.raises(imagefusion.ParameterError, match="exposure_weight=-1.0 of .mertens.: must be in"):
        imagefusion.fuse([dark, good], "mertens", exposure_weight=-1.0)


def test_gff_no_longer_listed_for_multi_exposure():
    assert "mef" not in imagefusion.get_method("gff").tasks and "mertens" in [s.name for s in imagefusion.list_methods("mef")]


def test_bench_mean_leaves_out_non_finite_values_and_says_so():
    from imagefusion.bench.report import markdown_report
    from imagefusion.bench.runner import BenchResult, _summarise

    rows = [{"dataset": "d", "method": "m", "image": f"i{k}", "ms": 1.0, "rss_mib": 100.0, "qy": v}
            for k, v in enumerate([0.5, float("inf"), 0.7, float("nan")])]
    (s,) = _summarise(rows, ["m"], ["d"], ["qy"])
    assert s.metrics["qy"][0] == pytest.approx(0.6) and s.left_out == {"qy": 2}
    res = BenchResult(["m"], ["d"], ["qy"], "mefb", rows, [s], "cpu", {("d", "m"): Path(".")}, {"d": {}})
    assert "0.6000 ± 0.1000 (2 left out)" in markdown_report(res)


def test_evaluate_folder_reports_left_out_images(tmp_path, data_dir, monkeypatch):
    import dataclasses

    from imagefusion.evaluation import evaluate_folder
    from imagefusion.metrics import registry

    root = tmp_path / "classic"
    for sub in ("a", "b"):
        (root / sub).mkdir(parents=True)
        src = next((data_dir / "mff/classic" / sub).glob("books.*"))
        shutil.copy(src, root / sub / src.name)
    fused = tmp_path / "fused"
    imagefusion.write_image(fused / "books.png", imagefusion.fuse([next((root / s).iterdir()) for s in ("a", "b")], "gff"))
    assert np.isfinite(evaluate_folder(fused, root, ["qy"]).rows["books"]["qy"])  # flat windows: λ = 1/2
    # a metric that is undefined on an image (NaN or inf) is left out of the mean, and the report says so
    spec = registry.get_metric("qy")
    monkeypatch.setitem(registry._METRICS, "qy", dataclasses.replace(spec, func=lambda *a, **k: float("inf")))
    ev = evaluate_folder(fused, root, ["qy", "qw"])
    assert not np.isfinite(ev.rows["books"]["qy"])
    assert ev.summary["qy"]["n"] == 0 and ev.summary["qw"]["n"] == 1
    assert "qy: 1 of 1 images left out (value NaN or infinite: books)" in ev.to_markdown()
    imagefusion.write_image(fused / "books.jpg", np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidImageError, match="two fused images named books"):
        evaluate_folder(fused, root, ["qw"])


def test_all_in_a_method_list_expands_beside_results_folders():
    from imagefusion.bench import select_methods

    names = select_methods(["all", "results:peers/ifcnn", "densefuse:rule=l1"], task="ivif")
    ours = [s.name for s in imagefusion.list_methods("ivif")]
    assert names == ours + ["results:peers/ifcnn", "densefuse:rule=l1"]
    assert select_methods("all", task="mef") == [s.name for s in imagefusion.list_methods("mef")]
