"""Speed of the compiled OMP against the compiled Cholesky-per-atom kernel and the batched numpy solve it
replaced, on real low-pass patches.

Run:  python benchmarks/measure/omp_speed.py [--patches 3000] [--pair kettle]

The patches: overlapping 8×8 patches (step 2, mean removed) of the NSCT low-pass band of VIFB's infrared
``kettle`` image (``../shared/golden/vifb``), coded to ε = 0.1 over the project's dictionary, as
``nsct-sr`` codes them. Prints each implementation's seconds and ms per patch on all cores (the numpy
solve on one thread), the mean number of atoms, and whether they agree with today's (same supports; the
largest code difference).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from imagefusion.io import read_image
from imagefusion.methods.lp_sr import omp, sr_dictionary
from imagefusion.methods.nsct_sr import nsct_decompose

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def numpy_omp(dictionary: np.ndarray, xs: np.ndarray, epsilon: float) -> np.ndarray:
    """The numpy implementation ``omp`` had before (all signals at once, the support's normal equations
    solved afresh at every atom): the reference for speed and agreement."""
    p, n = xs.shape
    gram, dtx = dictionary.T @ dictionary, xs @ dictionary
    codes, residual = np.zeros((p, dictionary.shape[1])), xs.copy()
    support = np.zeros((p, n), np.int64)
    active = np.einsum("pn,pn->p", residual, residual) > epsilon * epsilon
    for k in range(n):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        atom = np.argmax(np.abs(residual[idx] @ dictionary), axis=1)
        repeated = (support[idx, :k] == atom[:, None]).any(axis=1)
        active[idx[repeated]] = False
        idx, atom = idx[~repeated], atom[~repeated]
        if idx.size == 0:
            break
        support[idx, k] = atom
        sel = support[idx, :k + 1]
        coef = np.linalg.solve(gram[sel[:, :, None], sel[:, None, :]],
                               np.take_along_axis(dtx[idx], sel, axis=1)[..., None])[..., 0]
        residual[idx] = xs[idx] - np.einsum("pnk,pk->pn", dictionary[:, sel].transpose(1, 0, 2), coef)
        rows = np.zeros((idx.size, codes.shape[1]))
        np.put_along_axis(rows, sel, coef, axis=1)
        codes[idx] = rows
        active[idx] = np.einsum("pn,pn->p", residual[idx], residual[idx]) > epsilon * epsilon
    return codes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patches", type=int, default=3000)
    ap.add_argument("--pair", default="kettle")
    ap.add_argument("--golden", type=Path, default=ROOT.parent / "shared" / "golden" / "vifb")
    args = ap.parse_args()
    ir = read_image(args.golden / "ir" / f"{args.pair}.jpg")
    ir = (ir if ir.ndim == 2 else ir.mean(-1)).astype(np.float64) * 255
    low = nsct_decompose(ir, [2])[0]
    win = np.lib.stride_tricks.sliding_window_view(low, (8, 8))[::2, ::2].reshape(-1, 64)
    xs = win[np.random.default_rng(0).permutation(len(win))[:args.patches]]
    xs = xs - xs.mean(axis=1, keepdims=True)
    d = sr_dictionary()
    from _cholesky_omp import cholesky_omp_codes

    def cholesky(xs: np.ndarray) -> np.ndarray:
        dn = np.ascontiguousarray(d)  # as omp() gets it
        codes = np.zeros((len(xs), d.shape[1]))
        cholesky_omp_codes(dn, np.ascontiguousarray(dn.T @ dn), np.ascontiguousarray(xs), 0.01, codes)
        return codes

    omp(d, xs[:10], 0.1)  # compile (cached on disk after the first run)
    cholesky(xs[:10])
    t = time.perf_counter()
    fast = omp(d, xs, 0.1)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    chol = cholesky(xs)
    t_chol = time.perf_counter() - t
    with threadpool_limits(1):
        t = time.perf_counter()
        ref = numpy_omp(d, xs, 0.1)
        t_ref = time.perf_counter() - t
    n = len(xs)
    print(f"{n} patches, {np.count_nonzero(fast, axis=1).mean():.1f} atoms on average")
    print(f"compiled OMP (Gram–Schmidt rows): {t_fast:.2f} s ({1000 * t_fast / n:.4f} ms per patch)")
    for label, t_other, other in (("compiled Cholesky per atom", t_chol, chol), ("numpy batch solve", t_ref, ref)):
        print(f"{label}: {t_other:.2f} s ({1000 * t_other / n:.4f} ms per patch; {t_other / t_fast:.2f}× today's), "
              f"same supports: {bool(((fast != 0) == (other != 0)).all())}, "
              f"largest code difference {np.abs(fast - other).max():.1e}")


if __name__ == "__main__":
    main()
