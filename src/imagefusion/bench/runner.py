"""Running a benchmark: fuse every pair of every dataset with every method, time it, score it.

Fusion is split into jobs, one per (method, dataset), run in this process or on Dask
(:class:`imagefusion.cluster.JobRunner`); the peak resident memory is reset when each job starts.
Scoring is split into jobs, one per
(dataset, image): every method's fused image of one pair is scored in one block that keeps what
depends only on the sources (their gradients, local moments, phase congruency, FMI features), so
that work is done once per pair and not once per method. Every (method, image) result is cached
under a key made of the method's name, its weights' hash, its parameters and the source files'
contents; the fused image and a JSON record (time, memory, metric values) are written atomically,
so an interrupted run resumes where it stopped and a repeated run does no fusion work.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageFusionError, InvalidImageError, ParameterError, UnknownNameError
from ..io import sha256_file, write_bytes_atomic, write_image
from ..pairs import find_pairs
from ..metrics import CONVENTIONS, DEFAULT_CONVENTION, get_metric, list_metrics
from ..registry import TASKS, get_method, list_methods, parse_param
from ..runtime import peak_rss_mib, reset_peak_rss
from .results import BenchResult, MethodSummary, metric_sort_key

__all__ = ["BenchResult", "MethodSummary", "run_bench", "select_methods", "machine_description", "cpu_name", "cache_key"]

CACHE_VERSION = 2  # bumped when a method's output changes (2: the chroma of channel-rule methods)


def cpu_name() -> str:
    """The CPU model from ``/proc/cpuinfo``, or what :mod:`platform` knows.

    Returns
    -------
    str

    Examples
    --------
    >>> isinstance(cpu_name(), str)
    True
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description(gpu: str | None = None) -> str:
    """``"<CPU model>, <n> cores"`` (see :func:`cpu_name`), plus the GPU if given.

    Parameters
    ----------
    gpu : str, optional
        The GPU's name, where one was used.

    Returns
    -------
    str

    Examples
    --------
    >>> machine_description().endswith("no GPU")
    True
    """
    text = f"{cpu_name()}, {os.cpu_count()} cores"
    return f"{text}; GPU: {gpu}" if gpu else f"{text}; no GPU"


def parse_method_label(label: str) -> tuple[str, dict[str, Any]]:
    """Split a benchmark method label ``NAME[:KEY=VALUE[:KEY=VALUE...]]`` into the registry name
    and its parameters (values parsed as by ``imagefusion fuse --param``), so that variants of one
    method are benchmarked side by side: ``densefuse:rule=l1``, ``cam-fusion:variant=no-ldf``.

    Raises
    ------
    UnknownNameError
        An unknown method.
    ParameterError
        A malformed ``KEY=VALUE`` or a parameter the method does not have.
    """
    name, *parts = label.split(":")
    spec = get_method(name)
    return name, dict(parse_param(spec, p) for p in parts)


def label_dirname(label: str) -> str:
    """A file-system and URL safe folder name for a method label (``densefuse:rule=l1`` →
    ``densefuse_rule-l1``)."""
    return label.replace(":", "_").replace("=", "-").replace("/", "-")


#: Prefix of a method label that names a folder of already-fused images (:func:`results_folder`).
RESULTS_PREFIX = "results:"


def is_results_label(label: str) -> bool:
    """Whether a method label names a folder of already-fused images (``results:PATH``)."""
    return label.startswith(RESULTS_PREFIX)


def results_label(path: str | os.PathLike) -> str:
    """The label under which a results folder appears in tables: ``results:<folder name>``."""
    return RESULTS_PREFIX + Path(path).resolve().name


