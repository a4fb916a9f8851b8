"""Scaling of ``imagefusion bench`` on Dask: the classical methods × tno, lytro, ct-mri with VIFB's 13
metrics (convention ``vifb``), each run from an empty output folder, on

* ``local-1``: a ``LocalCluster`` of 1 worker process using both cores through its threads (what
  ``--workers 1 --scheduler local`` runs; the default ``--workers 1`` runs the same in process),
* ``local-1x1``: a ``LocalCluster`` of 1 worker process with one thread (``IMAGEFUSION_THREADS=1``):
  the single-core cost of every job,
* ``local-2``: a ``LocalCluster`` of 2 worker processes, one thread each (what ``--workers 2`` runs),
* ``cluster-2``: a ``dask scheduler`` and two ``dask worker`` processes (one thread each) started by
  this script as separate commands on this machine, reached by their address — the path a cluster
  user takes (``imagefusion bench --scheduler tcp://HOST:PORT``).

For each it prints the wall time, the speed-up over ``local-1`` and ``local-1x1``, whether every metric value equals
``local-1``'s, and, from Dask's task stream, the jobs' measured compute times: the total work of the
fusion and scoring phases and the longest job of each. From ``local-1x1``'s job costs it states the
speed-up to expect with more single-threaded workers (more cores), the bound max(total/n, longest job) per phase (the scoring phase starts when the
last fusion job ends), before scheduling overhead and memory bandwidth.

Run: ``python benchmarks/measure/dask_scaling.py [--data ../shared/data] [--out runs/dask-scaling]``
(about 15 minutes on 2 cores). Writes ``<out>/scaling.md`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster, get_task_stream

from imagefusion.bench import run_bench

METHODS = ["average", "max-abs", "contrast", "lp", "lp-similarity", "dwt", "dtcwt", "gff"]
DATASETS = ["ivif/tno", "mff/lytro", "medical/ct-mri"]
VIFB13 = ["ag", "ce", "ei", "en", "mi", "psnr", "qabf", "qcb", "qcv", "rmse", "sf", "ssim", "sd"]


def values(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(r[k] for k in ["dataset", "method", "image", *VIFB13]) for r in rows)


def phase_costs(stream: list[dict]) -> dict[str, tuple[int, float, float]]:
    """Per phase (fusion ``_run_job``, scoring ``_score_job``): jobs, total and longest compute s."""
    out = {}
    for phase, prefix in (("fusion", "_run_job"), ("scoring", "_score_job")):
        times = [sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute")
                 for t in stream if str(t["key"]).startswith(prefix)]
        out[phase] = (len(times), sum(times), max(times, default=0.0))
    return out


def run(client: Client, datasets: list[str], out: Path) -> tuple[float, dict, list[tuple]]:
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.time()
    with get_task_stream(client) as ts:
        result = run_bench(METHODS, datasets, out, metrics=VIFB13, convention="vifb", scheduler=client,
                           report=False)
    return time.time() - t0, phase_costs(ts.data), values(result.rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("runs/dask-scaling"))
    args = ap.parse_args()
    datasets = [str(args.data / d) for d in DATASETS]
    results: dict[str, tuple[float, dict, list]] = {}
    cores = os.cpu_count() or 1

    for name, n, threads in (("local-1", 1, cores), ("local-1x1", 1, 1), ("local-2", 2, max(1, cores // 2))):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          env={"IMAGEFUSION_THREADS": str(threads)}) as cluster, Client(cluster) as client:
            results[name] = run(client, datasets, args.out / name)
            print(f"{name}: {results[name][0]:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        sched_file = Path(tmp) / "scheduler.json"
        dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(sched_file)], stderr=subprocess.DEVNULL)]
        try:
            while not sched_file.exists():
                time.sleep(0.1)
            address = json.loads(sched_file.read_text())["address"]
            for _ in range(2):
                procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                               "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                                              stderr=subprocess.DEVNULL,
                                              env={**os.environ, "IMAGEFUSION_THREADS": str(max(1, cores // 2))}))
            with Client(address) as client:
                client.wait_for_workers(2, timeout=120)
                results["cluster-2"] = run(client, datasets, args.out / "cluster-2")
            print(f"cluster-2 ({address}): {results['cluster-2'][0]:.1f} s", flush=True)
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait(timeout=30)

    ref = results["local-1"][2]
    base, base1 = results["local-1"][0], results["local-1x1"][0]
    lines = [f"`python benchmarks/measure/dask_scaling.py` on {cores} cores: {len(METHODS)} classical methods "
             f"({', '.join(METHODS)}) × {', '.join(DATASETS)} ({len(ref) // len(METHODS)} pairs, "
             f"{len(ref)} fused images), VIFB's 13 metrics, each run from an empty output folder.", "",
             "| run | worker processes × threads | wall s | speed-up vs local-1 | vs local-1x1 | values equal local-1 "
             "| fusion jobs: n, total s, longest s | scoring jobs: n, total s, longest s |",
             "|---|---|---:|---:|---:|---|---|---|"]
    shape = {"local-1": f"1 × {cores}", "local-1x1": "1 × 1", "local-2": f"2 × {max(1, cores // 2)}",
             "cluster-2": f"2 × {max(1, cores // 2)} (dask scheduler + 2 dask worker)"}
    for name, (wall, costs, vals) in results.items():
        f, s = costs["fusion"], costs["scoring"]
        lines.append(f"| {name} | {shape[name]} | {wall:.1f} | {base / wall:.2f} | {base1 / wall:.2f} | "
                     f"{'yes' if vals == ref else 'NO'} | {f[0]}, {f[1]:.1f}, {f[2]:.1f} | {s[0]}, {s[1]:.1f}, {s[2]:.1f} |")
    f, s = results["local-1x1"][1]["fusion"], results["local-1x1"][1]["scoring"]
    work = f[1] + s[1]
    overhead = max(0.0, base1 - work)
    lines += ["", f"Expected speed-up over one single-threaded worker with n single-threaded workers (n cores), from "
              f"local-1x1's job costs: {work:.1f} s of jobs + {overhead:.1f} s outside them (cluster start, "
              "hashing the sources, collecting the rows), each phase bound by max(total / n, longest job):", "",
              "| workers | " + " | ".join(str(n) for n in (1, 2, 4, 8, 16, 32)) + " |",
              "|---|" + "---:|" * 6]
    row = []
    for n in (1, 2, 4, 8, 16, 32):
        t = max(f[1] / n, f[2]) + max(s[1] / n, s[2]) + overhead
        row.append(f"{base1 / t:.1f}")
    lines.append("| expected speed-up | " + " | ".join(row) + " |")
    text = "\n".join(lines) + "\n"
    (args.out / "scaling.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
