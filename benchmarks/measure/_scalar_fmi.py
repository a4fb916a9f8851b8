"""The previous FMI window loop (scalar, one window after another, the C library's logarithm), kept as
the reference of ``fmi_speed.py``: the package's ``imagefusion.metrics._fmi_kernel`` replaced it."""

from __future__ import annotations

import math

import numba
import numpy as np

_INV_LN2 = 1.0 / math.log(2.0)


# The window loop of Haghighat's fmi.m (MEFB's metricsFMI.m), compiled. Sums are accumulated one term
# after another in the reference's order (MATLAB/Octave ``sum`` and ``mean`` on a vector): on a flat
# window the pdf is uniform, and whether its centred values are exactly 0 is decided by that rounding
# (``mean(ones(9, 1) / 9)`` is 1/9 + 1.4e-17 in Octave), which decides the correlation c, and with it
# the window's FMI (about 0 or about 1). The bound copula's cells and the sum over windows (per row of
# windows, then the rows) are the only sums in another order; they move the mean by about 1e-15
# relative (``tests/test_metrics_loops.py`` checks the kernel against a loop written as the reference).


@numba.njit(cache=True, nogil=True)
def _stretch(win, l, out):  # pragma: no cover - compiled
    """``out[:l]`` = the window stretched to [0, 1], a flat one to ones (``out`` may be ``win``)."""
    lo = win[0]
    hi = win[0]
    for k in range(1, l):
        lo = min(lo, win[k])
        hi = max(hi, win[k])
    for k in range(l):
        out[k] = 1.0 if hi == lo else (win[k] - lo) / (hi - lo)