def results_folder(root: str | os.PathLike, dataset_root: str | os.PathLike,
                   names: Sequence[str]) -> dict[str, Path] | None:
    """The fused images of one dataset in a folder of external results, matched to the pairs.

    A results folder holds images made elsewhere (a published network's official code, a paper's
    outputs), laid out ``<task>/<set>/<name>.<ext>`` or ``<set>/<name>.<ext>``, where ``<task>/<set>``
    are the last two parts of the dataset's path (``ivif/tno``) and ``<name>`` the pair's name.

    Parameters
    ----------
    root : path
        The results folder.
    dataset_root : path
        The paired dataset folder (``.../ivif/tno``).
    names : sequence of str
        The dataset's pair names.

    Returns
    -------
    dict of name to Path, or None when the folder has no sub-folder for this dataset.

    Raises
    ------
    InvalidImageError
        ``root`` is not a folder; the dataset's sub-folder lacks some pair names, holds images whose
        names are not pairs of the dataset, or holds two images with one name.
    """
    from ..pairs import images_by_stem

    root = Path(root)
    if not root.is_dir():
        raise InvalidImageError(f"results folder {root}: not a folder")
    ds = Path(dataset_root).resolve()
    folder = next((f for f in (root / ds.parent.name / ds.name, root / ds.name) if f.is_dir()), None)
    if folder is None:
        return None
    found = images_by_stem(folder)
    missing = sorted(set(names) - set(found))
    extra = sorted(set(found) - set(names))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} pair(s): {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
        if extra:
            parts.append(f"{len(extra)} image(s) that are not pairs of {ds.name}: {', '.join(extra[:5])}"
                         + (" ..." if len(extra) > 5 else ""))
        raise InvalidImageError(f"results folder {folder}: " + "; ".join(parts))
    return {n: found[n] for n in names}


def results_timing(root: str | os.PathLike) -> dict[str, float]:
    """Fusion times of a results folder, seconds per pair by ``"<task>/<set>/<name>"`` (and by
    ``"<set>/<name>"``).

    Read from ``timing.json`` in the folder (an object mapping ``"<task>/<set>/<name>"`` or
    ``"<set>/<name>"`` to seconds), else from ``timing.csv`` in the folder or beside it with columns
    ``set`` (``<task>/<set>``), ``name`` and ``fuse_s``, and optionally ``peer`` (then only the rows
    whose peer is the folder's name): the layout of ``shared/peers``. Empty when neither exists.

    Raises
    ------
    InvalidImageError
        A timing file that cannot be parsed.
    """
    import csv

    root = Path(root).resolve()
    out: dict[str, float] = {}
    js = root / "timing.json"
    try:
        if js.is_file():
            data = json.loads(js.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("expected an object of name to seconds")
            out = {str(k): float(v) for k, v in data.items()}
        else:
            for f in (root / "timing.csv", root.parent / "timing.csv"):
                if f.is_file():
                    with open(f, encoding="utf-8", newline="") as fh:
                        for row in csv.DictReader(fh):
                            if "peer" in row and row["peer"] != root.name:
                                continue
                            out[f"{row['set']}/{row['name']}"] = float(row["fuse_s"])
                    break
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidImageError(f"timing file of results folder {root}: {exc}") from None
    for k, v in list(out.items()):
        if k.count("/") >= 2:
            out.setdefault(k.split("/", 1)[1], v)
    return out


def select_methods(methods: str | Sequence[str], task: str | None = None) -> list[str]:
    """Resolve ``"all"`` or a list of labels (optionally restricted to a task) to method labels;
    ``"all"`` in a list expands there to every registered method (of the task).

    Parameters
    ----------
    methods : "all" or list of str
        Registry names, labels ``NAME:KEY=VALUE``, ``results:FOLDER``, or ``"all"``.
    task : str, optional
        Keep only the task's methods.

    Returns
    -------
    list of str

    Raises
    ------
    UnknownNameError
        An unknown method.
    ParameterError
        An unknown task, or no method left.

    Examples
    --------
    >>> select_methods(["lp", "gff", "mertens"], task="ivif")
    ['lp', 'gff']
    """
    if task is not None and task not in TASKS:
        raise ParameterError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    given = [methods] if isinstance(methods, str) else list(methods)
    names = []
    for n in given:  # "all" expands to the (task's) registered methods, beside any other labels
        for m in ([m.name for m in list_methods(task)] if n == "all" else [n]):
            if m not in names:
                names.append(m)
    if "all" not in given:
        specs = [None if is_results_label(n) else get_method(parse_method_label(n)[0]) for n in names]
        if task is not None:
            names = [n for n, s in zip(names, specs) if s is None or task in s.tasks]
    if not names:
        raise ParameterError(f"no method selected (methods={methods!r}, task={task!r})")
    return names


def _weights_hash(method: str, params: dict[str, Any] | None = None) -> str:
    """Hash of the method's weights: the file given as its ``weights`` parameter, else the shipped
    one of its first network, plus its other networks' shipped files (``MethodSpec.networks``) and a
    file named by a ``classifier`` parameter; "" for methods without networks."""
    spec = get_method(method)
    params = params or {}
    if spec.published and (not spec.networks or params.get("weights") == "authors"):
        # the authors' files: their registered SHA-256 (checked whenever they are read)
        from ..nn.published import get_weight_file

        own = [sha256_file(Path(params["weights"]))] if params.get("weights") not in (None, "", "authors") else []
        return "+".join(own + [get_weight_file(n).sha256 for n in spec.published])
    if not spec.networks:
        return ""  # a classical method: nothing of torch is imported
    from ..nn.registry import shipped_weights_files

    files = list(shipped_weights_files(spec.networks))
    if params.get("weights"):
        files[:1] = [Path(params["weights"])]
    files += [Path(params[k]) for k in ("classifier",) if params.get(k)]
    return "+".join(sha256_file(f) for f in files)


def cache_key(method: str, weights_hash: str, params: dict[str, Any], source_hashes: Sequence[str]) -> str:
    """The cache key of one fused result: SHA-256 of (method, weights hash, parameters, sources).

    Parameters
    ----------
    method : str
        The registry name.
    weights_hash : str
        SHA-256 of the weights files ("" for classical methods).
    params : dict
        The method's parameters (defaults filled in).
    source_hashes : sequence of str
        SHA-256 of each source file.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> a = cache_key("lp", "", {"levels": 4}, ["ab12", "cd34"])
    >>> len(a), a == cache_key("lp", "", {"levels": 5}, ["ab12", "cd34"])
    (64, False)
    """
    blob = json.dumps({"v": CACHE_VERSION, "method": method, "weights": weights_hash,
                       "params": {k: repr(v) for k, v in sorted(params.items())}, "sources": list(source_hashes)},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _record_path(out: Path, key: str) -> Path:
    return out / "cache" / key[:2] / f"{key}.json"


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass
class _Job:
    method: str
    params: dict[str, Any]
    dataset: str
    out: Path
    fused_dir: Path
    items: list[tuple[str, list[Path], str]]  # (image name, source paths, cache key)


def _run_job(job: _Job) -> tuple[int, list[str]]:
    """Worker: fuse the job's images that lack a cached fused image (checked pair by pair, so a job
    that Dask reruns after its worker died skips what was written). The process's peak resident memory
    is reset when the job starts (:func:`imagefusion.runtime.reset_peak_rss`), so the peak recorded with
    each fused image is what the process held before the job plus the method's own peak. The first
    pair is fused once untimed before it is timed, so no pair's time includes the warm-up (loading
    weights, first-call set-up).

    Returns (fusions performed, messages about failed pairs)."""
    from ..fusion import fuse, load_sources

    reset_peak_rss()

    fusions = 0
    failures = []
    warmed = False
    for name, files, key in job.items:
        record = _read_record(_record_path(job.out, key)) or {}
        target = job.fused_dir / f"{name}.png"
        if "ms" in record and target.exists():
            continue
        try:
            images, _ = load_sources(files)  # decoding is not timed
            if not warmed:  # the job's first call loads weights and warms caches: run it once untimed
                fuse(images, job.method, **job.params)
                warmed = True
            t0 = time.perf_counter()
            fused = fuse(images, job.method, **job.params)
            ms = (time.perf_counter() - t0) * 1000.0
            write_image(target, fused, protect=files)
        except ImageFusionError as exc:
            failures.append(f"{job.dataset}/{name} with {job.method}: {exc}")
            continue
        fusions += 1
        record = {"method": job.method, "image": name, "ms": ms, "rss_mib": peak_rss_mib(), "metrics": {}}
        write_bytes_atomic(_record_path(job.out, key), json.dumps(record, indent=1).encode())
    return fusions, failures


@dataclass
class _ScoreJob:
    dataset: str
    image: str
    files: list[Path]
    items: list[tuple[str, Path, str]]  # (method label, fused image, cache key)
    out: Path
    metrics: list[str]
    convention: str


def _score_job(job: _ScoreJob) -> list[str]:
    """Worker: score every method's fused image of one pair, sharing the sources' intermediate
    results between the methods (:mod:`imagefusion.metrics._cache`). Returns messages about
    failures."""
    from ..metrics import evaluate, load_image, shared_features

    failures = []
    try:
        sources = [load_image(f, str(f)) for f in job.files]
    except ImageFusionError as exc:
        return [f"{job.dataset}/{job.image} (metrics): {exc}"]
    with shared_features():
        for method, fused, key in job.items:
            record = _read_record(_record_path(job.out, key))
            if record is None or "ms" not in record:
                continue  # the fusion failed (reported by its job)
            have = record.setdefault("metrics", {}).setdefault(job.convention, {})
            missing = [m for m in job.metrics if m not in have]
            if not missing:
                continue
            try:
                values = evaluate(fused, sources, missing, convention=job.convention)
            except ImageFusionError as exc:
                failures.append(f"{job.dataset}/{job.image} with {method} (metrics): {exc}")
                continue
            have.update({k: (v if math.isfinite(v) else repr(v)) for k, v in values.items()})
            write_bytes_atomic(_record_path(job.out, key), json.dumps(record, indent=1).encode())
    return failures


def run_bench(
    methods: str | Sequence[str],
    datasets: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    metrics: str | Sequence[str] = "all",
    convention: str = DEFAULT_CONVENTION,
    task: str | None = None,
    workers: int = 1,
    scheduler: Any = None,
    params: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    report: bool = True,
    refresh: Sequence[str] = (),
) -> BenchResult:
    """Benchmark methods on paired datasets: fuse, time, measure memory, score, report.

    Parameters
    ----------
    methods : "all" or list of str
        Registry names (with ``task``, only the task's methods are kept), or labels
        ``NAME:KEY=VALUE[:...]`` for a method with non-default parameters
        (:func:`parse_method_label`); a label names its column in the reports.
    datasets : list of path
        Paired folders in the ``shared/data`` layout (one sub-folder per source, matching names).
    out : path
        Output folder: ``fused/<dataset>/<method>/<name>.png``, ``cache/``, ``results.csv``,
        ``report.md``, ``report.html``, ``plots/``.
    metrics : "all" or list of str
    convention : {"vifb", "mefb", "cddfuse"}
    task : {"ivif", "mif", "mff", "mef"}, optional
        Keep only the task's methods.
    workers : int, default 1
        Worker processes of a Dask ``LocalCluster`` (:class:`imagefusion.cluster.JobRunner`; one worker
        runs the jobs in this process). Results are identical for any number; times are measured while
        the other workers run, so they are comparable only between runs with the same ``workers``.
    scheduler : str or distributed.Client, optional
        ``"local"`` (a ``LocalCluster`` even for one worker), a running Dask cluster's address
        (``tcp://HOST:PORT``) or scheduler file (``.json``), or a ``distributed.Client``; its workers see
        ``out`` and the datasets at the same paths. A lost worker loses at most the pair in progress.
    params : dict of method name to dict, optional
        Non-default parameters per method (they are part of the cache key).
    progress : callable, optional
        ``progress(done_jobs, total_jobs)``.
    report : bool, default True
        Write the CSV, Markdown and HTML reports and the plots.
    refresh : list of str, optional
        Labels (as in ``methods``) whose cached results are discarded and made again: after a change to a
        method's code, which the cache key (name, weights, parameters, sources) cannot see.

    Returns
    -------
    BenchResult

    Raises
    ------
    InvalidImageError
        A dataset that is not a paired folder; two datasets with the same folder name.
    UnknownNameError
        An unknown method or metric.
    ParameterError
        ``workers`` < 1 or no method selected.
    DependencyError
        More than one worker or a scheduler, and Dask is not installed.
    OutputError
        The scheduler cannot be reached.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from imagefusion.io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> for name in ("p1", "p2"):
    ...     for sub in ("ir", "vi"):
    ...         _ = write_image(root / "set" / sub / f"{name}.png", rng.random((32, 32)))
    >>> result = run_bench(["average", "lp"], [root / "set"], root / "out", metrics=["en", "qabf"], report=False)
    >>> [(s.method, round(s.metrics["qabf"][0], 3)) for s in result.summaries]
    [('average', 0.296), ('lp', 0.307)]
    >>> again = run_bench(["average", "lp"], [root / "set"], root / "out", metrics=["en", "qabf"], report=False)
    >>> again.fusions_run  # cached: nothing fused again
    0
    """
    t_start = time.perf_counter()
    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    if convention not in CONVENTIONS:
        raise UnknownNameError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    method_names, results_dirs = _resolve_labels(select_methods(methods, task))
    metric_names = [m.name for m in list_metrics()] if metrics == "all" else [
        get_metric(m).name for m in ([metrics] if isinstance(metrics, str) else metrics)]
    params, refresh = params or {}, _refresh_labels(refresh, method_names)
    for m in params:
        if m not in method_names:
            raise ParameterError(f"parameters given for {m!r}, which is not benchmarked")
    out = Path(out)
    _remove_stale(out)
    pairs, roots = _read_datasets(datasets)
    plan = _Plan(out, pairs, roots, metric_names, convention, refresh)
    for method in method_names:
        if method in results_dirs:
            plan.add_results(method, results_dirs[method])
        else:
            plan.add_method(method, params.get(method, {}))
    fusions, failures = _execute(plan, method_names, workers, scheduler, progress)
    rows = plan.rows(method_names)
    summaries = _summarise(rows, method_names, list(pairs), metric_names)
    result = BenchResult(method_names, list(pairs), metric_names, convention, rows, summaries,
                         machine_description(), plan.fused_dirs, pairs, fusions, 0.0, roots, plan.fused_files, plan.notes)
    result.seconds = time.perf_counter() - t_start
    if failures:
        out.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(out / "failures.txt", ("\n".join(failures) + "\n").encode())
    else:
        (out / "failures.txt").unlink(missing_ok=True)  # a rerun with no failures drops an old list
    if report:
        from .report import write_reports

        write_reports(result, out)
    return result


def _remove_stale(out: Path) -> None:
    """Delete the temporaries a killed run left behind in ``out``."""
    if out.is_dir():
        from ..io import remove_stale_temporaries

        for folder in {p.parent for p in out.rglob(".if-*.part")}:
            remove_stale_temporaries(folder)


def _refresh_labels(refresh: str | Sequence[str], method_names: list[str]) -> list[str]:
    """``refresh`` as the run's labels (``results:PATH`` as ``results:<folder name>``); each must be benchmarked."""
    labels = [refresh] if isinstance(refresh, str) else list(refresh)
    labels = [results_label(m[len(RESULTS_PREFIX):]) if is_results_label(m) else m for m in labels]
    for m in labels:
        if m not in method_names:
            raise ParameterError(f"--refresh names {m!r}, which is not benchmarked")
    return labels


def _resolve_labels(given: Sequence[str]) -> tuple[list[str], dict[str, Path]]:
    """The run's method labels, each once (``results:PATH`` shown as ``results:<folder name>``), and
    the results folders by label."""
    results_dirs: dict[str, Path] = {}
    method_names: list[str] = []
    for label in given:
        if is_results_label(label):
            path = Path(label[len(RESULTS_PREFIX):])
            if not path.is_dir():
                raise InvalidImageError(f"results folder {path}: not a folder")
            short = results_label(path)
            if short in results_dirs and results_dirs[short] != path.resolve():
                raise ParameterError(f"two results folders named {path.resolve().name!r}: {results_dirs[short]} and {path}")
            results_dirs[short] = path.resolve()
            label = short
        if label not in method_names:
            method_names.append(label)
    return method_names, results_dirs


def _read_datasets(datasets: Sequence[str | os.PathLike]) -> tuple[dict[str, dict[str, list[Path]]], dict[str, Path]]:
    """Each dataset's pairs and root, by the dataset's folder name (two with one name are an error)."""
    pairs: dict[str, dict[str, list[Path]]] = {}
    roots: dict[str, Path] = {}
    for d in datasets:
        ps = find_pairs(d)
        name = Path(d).resolve().name
        if name in pairs:
            raise InvalidImageError(f"two datasets named {name!r}: {roots[name]} and {d}")
        pairs[name] = ps.pairs
        roots[name] = Path(d)
    return pairs, roots


class _Plan:
    """What a bench run must do, from its cache: the fusion jobs, the pairs to score, and where every
    (dataset, method, pair) result lives."""

    def __init__(self, out: Path, pairs: dict[str, dict[str, list[Path]]], roots: dict[str, Path],
                 metric_names: list[str], convention: str, refresh: list[str]) -> None:
        self.out, self.pairs, self.roots = out, pairs, roots
        self.metric_names, self.convention, self.refresh = metric_names, convention, refresh
        self.hashes = {ds: {n: [sha256_file(f) for f in files] for n, files in p.items()} for ds, p in pairs.items()}
        self.jobs: list[_Job] = []
        self.fused_dirs: dict[tuple[str, str], Path] = {}
        self.fused_files: dict[tuple[str, str, str], Path] = {}
        self.keys: dict[tuple[str, str, str], str] = {}
        self.to_score: set[tuple[str, str]] = set()  # (dataset, image) with a result lacking a metric
        self.notes: list[str] = []

    def _record(self, method: str, key: str) -> dict[str, Any] | None:
        if method in self.refresh:
            _record_path(self.out, key).unlink(missing_ok=True)
        return _read_record(_record_path(self.out, key))

    def _scored(self, rec: dict[str, Any] | None) -> bool:
        return rec is not None and all(m in rec.get("metrics", {}).get(self.convention, {}) for m in self.metric_names)

    def add_results(self, method: str, folder: Path) -> None:
        """A folder of fused images made elsewhere: recorded with the folder's times, scored where needed."""
        timing = results_timing(folder)
        for ds, ds_pairs in self.pairs.items():
            found = results_folder(folder, self.roots[ds], list(ds_pairs))
            if found is None:
                self.notes.append(f"{method} has no results for {ds} (no folder {ds} in {folder})")
                continue
            self.fused_dirs[ds, method] = next(iter(found.values())).parent
            task_name = self.roots[ds].resolve().parent.name
            for name, f in found.items():
                # keyed by the fused file's contents: a replaced image is scored again
                key = cache_key(RESULTS_PREFIX, sha256_file(f), {}, self.hashes[ds][name])
                self.keys[ds, method, name] = key
                self.fused_files[ds, method, name] = f
                rec = self._record(method, key)
                if rec is None or "ms" not in rec:
                    secs = timing.get(f"{task_name}/{ds}/{name}", timing.get(f"{ds}/{name}"))
                    rec = {"method": method, "image": name, "ms": None if secs is None else secs * 1000.0,
                           "rss_mib": None, "metrics": {}}
                    write_bytes_atomic(_record_path(self.out, key), json.dumps(rec, indent=1).encode())
                if not self._scored(rec):
                    self.to_score.add((ds, name))

    def add_method(self, method: str, extra_params: dict[str, Any]) -> None:
        """A registered method (label with parameters): a fusion job per dataset for the pairs the cache lacks."""
        base, label_params = parse_method_label(method)
        spec = get_method(base)
        mparams = spec.check_params({**label_params, **extra_params})
        kparams = spec.resolved_params(mparams)  # two spellings of the same weights share their results
        whash = _weights_hash(base, kparams)
        for ds, ds_pairs in self.pairs.items():
            fdir = self.out / "fused" / ds / label_dirname(method)
            self.fused_dirs[ds, method] = fdir
            todo = []
            for name, files in ds_pairs.items():
                key = cache_key(base, whash, kparams, self.hashes[ds][name])
                self.keys[ds, method, name] = key
                self.fused_files[ds, method, name] = fdir / f"{name}.png"
                rec = self._record(method, key)
                # a record restored without its image (``"restored": true``, as benchmarks/build/peer_tables.py
                # restores the records it keeps) is the whole result once it is scored
                fused_ok = rec is not None and "ms" in rec and (
                    (fdir / f"{name}.png").exists() or (rec.get("restored", False) and self._scored(rec)))
                if not fused_ok:
                    todo.append((name, files, key))
                if not fused_ok or not self._scored(rec):
                    self.to_score.add((ds, name))
            if todo:
                self.jobs.append(_Job(base, mparams, ds, self.out, fdir, todo))

    def score_jobs(self, method_names: list[str]) -> list[_ScoreJob]:
        return [_ScoreJob(ds, name, self.pairs[ds][name],
                          [(m, self.fused_files[ds, m, name], self.keys[ds, m, name]) for m in method_names
                           if (ds, m, name) in self.keys],
                          self.out, self.metric_names, self.convention)
                for ds, name in sorted(self.to_score)]

    def rows(self, method_names: list[str]) -> list[dict[str, Any]]:
        """One row per (dataset, method, pair) with a result: time, memory and every metric."""
        rows: list[dict[str, Any]] = []
        for ds, ds_pairs in self.pairs.items():
            for method in method_names:
                for name in ds_pairs:
                    if (ds, method, name) not in self.keys:
                        continue  # a results folder without this dataset
                    rec = _read_record(_record_path(self.out, self.keys[ds, method, name]))
                    if rec is None or "ms" not in rec:
                        continue  # failed pair (reported in failures)
                    vals = rec["metrics"].get(self.convention, {})
                    row = {"dataset": ds, "method": method, "image": name, "ms": _num(rec["ms"]),
                           "rss_mib": _num(rec.get("rss_mib"))}
                    # non-finite values are stored as the text "nan" / "inf", which float() reads
                    row.update({m: float(vals.get(m, "nan")) for m in self.metric_names})
                    rows.append(row)
        return rows


def _execute(plan: _Plan, method_names: list[str], workers: int, scheduler: Any,
             progress: Callable[[int, int], None] | None) -> tuple[int, list[str]]:
    """Run the plan's fusion jobs, then its scoring jobs; return (fusions run, failure messages)."""
    from ..cluster import JobRunner

    fusions = 0
    failures: list[str] = []
    total = len(plan.jobs) + len(plan.to_score)
    if progress is not None:
        progress(0, total)
    with JobRunner(workers, scheduler) as runner:
        done = 0
        for job, res in runner.map(_run_job, plan.jobs):
            if isinstance(res, Exception):  # Dask's KilledWorker: the job's worker died three times
                failures.append(f"{job.dataset} with {job.method}: its worker died ({res})")
            else:
                fusions += res[0]
                failures.extend(res[1])
            done += 1
            if progress is not None:
                progress(done, total)
        for sjob, res in runner.map(_score_job, plan.score_jobs(method_names)):
            failures.extend([f"{sjob.dataset}/{sjob.image} (metrics): its worker died ({res})"]
                            if isinstance(res, Exception) else res)
            done += 1
            if progress is not None:
                progress(done, total)
    return fusions, failures


def _num(v: Any) -> float:
    """A record's number, NaN for None (no time or memory known for an external result)."""
    return float("nan") if v is None else float(v)


def _summarise(rows: list[dict[str, Any]], methods: list[str], datasets: list[str], metrics: list[str]) -> list[MethodSummary]:
    out = []
    for ds in datasets:
        per_method = []
        for method in methods:
            rs = [r for r in rows if r["dataset"] == ds and r["method"] == method]
            if not rs:
                continue
            stats = {}
            left: dict[str, int] = {}
            for m in metrics:
                vals = [r[m] for r in rs if math.isfinite(r[m])]
                if len(vals) < len(rs):
                    left[m] = len(rs) - len(vals)
                if vals:
                    stats[m] = (float(np.mean(vals)), float(np.std(vals)))
                else:
                    stats[m] = (float("nan"), float("nan"))
            ms = [r["ms"] for r in rs if math.isfinite(r["ms"])]
            rss = [r["rss_mib"] for r in rs if math.isfinite(r["rss_mib"])]
            per_method.append(MethodSummary(method, ds, statistics.median(ms) if ms else float("nan"),
                                            max(rss) if rss else float("nan"), stats, left_out=left))
        ranks: dict[str, list[float]] = {s.method: [] for s in per_method}
        for m in metrics:
            key = metric_sort_key(m)
            scored = [(key(s.metrics[m][0]), s.method) for s in per_method if math.isfinite(s.metrics[m][0])]
            if len(scored) < 2:
                continue
            ordered = sorted(v for v, _ in scored)
            for v, method in scored:
                # average rank for ties
                first = ordered.index(v) + 1
                last = len(ordered) - ordered[::-1].index(v)
                ranks[method].append((first + last) / 2)
        for s in per_method:
            s.mean_rank = float(np.mean(ranks[s.method])) if ranks[s.method] else float("nan")
        out.extend(per_method)
    return out
