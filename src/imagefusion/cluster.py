"""Where batch and benchmark jobs run: in this process, on a Dask ``LocalCluster``, or on a Dask cluster.

``imagefusion bench`` splits its work into fusion jobs (one per method and dataset) and scoring jobs
(one per pair); ``imagefusion fuse --pairs`` into one job per pair. Every job writes its results
atomically into the output folder, and the folder (the bench's cache) is the source of truth: a job
skips what is already there. So a worker that dies loses at most the pair it was on (Dask gives the
job to another worker, which skips the pairs already written), and a client that is killed resumes,
when run again, with nothing redone and nothing lost.

* One worker and no scheduler: the jobs run here, one after another; no cluster is started.
* ``workers`` > 1, or ``scheduler="local"``: a ``distributed.LocalCluster`` of ``workers`` processes,
  each running one job at a time with ``cores // workers`` threads inside it
  (:func:`imagefusion.runtime.threads`), started for the run and closed after it. Its worker processes exit when this
  process dies, even by SIGKILL (each watches a pipe to its parent).
* ``scheduler="tcp://HOST:PORT"`` (or a scheduler file, ``*.json``): an existing cluster, e.g.
  ``dask scheduler`` and ``dask worker`` processes on a lab's machines. Its workers need imagefusion
  installed and must see the same file paths (a shared file system).

Dask is an optional dependency: ``pip install 'imagefusion[dask]'``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import DependencyError, ImageFusionError, ParameterError

__all__ = ["JobRunner", "require_dask"]

J = TypeVar("J")
log = logging.getLogger("imagefusion.cluster")


def require_dask(what: str) -> None:
    """Raise :class:`DependencyError` with the install command when ``dask.distributed`` is missing.

    Parameters
    ----------
    what : str
        What needs it, for the message (``"--workers 2"``).

    Raises
    ------
    DependencyError
        ``distributed`` cannot be imported.

    Examples
    --------
    >>> require_dask("--workers 2")  # nothing happens where dask.distributed is installed
    """
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise DependencyError(f"{what} needs Dask: pip install 'imagefusion[dask]'")


#: How long connecting to a running Dask scheduler may take before a one-line error.
CONNECT_TIMEOUT = "20s"


def _scheduler_address(scheduler: str) -> str:
    """The address of ``--scheduler``: as given (``tcp://HOST:PORT``), or read from a scheduler file
    (``*.json``, as ``dask scheduler --scheduler-file`` writes it), checked instead of waiting for it."""
    import json

    from .errors import OutputError, ParameterError

    if not scheduler.endswith(".json"):
        if "://" not in scheduler and ":" not in scheduler:
            raise ParameterError(f"--scheduler {scheduler!r}: give tcp://HOST:PORT, a scheduler .json file, or local")
        return scheduler
    path = Path(scheduler)
    if not path.is_file():
        raise OutputError(f"--scheduler {scheduler}: no such scheduler file (start the scheduler with "
                          "--scheduler-file, or give tcp://HOST:PORT)")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"--scheduler {scheduler}: not a Dask scheduler file (not valid JSON: {exc})") from None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or not address:
        raise OutputError(f"--scheduler {scheduler}: not a Dask scheduler file (no \"address\" entry)")
    return address


def _lost_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a client raises when its scheduler goes away."""
    import asyncio
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError  # map() runs on Dask only, so distributed is here

    errors: list[type[BaseException]] = [OSError, TimeoutError, asyncio.CancelledError, CancelledError, CommClosedError]
    try:
        from distributed.client import FutureCancelledError  # newer distributed releases only
    except ImportError:
        return tuple(errors)
    return (*errors, FutureCancelledError)


class JobRunner:
    """Run independent jobs here or on Dask, yielding each result as its job finishes.

    A context manager: entering it starts the ``LocalCluster`` or connects to the scheduler (nothing
    for in-process runs); leaving it closes the client and any cluster it started.

    Parameters
    ----------
    workers : int, default 1
        Worker processes of a ``LocalCluster`` (1 with no ``scheduler``: run in this process). Ignored
        with a scheduler address, whose cluster has its own workers.
    scheduler : str or distributed.Client, optional
        ``None`` (see ``workers``), ``"local"`` (a ``LocalCluster`` even for one worker), the address
        of a running Dask scheduler (``tcp://10.0.0.5:8786``), the path of its scheduler file
        (``.json``), or a connected ``distributed.Client`` (used as it is, and left open).

    Attributes
    ----------
    dashboard : str or None
        The Dask dashboard's address (None in process, or where the cluster has none); logged at level
        DEBUG (shown by ``imagefusion --verbose``).

    Raises
    ------
    ParameterError
        ``workers`` < 1.
    DependencyError
        Dask is needed (more than one worker, or a scheduler) and not installed.
    OutputError
        The scheduler cannot be reached (within 30 s).
    ImageFusionError
        The ``LocalCluster`` cannot start (its worker processes import the calling script: a script
        must start it under ``if __name__ == "__main__":``).

    Examples
    --------
    >>> with JobRunner(workers=1) as runner:
    ...     sorted(r for _, r in runner.map(abs, [-2, 1, -3]))
    [1, 2, 3]
    """

    def __init__(self, workers: int = 1, scheduler: Any = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ParameterError(f"workers must be an integer >= 1, got {workers!r}")
        cpus = os.cpu_count() or 1
        if scheduler is None and workers > cpus:  # more processes than cores only queue (and 1000 never start)
            log.warning("--workers %d: capped at this machine's %d CPU core(s)", workers, cpus)
            workers = cpus
        self.workers = workers
        self.scheduler = scheduler
        self.inline = scheduler is None and workers == 1
        if not self.inline:
            require_dask(f"--workers {workers}" if scheduler is None else f"--scheduler {scheduler}")
        self.client: Any = None
        self.cluster: Any = None
        self.dashboard: str | None = None
        self._own_client = not hasattr(scheduler, "submit")

    def __enter__(self) -> JobRunner:
        if self.inline:
            return self
        from distributed import Client, LocalCluster

        from .errors import OutputError

        if not log.isEnabledFor(logging.DEBUG):  # Dask's own INFO lines (scheduler, nannies) only with --verbose
            logging.getLogger("distributed").setLevel(logging.ERROR)

        if not self._own_client:
            self.client = self.scheduler
        elif self.scheduler in (None, "local"):
            import os

            per_worker = str(max(1, (os.cpu_count() or 1) // self.workers))  # no N × cores threads
            try:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
                                            env={"IMAGEFUSION_THREADS": per_worker})
            except RuntimeError as exc:  # e.g. a script without an ``if __name__ == "__main__":`` guard
                raise ImageFusionError(f"cannot start a Dask LocalCluster of {self.workers} worker(s): {exc} "
                                       "(a script must start it under if __name__ == '__main__':)") from None
            self.client = Client(self.cluster)
        else:
            address = _scheduler_address(str(self.scheduler))
            try:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise OutputError(f"--scheduler {self.scheduler}: cannot connect to {address} within "
                                  f"{CONNECT_TIMEOUT} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
        try:
            import bokeh  # noqa: F401  (the dashboard needs it)

            self.dashboard = self.client.dashboard_link
        except ImportError:
            self.dashboard = None
        log.debug("Dask: %s worker(s) at %s; dashboard %s", len(self.client.scheduler_info().get("workers", {})),
                 self.client.scheduler.address, self.dashboard or "not available (pip install bokeh)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None and self._own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def map(self, func: Callable[[J], Any], jobs: Sequence[J]) -> Iterator[tuple[J, Any]]:
        """Run ``func(job)`` for every job; yield ``(job, result)`` as each finishes.

        In process the jobs run in order. On Dask they run in any order; a job whose worker died
        three times (Dask's ``KilledWorker``, e.g. a method that runs out of memory) yields the
        exception as its result instead of stopping the run. Other exceptions are raised.

        Parameters
        ----------
        func : callable
            A module-level function (it is pickled to the workers).
        jobs : sequence
            Its arguments, one per job (picklable).

        Yields
        ------
        tuple of (job, result)
        """
        if self.inline:
            for job in jobs:
                yield job, func(job)
            return
        if self.client is None:
            raise RuntimeError("JobRunner.map outside its with-block")
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        run = uuid.uuid4().hex[:8]
        futures = {self.client.submit(func, job, pure=False, key=f"{getattr(func, '__name__', 'job')}-{run}-{i}"): job
                   for i, job in enumerate(jobs)}
        lost = _lost_errors()
        try:
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except KilledWorker as exc:
                    result = exc
                yield futures[fut], result
        except lost as exc:
            from .errors import OutputError

            where = getattr(getattr(self.client, "scheduler", None), "address", None) or self.scheduler or "local"
            raise OutputError(f"lost the Dask scheduler ({where}) mid-run ({type(exc).__name__}); rerun the same "
                              "command to resume: what finished is kept") from None
