"""Known answers for N^AB/F, Q_SF, Q_M, MS-SSIM and FMI: the vectorised (or compiled) code against
per-pixel loops that follow the reference MATLAB code statement by statement (Kumar's
objective_fusion_perform_fn.m, Liu's metricZheng.m, Haghighat's fmi.m), on small random images, and
against single-scale SSIM."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imagefusion.metrics import nabf, qm, qsf
from imagefusion.metrics.structural import ms_ssim_index, ssim_index


def _loop_sobel(x):
    p, q = x.shape
    ext = np.zeros((p + 2, q + 2))
    ext[1:-1, 1:-1] = x
    ext[0, :] = ext[2, :]
    ext[-1, :] = ext[-3, :]
    ext[:, 0] = ext[:, 2]
    ext[:, -1] = ext[:, -3]
    vt = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8
    ht = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]) / 8
    gv = np.zeros((p, q))
    gh = np.zeros((p, q))
    for i in range(1, p + 1):
        for j in range(1, q + 1):
            win = ext[i - 1:i + 2, j - 1:j + 2]
            gv[i - 1, j - 1] = np.sum(win * vt)
            gh[i - 1, j - 1] = np.sum(win * ht)
    return gv, gh


def _loop_nabf(a, b, f):
    (gva, gha), (gvb, ghb), (gvf, ghf) = _loop_sobel(a), _loop_sobel(b), _loop_sobel(f)
    ga, gb, gf = np.hypot(gva, gha), np.hypot(gvb, ghb), np.hypot(gvf, ghf)
    p, q = f.shape
    num = wsum = 0.0
    for i in range(p):
        for j in range(q):
            def rel(gs):
                if gs == 0 or gf[i, j] == 0:
                    return 0.0
                return gf[i, j] / gs if gs > gf[i, j] else gs / gf[i, j]

            def ang(gv, gh):
                if gv == 0 and gh == 0:
                    return 0.0
                return math.atan(gv / gh) if gh != 0 else math.copysign(math.pi / 2, gv)

            af = ang(gvf[i, j], ghf[i, j])
            qs = []
            for gs, gv, gh in ((ga[i, j], gva[i, j], gha[i, j]), (gb[i, j], gvb[i, j], ghb[i, j])):
                aa = abs(abs(ang(gv, gh) - af) - math.pi / 2) * 2 / math.pi
                qg = 0.9999 / (1 + math.exp(-19 * (rel(gs) - 0.5)))
                qa = 0.9995 / (1 + math.exp(-22 * (aa - 0.5)))
                qs.append(math.sqrt(qg * qa))
            wa = ga[i, j] ** 1.5 if ga[i, j] >= 2 else 0.001
            wb = gb[i, j] ** 1.5 if gb[i, j] >= 2 else 0.001
            wsum += wa + wb
            if gf[i, j] > ga[i, j] and gf[i, j] > gb[i, j]:
                num += (1 - qs[0]) * wa + (1 - qs[1]) * wb
    return num / wsum


def _loop_qsf(a, b, f):
    m, n = f.shape
    wd = math.sqrt(2) / 2

    def sf_terms(x):
        rf = sum((x[i, j] - x[i, j + 1]) ** 2 for i in range(m) for j in range(n - 1)) / (m * n)
        cf = sum((x[i, j] - x[i + 1, j]) ** 2 for i in range(m - 1) for j in range(n)) / (m * n)
        md = wd * sum((x[i, j] - x[i - 1, j - 1]) ** 2 for i in range(1, m) for j in range(1, n)) / (m * n)
        sd = wd * sum((x[i, j] - x[i - 1, j + 1]) ** 2 for j in range(n - 1) for i in range(1, m)) / (m * n)
        return rf + cf + md + sd

    def grad(k):
        out = 0.0
        if k == 0:
            for i in range(m):
                for j in range(n - 1):
                    out += max(abs(a[i, j] - a[i, j + 1]), abs(b[i, j] - b[i, j + 1])) ** 2
            return out / (m * n)
        if k == 1:
            for i in range(m - 1):
                for j in range(n):
                    out += max(abs(a[i, j] - a[i + 1, j]), abs(b[i, j] - b[i + 1, j])) ** 2
            return out / (m * n)
        if k == 2:
            for i in range(1, m):
                for j in range(1, n):
                    out += max(abs(a[i, j] - a[i - 1, j - 1]), abs(b[i, j] - b[i - 1, j - 1])) ** 2
            return wd * out / (m * n)
        for j in range(n - 1):
            for i in range(1, m):
                out += max(abs(a[i, j] - a[i - 1, j + 1]), abs(b[i, j] - b[i - 1, j + 1])) ** 2
        return wd * out / (m * n)

    sf_f = math.sqrt(sf_terms(f))
    sf_r = math.sqrt(sum(grad(k) for k in range(4)))
    return (sf_f - sf_r) / sf_r


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nabf_and_qsf_match_the_reference_loops(seed):
    rng = np.random.default_rng(seed)
    a, b, f = (rng.integers(0, 256, (13, 17)).astype(np.uint8) for _ in range(3))
    # a few flat patches exercise the zero-gradient branches
    a[:4, :5] = 7
    f[:4, :5] = 7
    args = [x.astype(np.float64) for x in (a, b, f)]
    assert nabf(a, b, f) == pytest.approx(_loop_nabf(*args), rel=1e-12)
    assert qsf(a, b, f) == pytest.approx(_loop_qsf(*args), rel=1e-12)


def test_nabf_is_zero_without_artefacts_and_positive_with_them():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    b = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    assert nabf(a, b, a) == 0.0  # never stronger than both sources' edges at once
    noisy = np.clip(a.astype(int) + rng.integers(-80, 80, a.shape), 0, 255).astype(np.uint8)
    assert nabf(a, a, noisy) > 0.05


def test_qm_known_values():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    assert qm(a, a, a) == pytest.approx(3.0)
    # a flat fused image keeps no detail: EP = 3 e^{-|detail|}, far below 3
    flat = np.full_like(a, 128)
    assert qm(a, a, flat) < 0.1


def test_ms_ssim_with_one_scale_is_ssim():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (20, 21)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    assert ms_ssim_index(a, b) == pytest.approx(ssim_index(a, b), rel=1e-12)
    assert ms_ssim_index(a, a) == pytest.approx(1.0)


def _seq_sum(values):
    total = 0.0
    for v in values:
        total += v
    return total


def _loop_fmi_one(s, f):
    """FMI of one source window against one fused window (both flattened column-major), statement by
    statement as Haghighat's fmi.m (MEFB's metricsFMI.m): MATLAB's min as 0.5(x + y − |x − y|), sums
    term after term, the joint pdf cell by cell."""
    l = len(s)

    def stretch(x):
        lo, hi = min(x), max(x)
        return [1.0] * l if hi == lo else [(v - lo) / (hi - lo) for v in x]

    s, f = stretch(s), stretch(f)
    w = int(round(math.sqrt(l)))
    ssum = _seq_sum(_seq_sum(s[c * w:(c + 1) * w]) for c in range(w))
    fsum = _seq_sum(_seq_sum(f[c * w:(c + 1) * w]) for c in range(w))
    sp, fp = [v / ssum for v in s], [v / fsum for v in f]
    sc, fc = [sp[0]], [fp[0]]
    for i in range(1, l):
        sc.append(sp[i] + sc[-1])
        fc.append(fp[i] + fc[-1])
    ms, mf = _seq_sum(sp) / l, _seq_sum(fp) / l
    st, ft = [v - ms for v in sp], [v - mf for v in fp]
    num = _seq_sum(a * b for a, b in zip(st, ft))
    c = 0.0 if num == 0 else num / math.sqrt(_seq_sum(a * a for a in st) * _seq_sum(b * b for b in ft))
    e_s = _seq_sum((i + 1) * sp[i] for i in range(l))
    e2_s = _seq_sum((i + 1) ** 2 * sp[i] for i in range(l))
    e_f = _seq_sum((i + 1) * fp[i] for i in range(l))
    e2_f = _seq_sum((i + 1) ** 2 * fp[i] for i in range(l))
    sd_s, sd_f = math.sqrt(max(e2_s - e_s ** 2, 0)), math.sqrt(max(e2_f - e_f ** 2, 0))
    if c >= 0:
        def bound(i, j):
            return 0.5 * (fc[i] + sc[j] - abs(fc[i] - sc[j])) if i >= 0 and j >= 0 else 0.0
    else:
        def bound(i, j):
            return 0.5 * (fc[i] + sc[j] - 1 + abs(fc[i] + sc[j] - 1)) if i >= 0 and j >= 0 else 0.0
    if c == 0 or sd_s == 0 or sd_f == 0:
        phi = 0.0
    else:
        cov = _seq_sum(bound(i, j) - fc[i] * sc[j] for i in range(l) for j in range(l))
        phi = c / (cov / (sd_f * sd_s))
    joint = 0.0
    for i in range(l):
        for j in range(l):
            jb = bound(i, j) - bound(i - 1, j) - bound(i, j - 1) + bound(i - 1, j - 1)
            p = phi * jb + (1 - phi) * fp[i] * sp[j]
            if p != 0:
                joint += -p * math.log2(abs(p))
    hs = _seq_sum(-v * math.log2(v) for v in sp if v != 0)
    hf = _seq_sum(-v * math.log2(v) for v in fp if v != 0)
    mi = hs + hf - joint
    return 0.0 if mi == 0 else 2 * mi / (hs + hf)


def _loop_fmi(a, b, f, w=3):
    vals = []
    for y in range(a.shape[0] - w + 1):
        for x in range(a.shape[1] - w + 1):
            sa, sb, sf = (list(im[y:y + w, x:x + w].T.ravel()) for im in (a, b, f))
            va = 1.0 if sa == sf else _loop_fmi_one(sa, sf)
            if sa != sf:  # the reference keeps the stretched fused window for B
                lo, hi = min(sf), max(sf)
                sf = [1.0] * len(sf) if hi == lo else [(v - lo) / (hi - lo) for v in sf]
            vb = 1.0 if sb == sf else _loop_fmi_one(sb, sf)
            vals.append((va + vb) / 2)
    return _seq_sum(vals) / len(vals)


@pytest.mark.parametrize("kind", ["grey", "binary", "continuous", "anticorrelated"])
def test_fmi_against_loop(kind):
    from imagefusion.metrics.fmi import _fmi_map_mean

    rng = np.random.default_rng({"grey": 7, "binary": 8, "continuous": 9, "anticorrelated": 10}[kind])
    if kind == "grey":  # few levels, so ties, flat windows and equal windows all occur
        a, b, f = (rng.integers(0, 4, (9, 10)).astype(float) for _ in range(3))
        a[:4, :4] = f[:4, :4]
        b[4:, 5:] = 2.0
    elif kind == "continuous":  # no ties: the bound copula's path is a strict staircase
        a, b, f = (rng.random((10, 11)) for _ in range(3))
    elif kind == "anticorrelated":  # mostly negative window correlations: the lower bound copula
        a, b = rng.random((10, 11)), rng.random((10, 11))
        f = 1 - a + 0.1 * rng.random((10, 11))
    else:  # edge maps: mostly flat windows
        a, b, f = ((rng.random((9, 10)) < 0.2).astype(float) for _ in range(3))
    np.testing.assert_allclose(_fmi_map_mean(a, b, f, 3), _loop_fmi(a, b, f), rtol=1e-12)


@pytest.mark.parametrize("w, shape", [(3, (5, 150)), (2, (4, 70)), (4, (6, 71))])
def test_fmi_against_loop_across_blocks_and_windows(w, shape):
    # rows of windows longer than the kernel's block of LANES windows (a full block and a partial
    # one), and windows other than 3×3
    from imagefusion.metrics._fmi_kernel import LANES
    from imagefusion.metrics.fmi import _fmi_map_mean

    assert shape[1] - w + 1 > LANES
    rng = np.random.default_rng(w)
    a, b = rng.random(shape), rng.integers(0, 3, shape).astype(float)
    f = np.where(rng.random(shape) < 0.5, 1 - a, b)
    np.testing.assert_allclose(_fmi_map_mean(a, b, f, w), _loop_fmi(a, b, f, w), rtol=1e-12)


def test_fmi_logarithm_is_within_one_ulp():
    # the kernel's vectorisable logarithm against the C library's, from subnormals to the largest float
    from imagefusion.metrics._vecmath import ln_array

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(20000), 10.0 ** rng.uniform(-320, 308, 20000),
                        [5e-324, 1e-310, 0.5, 1.0, 2.0, math.sqrt(2), 1 + 1e-15, 1 - 1e-16, 1.7976931348623157e308]])
    got = np.empty_like(x)
    ln_array(x, got)
    want = np.log(x)
    assert got[np.flatnonzero(x == 1.0)[0]] == 0.0
    assert np.max(np.abs(got - want) / np.spacing(np.abs(want) + 1e-300)) <= 1.0


def test_phase_congruency_exponential_is_within_one_ulp():
    # the sigmoid's vectorisable exponential against the C library's, over and beyond its clamp
    from imagefusion.metrics._vecmath import exp_array

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-20, 20, 20000), rng.uniform(-700, 700, 20000), [0.0, 1e-300, -1e-300, 700.0, -700.0]])
    got = np.empty_like(x)
    exp_array(x, got)
    assert got[np.flatnonzero(x == 0.0)[0]] == 1.0
    assert np.max(np.abs(got - np.exp(x)) / np.spacing(np.exp(x))) <= 1.0
    beyond = np.array([800.0, -800.0])
    exp_array(beyond, got[:2])
    assert got[0] == np.exp(700.0) and got[1] == np.exp(-700.0)


def test_fmi_flat_windows_follow_the_reference_rounding():
    # A flat source window against a flat (stretched) fused window that is not equal to it: both pdfs
    # are uniform, and MATLAB/Octave's mean(ones(9, 1) / 9) = 1/9 + 1.4e-17 makes the correlation 1,
    # not 0, so the window scores about 1. This is what moved our FMI (edge) 0.2-0.9 % off MEFB's
    # Octave values when the means were computed exactly.
    from imagefusion.metrics.fmi import _fmi_map_mean

    zeros, ones = np.zeros((3, 3)), np.ones((3, 3))
    src = np.eye(3)  # A differs from F, so F's window is stretched to ones before B is compared
    assert _fmi_map_mean(src, zeros, zeros, 3) == pytest.approx((_loop_fmi_one(list(src.T.ravel()), [0.0] * 9) + 1) / 2)
    assert _loop_fmi_one([0.0] * 9, [1.0] * 9) == pytest.approx(1.0, abs=1e-9)
    assert _fmi_map_mean(ones, zeros, 2 * ones, 3) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("kind", ["random", "ties", "zeros", "odd"])
def test_phase_congruency_noise_median_is_numpys(kind):
    # the histogram selection of the finest scale's median |E|² against np.median of the whole plane
    from imagefusion.metrics._kernels import energy_median

    rng = np.random.default_rng(3)
    shape = (37, 2 * 41) if kind == "odd" else (48, 2 * 64)  # an odd count of responses: one middle value
    eo = {"random": rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 3, shape),
          "ties": rng.integers(-3, 4, shape).astype(np.float64),  # many equal values, across bins
          "zeros": np.zeros(shape),
          "odd": rng.normal(size=shape)}[kind]
    energy = eo[:, 0::2] ** 2 + eo[:, 1::2] ** 2
    lo, hi = energy_median(eo)
    assert float(np.mean((lo, hi))) == np.median(energy)
    ranked = np.sort(energy.ravel())
    assert (lo, hi) == (ranked[(energy.size - 1) // 2], ranked[energy.size // 2])


def test_phase_congruency_filter_spectra_is_the_complex_product():
    from imagefusion.metrics._kernels import filter_spectra

    rng = np.random.default_rng(4)
    spectrum = rng.normal(size=(12, 10)) + 1j * rng.normal(size=(12, 10))
    filters = rng.random((3, 12, 10))
    out = np.empty((3, 12, 10), dtype=np.complex128)
    filter_spectra(spectrum.view(np.float64), filters, out.view(np.float64))
    assert np.array_equal(out, spectrum * filters)
