"""The ``imagefusion`` command line (typer).

Its public surface is :data:`app` (the Typer application) and :func:`main`; each command's
parameters are documented by its options' help (``imagefusion COMMAND --help``), which is generated
from this module, and the command functions' docstrings are their help texts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.core
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ._cli_base import _StderrHandler, _click, _OneLineErrors, err_console
from .errors import ImageFusionError
from .metrics import DEFAULT_CONVENTION

__all__ = ["app", "main"]

app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    help="Pixel-level image fusion: fuse, evaluate and benchmark.",
)
console = Console()
log = logging.getLogger("imagefusion.cli")
#: Progress bars and notes (stderr); silenced by --quiet, like ``console``. Errors always print.
note_console = Console(stderr=True, soft_wrap=True)
#: Set by --verbose: errors also print their traceback, library warnings are shown.
VERBOSE = False


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"imagefusion {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors (and --json output).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show library warnings, and the traceback "
                                                                  "of an error.")] = False,
    lenient: Annotated[bool, typer.Option("--lenient", help="Decode JPEG files whose data is corrupt, with a "
                                                            "warning naming the file, instead of refusing them.")] = False,
) -> None:
    """Pixel-level image fusion: fuse, evaluate and benchmark."""
    import logging
    import warnings

    global VERBOSE
    VERBOSE = verbose
    console.quiet = note_console.quiet = quiet
    # our messages at INFO (DEBUG with --verbose, WARNING with --quiet); other libraries' only with --verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ours = logging.getLogger("imagefusion")
    ours.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    for h in [h for h in ours.handlers if isinstance(h, _StderrHandler)]:
        ours.removeHandler(h)
    ours.addHandler(_StderrHandler())
    ours.propagate = False
    if not verbose:  # library warnings (OpenCV, PyWavelets, torch) only with --verbose
        warnings.filterwarnings("ignore")
    import cv2

    from .io import OPENCV_QUIET, OPENCV_VERBOSE

    if hasattr(cv2, "setLogLevel"):
        cv2.setLogLevel(OPENCV_VERBOSE if verbose else OPENCV_QUIET)
    if lenient:
        from . import io

        io.LENIENT = True
        os.environ["IMAGEFUSION_LENIENT"] = "1"  # worker processes started later inherit it


def _fail(exc: Exception) -> None:
    """Print the error as one line and exit: 1 for a problem met while working (an unreadable or
    damaged source, sources of different sizes, an output that cannot be written, weights or a
    dependency missing), 2 for a wrong command line (an unknown name, a bad parameter or option)."""
    from .errors import DependencyError, InvalidImageError, OutputError, SizeMismatchError, WeightsError

    if VERBOSE:
        import traceback

        err_console.print("".join(traceback.format_exception(exc)), markup=False, highlight=False)
    err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
    runtime = (InvalidImageError, SizeMismatchError, OutputError, WeightsError, DependencyError)
    raise typer.Exit(code=1 if isinstance(exc, runtime) else 2)


def _fail_unexpected(exc: Exception) -> None:
    """An exception that is not one of ours: still one line (the traceback with --verbose), exit 1.
    A full disk or a refused write is named as such."""
    import errno

    if VERBOSE:
        import traceback

        err_console.print("".join(traceback.format_exception(exc)), markup=False, highlight=False)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT):
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        text = f"{where}{exc.strerror}; nothing was half-written (outputs are written atomically)"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        text = (f"unexpected {type(exc).__name__}{': ' + first if first else ''} "
                "(rerun with --verbose for the traceback, and please report it)")
    err_console.print(f"[bold red]error:[/] {text}", markup=True, highlight=False)
    raise typer.Exit(code=1)


def _guarded(func):
    """Wrap a command: our errors become :func:`_fail`'s one line, anything else
    :func:`_fail_unexpected`'s; typer's and click's own exits pass through."""
    import functools

    click = _click()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except ImageFusionError as exc:
            _fail(exc)
        except Exception as exc:  # noqa: BLE001 (the last net: a one-line error, never a traceback)
            _fail_unexpected(exc)

    return wrapper


def _command(*args, **kwargs):
    """``app.command`` for a guarded function (see :func:`_guarded`)."""
    def register(func):
        return app.command(*args, **kwargs)(_guarded(func))

    return register


