"""The documentation site builds with MkDocs in strict mode (every warning an error: a broken link, a
missing page, a docstring the API reference cannot render), and its generated pages are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_docs_site_builds_strict(tmp_path):
    import importlib.util
    import os

    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]' (the test extra includes it)")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    for page in ("index.html", "methods/index.html", "metrics/index.html", "api/index.html", "defaults/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    site = tmp_path / "site" / "api"
    assert "safety_check" in (site / "imagefusion.bench.safety" / "index.html").read_text(encoding="utf-8")
    assert "register_metric" in (site / "imagefusion.metrics.registry" / "index.html").read_text(encoding="utf-8")
    fusion = (site / "imagefusion.fusion" / "index.html").read_text(encoding="utf-8")
    assert "load_sources" in fusion and "_mefb" not in fusion  # public names only


def test_generated_pages_are_current():
    sys.path.insert(0, str(ROOT / "benchmarks" / "build"))
    import docs_pages

    assert (ROOT / "docs" / "methods.md").read_text(encoding="utf-8") == docs_pages.methods_page()
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == docs_pages.metrics_page()
    assert (ROOT / "docs" / "training.md").read_text(encoding="utf-8") == docs_pages.training_page()
    pages = docs_pages.api_pages()  # one API page per public module, and no page for a module that is gone
    assert {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs" / "api").glob("*.md")} | {"api.md"} == set(pages)
    for name, text in pages.items():
        assert (ROOT / "docs" / name).read_text(encoding="utf-8") == text, name


def test_one_answer_to_which_method_everywhere(tmp_path):
    """The README, the docs pages, `imagefusion methods`, the API, the demo and the web page all give
    the ranking file's answer (src/imagefusion/data/method_ranking.json)."""
    import json

    import numpy as np
    from typer.testing import CliRunner

    import imagefusion
    from imagefusion.cli import app
    from imagefusion.demo import DEMO_TASKS
    from imagefusion.ranking import _ranking_file, default_method, method_ranking
    from imagefusion.registry import TASKS, get_method

    sys.path.insert(0, str(ROOT / "benchmarks" / "build"))
    import docs_pages

    for page in ("README.md", "docs/index.md", "docs/benchmarks.md", "docs/defaults.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert docs_pages.with_table(text) == text, f"{page}: rerun python benchmarks/build/docs_pages.py"
    data = _ranking_file()
    for task in TASKS:
        default = default_method(task)
        assert default == data[task]["default"]["method"]
        assert not get_method(default).downloads and data[task]["default"]["seconds_640x480"] <= 3.0
        rows = json.loads(CliRunner().invoke(app, ["methods", "--task", task, "--json"]).output)
        assert [r["name"] for r in rows] == [m for m, _ in method_ranking(task)]
        # the default is the first of the ranking that runs offline in 3 s: each one above it was passed over
        ranked = [m for m, _ in method_ranking(task)]
        above = ranked[:ranked.index(default)]
        passed = {t["method"]: t for t in data[task]["timed"]}
        for m in above:
            t = passed[m]
            assert t.get("passed_over") or (t["seconds"] is not None and t["seconds"] > 3.0), (task, m, t)
    # the API infers the task from the folders, as the CLI does
    rng = np.random.default_rng(0)
    for sub in ("ct", "mri"):
        imagefusion.write_image(tmp_path / sub / "x.png", rng.uniform(0, 1, (32, 40)).astype(np.float32))
    paths = [tmp_path / "ct" / "x.png", tmp_path / "mri" / "x.png"]
    assert np.array_equal(imagefusion.fuse(paths), imagefusion.fuse(paths, default_method("mif")))
    assert np.array_equal(imagefusion.fuse(paths, task="mff"), imagefusion.fuse(paths, default_method("mff")))
    assert set(DEMO_TASKS.values()) == {"mff", "mef"}
    # the web page preselects the default of its first task
    import imagefusion.ui

    blocks = imagefusion.ui.build_app()
    method_box = next(c for c in blocks.config["components"] if c.get("props", {}).get("elem_id") == "method")
    assert method_box["props"]["value"] == default_method("ivif")
