"""The compiled OMP that ``imagefusion.methods._omp_kernel`` had before its Gram–Schmidt rows:
each signal's loop with a Cholesky factor of its support's Gram matrix updated per atom, the codes solved
and the residual recomputed at every atom (Rubinstein, Zibulevsky & Elad's Batch-OMP, error-constrained).
Kept as the reference that ``omp_speed.py`` and ``nsct_sr_speed.py`` time and compare against."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, parallel=True, nogil=True)
def cholesky_omp_codes(dictionary, gram, signals, eps2, codes):  # pragma: no cover - compiled
    """Fill ``codes`` (P, K) with the error-constrained OMP codes of ``signals`` (P, n) over the unit-norm
    columns of ``dictionary`` (n, K), ``gram = dictionary.T @ dictionary``: atoms added greedily by the
    largest |correlation| with the residual until ``‖residual‖² ≤ eps2``, at most n atoms, stopping early
    when an atom would repeat or is (numerically) dependent on the support."""
    p_count, n = signals.shape
    k_atoms = dictionary.shape[1]
    atoms = np.ascontiguousarray(dictionary.T)  # atoms[j] = column j
    gram_t = np.ascontiguousarray(gram.T)  # gram_t[i, j] = gram[j, i]
    for p in numba.prange(p_count):
        x = signals[p]
        r2 = 0.0
        for i in range(n):
            r2 += x[i] * x[i]
        if r2 <= eps2:
            continue
        dtx = np.zeros(k_atoms)
        for i in range(n):
            xi = x[i]
            for j in range(k_atoms):
                dtx[j] += dictionary[i, j] * xi
        corr = dtx.copy()
        chol = np.zeros((n, n))
        support = np.zeros(n, np.int64)
        gamma = np.zeros(n)
        y = np.zeros(n)  # L y = (Dᵀx)[support]; a new atom adds one row to L, so one entry to y
        tmp = np.zeros(n)
        residual = np.zeros(n)
        k = 0
        while k < n:
            best, atom = -1.0, 0
            for j in range(k_atoms):
                a = abs(corr[j])
                if a > best:
                    best, atom = a, j
            repeated = False
            for i in range(k):
                if support[i] == atom:
                    repeated = True
            if repeated:
                break
            if k == 0:
                chol[0, 0] = math.sqrt(gram[atom, atom])
            else:  # new row w of the factor: L w = G[support, atom]
                ww = 0.0
                for i in range(k):
                    s = gram[support[i], atom]
                    for j in range(i):
                        s -= chol[i, j] * tmp[j]
                    tmp[i] = s / chol[i, i]
                    ww += tmp[i] * tmp[i]
                d = gram[atom, atom] - ww
                if d <= 1e-12:
                    break
                for i in range(k):
                    chol[k, i] = tmp[i]
                chol[k, k] = math.sqrt(d)
            support[k] = atom
            s = dtx[atom]
            for j in range(k):
                s -= chol[k, j] * y[j]
            y[k] = s / chol[k, k]
            k += 1
            for i in range(k - 1, -1, -1):  # Lᵀ γ = y
                s = y[i]
                for j in range(i + 1, k):
                    s -= chol[j, i] * gamma[j]
                gamma[i] = s / chol[i, i]
            # the loops run along contiguous rows of the transposed dictionary and Gram matrix (vectorised);
            # each value is still accumulated in the support's order
            for i in range(n):
                residual[i] = x[i]
            for j in range(k):
                row = atoms[support[j]]
                g = gamma[j]
                for i in range(n):
                    residual[i] -= row[i] * g
            r2 = 0.0
            for i in range(n):
                r2 += residual[i] * residual[i]
            if r2 <= eps2:
                break
            for j in range(k_atoms):  # Dᵀr = Dᵀx − G[:, support] γ
                corr[j] = dtx[j]
            for i in range(k):
                col = gram_t[support[i]]
                g = gamma[i]
                for j in range(k_atoms):
                    corr[j] -= col[j] * g
        for j in range(k):
            codes[p, support[j]] = gamma[j]