@numba.njit(cache=True, nogil=True)
def _equal(x, y, l):  # pragma: no cover - compiled
    """Whether the two windows are equal (the reference's ``if aSub == fSub`` shortcut)."""
    for k in range(l):
        if x[k] != y[k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _marginal(win, l, w, pdf, logp, cdf):  # pragma: no cover - compiled
    """Stretch a window to [0, 1] (a flat one to ones), then its pdf, log2 pdf and cdf.
    Returns (entropy, sum of the pdf, standard deviation of the bin index)."""
    _stretch(win, l, pdf)
    total = 0.0  # sum(sum(sub)): the column sums, then their sum
    for col in range(w):
        cs = 0.0
        for row in range(w):
            cs += pdf[col * w + row]
        total += cs
    h = 0.0
    acc = 0.0
    m1 = 0.0
    m2 = 0.0
    for k in range(l):
        p = pdf[k] / total
        pdf[k] = p
        acc += p
        cdf[k] = acc
        if p != 0.0:
            lg = math.log(p) * _INV_LN2
            logp[k] = lg
            h -= p * lg
        else:
            logp[k] = 0.0
        m1 += (k + 1) * p
        m2 += (k + 1) * (k + 1) * p
    return h, acc, math.sqrt(max(m2 - m1 * m1, 0.0))


@numba.njit(cache=True, nogil=True)
def _fmi_pair(a, la, ca, ha, sa, sda, f, lf, cf, hf, sf, sdf, l, cells):  # pragma: no cover - compiled
    """Normalised FMI ``2 I / (H_a + H_f)`` of one window pair, from their marginals (``cells``: a
    (2l + 1, 3) scratch array)."""
    ma = 0.0
    mf = 0.0
    for k in range(l):
        ma += a[k]
        mf += f[k]
    ma /= l
    mf /= l
    num = 0.0
    va = 0.0
    vf = 0.0
    for k in range(l):
        x = a[k] - ma
        y = f[k] - mf
        num += x * y
        va += x * x
        vf += y * y
    c = 0.0 if num == 0.0 else num / math.sqrt(va * vf)
    positive = c >= 0.0
    # The Fréchet upper (c >= 0) or lower bound copula of the two cdfs as a pdf: its mass lies on the
    # cells where the fused cdf's step (cf[i-1], cf[i]] overlaps the source cdf's step (ca[j-1], ca[j]]
    # (upper) or its mirror [1 - ca[j], 1 - ca[j-1]) (lower), and equals the overlap; the reference's
    # 2-D differences of the l×l bound give the same cells to rounding (about 1e-16). The cells, at
    # most 2l - 1 of the l×l, are found by merging the two step sequences; the bound's sum is
    # Σ jb·(l − i)(l − j) over them.
    n = 0
    i = 0
    j = 0 if positive else l - 1
    lo_f = 0.0
    while i < l and 0 <= j < l:
        hi_f = cf[i]
        if positive:
            lo_a = 0.0 if j == 0 else ca[j - 1]
            hi_a = ca[j]
        else:
            lo_a = 1.0 - ca[j]
            hi_a = 1.0 if j == 0 else 1.0 - ca[j - 1]
        ov = min(hi_f, hi_a) - max(lo_f, lo_a)
        if ov > 0.0:
            cells[n, 0] = i
            cells[n, 1] = j
            cells[n, 2] = ov
            n += 1
        if hi_f <= hi_a:
            i += 1
            lo_f = hi_f
        if hi_a <= hi_f:
            j = j + 1 if positive else j - 1
    bsum = 0.0
    for k in range(n):
        bsum += cells[k, 2] * (l - cells[k, 0]) * (l - cells[k, 1])
    scf = 0.0
    sca = 0.0
    for k in range(l):
        scf += cf[k]
        sca += ca[k]
    weight = 0.0
    if sda * sdf > 0.0 and c != 0.0:
        corr = (bsum - scf * sca) / (sdf * sda)
        weight = c / (corr if corr != 0.0 else 1.0)
    u = 1.0 - weight
    # Joint entropy of weight * jb + u * (f a^T), jb the bound's pdf. The product part is summed in
    # closed form, then corrected on the cells where jb is not 0, which saves most of the logarithms.
    joint = 0.0
    lu = 0.0
    if u != 0.0:
        lu = math.log(abs(u)) * _INV_LN2
        joint = -u * lu * sf * sa + u * (hf * sa + ha * sf)
    for k in range(n):
        i = int(cells[k, 0])
        j = int(cells[k, 1])
        prod = f[i] * a[j]
        x = weight * cells[k, 2] + u * prod
        if x != 0.0:
            joint -= x * math.log(abs(x)) * _INV_LN2
        if u != 0.0 and prod != 0.0:
            joint += u * prod * (lu + lf[i] + la[j])
    mi = ha + hf - joint
    if mi == 0.0:
        return 0.0
    hs = ha + hf
    return 2.0 * mi / (hs if hs != 0.0 else 1.0)


@numba.njit(cache=True, nogil=True)
def _fmi_row_sum(fa, fb, ff, w, y):  # pragma: no cover - compiled
    """Sum over the w×w windows whose top row is ``y`` of (FMI(A, F) + FMI(B, F)) / 2."""
    cols = fa.shape[1] - w + 1
    l = w * w
    wa = np.empty(l)
    wb = np.empty(l)
    wf = np.empty(l)
    pa = np.empty(l)
    pb = np.empty(l)
    pf = np.empty(l)
    la = np.empty(l)
    lb = np.empty(l)
    lf = np.empty(l)
    ca = np.empty(l)
    cb = np.empty(l)
    cf = np.empty(l)
    cells = np.empty((2 * l + 1, 3))
    total = 0.0
    hf = sf = sdf = 0.0
    for x in range(cols):
        k = 0
        for dx in range(w):  # column-major order inside the window, as MATLAB's sub(:)
            for dy in range(w):
                wa[k] = fa[y + dy, x + dx]
                wb[k] = fb[y + dy, x + dx]
                wf[k] = ff[y + dy, x + dx]
                k += 1
        eq_a = _equal(wa, wf, l)
        if eq_a:
            va = 1.0
        else:
            hf, sf, sdf = _marginal(wf, l, w, pf, lf, cf)
            ha, sa, sda = _marginal(wa, l, w, pa, la, ca)
            va = _fmi_pair(pa, la, ca, ha, sa, sda, pf, lf, cf, hf, sf, sdf, l, cells)
            # the reference overwrites the fused window with its stretched version while scoring
            # A, so B is compared (for the equality shortcut and the stretch) with that window
            _stretch(wf, l, wf)
        if _equal(wb, wf, l):
            vb = 1.0
        else:
            if eq_a:  # else the marginals of the stretched window are those computed for A
                hf, sf, sdf = _marginal(wf, l, w, pf, lf, cf)
            hb, sb, sdb = _marginal(wb, l, w, pb, lb, cb)
            vb = _fmi_pair(pb, lb, cb, hb, sb, sdb, pf, lf, cf, hf, sf, sdf, l, cells)
        total += (va + vb) / 2.0
    return total


@numba.njit(cache=True, nogil=True)
def fmi_window_sum(fa, fb, ff, w):  # pragma: no cover - compiled
    """Sum over all w×w windows of (FMI(A, F) + FMI(B, F)) / 2, row of windows after row."""
    total = 0.0
    for y in range(fa.shape[0] - w + 1):
        total += _fmi_row_sum(fa, fb, ff, w, y)
    return total
