"""Haghighat's FMI window loop (``fmi.m``; MEFB's ``metricsFMI.m``), compiled with numba and laid out
so that the compiler vectorises it across windows.

Windows are taken ``LANES`` at a time along a row of windows. Every per-window quantity is kept in
(rows, LANES) arrays whose row ``k`` holds that quantity's ``k``-th entry for the block's windows, and
each loop runs over the windows innermost, so that one AVX2 instruction handles four windows. Each window's own arithmetic is the reference's, in the reference's
order (a loop over windows changes no window's rounding):

* the marginals: the window stretched to [0, 1] (a flat one to ones), its pdf (the column sums, then
  their sum, as MATLAB's ``sum(sum(sub))``), its cdf, log2 pdf, entropy and the standard deviation of
  the bin index;
* the pair: the correlation ``c`` of the two pdfs; the Fréchet upper (``c >= 0``) or lower bound
  copula of the two cdfs, whose mass lies on the at most ``2l - 1`` cells where the fused cdf's step
  overlaps the source's step (or its mirror); the joint entropy of the bound mixed with the product of
  the marginals, and the normalised MI ``2 I / (H_a + H_f)``.

The cells are found by merging the two step sequences, one window at a time (the only part that is
not vectorised; the two sources' merges run in one loop so that their dependency chains overlap). The
logarithms are ``_vecmath._ln``, a vectorisable natural logarithm within one unit in the last place, in
place of the C library's scalar one. Summation orders are those of
the previous scalar loop, which ``tests/test_metrics_loops.py`` checks against a loop written as the
reference (1e-12 relative).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._vecmath import _INV_LN2, _ln

__all__ = ["LANES", "fmi_window_sum"]

LANES = 64  # windows per block (a compile-time constant: the arrays' row length)
_JIT = dict(cache=True, nogil=True, error_model="numpy")  # numpy: no zero-division branches to vectorise around

@numba.njit(**_JIT)
def _marginals(img, y, xs, n, w, raw, st, pdf, lg, cdf, stats):  # pragma: no cover - compiled
    """The marginals of the ``n`` windows whose top-left corners are (y, xs[0]), … (y, xs[n − 1]).

    Row k of ``raw``/``st``/``pdf``/``lg`` (l × LANES): the windows' k-th value (column-major in the
    window, as MATLAB's ``sub(:)``), stretched, as a probability, its log2. ``cdf`` ((l + 2) × LANES):
    0, the cdf, 0 (rows 0 and l + 1 are never written). ``stats`` rows: entropy, pdf sum, the bin
    index's standard deviation, then four scratch rows."""
    l = w * w
    x0 = xs[0]
    if xs[n - 1] - x0 == n - 1:  # consecutive windows: plain (vectorised) copies
        for dx in range(w):
            for dy in range(w):
                k = dx * w + dy
                for x in range(n):
                    raw[k, x] = img[y + dy, x0 + x + dx]
    else:
        for dx in range(w):
            for dy in range(w):
                k = dx * w + dy
                for x in range(n):
                    raw[k, x] = img[y + dy, xs[x] + dx]
    lo = stats[3]
    hi = stats[4]
    for x in range(n):
        lo[x] = raw[0, x]
        hi[x] = raw[0, x]
    for k in range(1, l):
        for x in range(n):
            v = raw[k, x]
            lo[x] = v if v < lo[x] else lo[x]
            hi[x] = v if v > hi[x] else hi[x]
    for k in range(l):
        for x in range(n):
            st[k, x] = 1.0 if hi[x] == lo[x] else (raw[k, x] - lo[x]) / (hi[x] - lo[x])
    tot = stats[5]
    cs = stats[6]
    for x in range(n):
        tot[x] = 0.0
    for col in range(w):  # sum(sum(sub)): the column sums, then their sum
        for x in range(n):
            cs[x] = 0.0
        for row in range(w):
            for x in range(n):
                cs[x] += st[col * w + row, x]
        for x in range(n):
            tot[x] += cs[x]
    h = stats[0]
    s = stats[1]
    m1 = lo
    m2 = hi
    for x in range(n):
        h[x] = 0.0
        s[x] = 0.0
        m1[x] = 0.0
        m2[x] = 0.0
    for k in range(l):
        kk = float(k + 1)
        for x in range(n):
            p = st[k, x] / tot[x]
            pdf[k, x] = p
            acc = s[x] + p
            s[x] = acc
            cdf[k + 1, x] = acc
            nz = p != 0.0
            lgv = _ln(p if nz else 1.0) * _INV_LN2
            lgv = lgv if nz else 0.0
            lg[k, x] = lgv
            h[x] = h[x] - p * lgv if nz else h[x]
            m1[x] += kk * p
            m2[x] += kk * kk * p
    sd = stats[2]
    for x in range(n):
        sd[x] = math.sqrt(max(m2[x] - m1[x] * m1[x], 0.0))


