"""Orthogonal matching pursuit compiled with numba (error-constrained, the signals in parallel). Imported only
when a sparse-representation method runs.

Each signal's pursuit keeps, instead of its residual and its codes, the correlations ``Dᵀr`` and one row
``Dᵀq_k`` per chosen atom, ``q_k`` the atom orthogonalised against the earlier ones (Gram–Schmidt on the
Gram matrix: ``Dᵀq_k = (G[:, atom] − Σ_i w_i Dᵀq_i) / d``, ``w_i = (Dᵀq_i)[atom]``, ``d² = 1 − Σ w_i²``).
Then an atom costs one pass over K·k values (``Dᵀq_k``), the correlations are updated by one row
(``Dᵀr −= z_k Dᵀq_k``, ``z_k = (Dᵀr)[atom] / d``), the residual's energy by ``z_k²``, and the codes
are solved once at the end (``Lᵀγ = z``, L the Cholesky factor of the support's Gram matrix, whose rows
are the ``(w, d)``). The same atoms, in the same order, as Rubinstein, Zibulevsky & Elad's Batch-OMP
(Technion CS-2008-08), which updates a Cholesky factor and solves for the codes at every atom; 2 to
2.8 times faster on 8×8 patches with about 40 atoms (``benchmarks/measure/omp_speed.py``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

# The inner loops are compiled with fastmath (reassociation lets LLVM vectorise them): they move a
# code by about 1e-12 of its size; the atoms chosen are those of the exact-order loop.


@numba.njit(cache=True, nogil=True, fastmath=True)
def _project(dictionary, x, corr):  # pragma: no cover - compiled
    """``corr = Dᵀx``, D (n, K)."""
    for j in range(corr.shape[0]):
        corr[j] = 0.0
    for i in range(x.shape[0]):
        xi = x[i]
        for j in range(corr.shape[0]):
            corr[j] += dictionary[i, j] * xi


@numba.njit(cache=True, nogil=True, fastmath=True)
def _max_abs(v):  # pragma: no cover - compiled
    best = 0.0
    for j in range(v.shape[0]):
        best = max(best, abs(v[j]))
    return best


@numba.njit(cache=True, nogil=True, fastmath=True)
def _new_row(rows, k, w, gram_column):  # pragma: no cover - compiled
    """``rows[k] = gram_column − Σ_{i<k} w_i rows[i]`` (four and eight rows per pass: fewer loads per
    multiply-add than one row at a time)."""
    k_atoms = rows.shape[1]
    for j in range(k_atoms):
        rows[k, j] = gram_column[j]
    i = 0
    while i + 8 <= k:
        w0, w1, w2, w3, w4, w5, w6, w7 = w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4], w[i + 5], w[i + 6], w[i + 7]
        for j in range(k_atoms):
            rows[k, j] -= (w0 * rows[i, j] + w1 * rows[i + 1, j] + w2 * rows[i + 2, j] + w3 * rows[i + 3, j]
                           + w4 * rows[i + 4, j] + w5 * rows[i + 5, j] + w6 * rows[i + 6, j] + w7 * rows[i + 7, j])
        i += 8
    while i + 4 <= k:
        w0, w1, w2, w3 = w[i], w[i + 1], w[i + 2], w[i + 3]
        for j in range(k_atoms):
            rows[k, j] -= w0 * rows[i, j] + w1 * rows[i + 1, j] + w2 * rows[i + 2, j] + w3 * rows[i + 3, j]
        i += 4
    while i < k:
        wi = w[i]
        for j in range(k_atoms):
            rows[k, j] -= wi * rows[i, j]
        i += 1


@numba.njit(cache=True, nogil=True, fastmath=True)
def _scale_and_remove(row, inv_d, corr, z):  # pragma: no cover - compiled
    """``row /= d`` (now ``Dᵀq_k``), then ``corr −= z row``; returns the largest |corr|."""
    best = 0.0
    for j in range(row.shape[0]):
        row[j] *= inv_d
        corr[j] -= z * row[j]
        best = max(best, abs(corr[j]))
    return best


@numba.njit(cache=True, nogil=True)
def _first_abs_equal(v, best):  # pragma: no cover - compiled
    """The first index where |v| is ``best``."""
    for j in range(v.shape[0]):
        if abs(v[j]) == best:
            return j
    return 0


_CHUNK = 512  # signals per parallel task: the scratch arrays are allocated once per chunk


@numba.njit(cache=True, parallel=True, nogil=True)
def omp_codes(dictionary, gram, signals, eps2, codes):  # pragma: no cover - compiled
    """Fill ``codes`` (P, K) with the error-constrained OMP codes of ``signals`` (P, n) over the unit-norm
    columns of ``dictionary`` (n, K), ``gram = dictionary.T @ dictionary``: atoms added greedily by the
    largest |correlation| with the residual until ``‖residual‖² ≤ eps2``, at most n atoms, stopping early
    when an atom would repeat or is (numerically) dependent on the support."""
    p_count, n = signals.shape
    k_atoms = dictionary.shape[1]
    gram_t = np.ascontiguousarray(gram.T)  # gram_t[j] = column j
    for c in numba.prange((p_count + _CHUNK - 1) // _CHUNK):
        rows = np.empty((n, k_atoms))  # rows[i] = Dᵀq_i
        chol = np.empty((n, n))  # lower-triangular factor of G[support, support]
        support = np.empty(n, np.int64)
        z = np.empty(n)  # z_i = q_iᵀx
        w = np.empty(n)
        corr = np.empty(k_atoms)  # Dᵀr
        for p in range(c * _CHUNK, min(p_count, (c + 1) * _CHUNK)):
            x = signals[p]
            r2 = 0.0
            for i in range(n):
                r2 += x[i] * x[i]
            if r2 <= eps2:
                continue
            _project(dictionary, x, corr)
            best = _max_abs(corr)
            k = 0
            while k < n:
                atom = _first_abs_equal(corr, best)  # the first of the largest |correlation|
                repeated = False
                for i in range(k):
                    if support[i] == atom:
                        repeated = True
                if repeated:
                    break
                ww = 0.0
                for i in range(k):
                    w[i] = rows[i, atom]
                    ww += w[i] * w[i]
                d2 = gram[atom, atom] - ww
                if d2 <= 1e-12:
                    break
                d = math.sqrt(d2)
                for i in range(k):
                    chol[k, i] = w[i]
                chol[k, k] = d
                support[k] = atom
                _new_row(rows, k, w, gram_t[atom])
                zk = corr[atom] / d
                z[k] = zk
                best = _scale_and_remove(rows[k], 1.0 / d, corr, zk)
                k += 1
                r2 -= zk * zk
                if r2 <= eps2:
                    break
            for i in range(k - 1, -1, -1):  # Lᵀγ = z, γ in w
                s = z[i]
                for j in range(i + 1, k):
                    s -= chol[j, i] * w[j]
                w[i] = s / chol[i, i]
            for i in range(k):
                codes[p, support[i]] = w[i]
