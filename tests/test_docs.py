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
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "safety_check" in api and "register_metric" in api


def test_generated_pages_are_current():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docs_pages

    assert (ROOT / "docs" / "methods.md").read_text(encoding="utf-8") == docs_pages.methods_page()
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == docs_pages.metrics_page()
    assert (ROOT / "docs" / "training.md").read_text(encoding="utf-8") == docs_pages.training_page()
