"""Classical methods on real data: identity, sharpness, sizes, the similarity rule, the registry."""

from __future__ import annotations

import numpy as np
import pytest

import imagefusion
from imagefusion import InvalidImageError, ParameterError, UnknownNameError
from imagefusion.methods.pyramid import laplacian_pyramid, reconstruct_laplacian, similarity_rule

CLASSICAL = [s.name for s in imagefusion.list_methods() if not s.needs_weights]
EXPECTED = {"average", "max-abs", "lp", "lp-similarity", "ratio", "contrast", "dwt", "dtcwt", "gff"}


def mean_gradient(img: np.ndarray) -> float:
    gy, gx = np.gradient(img.astype(np.float64))
    return float(np.mean(np.hypot(gx, gy)))


def test_registry_names_and_metadata():
    assert EXPECTED <= set(CLASSICAL)
    spec = imagefusion.get_method("gff")
    assert spec.params["r1"] == 45 and spec.params["eps1"] == 0.3
    assert spec.params["r2"] == 7 and spec.params["eps2"] == 1e-6
    assert not spec.needs_weights and "Li, Kang & Hu" in spec.reference
    assert {s.name for s in imagefusion.list_methods("mef")} >= {"mertens", "lp", "dwt"}
    with pytest.raises(UnknownNameError, match="unknown method 'nope'"):
        imagefusion.fuse([np.zeros((8, 8))] * 2, method="nope")
    with pytest.raises(ParameterError, match="no parameter sigma"):
        imagefusion.fuse([np.zeros((8, 8))] * 2, method="lp", sigma=2)


@pytest.fixture(scope="module")
def tno_vi(data_dir):
    return imagefusion.read_image(data_dir / "ivif/tno/vi/01.png")


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_fusing_an_image_with_itself_returns_it(method, tno_vi):
    fused = imagefusion.fuse([tno_vi, tno_vi], method=method)
    assert fused.shape == tno_vi.shape and fused.dtype == np.float32
    np.testing.assert_allclose(fused, tno_vi, atol=2e-5)


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_odd_sizes_and_three_sources(method):
    rng = np.random.default_rng(2)
    imgs = [rng.random((37, 53)).astype(np.float32) for _ in range(3)]
    n = 2 if method == "lp-similarity" else 3
    fused = imagefusion.fuse(imgs[:n], method=method)
    assert fused.shape == (37, 53)
    assert np.isfinite(fused).all() and 0 <= fused.min() and fused.max() <= 1


def test_lp_similarity_accepts_only_two_sources():
    with pytest.raises(InvalidImageError, match="fuses 2 to 2 sources"):
        imagefusion.fuse([np.zeros((16, 16))] * 3, method="lp-similarity")


@pytest.mark.parametrize("method", ["gff", "lp-similarity", "lp", "dwt"])
def test_multifocus_fusion_is_sharper_than_either_source(method, data_dir):
    sharper = 0
    names = ["lytro_01", "lytro_05", "lytro_10"]
    for name in names:
        a = data_dir / f"mff/lytro/a/{name}.jpg"
        b = data_dir / f"mff/lytro/b/{name}.jpg"
        fused = imagefusion.fuse([a, b], method=method)
        assert fused.shape == (520, 520, 3)
        grey = [imagefusion.color.rgb_to_ycbcr(x)[..., 0] for x in (imagefusion.read_image(a), imagefusion.read_image(b), fused)]
        ga, gb, gf = (mean_gradient(g) for g in grey)
        sharper += gf > max(ga, gb)
    assert sharper == len(names)


def test_similarity_rule_hand_computed():
    # 3x3 bands; the rule at the centre pixel sees the whole 3x3 window.
    a = np.array([[1, 0, 0], [0, 2, 0], [0, 0, 1]], np.float64)
    b = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float64)
    w = np.full((3, 3), 0.25)
    out = similarity_rule(a, b, w, threshold=0.6)
    # centre: E_A = 1+4+1 = 6, E_B = 3, cross = 1+2+1 = 4, S = 8/9 >= 0.6 -> 0.25*2 + 0.75*1 = 1.25
    assert out[1, 1] == pytest.approx(1.25)
    # with t = 0.95, S < t -> select the band of larger energy (A): 2
    assert similarity_rule(a, b, w, threshold=0.95)[1, 1] == pytest.approx(2.0)
    # opposite signs: S < 0 -> selection
    c = -b
    assert similarity_rule(a, c, w)[1, 1] == pytest.approx(2.0)
    # both zero -> S = 1 -> weighted average of zeros
    z = np.zeros((3, 3))
    assert similarity_rule(z, z, w)[1, 1] == 0.0


def test_lp_similarity_uses_the_weight_map():
    rng = np.random.default_rng(3)
    a, b = rng.random((2, 64, 64)).astype(np.float32)
    only_a = imagefusion.fuse([a, b], method="lp-similarity", weight_map=np.ones((64, 64), np.float32), threshold=-1.0)
    np.testing.assert_allclose(only_a, a, atol=1e-5)  # S >= -1 always -> W=1 takes A everywhere
    with pytest.raises(InvalidImageError, match="weight map"):
        imagefusion.fuse([a, b], method="lp-similarity", weight_map=np.ones((8, 8), np.float32))


def test_laplacian_pyramid_is_exactly_invertible():
    img = np.random.default_rng(4).random((101, 77)).astype(np.float32)
    np.testing.assert_allclose(reconstruct_laplacian(laplacian_pyramid(img, 5)), img, atol=1e-6)


def test_bad_inputs_raise_documented_errors(tmp_path, data_dir):
    with pytest.raises(imagefusion.SizeMismatchError, match="01.png is 768x576 but .*05.png is 575x475"):
        imagefusion.fuse([data_dir / "ivif/tno/ir/01.png", data_dir / "ivif/tno/vi/05.png"])
    with pytest.raises(InvalidImageError, match="at least two"):
        imagefusion.fuse([np.zeros((4, 4))])
    with pytest.raises(InvalidImageError, match="source 2: 16 NaN"):
        imagefusion.fuse([np.zeros((4, 4)), np.full((4, 4), np.nan)])