def _names(option: str, text: str, what: str) -> list[str] | str:
    """A comma-separated option as a list of names ('all' kept); an empty list is a wrong command line."""
    from .errors import ParameterError

    if text.strip() == "all":
        return "all"
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ParameterError(f"{option} {text!r}: give one or more {what} separated by commas, or all")
    return names


def _infer_task(task: str | None, pairs: Path | None, sources: list[Path] | None) -> str | None:
    """``task`` checked, or the task the source folders' names imply (None when they imply none)."""
    from .pairs import find_pairs
    from .ranking import infer_task, task_from_folders
    from .registry import TASKS

    if task is not None and task not in TASKS:
        raise ImageFusionError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    if task is None:
        if pairs is not None and pairs.is_dir():
            task = task_from_folders(find_pairs(pairs).sources)
        elif sources:
            task = infer_task(sources)
    return task


def _default_method(task: str | None, pairs: Path | None, sources: list[Path] | None) -> str:
    """The task's default method (the one :func:`imagefusion.fuse` uses), for ``task`` or the task
    the source folders' names imply; a note names it and the best measured one when they differ."""
    from .ranking import best_method, default_method

    task = _infer_task(task, pairs, sources)
    method = default_method(task)
    if task is None:
        log.info("method: %s (task unknown: give --task or --method)", method)
    else:
        best = best_method(task)
        log.info("method: %s (the default for %s)%s", method, task,
                 f"; best measured: {best} (slower or needs a download)" if best != method else "")
    return method


def _check_device(device: str | None) -> None:
    from .errors import ParameterError

    if device is not None and device not in ("cpu", "cuda", "auto") and not device.startswith("cuda:"):
        raise ParameterError(f"--device {device!r}: use cpu, cuda, cuda:N or auto")


def _apply_device(method: str, params: dict, device: str | None) -> None:
    """Put ``--device`` into a deep method's parameters (a ``-p device=...`` given too wins)."""
    from .errors import ParameterError
    from .registry import get_method

    if device is None:
        return
    _check_device(device)
    if "device" in get_method(method).params:
        params.setdefault("device", device)
    elif device not in ("cpu", "auto"):
        raise ParameterError(f"--device {device}: method {method!r} runs on the CPU (it has no network)")


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=note_console, transient=False,
    )


