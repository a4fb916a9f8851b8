"""Write the documentation pages made from the registries: ``docs/methods.md`` (every method: its
reference, tasks, parameters with defaults and ranges, measured mean rank per task, gallery pictures) and
``docs/metrics.md`` (every metric: direction, range, sources, smallest image, reference, module, the
first lines of its docstring), ``docs/training.md`` (every trainer with its settings and loss curve), and
the "Which method for which task" table of ``README.md`` and ``docs/index.md`` (from the ranking file,
between the ``which-method`` markers).

Run:  python benchmarks/build/docs_pages.py        (after benchmarks/build/peer_tables.py and benchmarks/build/gallery.py)
"""

from __future__ import annotations

import importlib
import inspect
import math
from pathlib import Path

import imagefusion
from imagefusion.metrics import list_metrics
from imagefusion.ranking import _ranking_file, default_method, method_ranking
from imagefusion.registry import TASKS, describe_range, get_method

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TASK_NAMES = {"ivif": "infrared–visible", "mif": "medical", "mff": "multi-focus", "mef": "multi-exposure"}


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def methods_page() -> str:
    ranks = {t: dict(method_ranking(t)) for t in TASKS}
    gallery = sorted(p.name for p in (DOCS / "gallery").glob("*.png"))
    out = ["# Methods", "", "Every registered method, as `imagefusion methods` lists it. *Mean rank*: over the task's "
           "benchmark metrics among our methods on the task's sets ([benchmarks](benchmarks.md)); 1 = best. "
           "Made by `python benchmarks/build/docs_pages.py`.", ""]
    for t in TASKS:
        out += [f"- {TASK_NAMES[t]} (`{t}`): " + ", ".join(f"[`{m}`](#{m})" for m, _ in method_ranking(t))]
    out.append("")
    for spec in sorted(imagefusion.list_methods(), key=lambda s: s.name):
        out += [f"## {spec.name}", "", _first_paragraph(spec.func), "",
                f"- **Reference**: {spec.reference}",
                f"- **Family**: {spec.family}; **sources**: {spec.min_sources} to "
                f"{spec.max_sources or 'any number'}; **weights**: "
                + (", ".join(f"`{n}`" for n in spec.networks) + " (shipped)" if spec.networks else "none"),
                "- **Tasks** (mean rank): " + ", ".join(
                    f"{TASK_NAMES[t]} ({ranks[t][spec.name]:.2f})" if not math.isnan(ranks[t].get(spec.name, math.nan))
                    else TASK_NAMES[t] for t in spec.tasks),
                f"- **Python**: `imagefusion.fuse(sources, \"{spec.name}\", ...)`, "
                f"function `{spec.func.__module__}.{spec.func.__name__}`", ""]
        if spec.params:
            out += ["| parameter | default | valid |", "|---|---|---|"]
            out += [f"| `{k}` | `{v!r}` | {describe_range(spec.ranges.get(k))} |" for k, v in spec.params.items()]
            out.append("")
        pics = [g for g in gallery if g.split("_", 1)[0] in spec.tasks and not g.startswith("gff_not")]
        if pics:
            out += ["Pictures (every method of the task side by side): "
                    + ", ".join(f"[{g[:-4]}](gallery/{g})" for g in pics), ""]
    return "\n".join(out) + "\n"


def metrics_page() -> str:
    out = ["# Metrics", "", "Every metric, as `imagefusion metrics` lists it, each implemented once; the conventions "
           "(`vifb`, `mefb`, `cddfuse`) reproduce the reference code's image preparation (see "
           "[how we measure](how-we-measure.md#metrics-and-their-reference-conventions) for the agreement with it). Made by "
           "`python benchmarks/build/docs_pages.py`.", "",
           "| name | better | range | sources | smallest side | reference |", "|---|---|---|---|---:|---|"]
    for m in list_metrics():
        out.append(f"| [`{m.name}`](#{m.name}) | {m.direction} | [{m.value_range[0]:g}, {m.value_range[1]:g}] | "
                   f"{m.sources or 'any'} | {m.min_size} | {m.reference} |")
    out.append("")
    for m in list_metrics():
        out += [f"## {m.name}", "", _first_paragraph(m.func), "",
                f"`{m.module}.{m.func.__name__}`; {m.direction} is better; "
                + ("compares the fused image with its sources" if m.uses_sources else "of the fused image alone")
                + ".", ""]
    return "\n".join(out) + "\n"


def training_page() -> str:
    from imagefusion.train import list_trainers

    out = ["# Training your own weights", "",
           "`imagefusion train NAME --out DIR` trains a network on the project's training data (checkpoints "
           "every epoch, resumable, a loss curve and a model card); `imagefusion fuse ... --weights "
           "DIR/NAME.safetensors` uses the result. `--config FILE` (JSON or TOML) sets any of the settings "
           "below; a setting the trainer does not have is an error listing the valid ones. The curves are "
           "those of the shipped weights. Made by `python benchmarks/build/docs_pages.py`.", ""]
    for t in list_trainers():
        out += [f"## {t.name}", "", f"Trains on {t.summary}.", "",
                "Settings: " + ", ".join(f"`{k}={v!r}`" for k, v in t.settings().items()), ""]
        curve = DOCS / "training" / f"{t.name}-loss.png"
        if curve.is_file():
            out += [f"![{t.name} loss curve](training/{curve.name})", ""]
    return "\n".join(out) + "\n"


