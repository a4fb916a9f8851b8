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


#: A fresh interpreter that loads the third-party libraries once, then forks one child per module, which
#: imports that module first of the package's: each import is "alone" as far as imagefusion goes (no
#: imagefusion module is loaded before it), without paying for NumPy, SciPy, OpenCV and torch each time.
_FORK_EACH = """
import importlib, os, sys, traceback
sys.modules["tensorflow"] = None  # as imagefusion imports dtcwt: without the TensorFlow backend (4.5 s)
for lib in ("numpy", "scipy.ndimage", "scipy.signal", "scipy.fft", "cv2", "PIL.Image", "numba", "torch",
            "safetensors", "typer", "rich", "platformdirs", "pooch", "pywt", "dtcwt", "skimage", "sklearn"):
    try:
        importlib.import_module(lib)
    except ImportError:
        pass
del sys.modules["tensorflow"]
assert not any(m == "imagefusion" or m.startswith("imagefusion.") for m in sys.modules)
failed = []
for name in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module(name)
            code = 0
        except BaseException:
            os.write(w, traceback.format_exc()[-400:].encode())
            code = 1
        os._exit(code)
    os.close(w)
    err = os.read(r, 4096).decode()
    os.close(r)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name + ": " + err)
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_alone_in_a_fresh_interpreter():
    modules = sorted(import_graph())
    if not hasattr(__import__("os"), "fork"):  # no fork: one interpreter per module
        def run(name: str) -> tuple[str, int, str]:
            res = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300)
            return name, res.returncode, res.stderr[-400:]

        with ThreadPoolExecutor(4) as pool:
            failed = [r for r in pool.map(run, modules) if r[1] != 0]
        assert failed == []
        return
    halves = [modules[0::2], modules[1::2]]  # two interpreters, each forking for its half
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda names: subprocess.run([sys.executable, "-c", _FORK_EACH, *names],
                                                             capture_output=True, text=True, timeout=600), halves))
    assert [r.stdout.strip() for r in results] == ["", ""] and [r.returncode for r in results] == [0, 0], \
        [r.stdout + r.stderr[-800:] for r in results]
    # the check itself catches a module that fails to import on its own
    bad = subprocess.run([sys.executable, "-c", _FORK_EACH, "imagefusion.no_such_module"], capture_output=True, text=True)
    assert bad.returncode == 1 and "imagefusion.no_such_module" in bad.stdout


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