@_command()
def fuse(
    sources: Annotated[Optional[list[Path]], typer.Argument(help="Two or more registered source images.")] = None,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output file (or folder with --pairs).")] = None,
    method: Annotated[Optional[str], typer.Option("-m", "--method", help="Registry name; see `imagefusion methods`. Default: the task's default (the best-ranked that runs offline in 3 s; see `imagefusion methods --task`).")] = None,
    task: Annotated[Optional[str], typer.Option(help="ivif, mif, mff or mef: picks the default method. Default: from the source folder names (ir/vi, ct|pet|spect/mri, a/b, under/over).")] = None,
    param: Annotated[Optional[list[str]], typer.Option("-p", "--param", help="Method parameter key=value (repeatable).")] = None,
    pairs: Annotated[Optional[Path], typer.Option(help="Paired folder: one sub-folder per source, matching names.")] = None,
    overwrite: Annotated[bool, typer.Option(help="With --pairs: re-fuse pairs whose output exists.")] = False,
    ext: Annotated[str, typer.Option(help="With --pairs: output format.")] = ".png",
    bit_depth: Annotated[int, typer.Option("--bit-depth", help="8 or 16 bits per channel.")] = 8,
    weights: Annotated[Optional[Path], typer.Option(help="Deep methods: a safetensors file from `imagefusion train` instead of the shipped weights.")] = None,
    explain: Annotated[Optional[Path], typer.Option(help="cam-fusion: also write the class activation maps of both sources and the channel-weight bar chart to this folder; semantic-cam: each source's class activation map and weight map.")] = None,
    device: Annotated[Optional[str], typer.Option(help="Deep methods: cpu (default), cuda or auto.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="With --pairs: Dask worker processes, one pair per task (outputs identical for any number; at most the CPU count).")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(help="With --pairs: a running Dask scheduler (tcp://HOST:PORT or a scheduler .json file), or 'local'.")] = None,
) -> None:
    """Fuse A B [C...] into OUT, or every pair of a folder with --pairs DIR --out OUTDIR."""
    if bit_depth not in (8, 16):
        from .errors import ParameterError

        raise ParameterError(f"--bit-depth {bit_depth}: use 8 or 16")
    spec, params = _resolve(method, task, param, pairs, sources, device, weights)
    if explain is not None:
        _check_explain(explain, spec.name, params, pairs)
    if pairs is not None:
        if sources:
            raise ImageFusionError("give either source files or --pairs DIR, not both")
        _fuse_pairs(pairs, out, spec.name, params, overwrite, ext, bit_depth, workers, scheduler)
        return
    if workers != 1 or scheduler is not None:
        raise ImageFusionError("--workers and --scheduler apply to --pairs (a folder of pairs)")
    if not sources or len(sources) < 2:
        raise ImageFusionError("give two or more source images, or --pairs DIR")
    if out is None:
        raise ImageFusionError("give the output file with -o OUT")
    from .fusion import fuse as fuse_images, load_sources
    from .io import check_output_name, write_image

    check_output_name(out, bit_depth)
    images, _ = load_sources([str(s) for s in sources])  # read once: fused and, with --explain, explained
    fused = _with_step_bar(lambda: fuse_images(images, method=spec.name, **params))
    write_image(out, fused, bit_depth=bit_depth, protect=sources)
    console.print(f"wrote {out} ({fused.shape[1]}x{fused.shape[0]}, {'RGB' if fused.ndim == 3 else 'grey'})", soft_wrap=True)
    if explain is not None:
        files = _write_explanation(explain, spec.name, images, params)
        console.print(f"wrote {', '.join(f.name for f in files)} to {explain}", soft_wrap=True)


def _with_step_bar(run: Callable[[], Any]) -> Any:
    """``run()``, with a progress bar of the steps an iterative method reports (semantic-opt's
    iterations; :func:`imagefusion.runtime.report_progress`); nothing shows for the others."""
    from .runtime import progress_to

    bar: list = []  # the bar and its task, made at the first report

    def show(done: int, total: int, what: str) -> None:
        if not bar:
            progress = _progress()
            progress.start()
            bar.extend([progress, progress.add_task(what, total=total)])
        bar[0].update(bar[1], completed=done)

    try:
        with progress_to(show):
            return run()
    finally:
        if bar:
            bar[0].stop()


def _resolve(method: str | None, task: str | None, param: list[str] | None, pairs: Path | None,
             sources: list[Path] | None, device: str | None, weights: Path | None) -> tuple[Any, dict]:
    """The method (the task's default when none is given) and its checked parameters, from
    ``-p``, ``--device``, ``--weights`` and, for a method with one weights file per task, the task."""
    from .registry import get_method, parse_param

    spec = get_method(method if method is not None else _default_method(task, pairs, sources))
    params = dict(parse_param(spec, item) for item in param or [])
    if device is not None:
        _check_device(device)
        if "device" in spec.params:
            params.setdefault("device", device)
        elif device not in ("cpu", "auto"):
            from .errors import ParameterError

            raise ParameterError(f"--device {device}: method {spec.name!r} runs on the CPU (it has no network)")
    if "task" in spec.params and "task" not in params:  # one weights file per task (pmgi)
        inferred = _infer_task(task, pairs, sources)
        if inferred is not None:
            params["task"] = inferred
    if weights is not None:
        if "weights" not in spec.params:
            raise ImageFusionError(f"method {spec.name!r} has no trained weights; --weights applies to deep methods")
        if not weights.is_file():
            raise ImageFusionError(f"weights file not found: {weights}")
        params["weights"] = str(weights)
    return spec, params


def _check_explain(explain: Path, method: str, params: dict, pairs: Path | None) -> None:
    from .errors import OutputError

    if explain.exists() and not explain.is_dir():
        raise OutputError(f"--explain {explain}: is a file; give a folder for the heat maps")
    if method not in ("cam-fusion", "semantic-cam"):
        raise ImageFusionError(f"--explain needs --method cam-fusion or semantic-cam (class activation maps), "
                               f"not {method!r}")
    if pairs is not None:
        raise ImageFusionError("--explain works on one pair (IR VI), not with --pairs")
    if params.get("variant") == "l1":
        raise ImageFusionError("--explain needs a variant with class weights (peak, paper, no-ldf): variant l1 uses none")


def _write_explanation(explain: Path, method: str, images: list, params: dict) -> list[Path]:
    """The class activation maps (and CAM fusion's channel weights) of the sources, into ``explain``."""
    if method == "semantic-cam":
        from .explain import write_semantic_cam_explanation

        opts = {k: params[k] for k in ("backbone", "weights", "top_k") if k in params}
        return write_semantic_cam_explanation(explain, images, **opts)
    from .color import split_luminance
    from .explain import write_cam_explanation

    lums, _ = split_luminance(images)
    opts = {k: params[k] for k in ("variant", "classifier", "device", "precision", "tile") if k in params}
    return write_cam_explanation(explain, lums[0], lums[1], **opts)


def _fuse_pairs(pairs: Path, out: Path | None, method: str, params: dict, overwrite: bool, ext: str, bit_depth: int,
                workers: int, scheduler: str | None) -> None:
    """``fuse --pairs``: every pair of a paired folder into ``out``, resumable; exit status 1 when a pair failed."""
    from .batch import check_batch_output, fuse_folder
    from .pairs import find_pairs

    if out is None:
        raise ImageFusionError("--pairs needs --out OUTDIR")
    check_batch_output(out, ext, method, params, overwrite)
    ps = find_pairs(pairs)
    for src, names in ps.unmatched.items():
        log.warning(f"unmatched: {len(names)} image(s) only in {pairs / src}: {', '.join(names[:10])}"
                    + (" ..." if len(names) > 10 else ""))
    with _progress() as bar:
        task = bar.add_task(f"{method} on {pairs.name}", total=len(ps.pairs))
        result = fuse_folder(pairs, out, method, params=params, overwrite=overwrite, ext=ext, bit_depth=bit_depth,
                             progress=lambda _n: bar.advance(task), workers=workers, scheduler=scheduler)
    for name, msg in result.failed.items():
        err_console.print(f"[red]failed:[/] {name}: {msg}")
    console.print(f"{len(result.written)} fused, {len(result.skipped)} already there (kept), "
                  f"{len(result.failed)} failed -> {out}")
    if result.failed:
        raise typer.Exit(code=1)


@_command()
def methods(
    name: Annotated[Optional[str], typer.Argument(help="One method: its reference, tasks and parameters with their valid values.")] = None,
    task: Annotated[Optional[str], typer.Option(help="Only methods for this task: ivif, mif, mff, mef.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")] = False,
) -> None:
    """List the registered fusion methods; with --task, best first with their measured mean rank and
    the task's default marked; with NAME, one method's parameters."""
    import json

    from .ranking import default_method, method_ranking, ranking_entry
    from .registry import describe_range, get_method, list_methods

    if name is not None:
        spec = get_method(name)
        if json_out:
            typer.echo(json.dumps(_method_json(spec), indent=1))
            return
        console.print(f"[bold]{spec.name}[/]: {spec.summary}", highlight=False)
        console.print(f"reference: {spec.reference}", highlight=False)
        console.print(f"tasks: {' '.join(spec.tasks)}; family: {spec.family}; sources: {spec.min_sources} to "
                      f"{spec.max_sources or 'any number'}" + (f"; downloads: {spec.downloads}" if spec.downloads else ""),
                      highlight=False)
        for f in _published_json(spec):
            console.print(f"authors' weights {f['name']}: {f['url']} ({f['licence']}, {f['size'] / 1e6:.1f} MB, "
                          f"{'here' if f['present'] else 'not here: imagefusion weights fetch ' + f['name']}); "
                          f"cite {f['citation']}", highlight=False, markup=False)
        for key, value in spec.params.items():
            console.print(f"  {key}={value!r}  ({describe_range(spec.ranges.get(key))})", highlight=False, markup=False)
        return
    if task is None:
        specs, scores, default = list_methods(None), {}, None
    else:
        ranking = method_ranking(task)
        specs, scores, default = [get_method(m) for m, _ in ranking], dict(ranking), default_method(task)
    if json_out:
        rows = []
        for sp in specs:
            row = _method_json(sp)
            if task is not None:
                v = scores.get(sp.name)
                row["mean_rank"] = None if v != v else v  # null: not measured
                row["default"] = sp.name == default
            rows.append(row)
        typer.echo(json.dumps(rows, indent=1))
        return
    table = Table(title="imagefusion methods" + (f" for {task}, best first" if task else ""))
    cols = ["name", "tasks", "family", "note"]
    if task is not None:
        cols.insert(1, "rank")
    for col in cols:
        table.add_column(col, no_wrap=col != "note")
    for s in specs:
        note = ", ".join(x for x in ("default" if s.name == default else "",
                                     "authors' weights" if s.published else
                                     "shipped weights" if s.needs_weights else "",
                                     "downloads" if s.downloads else "") if x)
        row = [s.name, " ".join(s.tasks), s.family, note]
        if task is not None:
            v = scores.get(s.name, float("nan"))
            row.insert(1, f"{v:.2f}" if v == v else "–")
        table.add_row(*row)
    console.print(table)
    if task is not None:
        entry = ranking_entry(task)
        console.print(f"rank: mean rank over {len(entry.get('metrics', []))} metrics on "
                      f"{', '.join(entry.get('sets', [])) or 'no set'} (1 = best; docs/benchmarks.md). "
                      f"default: what fuse uses for {task}.", highlight=False)
    console.print("imagefusion methods NAME: one method's parameters and their valid values.", highlight=False)


def _method_json(sp) -> dict:
    """One method as JSON: numbers stay numbers (``null`` for "none"), ranges as lists."""
    return {"name": sp.name, "tasks": list(sp.tasks), "family": sp.family, "networks": list(sp.networks),
            "sources": [sp.min_sources, sp.max_sources], "reference": sp.reference,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sp.params.items()},
            "ranges": {k: list(v) for k, v in sp.ranges.items()}, "downloads": sp.downloads or None,
            "published": _published_json(sp)}


def _published_json(sp) -> list[dict]:
    """The authors' weight files a method reads: source, licence, citation, and whether each is here."""
    from .nn.published import get_weight_file, locate, packaged

    files = [get_weight_file(n) for n in sp.published]
    return [{"name": f.name, "repo": f.repo, "commit": f.commit, "url": f.url, "sha256": f.sha256, "size": f.size,
             "licence": f.licence, "citation": f.citation,
             "present": locate(f.name) is not None or packaged(f.name) is not None} for f in files]


@_command()
def metrics(
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")] = False,
) -> None:
    """List the quality metrics: name, direction, range, sources, reference, module."""
    import json
    import math

    from .metrics import list_metrics

    def num(v: float) -> float | None:
        return v if math.isfinite(v) else None  # JSON has no infinity: null, and "unbounded" says which side

    specs = list_metrics()
    if json_out:
        typer.echo(json.dumps([{"name": s.name, "direction": s.direction, "range": [num(v) for v in s.value_range],
                                "unbounded": [side for side, v in zip(("below", "above"), s.value_range)
                                              if not math.isfinite(v)],
                                "sources": s.sources, "reference": s.reference, "module": s.module}
                               for s in specs], indent=1))
        return
    table = Table(title="imagefusion metrics")
    for col in ("name", "better", "range", "sources", "reference", "module"):
        table.add_column(col, no_wrap=col == "name")
    for s in specs:
        lo, hi = s.value_range
        table.add_row(s.name, s.direction, f"[{lo:g}, {hi:g}]", str(s.sources or "any"), s.reference,
                      s.module.replace("imagefusion.", ""))
    console.print(table)


@_command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the demo images and figure.")] = Path("imagefusion-demo"),
) -> None:
    """Fuse a multi-focus and a multi-exposure pair built from scikit-image's sample images."""
    from .demo import run_demo

    files = run_demo(out)
    console.print(f"demo written to [bold]{out.resolve()}[/]:", soft_wrap=True)
    for path in files.values():
        console.print(f"  {path}", soft_wrap=True)


@_command()
def evaluate(
    fused: Annotated[Path, typer.Option(help="Folder of fused images, named like the pairs.")],
    sources: Annotated[Path, typer.Option(help="Paired source folder (one sub-folder per source).")],
    metrics: Annotated[str, typer.Option(help="Comma-separated metric names, or 'all'.")] = "all",
    convention: Annotated[str, typer.Option(help="vifb, mefb or cddfuse.")] = DEFAULT_CONVENTION,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Per-image CSV; the summary goes beside it as .md and .json.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary and per-image values as JSON on stdout.")] = False,
) -> None:
    """Evaluate a folder of fused images against their sources: per-image CSV, mean ± std summary."""
    from .evaluation import evaluate_folder, write_text_atomic

    if out is not None:
        from .errors import OutputError, ParameterError

        if out.suffix.lower() != ".csv":
            raise ParameterError(f"--out {out}: give a .csv file name (the summary goes beside it as .md and "
                                 ".json); nothing else is overwritten")
        if out.is_dir():
            raise OutputError(f"--out {out}: is a folder; give a .csv file name")
    names = _names("--metrics", metrics, "metric names")
    from .pairs import find_pairs

    total = len(find_pairs(sources).pairs)
    with _progress() as bar:
        task = bar.add_task(f"evaluate {fused.name}", total=total)
        result = evaluate_folder(fused, sources, names, convention, progress=lambda _n: bar.advance(task))
    if json_out:
        typer.echo(result.to_json())
    else:
        console.print(result.to_markdown())
    if out is not None:
        write_text_atomic(out, result.to_csv())
        write_text_atomic(out.with_suffix(".md"), result.to_markdown())
        write_text_atomic(out.with_suffix(".json"), result.to_json())
        (note_console if json_out else console).print(f"wrote {out}, {out.with_suffix('.md')}, {out.with_suffix('.json')}")


def _check_bench_out(out: Path, datasets: list[str]) -> None:
    """Refuse a bench folder inside a dataset (its fused/, cache/ and plots/ would sit among the sources)."""
    from .errors import OverwriteError

    target = out.resolve()
    for d in datasets:
        root = Path(d).resolve()
        if root == target or root in target.parents:
            raise OverwriteError(f"--out {out}: inside the dataset {d}; its results would sit among the sources, "
                                 "give a folder outside it")
        if target in root.parents:
            raise OverwriteError(f"--out {out}: holds the dataset {d}; give a folder that does not contain it")


@_command()
def bench(
    datasets: Annotated[str, typer.Option(help="Comma-separated paired folders (shared/data layout).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder: fused images, cache, reports, plots.")],
    methods: Annotated[str, typer.Option(help="Comma-separated method names, or 'all'.")] = "all",
    task: Annotated[Optional[str], typer.Option(help="Only methods for this task: ivif, mif, mff, mef.")] = None,
    metrics: Annotated[Optional[str], typer.Option(help="Comma-separated metric names, or 'all'. Default: with --task, the task's benchmark metrics (VIFB's 13, MFIFB's 20, MEFB's 20, CDDFuse's 8 for mif); else all.")] = None,
    convention: Annotated[Optional[str], typer.Option(help="vifb, mefb or cddfuse. Default: with --task, its benchmark's convention; else mefb.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes on this machine (results identical for any number; at most the CPU count).")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(help="A running Dask scheduler (tcp://HOST:PORT or a scheduler .json file) whose workers see the same paths, or 'local'.")] = None,
    refresh: Annotated[str, typer.Option(help="Comma-separated method labels to fuse and score again, ignoring their "
                                              "cached results (after a change to a method's code).")] = "",
    device: Annotated[Optional[str], typer.Option(help="Deep methods: cpu (default), cuda or auto (part of the cache key).")] = None,
) -> None:
    """Benchmark methods on datasets: fuse every pair, time it, score it; write CSV, Markdown and HTML
    reports with plots and image grids. Cached and resumable: a repeated run does no fusion work."""
    from .bench import run_bench

    if out.exists() and not out.is_dir():
        from .errors import OutputError

        raise OutputError(f"--out {out}: is a file; give a folder for the bench's results")
    from .metrics import CONVENTIONS
    from .ranking import ranking_entry

    entry = ranking_entry(task) if task is not None else {}  # the task's benchmark, as the ranking scores it
    if convention is None:
        convention = entry.get("convention") or DEFAULT_CONVENTION
    if metrics is None:
        metrics = ",".join(entry.get("metrics", [])) or "all"
    if convention not in CONVENTIONS:
        raise ImageFusionError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    ds = _names("--datasets", datasets, "paired folders")
    if ds == "all":
        raise ImageFusionError("--datasets all: give the paired folders, separated by commas")
    names = _names("--methods", methods, "method names")
    mnames = _names("--metrics", metrics, "metric names")
    _check_bench_out(out, ds)
    with _progress() as bar:
        task_id = bar.add_task("bench (method x dataset jobs)", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        from .bench.runner import is_results_label, parse_method_label, select_methods

        labels = select_methods(names, task)
        per_method: dict = {}
        if device is not None:
            for label in labels:
                if not is_results_label(label):
                    base, given = parse_method_label(label)
                    extra: dict = {}
                    _apply_device(base, extra, device if "device" not in given else None)
                    if extra:
                        per_method[label] = extra
        result = run_bench(labels, ds, out, metrics=mnames, convention=convention, task=task,
                           workers=workers, scheduler=scheduler, progress=progress, params=per_method,
                           refresh=[m.strip() for m in refresh.split(",") if m.strip()])
    table = Table(title=f"bench: {result.machine}")
    for col in ("dataset", "method", "median ms", "peak MiB", "mean rank"):
        table.add_column(col, justify="left" if col in ("dataset", "method") else "right")
    for s in result.summaries:
        table.add_row(s.dataset, s.method, f"{s.median_ms:.1f}", f"{s.peak_rss_mib:.0f}", f"{s.mean_rank:.2f}")
    console.print(table)
    console.print(f"{result.fusions_run} fusions run, {result.seconds:.1f} s; reports in {out}/report.md, "
                  f"{out}/report.html, {out}/results.csv", soft_wrap=True)
    if (out / "failures.txt").exists():
        log.warning("some pairs failed; see %s", out / "failures.txt")


@_command()
def ui(
    host: Annotated[str, typer.Option(help="Address to serve on; 127.0.0.1 (this machine only) unless given.")] = "127.0.0.1",
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help="Port, 1-65535 (default: Gradio's, 7860 or the next free one).")] = None,
    share: Annotated[bool, typer.Option(help="Also make a public Gradio link (only when asked).")] = False,
    device: Annotated[Optional[str], typer.Option(help="Deep methods: cpu (default), cuda or auto.")] = None,
    weights_dir: Annotated[Optional[Path], typer.Option("--weights-dir", help="A folder of weights files the page may load by name (weights=NAME); the page opens no other server path.")] = None,
) -> None:
    """Serve the web page: upload sources, choose a method, fuse, compare, download (needs imagefusion\\[ui])."""
    from .ui import launch

    _check_device(device)
    launch(host=host, port=port, share=share, device=device, weights_dir=weights_dir,
           on_ready=lambda url: typer.echo(f"imagefusion ui: serving on {url} (Ctrl+C stops)"))