# Rows of a pair's per-window block
_C, _BSUM, _NCELL, _SCF, _SCA, _WEIGHT, _U, _LU, _VALUE, _TMP = range(10)
_PAIR_ROWS = _TMP + 5


@numba.njit(**_JIT)
def _walk(n, w, pdf_a, lg_a, cdf_a, pdf_f, cdf_f, wk, pr):  # pragma: no cover - compiled
    """The correlation c of the source's and the fused windows' pdfs, the sums of their cdfs, and the
    source's walk block ``wk``: the source cdf's steps in the order the bound copula walks them (up
    for c >= 0; mirrored, 1 − cdf, and down for c < 0). Rows 0 … l: the steps' ends with the first
    step's low end in front, then a 0; rows l + 2 + k, 2l + 3 + k, 3l + 4 + k: the pdf and log2 pdf of
    the k-th step's bin j and its factor l − j in the bound's sum (each part followed by a row of 0)."""
    l = w * w
    mean_a, mean_f, num, var_a, var_f = pr[_TMP], pr[_TMP + 1], pr[_TMP + 2], pr[_TMP + 3], pr[_TMP + 4]
    c = pr[_C]
    for x in range(n):
        mean_a[x] = 0.0
        mean_f[x] = 0.0
    for k in range(l):
        for x in range(n):
            mean_a[x] += pdf_a[k, x]
            mean_f[x] += pdf_f[k, x]
    for x in range(n):
        mean_a[x] /= l
        mean_f[x] /= l
        num[x] = 0.0
        var_a[x] = 0.0
        var_f[x] = 0.0
    for k in range(l):
        for x in range(n):
            p = pdf_a[k, x] - mean_a[x]
            q = pdf_f[k, x] - mean_f[x]
            num[x] += p * q
            var_a[x] += p * p
            var_f[x] += q * q
    for x in range(n):
        c[x] = 0.0 if num[x] == 0.0 else num[x] / math.sqrt(var_a[x] * var_f[x])
        wk[0, x] = 0.0 if c[x] >= 0.0 else 1.0 - cdf_a[l, x]
    p0, g0, w0 = l + 2, 2 * l + 3, 3 * l + 4
    for s in range(l):
        r = l - 1 - s  # the bin the mirrored walk visits at its step s
        w_up, w_down = float(l - s), float(s + 1)
        for x in range(n):
            pos = c[x] >= 0.0
            wk[1 + s, x] = cdf_a[1 + s, x] if pos else (1.0 if r == 0 else 1.0 - cdf_a[r, x])
            wk[p0 + s, x] = pdf_a[s, x] if pos else pdf_a[r, x]
            wk[g0 + s, x] = lg_a[s, x] if pos else lg_a[r, x]
            wk[w0 + s, x] = w_up if pos else w_down
    scf = pr[_SCF]
    sca = pr[_SCA]
    for x in range(n):
        scf[x] = 0.0
        sca[x] = 0.0
    for k in range(l):
        for x in range(n):
            scf[x] += cdf_f[1 + k, x]
            sca[x] += cdf_a[1 + k, x]


@numba.njit(**_JIT)
def _merge_step(cf, pf, gf, wk, o, x, lanes, i, s, nc, bsum, lu, p0, g0, w0, o1, o2, o3):  # pragma: no cover - compiled
    """One step of one merge (see :func:`_merge_two`): the overlap of the fused cdf's step ``i`` with
    the walk's step ``s`` recorded as cell ``nc`` (kept if its mass is positive), and the step or
    steps that end first passed. Flat (row-major) arrays, unsigned indices; returns (i, s, nc, bsum)."""
    one = np.uint64(1)
    hi_f = cf[(i + one) * lanes + x]
    hi_a = wk[(s + one) * lanes + x]
    ov = min(hi_f, hi_a) - max(cf[i * lanes + x], wk[s * lanes + x])
    o[nc * lanes + x] = ov
    o[(o1 + nc) * lanes + x] = pf[i * lanes + x] * wk[(p0 + s) * lanes + x]
    o[(o2 + nc) * lanes + x] = gf[i * lanes + x]
    o[(o3 + nc) * lanes + x] = wk[(g0 + s) * lanes + x]
    bsum += max(ov, 0.0) * float(lu - i) * wk[(w0 + s) * lanes + x]
    nc += np.uint64(ov > 0.0)
    act = (i < lu) & (s < lu)
    i += np.uint64(act & (hi_f <= hi_a))
    s += np.uint64(act & (hi_a <= hi_f))
    return i, s, nc, bsum