def api_modules() -> list[str]:
    """Every public module of the package (no ``_private`` one), in package order."""
    import pkgutil

    import imagefusion.methods  # noqa: F401  (walk_packages imports what it walks; these first)

    names = ["imagefusion"]
    for info in pkgutil.walk_packages(imagefusion.__path__, "imagefusion."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def api_pages() -> dict[str, str]:
    """The API reference: ``docs/api.md`` (an index of the modules, one line each) and one page per
    module under ``docs/api/`` (its public names, from the docstrings)."""

    pages = {}
    rows = ["# API reference", "",
            "One page per module, generated from the docstrings (numpydoc); each shows the module's public names. "
            "The package's top level re-exports `fuse`, `evaluate`, `read_image`, `write_image`, `list_methods`, "
            "`list_metrics` and the errors."]
    mods = api_modules()
    packages = sorted({n.split(".")[1] for n in mods if n.count(".") >= 2})
    groups = {"core": [n for n in mods if n.count(".") <= 1 and (n == "imagefusion" or n.split(".")[1] not in packages)]}
    groups.update({pkg: [n for n in mods if n.count(".") >= 1 and n.split(".")[1] == pkg] for pkg in packages})
    for group, names in groups.items():
        rows += ["", f"## {group}", ""]
        for name in names:
            summary = (inspect.getdoc(importlib.import_module(name)) or "").split("\n\n")[0].replace("\n", " ")
            rows.append(f"- [`{name}`](api/{name}.md): {summary}")
            pages[f"api/{name}.md"] = (f"# {name}\n\n::: {name}\n    options:\n      heading_level: 2\n"
                                       "      members_order: source\n      show_submodules: false\n")
    pages["api.md"] = "\n".join(rows) + "\n"
    return pages


START, END = "<!-- which-method:start (python benchmarks/build/docs_pages.py) -->", "<!-- which-method:end -->"


def which_method_table() -> str:
    """The one answer to "which method for this task?", from ``imagefusion/data/method_ranking.json``:
    the default (what ``imagefusion fuse`` and ``imagefusion.fuse`` use), the best measured method
    where it differs, the runners-up, the sets and metrics."""
    data = _ranking_file()
    rows = ["| task | default (`imagefusion fuse`) | best measured | next best | ranked on (metrics, convention) |",
            "|---|---|---|---|---|"]
    for task in TASKS:
        ranking = method_ranking(task)
        entry = data.get(task, {})
        metric_set = entry.get("metric_set") or f"{len(entry.get('metrics', []))} metrics"
        default = default_method(task)
        score = dict(ranking)
        seconds = (entry.get("default") or {}).get("seconds_640x480")
        took = "" if seconds is None else f"; {seconds * 1000:.0f} ms" if seconds < 1 else f"; {seconds:.1f} s"
        cell = f"`{default}` ({score[default]:.2f}{took})"
        best, best_score = ranking[0]
        spec = get_method(best)
        best_cell = "the default" if best == default else (
            f"`{best}` ({best_score:.2f}; " + ("needs a download" if spec.downloads else "slower") + ")")
        nxt = [f"`{m}` ({v:.2f})" for m, v in ranking if m not in (default, best)][:2]
        rows.append(f"| {TASK_NAMES[task]} (`{task}`) | {cell} | {best_cell} | {', '.join(nxt)} | "
                    f"{', '.join(entry.get('sets', []))} ({metric_set}, `{entry.get('convention', '')}`) |")
    rule = next(iter(data.values()), {}).get("default_rule", "")
    text = "\n".join(rows) + "\n\n" + (
        "In brackets: the mean rank among our methods over the task's benchmark metrics, averaged over its sets "
        "(1 = best on every metric; the metrics: [benchmarks](benchmarks.md#how-the-tables-are-made)), by "
        f"`python benchmarks/build/peer_tables.py`, and the default's time per 640×480 pair. The default is {rule}: `python benchmarks/build/default_speed.py`. "
        "`imagefusion methods --task TASK` lists the whole ranking; `imagefusion fuse` and `imagefusion.fuse` "
        "without a method use the default of the task given or of the source folders' names.")
    return f"{START}\n{text}\n{END}"


def with_table(page: str) -> str:
    """``page`` with the text between the which-method markers replaced by :func:`which_method_table`."""
    i, j = page.index(START), page.index(END) + len(END)
    return page[:i] + which_method_table() + page[j:]


def main() -> None:
    for name, text in (("methods.md", methods_page()), ("metrics.md", metrics_page()), ("training.md", training_page())):
        (DOCS / name).write_text(text, encoding="utf-8")
        print(f"wrote {DOCS / name}")
    import shutil

    shutil.rmtree(DOCS / "api", ignore_errors=True)
    for name, text in api_pages().items():
        (DOCS / name).parent.mkdir(parents=True, exist_ok=True)
        (DOCS / name).write_text(text, encoding="utf-8")
    print(f"wrote {DOCS / 'api.md'} and {len(list((DOCS / 'api').glob('*.md')))} module pages in {DOCS / 'api'}")
    for page in (ROOT / "README.md", DOCS / "index.md", DOCS / "benchmarks.md", DOCS / "defaults.md"):
        page.write_text(with_table(page.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the which-method table of {page}")


if __name__ == "__main__":
    main()