@_command()
def weights(
    action: Annotated[Optional[str], typer.Argument(help="fetch: download NAME (hash-checked) into the user cache.")] = None,
    name: Annotated[Optional[str], typer.Argument(help="A weight file's name (see the list).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")] = False,
) -> None:
    """List the weight files fetched on demand (the published networks' and our ablation variants'): licence,
    size, whether a local copy is here; or fetch one."""
    import json

    from .errors import ParameterError
    from .fusion import require_deep

    require_deep("imagefusion weights")
    from .nn.published import WEIGHT_FILES, _import_all, cache_dir, fetch, locate, packaged

    _import_all()
    if action is not None:
        if action != "fetch" or name is None:
            given = " ".join(x for x in (action, name) if x)
            raise ParameterError(f"imagefusion weights {given}: use `imagefusion weights` or "
                                 "`imagefusion weights fetch NAME`")
        key = name if name in WEIGHT_FILES else name.lower()
        for part in [key] + ([f"{key}-index"] if f"{key}-index" in WEIGHT_FILES else []):  # a TF checkpoint's pair
            typer.echo(f"{part}: {fetch(part)}")  # one line whatever the width: a path to copy
        return
    rows = [{"name": e.name, "network": e.network, "licence": e.licence, "bytes": e.size, "sha256": e.sha256,
             "url": e.url, "citation": e.citation,
             "local": str(locate(e.name) or packaged(e.name) or "") or None}
            for e in sorted(WEIGHT_FILES.values(), key=lambda e: e.name)]
    if json_out:
        typer.echo(json.dumps(rows, indent=1))
        return
    table = Table(title="weight files fetched on demand")
    for col in ("name", "licence", "size", "here"):
        table.add_column(col, no_wrap=col != "licence")
    for r in rows:
        table.add_row(r["name"], r["licence"], f"{r['bytes'] / 1e6:.2f} MB", "yes" if r["local"] else "no")
    console.print(table)
    console.print(f"cache: {cache_dir()}; a folder laid out like the authors' repositories: $IMAGEFUSION_WEIGHTS_DIR; "
                  "imagefusion weights fetch NAME downloads one (files without a licence are never shipped).",
                  highlight=False)


