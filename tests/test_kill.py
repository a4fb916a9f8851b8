"""Killed at random moments (SIGKILL, seeded), ``imagefusion bench`` and ``fuse --pairs`` resume to
outputs byte-identical to an uninterrupted run, leave no process behind and no temporary file."""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(p)
    return alive


def _kill_at_random(cmd: list[str], seed: int, kills: int, low: float, high: float) -> None:
    rng = random.Random(seed)
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(low, high))
        kids = _descendants(proc.pid)
        proc.kill()
        proc.wait()
        deadline = time.time() + 15
        while _alive(kids) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(kids), f"processes left behind after SIGKILL: {sorted(_alive(kids))}"


def _files(root: Path, pattern: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob(pattern))}


def _copy_small_set(data_dir: Path, where: Path) -> Path:
    root = where / "ct-mri"
    for sub in ("ct", "mri"):
        (root / sub).mkdir(parents=True)
        for n in ("11", "12", "13", "14"):
            shutil.copy(data_dir / "medical/ct-mri" / sub / f"{n}.png", root / sub / f"{n}.png")
    return root


@pytest.fixture()
def small_set(tmp_path, data_dir) -> Path:
    return _copy_small_set(data_dir, tmp_path)


def _bench_cmd(small_set: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "imagefusion.cli", "bench", "--datasets", str(small_set), "--methods",
            "average,lp,gff,dwt", "--metrics", "en,qabf,ssim,mi", "--convention", "vifb", "--workers", "2",
            "--out", str(out)]


def _values(path: Path) -> list[tuple]:  # times and memory differ between runs; the values do not
    with open(path, newline="") as fh:
        return [tuple(r[k] for k in ("dataset", "method", "image", "en", "qabf", "ssim", "mi"))
                for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def bench_reference(tmp_path_factory, data_dir) -> tuple[Path, Path, float]:
    """An undisturbed bench run of the small set, shared by the bench tests (one xdist group, so one
    worker runs both): the set, the run's folder and its wall seconds."""
    root = tmp_path_factory.mktemp("kill-bench")
    small_set = _copy_small_set(data_dir, root)
    t0 = time.time()
    subprocess.run(_bench_cmd(small_set, root / "ref"), check=True, capture_output=True)
    return small_set, root / "ref", time.time() - t0


@pytest.mark.xdist_group("kill-bench")
def test_bench_killed_at_random_resumes_identically_and_leaves_no_process(bench_reference, tmp_path):
    small_set, ref, whole = bench_reference  # kill anywhere in a run: while fusing, while scoring
    _kill_at_random(_bench_cmd(small_set, tmp_path / "out"), seed=19, kills=3, low=0.3 * whole, high=0.95 * whole)
    subprocess.run(_bench_cmd(small_set, tmp_path / "out"), check=True, capture_output=True)
    assert _files(tmp_path / "out" / "fused", "*.png") == _files(ref / "fused", "*.png")
    assert _values(tmp_path / "out" / "results.csv") == _values(ref / "results.csv")
    assert not list((tmp_path / "out").rglob("*.part"))


@pytest.mark.xdist_group("kill-bench")
def test_bench_survives_a_lost_worker(bench_reference, tmp_path):
    """One of the LocalCluster's workers is killed mid-run: Dask gives its job to another worker, the
    run completes, and its fused images and values equal an undisturbed run's."""
    small_set, ref, _ = bench_reference
    proc = subprocess.Popen(_bench_cmd(small_set, tmp_path / "out"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:  # a worker that has started working
        for pid in _descendants(proc.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline and (tmp_path / "out" / "cache").exists():
                victim = pid
                break
        time.sleep(0.05)
    assert victim is not None, "no worker process seen"
    os.kill(victim, 9)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert _files(tmp_path / "out" / "fused", "*.png") == _files(ref / "fused", "*.png")
    assert _values(tmp_path / "out" / "results.csv") == _values(ref / "results.csv")


def test_fuse_pairs_killed_at_random_resumes_identically(small_set, tmp_path):
    def cmd(out: Path) -> list[str]:
        return [sys.executable, "-m", "imagefusion.cli", "fuse", "--pairs", str(small_set), "--out", str(out),
                "--method", "dtcwt", "--workers", "2"]

    t0 = time.time()
    subprocess.run(cmd(tmp_path / "ref"), check=True, capture_output=True)
    whole = time.time() - t0
    _kill_at_random(cmd(tmp_path / "out"), seed=23, kills=3, low=0.3 * whole, high=0.95 * whole)
    subprocess.run(cmd(tmp_path / "out"), check=True, capture_output=True)
    assert _files(tmp_path / "out", "*.png") == _files(tmp_path / "ref", "*.png")
    assert not list((tmp_path / "out").glob(".if-*.part"))
