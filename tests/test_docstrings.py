"""Every public function and class has a numpydoc docstring with its sections (issue 18): Parameters
where it takes any, Returns where it returns something, Raises where its body raises one of the
project's errors, and an Example (run by ``pytest --doctest-modules src``). Public: listed in the
module's ``__all__``, or not underscored where there is none; modules whose name starts with ``_``
are private."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

import pytest

import imagefusion


def _public_objects():
    for info in pkgutil.walk_packages(imagefusion.__path__, "imagefusion."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name == "imagefusion.ui" and importlib.util.find_spec("gradio") is None:
            continue
        mod = importlib.import_module(info.name)
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", "") == mod.__name__:
                yield f"{mod.__name__}.{name}", obj


PUBLIC = sorted(_public_objects(), key=lambda x: x[0])


def _has(doc: str, section: str) -> bool:
    return f"\n{section}\n{'-' * len(section)}\n" in f"\n{doc}\n"


def _raises_project_errors(obj) -> set[str]:
    """Names of the project's errors the function's own body raises (not nested functions')."""
    from imagefusion import errors

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError):
        return set()
    fn = tree.body[0]
    found = set()
    todo = list(fn.body) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
            if isinstance(getattr(errors, node.exc.func.id, None), type):
                found.add(node.exc.func.id)
        todo.extend(ast.iter_child_nodes(node))
    return found


def test_there_are_public_objects_to_check():
    assert len(PUBLIC) > 200


@pytest.mark.parametrize("qualname,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_docstring_has_its_sections(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, "no docstring"
    missing = []
    if not _has(doc, "Examples"):
        missing.append("Examples")
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    params = [p for p in (sig.parameters if sig else {}) if p not in ("self", "cls")]
    if params and not (_has(doc, "Parameters") or (inspect.isclass(obj) and _has(doc, "Attributes"))):
        missing.append("Parameters")
    if inspect.isfunction(obj) and sig is not None and sig.return_annotation not in (None, "None", sig.empty) \
            and not (_has(doc, "Returns") or _has(doc, "Yields")):
        missing.append("Returns")
    if inspect.isfunction(obj) and _raises_project_errors(obj) and not _has(doc, "Raises"):
        missing.append(f"Raises ({', '.join(sorted(_raises_project_errors(obj)))})")
    assert not missing, f"{qualname} lacks {', '.join(missing)}"


def test_every_method_and_metric_cites_its_source_in_references():
    """Each registered method and metric function has a References section (its paper)."""
    from imagefusion.metrics.registry import list_metrics

    lacking = [s.name for s in [*imagefusion.list_methods(), *list_metrics()]
               if not _has(inspect.getdoc(inspect.unwrap(s.func)) or "", "References")]
    assert not lacking, f"no References section: {lacking}"