def _default_data_root() -> Path:
    env = os.environ.get("IMAGEFUSION_DATA")
    return Path(env) if env else Path("../shared/data")


@_command()
def train(
    method: Annotated[Optional[str], typer.Argument(help="Network to train; without it, the trainable networks are listed.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="JSON or TOML file overriding the defaults.")] = None,
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Epochs (a finished run trains on to this many).")] = None,
    steps: Annotated[Optional[int], typer.Option(min=1, help="Optimiser steps per epoch.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(min=1, help="Samples per step.")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder: checkpoint, log.csv, loss.png, weights, model card.")] = Path("runs/train"),
    data: Annotated[Optional[Path], typer.Option(help="The shared/data folder (default $IMAGEFUSION_DATA or ../shared/data).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu (default), cuda or auto.")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="Random seed.")] = None,
    max_images: Annotated[Optional[int], typer.Option(min=1, help="Use only this many training images (smoke runs).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from OUT/checkpoint.pt when present.")] = True,
) -> None:
    """Train a network on the project's training data; writes NAME.safetensors and its model card.

    Use the result with `imagefusion fuse ... --weights OUT/NAME.safetensors`."""
    import shlex

    from .fusion import require_deep

    _check_device(device)
    require_deep("imagefusion train")
    from .train import list_trainers, load_config
    from .train import train as run_training

    if method is None:
        table = Table(title="trainable networks (imagefusion train NAME)")
        for col in ("name", "trains on", "settings (defaults)"):
            table.add_column(col, no_wrap=col == "name")
        for t in list_trainers():
            table.add_row(t.name, t.summary, ", ".join(f"{k}={v}" for k, v in t.settings().items()))
        console.print(table)
        return

    try:
        if out.exists() and not out.is_dir():
            from .errors import OutputError

            raise OutputError(f"--out {out}: is a file; give a folder for the checkpoint, log and weights")
        cfg = load_config(method, config, epochs=epochs, steps_per_epoch=steps, batch_size=batch_size,
                          device=device, seed=seed)
        given = {"--config": config, "--epochs": epochs, "--steps": steps, "--batch-size": batch_size, "--out": out,
                 "--data": data, "--device": device, "--seed": seed, "--max-images": max_images}
        command = " ".join(["imagefusion", "train", method] + [f"{k} {shlex.quote(str(v))}" for k, v in given.items()
                                                                 if v is not None])
        root = data or _default_data_root()
        if not root.is_dir():
            from .errors import InvalidImageError

            how = "--data" if data is not None else ("IMAGEFUSION_DATA" if os.environ.get("IMAGEFUSION_DATA")
                                                     else "no --data given, and the default")
            raise InvalidImageError(f"{how} {root}: not a folder; give --data DIR, a folder in the shared/data layout "
                                    "(natural/bsds500 for the multi-focus and autoencoder networks, ivif/roadscene-full "
                                    "and medical/*-mri for the GANs)")
        card = run_training(method, cfg, out, data_root=root, max_images=max_images,
                            resume=resume, command=command)
    except (ImageFusionError, ValueError) as exc:
        _fail(exc)
    final = card["final"]
    console.print(f"{method}: {card['epochs']} epochs, {card['steps']} steps, {card['training_seconds']} s; "
                  f"final training loss {final['train_loss']:.4f}, validation loss {final['val_loss']:.4f}"
                  + (f", validation accuracy {final['val_acc']:.4f}" if final.get("val_acc") is not None else ""))
    console.print(f"wrote {out / (method + '.safetensors')} and its model card; log {out / 'log.csv'}, curve {out / 'loss.png'}", soft_wrap=True)


def main() -> None:
    """Console-script entry point: run :data:`app` on ``sys.argv``.

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> result = CliRunner().invoke(app, ["--version"])
    >>> result.exit_code, result.output.split()[0]
    (0, 'imagefusion')
    """
    app()


if __name__ == "__main__":
    main()
