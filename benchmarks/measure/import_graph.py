"""The package's import graph: every ``import``/``from … import`` between imagefusion's modules (at
module level or inside functions), its cycles, and imports of another package's private modules.

Run:  python benchmarks/measure/import_graph.py        (exit status 1 when there is a cycle or a private import)

An edge A → B means module A's source names module B. A cycle is a strongly connected component of
more than one module. "Private" is a module whose own name starts with ``_`` imported from outside its
package. The test suite runs :func:`cycles` and :func:`private_imports` (tests/test_imports.py).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def import_graph(src: Path = SRC, package: str = "imagefusion") -> dict[str, set[str]]:
    """Module name → the set of imagefusion modules it imports."""
    mods: dict[str, Path] = {}
    for p in (src / package).rglob("*.py"):
        parts = p.relative_to(src).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    tgt = ".".join(base + ([node.module] if node.module else []))
                else:
                    tgt = node.module or ""
                targets = [f"{tgt}.{a.name}" if f"{tgt}.{a.name}" in mods else tgt for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            edges[m].update(t for t in targets if t in mods and t != m)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def private_imports(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, private module) pairs where the private module lies in another package."""
    bad = []
    for m, targets in edges.items():
        for t in targets:
            parent, _, leaf = t.rpartition(".")
            if leaf.startswith("_") and not (m == parent or m.startswith(parent + ".")):
                bad.append((m, t))
    return sorted(bad)


def main() -> int:
    edges = import_graph()
    cyc, priv = cycles(edges), private_imports(edges)
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports between them")
    for c in cyc:
        print("cycle:", " <-> ".join(c))
    for m, t in priv:
        print(f"private import: {m} imports {t}")
    if not cyc and not priv:
        print("no cycle, no private module imported from another package")
    return 1 if cyc or priv else 0


if __name__ == "__main__":
    raise SystemExit(main())