@numba.njit(**_JIT)
def _merge_two(n, w, cdf_f, pdf_f, lg_f, wa, oa, pa, wb, ob, pb):  # pragma: no cover - compiled
    """The bound copula's cells for both sources: per window, the fused cdf's steps merged with each
    source's walk. A cell's mass is the overlap of the two steps; cells of no mass are skipped. The
    cell block gets, in row k of its four parts of 2l rows, the window's k-th cell's mass, the product
    of the two bins' probabilities and their log2 probabilities; the pair block the bound's sum
    Σ mass·(l − i)(l − j) and the number of cells. The two sources' merges alternate step by step (their
    dependency chains overlap), without branches; once a merge has ended its reads land on the rows of
    0, which give no mass."""
    l = w * w
    cap = 2 * l
    lanes = np.uint64(LANES)
    lu = np.uint64(l)
    cf = cdf_f.reshape(-1)
    pf = pdf_f.reshape(-1)
    gf = lg_f.reshape(-1)
    wa_ = wa.reshape(-1)
    wb_ = wb.reshape(-1)
    oa_ = oa.reshape(-1)
    ob_ = ob.reshape(-1)
    p0, g0, w0 = np.uint64(l + 2), np.uint64(2 * l + 3), np.uint64(3 * l + 4)
    o1, o2, o3 = np.uint64(cap), np.uint64(2 * cap), np.uint64(3 * cap)
    zero = np.uint64(0)
    for xi in range(n):
        x = np.uint64(xi)
        ia, sa, na, ba = zero, zero, zero, 0.0
        ib, sb, nb, bb = zero, zero, zero, 0.0
        for _step in range(2 * l - 1):
            ia, sa, na, ba = _merge_step(cf, pf, gf, wa_, oa_, x, lanes, ia, sa, na, ba, lu, p0, g0, w0, o1, o2, o3)
            ib, sb, nb, bb = _merge_step(cf, pf, gf, wb_, ob_, x, lanes, ib, sb, nb, bb, lu, p0, g0, w0, o1, o2, o3)
        pa[_BSUM, xi] = ba
        pa[_NCELL, xi] = float(na)
        pb[_BSUM, xi] = bb
        pb[_NCELL, xi] = float(nb)


@numba.njit(**_JIT)
def _value(n, w, h_a, s_a, sd_a, h_f, s_f, sd_f, o, pr, joint):  # pragma: no cover - compiled
    """The normalised FMI of each window pair (row ``_VALUE`` of ``pr``), from the marginals' stats,
    the pair block and the cells: the joint entropy of weight × bound + (1 − weight) × product."""
    l = w * w
    cap = 2 * l
    c = pr[_C]
    ncell = pr[_NCELL]
    weight = pr[_WEIGHT]
    u = pr[_U]
    lu = pr[_LU]
    for x in range(n):
        wgt = 0.0
        if sd_a[x] * sd_f[x] > 0.0 and c[x] != 0.0:
            corr = (pr[_BSUM, x] - pr[_SCF, x] * pr[_SCA, x]) / (sd_f[x] * sd_a[x])
            wgt = c[x] / (corr if corr != 0.0 else 1.0)
        weight[x] = wgt
        uu = 1.0 - wgt
        u[x] = uu
        nz = uu != 0.0
        lgu = _ln(abs(uu) if nz else 1.0) * _INV_LN2
        lgu = lgu if nz else 0.0
        lu[x] = lgu
        # the product part of the joint entropy in closed form; the cells correct it below
        joint[x] = -uu * lgu * s_f[x] * s_a[x] + uu * (h_f[x] * s_a[x] + h_a[x] * s_f[x]) if nz else 0.0
    for k in range(2 * l - 1):
        kf = float(k)
        for x in range(n):
            cell = kf < ncell[x]
            ov = o[k, x]
            prod = o[cap + k, x]
            uu = u[x]
            xx = weight[x] * ov + uu * prod
            take = cell & (xx != 0.0)
            term = xx * _ln(abs(xx) if take else 1.0) * _INV_LN2
            jt = joint[x] - term if take else joint[x]
            corr = uu * prod * (lu[x] + o[2 * cap + k, x] + o[3 * cap + k, x])
            joint[x] = jt + corr if (cell & (uu != 0.0) & (prod != 0.0)) else jt
    value = pr[_VALUE]
    for x in range(n):
        mi = h_a[x] + h_f[x] - joint[x]
        hs = h_a[x] + h_f[x]
        value[x] = 0.0 if mi == 0.0 else 2.0 * mi / (hs if hs != 0.0 else 1.0)


