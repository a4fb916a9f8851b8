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
