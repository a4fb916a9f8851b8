"""Metric properties (hypothesis): ideal values, symmetry in the sources, finiteness; API errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imagefusion
from imagefusion import InvalidImageError, SizeMismatchError, UnknownNameError
from imagefusion.metrics import CONVENTIONS, evaluate, list_metrics

SOURCE_METRICS = [m.name for m in list_metrics() if m.uses_sources]
# Not symmetric in the reference code: viff breaks exact gain ties by source order; qc clips the
# weight sigma_AF / (sigma_AF + sigma_BF) to 0 below 0 but to 1 above 1 (the clip is not mirrored).
# The FMI reference normalises the fused window while scoring the first source and compares the
# second source with that normalised window, so swapping the sources can change the value.
SYMMETRIC = [n for n in SOURCE_METRICS if n not in ("viff", "qc") and not n.startswith("fmi")]
# The ideal value when the fused image equals both (identical) sources.
IDEAL = {"ssim": 2.0, "cc": 1.0, "mse": 0.0, "rmse": 0.0, "qs": 1.0, "qw": 1.0, "qe": 1.0, "qc": 1.0,
         "qy": 1.0, "scd": None, "ce": 0.0, "qcb": 1.0, "qcv": 0.0, "nabf": 0.0, "qm": 3.0, "qsf": 0.0,
         "ms_ssim": 2.0}

images = st.integers(min_value=0, max_value=2**32 - 1).map(
    lambda seed: np.random.default_rng(seed).integers(0, 256, (72, 80), dtype=np.uint8)
)
slow = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _textured(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.cumsum(np.cumsum(rng.normal(size=(72, 80)), axis=0), axis=1)
    base = (base - base.min()) / (base.max() - base.min())
    return np.round(base * 200 + rng.integers(0, 40, (72, 80))).astype(np.uint8)


@slow
@given(seed=st.integers(0, 10_000), convention=st.sampled_from(CONVENTIONS))
def test_identical_sources_give_the_ideal_value(seed, convention):
    a = _textured(seed)
    got = evaluate(a, [a, a], [k for k, v in IDEAL.items() if v is not None], convention=convention)
    for name, ideal in IDEAL.items():
        if ideal is not None:
            assert got[name] == pytest.approx(ideal, abs=1e-6), name
    assert evaluate(a, [a, a], ["psnr"], convention=convention)["psnr"] == float("inf")


@slow
@given(a=images, b=images, f=images, convention=st.sampled_from(CONVENTIONS))
def test_symmetric_metrics_are_symmetric_in_the_sources(a, b, f, convention):
    ab = evaluate(f, [a, b], SYMMETRIC, convention=convention)
    ba = evaluate(f, [b, a], SYMMETRIC, convention=convention)
    for name in SYMMETRIC:
        assert ab[name] == pytest.approx(ba[name], rel=1e-9, abs=1e-12), name


@slow
@given(levels=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
       convention=st.sampled_from(CONVENTIONS))
def test_finite_on_constant_images(levels, convention):
    a, b, f = (np.full((72, 80), v, np.uint8) for v in levels)
    got = evaluate(f, [a, b], "all", convention=convention)
    for name, value in got.items():
        if name == "psnr" and levels[0] == levels[1] == levels[2]:
            continue  # identical images: PSNR is +inf by definition
        if name == "psnr" and convention == "cddfuse" and levels[2] == 0:
            assert value == float("-inf")  # CDDFuse's PSNR uses the fused image's peak, 0 here
            continue
        assert np.isfinite(value), (name, value)


def test_list_metrics_has_direction_range_and_reference():
    specs = {m.name: m for m in list_metrics()}
    assert specs["qcv"].direction == "lower" and specs["qabf"].direction == "higher"
    assert specs["qabf"].value_range == (0.0, 1.0)
    assert all(m.reference for m in specs.values())
    assert imagefusion.list_metrics() == list_metrics()


def test_metric_errors_are_clear():
    a = np.zeros((16, 16), np.uint8)
    with pytest.raises(UnknownNameError, match="unknown metric 'nope'"):
        evaluate(a, [a, a], ["nope"])
    with pytest.raises(UnknownNameError, match="unknown convention"):
        evaluate(a, [a, a], ["en"], convention="matlab")
    with pytest.raises(SizeMismatchError, match="source 2 is 8x8 but fused is 16x16"):
        evaluate(a, [a, np.zeros((8, 8), np.uint8)], ["mi"])
    with pytest.raises(InvalidImageError, match="float images must lie in"):
        evaluate(np.full((16, 16), 3.0), [a, a], ["en"])


def test_float_input_is_scored_as_the_8bit_image(data_dir):
    ir = data_dir / "ivif/tno/ir/01.png"
    vi = data_dir / "ivif/tno/vi/01.png"
    fused = imagefusion.fuse([ir, vi], method="lp")
    as_u8 = np.round(fused * 255).astype(np.uint8)
    names = ["en", "mi", "qabf", "ssim"]
    assert evaluate(fused, [ir, vi], names) == evaluate(as_u8, [ir, vi], names)


def test_evaluate_cli_writes_csv_and_summaries(tmp_path, data_dir):
    from typer.testing import CliRunner

    from imagefusion.cli import app

    pairs = tmp_path / "pairs"
    fused_dir = tmp_path / "fused"
    for name in ("01", "06"):
        srcs = [data_dir / f"ivif/tno/{s}/{name}.png" for s in ("ir", "vi")]
        for s, p in zip(("ir", "vi"), srcs):
            imagefusion.write_image(pairs / s / f"{name}.png", imagefusion.read_image(p))
        imagefusion.write_image(fused_dir / f"{name}.png", imagefusion.fuse(srcs, method="average"))
    out = tmp_path / "res" / "tno.csv"
    res = CliRunner().invoke(app, ["evaluate", "--fused", str(fused_dir), "--sources", str(pairs),
                                   "--metrics", "en,qabf,ssim", "--convention", "vifb", "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert lines[0] == "name,en,qabf,ssim" and len(lines) == 3
    direct = evaluate(fused_dir / "01.png", [pairs / "ir/01.png", pairs / "vi/01.png"], ["qabf"], convention="vifb")
    assert float(lines[1].split(",")[2]) == pytest.approx(direct["qabf"], rel=1e-12)
    assert "| qabf | ↑ |" in out.with_suffix(".md").read_text()
    assert '"summary"' in out.with_suffix(".json").read_text()
    (fused_dir / "06.png").unlink()
    res = CliRunner().invoke(app, ["evaluate", "--fused", str(fused_dir), "--sources", str(pairs)])
    assert res.exit_code == 1 and "pairs with no fused image" in res.output and "06" in res.output


def test_evaluate_shares_work_without_changing_values():
    """evaluate() (thread pool + per-plane cache) equals each metric function called on its own."""
    rng = np.random.default_rng(11)
    ir = np.repeat(_textured(1)[..., None], 3, axis=2)  # infrared stored as RGB: equal channels
    vi = np.stack([_textured(k) for k in (2, 3, 4)], axis=2)
    f = ((ir.astype(int) + vi) // 2).astype(np.uint8)
    f[..., 1] = np.clip(f[..., 1].astype(int) + rng.integers(-5, 5, f.shape[:2]), 0, 255)
    for convention in CONVENTIONS:
        got = evaluate(f, [ir, vi], "all", convention=convention)
        for spec in list_metrics():
            args = (ir, vi, f) if spec.uses_sources else (f,)
            want = spec.func(*args, convention=convention)
            assert got[spec.name] == pytest.approx(want, rel=1e-12, abs=1e-12), (convention, spec.name)


def test_evaluations_sharing_sources_keep_only_the_sources_work():
    """Several evaluate() calls in one shared block (as the bench scores every method's result of a
    pair) give the values of separate calls; between calls only what the sources' planes need stays."""
    from imagefusion.metrics._cache import _CACHE, shared_features

    ir = np.repeat(_textured(1)[..., None], 3, axis=2)
    vi = np.stack([_textured(k) for k in (2, 3, 4)], axis=2)
    fused = [((ir.astype(int) + vi) // 2).astype(np.uint8), np.maximum(ir, vi), vi.copy()]
    names = ["qp", "fmi_dct", "fmi_pixel", "ssim", "qabf", "qcb", "qcv", "mi", "qe", "qy", "mef_ssim", "vif", "viff", "nabf",
             "ms_ssim"]
    separate = [evaluate(f, [ir, vi], names) for f in fused]
    with shared_features():
        shared = []
        for i, f in enumerate(fused):
            shared.append(evaluate(f, [ir, vi], names))
            pointers = {v[0].__array_interface__["data"][0] for k, v in _CACHE.get().items() if isinstance(k, tuple)}
            if i:  # the previous fused image's entries are dropped at the end of this evaluation
                assert fused[i - 1].__array_interface__["data"][0] not in pointers
        tags = {k[0] for k in _CACHE.get() if isinstance(k, tuple)}
        assert {"fmi_dct", "ssim_moments_11", "ssim_moments_7", "vif_pyramid", "nabf_source"} <= tags  # the sources' stay
        pair_tags = {t[0] for t in tags if isinstance(t, tuple)}  # and what is kept per source pair
        assert {"qp_pair", "piella_sources", "mef_ssim_False"} <= pair_tags
    assert shared == separate
