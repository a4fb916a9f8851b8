"""Which method for a task: the measured ranking, the defaults, and the task a set of sources implies.

The ranking is measured by ``benchmarks/build/peer_tables.py`` (one ``imagefusion bench`` run per task on
every set the project has for it, scored with that task's benchmark metrics: VIFB's 13 for
infrared–visible, MFIFB's 20 for multi-focus, MEFB's 20 for multi-exposure, CDDFuse's 8 for
medical) and shipped as ``imagefusion/data/method_ranking.json``; ``benchmarks/build/default_speed.py``
adds each task's default. ``imagefusion methods --task``, ``imagefusion fuse``,
:func:`imagefusion.fuse`, ``imagefusion demo``, the web page and the docs' tables read that one file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .registry import get_method, list_methods

__all__ = ["method_ranking", "ranking_entry", "best_method", "default_method", "infer_task", "task_from_folders",
           "FALLBACK_METHOD"]


#: The method :func:`imagefusion.fuse` uses when neither a method nor a task is known: listed for all
#: four tasks, offline, fast, and it passes the safety test on each.
FALLBACK_METHOD = "lp"

#: Source folder names → task (the ``shared/data`` layout): ``ir``/``vi``, ``ct|pet|spect``/``mri``,
#: ``a``/``b``, ``under``/``over``.
_FOLDER_TASKS = (({"ir", "vi"}, "ivif"), ({"a", "b"}, "mff"), ({"under", "over"}, "mef"),
                 ({"ct", "mri"}, "mif"), ({"pet", "mri"}, "mif"), ({"spect", "mri"}, "mif"))


def task_from_folders(names: Sequence[str]) -> str | None:
    """The task that a set of source folder names implies, or None.

    Parameters
    ----------
    names : sequence of str
        The names of the folders holding the sources (``["ir", "vi"]``); case is ignored.

    Returns
    -------
    {"ivif", "mif", "mff", "mef"} or None

    Examples
    --------
    >>> task_from_folders(["under", "over"]), task_from_folders(["PET", "MRI"]), task_from_folders(["x", "y"])
    ('mef', 'mif', None)
    """
    got = {n.lower() for n in names}
    for folders, task in _FOLDER_TASKS:
        if got == folders:
            return task
    return None


def ranking_entry(task: str) -> dict[str, Any]:
    """What the ranking file says of one task: ``sets``, ``metrics``, ``convention``, ``metric_set``,
    ``command``, ``ranking``, ``default`` and ``timed`` (see the module docstring); {} when absent.

    Parameters
    ----------
    task : str

    Returns
    -------
    dict

    Examples
    --------
    >>> entry = ranking_entry("ivif")
    >>> entry["convention"], len(entry["metrics"])
    ('vifb', 13)
    """
    entry = _ranking_file().get(task, {})
    return entry if isinstance(entry, dict) else {}


def _ranking_file() -> dict[str, Any]:
    """``imagefusion/data/method_ranking.json`` (written by ``benchmarks/build/peer_tables.py`` and
    ``benchmarks/build/default_speed.py``), or {} when it cannot be read."""
    import json
    from importlib import resources

    try:
        data = json.loads(resources.files("imagefusion").joinpath("data/method_ranking.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def method_ranking(task: str) -> list[tuple[str, float]]:
    """The registered methods of a task, best first, with their measured mean rank.

    Measured by ``benchmarks/build/peer_tables.py`` (module docstring; each method with its default
    parameters, ranked among the task's methods on each set over the task's metrics, the ranks
    averaged over the sets); the docs' benchmark page shows the tables it comes from. Methods of the task that were not measured follow, unranked (NaN).

    Parameters
    ----------
    task : {"ivif", "mif", "mff", "mef"}

    Returns
    -------
    list of (method name, mean rank over the metrics and the task's sets; 1 = best everywhere)

    Raises
    ------
    UnknownNameError
        ``task`` is not one of :data:`TASKS`.

    Examples
    --------
    >>> name, score = method_ranking("mff")[0]
    >>> name in {spec.name for spec in list_methods("mff")}
    True
    """
    listed = [s.name for s in list_methods(task)]
    try:
        ranked = [(r["method"], float(r["mean_rank"])) for r in _ranking_file().get(task, {}).get("ranking", [])]
    except (KeyError, TypeError, ValueError):
        ranked = []
    ranked = [(m, v) for m, v in ranked if m in listed]
    seen = {m for m, _ in ranked}
    return ranked + [(m, float("nan")) for m in listed if m not in seen]


def best_method(task: str | None) -> str:
    """The best measured method of a task (:func:`method_ranking`), or :data:`FALLBACK_METHOD`
    when ``task`` is None.

    Parameters
    ----------
    task : {"ivif", "mif", "mff", "mef"} or None

    Returns
    -------
    str, a registry name

    Raises
    ------
    UnknownNameError
        An unknown task.

    Examples
    --------
    >>> best_method(None)
    'lp'
    """
    if task is None:
        return FALLBACK_METHOD
    return method_ranking(task)[0][0]


def default_method(task: str | None) -> str:
    """The method ``imagefusion fuse``, :func:`imagefusion.fuse`, ``imagefusion demo`` and the web page
    use for a task: the best-ranked method that needs no download and fuses a 640×480 pair in at most
    3 s (measured by ``benchmarks/build/default_speed.py`` into the ranking file); :data:`FALLBACK_METHOD`
    when the task is unknown. :func:`best_method` is the best measured one, which may be slower or
    need a download.

    Parameters
    ----------
    task : {"ivif", "mif", "mff", "mef"} or None

    Returns
    -------
    str, a registry name

    Raises
    ------
    UnknownNameError
        An unknown task.

    Examples
    --------
    >>> default_method(None), default_method("mif") in {spec.name for spec in list_methods("mif")}
    ('lp', True)
    >>> get_method(default_method("ivif")).downloads
    ''
    """
    if task is None:
        return FALLBACK_METHOD
    ranking = method_ranking(task)
    chosen = (_ranking_file().get(task, {}).get("default") or {}).get("method")
    if chosen in {m for m, _ in ranking}:
        return chosen
    return next(m for m, _ in ranking if not get_method(m).downloads)


def infer_task(sources: Sequence[Any]) -> str | None:
    """The task that the folder names of source files imply (``.../ir/01.png``, ``.../vi/01.png`` →
    ``"ivif"``), or None (arrays, or folders that name no task).

    Parameters
    ----------
    sources : sequence of path or ndarray

    Returns
    -------
    {"ivif", "mif", "mff", "mef"} or None

    Examples
    --------
    >>> infer_task(["data/ct/11.png", "data/mri/11.png"]), infer_task(["a.png", "b.png"])
    ('mif', None)
    """
    import os
    from pathlib import Path

    if not sources or not all(isinstance(s, (str, os.PathLike)) for s in sources):
        return None
    return task_from_folders([Path(s).resolve().parent.name for s in sources])
