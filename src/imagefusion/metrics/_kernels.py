"""The metrics' compiled inner loops (numba): Kovesi's phase congruency (the filter responses'
spectra, the noise median, one orientation's energy) and Q_P's best masked correlation (FMI's window
loop is in ``_fmi_kernel``). Imported only when those metrics run, so ``import imagefusion``
does not load numba (about 60 MiB)."""

from __future__ import annotations

import math

import numba
import numpy as np

from ._vecmath import _bits, _exp


@numba.njit(cache=True, nogil=True, error_model="numpy")
def filter_spectra(spectrum, filters, out):  # pragma: no cover - compiled
    """``out[s] = spectrum · filters[s]`` for each scale s: a complex spectrum times real filters, as
    float64 views with the real and imaginary parts interleaved (``spectrum`` (H, 2W), ``filters``
    (S, H, W), ``out`` (S, H, 2W)). Each part is multiplied by the filter value, which is what
    NumPy's complex product with ``filter + 0j`` gives (but the sign of a zero)."""
    nscale, rows, cols = filters.shape
    for s in range(nscale):
        for y in range(rows):
            src = spectrum[y]
            dst = out[s, y]
            flt = filters[s, y]
            for x in range(cols):
                f = flt[x]
                dst[2 * x] = src[2 * x] * f
                dst[2 * x + 1] = src[2 * x + 1] * f


@numba.njit(cache=True, nogil=True, error_model="numpy")
def energy_median(eo):  # pragma: no cover - compiled
    """The two middle values (those ``np.median`` averages) of ``e² + o²`` over one scale's filter
    responses ``eo`` ((H, 2W) float64, even and odd interleaved), without sorting them all: a
    histogram of the values' top 16 bits (for values ≥ 0 the bits order as the values do) finds the
    bins holding the two middle ranks, and only the values in those bins are sorted. Returns the
    two values (equal for an odd count)."""
    rows, width = eo.shape
    n = rows * (width // 2)
    lo_rank, hi_rank = (n - 1) // 2, n // 2
    hist = np.zeros(1 << 16, np.int64)
    for y in range(rows):
        row = eo[y]
        for x in range(0, width, 2):
            v = row[x] * row[x] + row[x + 1] * row[x + 1]
            hist[_bits(v) >> 48] += 1
    below = 0
    first, below_first, last = -1, 0, -1
    for b in range(1 << 16):
        if first < 0 and below + hist[b] > lo_rank:
            first, below_first = b, below
        below += hist[b]
        if below > hi_rank:
            last = b
            break
    picked = np.empty(below - below_first)
    k = 0
    for y in range(rows):
        row = eo[y]
        for x in range(0, width, 2):
            v = row[x] * row[x] + row[x + 1] * row[x + 1]
            b = _bits(v) >> 48
            if first <= b <= last:
                picked[k] = v
                k += 1
    picked.sort()
    return picked[lo_rank - below_first], picked[hi_rank - below_first]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def orientation_energy(eo, threshold, cutoff, g, o, cos_a, sin_a, total_energy, total_sum_an,
                       orientation, max_energy, covx2, covy2, covxy, scratch):  # pragma: no cover - compiled
    """One orientation of Kovesi's phasecong3, per pixel, accumulated in place: the energy
    ``Σ_s E·Ē + O·Ō − |E·Ō − O·Ē|`` along the mean phase, minus the noise threshold, weighted by
    the sigmoid of the frequency spread; the orientation of the largest weighted energy; the
    covariance terms of PC_o. The same operations, in the same order, per pixel as the NumPy form;
    the loops run over a row's pixels innermost (``scratch``: (7, W) float64), so that they vectorise,
    and the sigmoid's exponential is ``_vecmath._exp``.

    ``eo``: the filter responses as float64 (nscale, H, 2W), even and odd interleaved (a complex
    array's ``view(np.float64)``); the accumulators: (H, W) float64."""
    nscale, rows, cols = eo.shape[0], eo.shape[1], eo.shape[2] // 2
    nscale_f = float(nscale)
    sum_an, sum_e, sum_o, max_an, energy, mean_e, mean_o = (scratch[0], scratch[1], scratch[2], scratch[3],
                                                             scratch[4], scratch[5], scratch[6])
    of = float(o)
    first = o == 0
    for y in range(rows):
        for x in range(cols):
            sum_an[x] = 0.0
            sum_e[x] = 0.0
            sum_o[x] = 0.0
            max_an[x] = 0.0
            energy[x] = 0.0
        for s in range(nscale):
            row = eo[s, y]
            for x in range(cols):
                e = row[2 * x]
                q = row[2 * x + 1]
                amp = math.sqrt(e * e + q * q)
                sum_an[x] += amp
                sum_e[x] += e
                sum_o[x] += q
                max_an[x] = amp if (s == 0 or amp > max_an[x]) else max_an[x]
        for x in range(cols):
            x_energy = math.sqrt(sum_e[x] * sum_e[x] + sum_o[x] * sum_o[x]) + 1e-4
            mean_e[x] = sum_e[x] / x_energy
            mean_o[x] = sum_o[x] / x_energy
        for s in range(nscale):
            row = eo[s, y]
            for x in range(cols):
                e = row[2 * x]
                q = row[2 * x + 1]
                energy[x] += e * mean_e[x] + q * mean_o[x] - abs(e * mean_o[x] - q * mean_e[x])
        te, ts, orr, me = total_energy[y], total_sum_an[y], orientation[y], max_energy[y]
        c2x, c2y, cxy = covx2[y], covy2[y], covxy[y]
        for x in range(cols):  # the weighted energy, in place (a loop of its own vectorises _exp)
            en = max(energy[x] - threshold, 0.0)
            width = sum_an[x] / (max_an[x] + 1e-4) / nscale_f
            energy[x] = 1.0 / (1.0 + _exp((cutoff - width) * g)) * en
        for x in range(cols):
            weighted = energy[x]
            ts[x] += sum_an[x]
            te[x] += weighted
            better = weighted > me[x]
            orr[x] = of if (better and not first) else orr[x]
            me[x] = weighted if (first or better) else me[x]
            # the reference divides 0 by 0 (NaN) where every response is 0 (a constant image); that
            # pixel has no phase congruency here
            pc_o = weighted / sum_an[x] if sum_an[x] > 0 else 0.0
            cx = pc_o * cos_a
            cy = pc_o * sin_a
            c2x[x] += cx * cx
            c2y[x] += cy * cy
            cxy[x] += cx * cy

@numba.njit(cache=True, nogil=True, error_model="numpy")
def best_masked_correlation(cross, mu, var, mask, mu_f, var_f, c, out):  # pragma: no cover - compiled
    """Zhao et al.'s per-pixel best correlation for Q_P, in one pass: for each of the K maps (K, H, W)
    the fused map's local correlation ``(cov + c) / (sqrt|var · var_f| + c)``, ``cov = cross − mu·mu_f``,
    where its mask is set (else 0); ``out`` (H, W) gets the largest over the K maps. The same operations
    per pixel as the NumPy form (``np.where``, ``np.maximum``)."""
    nmap, rows, cols = cross.shape
    for y in range(rows):
        for x in range(cols):
            best = 0.0
            for k in range(nmap):
                cov = cross[k, y, x] - mu[k, y, x] * mu_f[y, x]
                r = (cov + c) / (math.sqrt(abs(var[k, y, x] * var_f[y, x])) + c) if mask[k, y, x] else 0.0
                best = r if (k == 0 or r > best) else best
            out[y, x] = best
