"""imagefusion bench: results, cache and resume, workers, reports (rendered in headless Chromium)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from imagefusion import fuse
from imagefusion.bench import run_bench, select_methods
from imagefusion.cli import app
from imagefusion.errors import InvalidImageError, ParameterError, UnknownNameError
from imagefusion.io import read_image
from imagefusion.metrics import evaluate


@pytest.fixture()
def small_set(tmp_path, data_dir) -> Path:
    """Three real CT-MRI pairs in the shared/data layout."""
    root = tmp_path / "ct-mri"
    src = data_dir / "medical" / "ct-mri"
    names = sorted(p.name for p in (src / "ct").iterdir())[:3]
    for sub in ("ct", "mri"):
        (root / sub).mkdir(parents=True)
        for n in names:
            shutil.copy(src / sub / n, root / sub / n)
    return root


def _records(out: Path) -> list[Path]:
    return sorted((out / "cache").rglob("*.json"))


def test_bench_values_cache_resume_and_workers(small_set, tmp_path):
    out = tmp_path / "out"
    res = run_bench(["average", "lp"], [small_set], out, metrics=["en", "qabf", "ssim"], report=False)
    assert res.fusions_run == 6 and len(res.rows) == 6
    # the values are what fuse() and evaluate() give for the same pair
    row = next(r for r in res.rows if r["method"] == "lp")
    files = res.pairs["ct-mri"][row["image"]]
    fused = read_image(out / "fused" / "ct-mri" / "lp" / f"{row['image']}.png")
    assert np.abs(fused - fuse(files, "lp")).max() <= 0.5 / 255 + 1e-6
    want = evaluate(out / "fused" / "ct-mri" / "lp" / f"{row['image']}.png", files, ["en", "qabf", "ssim"])
    assert all(row[m] == pytest.approx(want[m], rel=1e-12) for m in want)
    assert all(r["ms"] > 0 and r["rss_mib"] > 50 for r in res.rows)

    # a repeated run fuses nothing and gives the same numbers
    again = run_bench(["average", "lp"], [small_set], out, metrics=["en", "qabf", "ssim"], report=False)
    assert again.fusions_run == 0
    assert [r["qabf"] for r in again.rows] == [r["qabf"] for r in res.rows]

    # an interrupted run (one fused image and one record lost) resumes with exactly that work
    lost = out / "fused" / "ct-mri" / "average" / f"{row['image']}.png"
    lost.unlink()
    resumed = run_bench(["average", "lp"], [small_set], out, metrics=["en", "qabf", "ssim"], report=False)
    assert resumed.fusions_run == 1
    assert not list(out.rglob("*.tmp*")), "no half-written files are left"

    # a record restored without its image ("restored": true, as peer_tables.py restores its kept records)
    # is the whole result once scored: nothing is fused, the values are the record's
    for png in (out / "fused" / "ct-mri" / "lp").glob("*.png"):
        png.unlink()
    for rec_path in (out / "cache").glob("*/*.json"):
        rec = json.loads(rec_path.read_text())
        rec_path.write_text(json.dumps({**rec, "restored": True}))
    restored = run_bench(["average", "lp"], [small_set], out, metrics=["en", "qabf", "ssim"], report=False)
    assert restored.fusions_run == 0 and [r["qabf"] for r in restored.rows] == [r["qabf"] for r in resumed.rows]

    # a new metric is added to the cached records without fusing again
    more = run_bench(["average", "lp"], [small_set], out, metrics=["en", "sd"], report=False)
    assert more.fusions_run == 3 and all(r["sd"] > 0 for r in more.rows)  # lp's images are gone: lp again

    # parallel workers give identical values (fresh output folder)
    par = run_bench(["average", "lp"], [small_set], tmp_path / "par", metrics=["en", "qabf", "ssim"], workers=2,
                    report=False)
    key = lambda r: (r["method"], r["image"])  # noqa: E731
    for a, b in zip(sorted(res.rows, key=key), sorted(par.rows, key=key)):
        assert all(a[m] == b[m] for m in ("en", "qabf", "ssim"))

    # changing a parameter changes the cache key: lp with fewer levels is fused again
    other = run_bench(["lp"], [small_set], out, metrics=["en"], params={"lp": {"levels": 2}}, report=False)
    assert other.fusions_run == 3

    # --refresh re-fuses and re-scores one method (a code change the key cannot see), the other stays cached
    fresh = run_bench(["average", "lp"], [small_set], out, metrics=["en", "qabf"], refresh=["lp"], report=False)
    assert fresh.fusions_run == 3
    assert [r["qabf"] for r in fresh.rows] == [r["qabf"] for r in res.rows]
    with pytest.raises(ParameterError, match="refresh"):
        run_bench(["average"], [small_set], out, refresh=["lp"], report=False)


def test_bench_selection_and_errors(small_set, tmp_path):
    from imagefusion import list_methods

    assert select_methods("all", "mff") == [m.name for m in list_methods("mff")] and "gff" in select_methods("all")
    assert select_methods(["average", "gff"], task="mff") == [n for n in ("average", "gff")
                                                             if "mff" in {t for m in list_methods("mff") if m.name == n for t in m.tasks}]
    with pytest.raises(ParameterError, match="unknown task"):
        select_methods("all", "xyz")
    with pytest.raises(UnknownNameError):
        run_bench(["nope"], [small_set], tmp_path / "o")
    with pytest.raises(InvalidImageError, match="not a folder"):
        run_bench(["average"], [tmp_path / "missing"], tmp_path / "o")
    with pytest.raises(ParameterError, match="workers"):
        run_bench(["average"], [small_set], tmp_path / "o", workers=0)


def test_bench_method_variants_side_by_side(small_set, tmp_path):
    from imagefusion.bench.runner import label_dirname, parse_method_label

    assert parse_method_label("lp:levels=2") == ("lp", {"levels": 2})
    assert label_dirname("cam-fusion:variant=no-ldf") == "cam-fusion_variant-no-ldf"
    with pytest.raises(ParameterError, match="no parameter"):
        parse_method_label("lp:depth=2")
    res = run_bench(["lp", "lp:levels=2"], [small_set], tmp_path / "o", metrics=["en"], report=False)
    assert res.methods == ["lp", "lp:levels=2"]
    one = res.fused_dirs["ct-mri", "lp:levels=2"]
    assert one.name == "lp_levels-2"
    name = sorted(p.stem for p in one.glob("*.png"))[0]
    files = res.pairs["ct-mri"][name]
    expected = fuse([str(f) for f in files], "lp", levels=2)
    assert np.abs(read_image(one / f"{name}.png") - expected).max() <= 1 / 255 + 1e-6
    default = read_image(res.fused_dirs["ct-mri", "lp"] / f"{name}.png")
    assert np.abs(default - expected).max() > 1 / 255  # the variant really changed the parameters


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_bench_cli_reports_render_in_headless_chromium(small_set, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["bench", "--methods", "average,lp,gff", "--datasets", str(small_set),
                                 "--metrics", "en,qabf,qsf", "--out", str(out), "--workers", "2"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 9 and {"ms", "rss_mib", "en", "qabf", "qsf"} <= set(rows[0])
    md = (out / "report.md").read_text()
    assert "## ct-mri (3 pairs)" in md and "qsf →0" in md and "**" in md and "mean rank" in md
    # one image grid per method group (family), so a bench of 40 methods stays readable
    grids = ("grid_ct-mri_pixel.png", "grid_ct-mri_pyramid.png", "grid_ct-mri_filtering.png")
    for png in ("speed_quality.png", "box_ct-mri.png", *grids):
        assert (out / "plots" / png).stat().st_size > 5000
    html = (out / "report.html").read_text()
    assert html.count("<table>") == 1 and html.count("data:image/png;base64,") == 5

    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (Debian package `chromium`); .ci/run installs it")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000"]
    dom = subprocess.run([*flags, "--dump-dom", (out / "report.html").as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'data-tables="1"' in dom and 'data-images-loaded="5"' in dom, dom[:300]
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, "--window-size=1200,1800", f"--screenshot={shot}", (out / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    img = read_image(shot)
    assert img.shape[:2] == (1800, 1200)
    # the page is not blank: the plots and fused images put dark and mid-grey pixels on the white page
    grey = img.mean(axis=2) if img.ndim == 3 else img
    assert (grey < 0.5).mean() > 0.02 and grey.std() > 0.1


def test_bench_with_a_task_scores_with_that_tasks_benchmark_metrics(small_set, tmp_path):
    """--task without --metrics and --convention: the metrics and convention the ranking uses for the
    task (medical: CDDFuse's 8 in the cddfuse convention)."""
    from imagefusion.ranking import ranking_entry

    out = tmp_path / "task"
    r = CliRunner().invoke(app, ["bench", "--methods", "average,lp", "--task", "mif", "--datasets", str(small_set),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    entry = ranking_entry("mif")
    header = next(csv.reader((out / "results.csv").open()))
    assert [h for h in header if h in set(entry["metrics"])] == entry["metrics"] and "qcv" not in header
    assert entry["convention"] == "cddfuse" and "cddfuse" in (out / "report.md").read_text()


def test_method_groups_cut_a_long_list_into_grids_of_at_most_ten():
    from imagefusion.bench.report import method_groups
    from imagefusion.registry import list_methods

    labels = [s.name for s in list_methods("ivif")]
    groups = method_groups(labels)
    assert sorted(m for _, ms in groups for m in ms) == sorted(labels)  # each method once
    assert all(1 <= len(ms) <= 10 for _, ms in groups) and len({g for g, _ in groups}) == len(groups)


def test_peak_memory_is_reset_for_each_job():
    """The bench resets the peak resident memory when a job starts: a block freed before the reset
    does not count, one allocated after it does."""
    from imagefusion.runtime import peak_rss_mib, reset_peak_rss

    big = np.ones(400 * 2**20 // 8)  # 400 MiB, then freed
    with_big = peak_rss_mib()
    del big
    assert reset_peak_rss()
    after = peak_rss_mib()
    assert after < with_big - 300
    again = np.ones(100 * 2**20 // 8)
    assert peak_rss_mib() >= after + 90
    del again