@numba.njit(**_JIT)
def _equal_windows(p, q, y, x, w):  # pragma: no cover - compiled
    """Whether the w×w windows of ``p`` and ``q`` at (y, x) are equal."""
    for dx in range(w):
        for dy in range(w):
            if p[y + dy, x + dx] != q[y + dy, x + dx]:
                return False
    return True


@numba.njit(**_JIT)
def _marginal_arrays(l):  # pragma: no cover - compiled
    return (np.zeros((l, LANES)), np.zeros((l, LANES)), np.zeros((l + 1, LANES)), np.zeros((l + 1, LANES)),
            np.zeros((l + 2, LANES)), np.zeros((7, LANES)))


@numba.njit(**_JIT)
def fmi_window_sum(fa, fb, ff, w):  # pragma: no cover - compiled
    """Sum over all w×w windows of (FMI(A, F) + FMI(B, F)) / 2, row of windows after row.

    ``fa``, ``fb``, ``ff``: C-contiguous float64 (H, W) feature images; returns a float.

    In each row, windows where both sources equal the fused image score 1 without being computed
    (edge maps and fused images that copy a source have many); the others are taken ``LANES`` at a
    time. A row's values are summed in the order of its windows, then the rows' sums in order."""
    l = w * w
    ma = _marginal_arrays(l)
    mb = _marginal_arrays(l)
    mf = _marginal_arrays(l)
    wa = np.zeros((4 * l + 5, LANES))
    wb = np.zeros((4 * l + 5, LANES))
    oa = np.zeros((8 * l, LANES))
    ob = np.zeros((8 * l, LANES))
    pa = np.zeros((_PAIR_ROWS, LANES))
    pb = np.zeros((_PAIR_ROWS, LANES))
    joint = np.zeros(LANES)
    cols = fa.shape[1] - w + 1
    xs = np.zeros(cols, dtype=np.int64)
    values = np.zeros(cols)
    total = 0.0
    for y in range(fa.shape[0] - w + 1):
        m = 0
        for x in range(cols):
            if _equal_windows(fa, ff, y, x, w) and _equal_windows(fb, ff, y, x, w):
                values[x] = 1.0
            else:
                xs[m] = x
                m += 1
        for b0 in range(0, m, LANES):
            n = min(LANES, m - b0)
            lanes = xs[b0:b0 + n]
            _marginals(fa, y, lanes, n, w, ma[0], ma[1], ma[2], ma[3], ma[4], ma[5])
            _marginals(fb, y, lanes, n, w, mb[0], mb[1], mb[2], mb[3], mb[4], mb[5])
            _marginals(ff, y, lanes, n, w, mf[0], mf[1], mf[2], mf[3], mf[4], mf[5])
            _walk(n, w, ma[2], ma[3], ma[4], mf[2], mf[4], wa, pa)
            _walk(n, w, mb[2], mb[3], mb[4], mf[2], mf[4], wb, pb)
            _merge_two(n, w, mf[4], mf[2], mf[3], wa, oa, pa, wb, ob, pb)
            _value(n, w, ma[5][0], ma[5][1], ma[5][2], mf[5][0], mf[5][1], mf[5][2], oa, pa, joint)
            _value(n, w, mb[5][0], mb[5][1], mb[5][2], mf[5][0], mf[5][1], mf[5][2], ob, pb, joint)
            raw_a, raw_b, raw_f, st_f = ma[0], mb[0], mf[0], mf[1]
            for x in range(n):
                # the reference's ``if aSub == fSub`` shortcut (FMI 1); it then overwrites the fused
                # window with its stretched version while scoring A, so B is compared with that one
                eq_a = True
                for k in range(l):
                    if raw_a[k, x] != raw_f[k, x]:
                        eq_a = False
                        break
                eq_b = True
                for k in range(l):
                    if raw_b[k, x] != (raw_f[k, x] if eq_a else st_f[k, x]):
                        eq_b = False
                        break
                va = 1.0 if eq_a else pa[_VALUE, x]
                vb = 1.0 if eq_b else pb[_VALUE, x]
                values[lanes[x]] = (va + vb) / 2.0
        row = 0.0
        for x in range(cols):
            row += values[x]
        total += row
    return total
