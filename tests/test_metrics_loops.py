"""Known answers for N^AB/F, Q_SF, Q_M and MS-SSIM: the vectorised code against per-pixel loops that
follow the reference MATLAB code statement by statement (Kumar's objective_fusion_perform_fn.m,
Liu's metricZheng.m), on small random images, and against single-scale SSIM."""

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
