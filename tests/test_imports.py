"""The package's structure: no import cycle, no private module imported across packages, every module
importable alone in a fresh interpreter, and the core (classical fusion and every metric) without torch."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks" / "measure"))

from import_graph import cycles, import_graph, private_imports  # noqa: E402


def test_no_import_cycle_and_no_private_import_across_packages():
    edges = import_graph()
    assert len(edges) > 40
    assert cycles(edges) == []
    assert private_imports(edges) == []
    # the checker does find a cycle and a private import when there is one
    fake = {"p.a": {"p.b"}, "p.b": {"p.a", "q._x"}, "q._x": set()}
    assert cycles(fake) == [["p.a", "p.b"]] and private_imports(fake) == [("p.b", "q._x")]


def test_every_module_imports_alone_in_a_fresh_interpreter():
    modules = sorted(import_graph())

    def run(name: str) -> tuple[str, int, str]:
        res = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300)
        return name, res.returncode, res.stderr[-400:]

    with ThreadPoolExecutor(4) as pool:
        failed = [r for r in pool.map(run, modules) if r[1] != 0]
    assert failed == []


def test_core_fuses_and_evaluates_every_metric_without_torch():
    code = (
        "import sys, numpy as np, imagefusion\n"
        "from imagefusion.metrics import evaluate\n"
        "r = np.random.default_rng(0)\n"
        "a, b = (r.uniform(0, 1, (64, 64)).astype(np.float32) for _ in range(2))\n"
        "f = imagefusion.fuse([a, b], 'gff')\n"
        "v = evaluate(f, [a, b], 'all')\n"
        "assert len(v) == len(imagefusion.list_metrics())\n"
        "print('torch' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "False"]


def test_deep_method_without_torch_names_the_install_command(monkeypatch):
    import importlib.util

    import numpy as np
    import pytest

    import imagefusion

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    a = np.zeros((16, 16), np.float32)
    with pytest.raises(imagefusion.DependencyError, match=r"pip install 'imagefusion\[deep\]'"):
        imagefusion.fuse([a, a], "densefuse")
    assert imagefusion.fuse([a, a], "gff").shape == (16, 16)  # the core still works
