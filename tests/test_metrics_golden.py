"""Golden agreement with the reference code's values in ../shared/golden (1e-3 relative)."""

from __future__ import annotations

import csv


from imagefusion.metrics import evaluate

VIFB_NAMES = {
    "Avg_gradient": "ag", "Cross_entropy": "ce", "Edge_intensity": "ei", "Entropy": "en", "Mutinf": "mi",
    "Psnr": "psnr", "Qabf": "qabf", "Qcb": "qcb", "Qcv": "qcv", "Rmse": "rmse", "Spatial_frequency": "sf",
    "Ssim": "ssim", "Variance": "sd",
}
CDDFUSE_NAMES = {
    "EN": "en", "SD": "sd", "SF": "sf", "MI": "mi", "SCD": "scd", "VIF": "vif", "Qabf": "qabf", "SSIM": "ssim",
    "AG": "ag", "MSE": "mse", "CC": "cc", "PSNR": "psnr",
}
REL = 1e-3


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _group(rows, key):
    out = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def _check(got: dict, expected: list[tuple[str, float]], label: str):
    bad = [(n, got[n], v) for n, v in expected if abs(got[n] - v) > REL * abs(v)]
    assert not bad, f"{label}: (metric, ours, reference) outside 1e-3 relative: {bad}"


def test_vifb_matlab_values(golden_dir):
    rows = _rows(golden_dir / "vifb/vifb_matlab_values.csv")
    groups = _group(rows, lambda r: (r["image"], r["method"]))
    assert len(groups) == 6
    for (image, method), rs in groups.items():
        g = golden_dir / "vifb"
        # VIFB calls metrics(imgVI, imgIR, fused); our source order is the folder order [ir, vi].
        got = evaluate(g / f"fused/{image}_{method}.jpg", [g / f"ir/{image}.jpg", g / f"vi/{image}.jpg"],
                       sorted(set(VIFB_NAMES.values())), convention="vifb")
        _check(got, [(VIFB_NAMES[r["metric"]], float(r["value"])) for r in rs], f"{image}_{method}")


def test_cddfuse_python_values(golden_dir):
    rows = _rows(golden_dir / "cddfuse_py_values.csv")
    groups = _group(rows, lambda r: r["case"])
    assert len(groups) == 10
    for case, rs in groups.items():
        folder, name = case.split("/")
        fused = golden_dir / folder / "fused" / (name + (".jpg" if folder == "vifb" else ".png"))
        srcs = [golden_dir / rs[0]["source_a"], golden_dir / rs[0]["source_b"]]
        got = evaluate(fused, srcs, sorted(set(CDDFUSE_NAMES.values())), convention="cddfuse")
        _check(got, [(CDDFUSE_NAMES[r["metric"]], float(r["value"])) for r in rs], case)


MEFB_NAMES = {
    "Cross_entropy": "ce", "Entropy": "en", "NMI": "nmi", "Psnr": "psnr", "Qncie": "qncie", "TE": "qte",
    "Avg_gradient": "ag", "Edge_intensity": "ei", "Qabf": "qabf", "SD": "sd", "Spatial_frequency": "sf",
    "Qc": "qc", "Qw": "qw", "Qy": "qy", "Qcb": "qcb", "Qcv": "qcv", "VIF": "viff", "MEF_SSIM": "mef_ssim",
    "FMI": "fmi_edge", "Qp": "qp",
}
# Tolerances other than 1e-3, with the reason:
# * qc on the two MEFB colour cases: Cvejic's code uses SSIM constants C1 = C2 = 2e-16 and the ratio
#   sigma_AF / (sigma_AF + sigma_BF). In the saturated flat windows of these exposures all three
#   statistics are zero up to floating-point round-off, so the reference's value there is decided by
#   the summation order of Octave's filter2 (changing only our filter's summation order moves our
#   value by 1-10 %). The grey medical cases, without such windows, agree to 1e-10.
# * viff on Window2: the same round-off in near-zero variances against VIF's 1e-10 thresholds;
#   1.4e-3 observed.
# * fmi_edge: within 5e-5 since the window statistics are summed term after term as Octave does (on
#   a flat window that rounding decides the correlation, see tests/test_metrics_loops.py); before,
#   ours was 0.2-0.9 % below. What is left is the edge maps (1 pixel in 2,248 on medical/11) and
#   round-off in other near-degenerate windows.
MEFB_TOL = {("mefb", "qc"): 0.15, ("mefb", "viff"): 2e-3}


def test_mefb_octave_values(golden_dir):
    rows = _rows(golden_dir / "mefb_octave_values.csv")
    groups = _group(rows, lambda r: r["case"])
    assert len(groups) == 4
    for case, rs in groups.items():
        folder, fused_name = case.split("/")
        name = fused_name.split("_")[0]
        src = ["under", "over"] if folder == "mefb" else ["ct", "mri"]
        g = golden_dir / folder
        got = evaluate(g / f"fused/{fused_name}.png", [g / f"{s}/{name}.png" for s in src],
                       sorted(set(MEFB_NAMES.values())), convention="mefb")
        bad = []
        for r in rs:
            want = float(r["value"])
            if want != want:  # NaN: MEF_SSIM on grey cases
                continue
            m = MEFB_NAMES[r["metric"]]
            tol = MEFB_TOL.get((folder, m), REL)
            if abs(got[m] - want) > tol * abs(want):
                bad.append((m, got[m], want))
        assert not bad, f"{case}: (metric, ours, reference) outside tolerance: {bad}"
