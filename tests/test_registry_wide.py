"""Registry-wide checks, as timm tests every registered model: every method and every metric refuses a
wrong number of sources with the project's error, every metric refuses images below its size with one,
and every metric is finite on constant, saturated, tiny and random images (``psnr`` is +inf where the
fused image equals every source, as its formula says)."""

from __future__ import annotations

import numpy as np
import pytest

import imagefusion
from imagefusion.metrics import evaluate, list_metrics

METRICS = [m.name for m in list_metrics()]


def _images(kind: str, n: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    if kind == "random":
        return [rng.uniform(0, 1, (n, n + 5)).astype(np.float32) for _ in range(3)]
    if kind == "constant":
        return [np.full((n, n), 0.5, np.float32)] * 3
    if kind == "saturated":
        return [np.ones((n, n), np.float32), np.zeros((n, n), np.float32), np.ones((n, n), np.float32)]
    if kind == "black":
        return [np.zeros((n, n), np.float32)] * 3
    raise ValueError(kind)


@pytest.mark.parametrize("name", METRICS)
def test_metric_refuses_a_wrong_number_of_sources(name):
    a, b, f = _images("random")
    spec = imagefusion.metrics.get_metric(name)
    if spec.sources == 2:
        for srcs in ([a], [a, b, a]):
            with pytest.raises(imagefusion.InvalidImageError, match="defined for two sources"):
                evaluate(f, srcs, [name])
    else:
        assert np.isfinite(evaluate(f, [a, b, a], [name])[name])
    with pytest.raises(imagefusion.ImageFusionError):
        evaluate(f, [], [name]) if spec.uses_sources else evaluate(f[:0], [a], [name])


@pytest.mark.parametrize("name", METRICS)
def test_metric_below_its_size_is_a_clear_error_and_at_its_size_finite(name):
    spec = imagefusion.metrics.get_metric(name)
    n = spec.min_size
    a, b, f = _images("random", n)
    assert np.isfinite(evaluate(f, [a, b], [name])[name])
    if n > 1:
        a, b, f = (x[: n - 1, : n - 1] for x in (a, b, f))
        with pytest.raises(imagefusion.InvalidImageError, match=f"at least {n}x{n} pixels"):
            evaluate(f, [a, b], [name])


@pytest.mark.parametrize("kind", ["constant", "saturated", "black", "random"])
def test_every_metric_is_finite_on_flat_saturated_and_random_images(kind):
    a, b, f = _images(kind)
    values = evaluate(f, [a, b], METRICS)
    bad = {k: v for k, v in values.items() if not np.isfinite(v)}
    if kind in ("constant", "black"):  # fused == both sources: zero error, infinite PSNR
        assert bad == {"psnr": float("inf")}
    else:
        assert bad == {}


@pytest.mark.parametrize("name", [s.name for s in imagefusion.list_methods()])
def test_method_refuses_a_wrong_number_of_sources(name):
    spec = imagefusion.get_method(name)
    a = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    with pytest.raises(imagefusion.InvalidImageError, match="at least two sources"):
        imagefusion.fuse([a], name)
    if spec.max_sources is not None:
        with pytest.raises(imagefusion.ImageFusionError, match=f"fuses 2 to {spec.max_sources} sources, got 3"):
            imagefusion.fuse([a, a, a], name)


# --- parameter types and ranges, checked before any work (hypothesis draws the values) -------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NUMERIC = [(s.name, k, r) for s in imagefusion.list_methods() for k, r in s.ranges.items()
            if len(r) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in r)]


def test_every_method_declares_ranges_for_its_numeric_parameters():
    for spec in imagefusion.list_methods():
        numeric = [k for k, v in spec.params.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        assert set(numeric) <= set(spec.ranges), (spec.name, set(numeric) - set(spec.ranges))
        for k, v in spec.params.items():  # every default lies in its own range
            spec.check_params({k: v})


@pytest.mark.parametrize("method,key,bounds", _NUMERIC)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_parameter_ranges_accept_inside_and_refuse_outside(method, key, bounds, data):
    spec = imagefusion.get_method(method)
    lo, hi = bounds
    seq = isinstance(spec.params[key], tuple)  # a list parameter (nsct-sr's levels): the range is per entry
    wrap = (lambda v: (v,)) if seq else (lambda v: v)
    elem = spec.params[key][0] if seq else spec.params[key]
    integer = isinstance(elem, int) and not isinstance(elem, bool)
    inside = wrap(data.draw(st.integers(lo, hi) if integer else st.floats(lo, hi)))
    assert spec.check_params({key: inside})[key] == inside
    outside = data.draw(st.one_of(st.integers(hi + 1, hi + 10**6), st.integers(lo - 10**6, lo - 1)) if integer
                        else st.one_of(st.floats(hi, 1e300, exclude_min=True), st.floats(-1e300, lo, exclude_max=True),
                                       st.just(float("nan")), st.just(float("inf"))))
    with pytest.raises(imagefusion.ParameterError, match=f"parameter {key}="):
        spec.check_params({key: wrap(outside)})
