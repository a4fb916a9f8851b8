"""Siamese-CNN multi-focus fusion with the shipped weights: identity, a synthetic pair with a known
focus mask, colour, any size, more than two sources."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from scipy import ndimage

import imagefusion
from imagefusion.color import rgb_to_ycbcr
from imagefusion.models.siamese import decision_map, decision_map_fusion, focus_map, pyramid_blending
from imagefusion.train.data import synthetic_multifocus_pair

METHODS = ["siamese-cnn", "cnn-liu2017"]


def _scene() -> np.ndarray:
    """A grey natural image that is in neither the training nor the evaluation data."""
    return skimage.data.astronaut()[::2, ::2].mean(axis=2).astype(np.float32) / 255  # 256 x 256


def _blob_mask(shape: tuple[int, int]) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return ((yy - 120) ** 2 / 70**2 + (xx - 140) ** 2 / 95**2) < 1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("rule", ["pyramid", "decision"])
def test_two_copies_fuse_to_the_image(method, rule):
    im = _scene()
    fused = imagefusion.fuse([im, im], method=method, rule=rule)
    np.testing.assert_allclose(fused, im, atol=2e-5)


@pytest.mark.parametrize("method", METHODS)
def test_decision_map_recovers_a_known_focus_mask(method):
    im = _scene()
    mask = _blob_mask(im.shape)
    a, b = synthetic_multifocus_pair(im, mask, sigma=2.0, repeats=3)
    network = "siamese-cnn" if method == "siamese-cnn" else "cnn-liu2017"
    d = decision_map(focus_map(a, b, network))
    # away from the boundary: more than 8 pixels (half a patch) from it
    far = ~(ndimage.binary_dilation(mask, iterations=8) & ndimage.binary_dilation(~mask, iterations=8))
    agreement = (d == mask)[far].mean()
    assert agreement >= 0.95, agreement
    # and with the sources swapped the map flips
    d_swapped = decision_map(focus_map(b, a, network))
    assert ((~d_swapped) == mask)[far].mean() >= 0.95


def test_fused_multifocus_pair_is_close_to_the_all_in_focus_image():
    im = _scene()
    a, b = synthetic_multifocus_pair(im, _blob_mask(im.shape))
    fused = imagefusion.fuse([a, b], method="siamese-cnn")
    err_fused = np.abs(fused - im).mean()
    assert err_fused < 0.25 * min(np.abs(a - im).mean(), np.abs(b - im).mean())


def test_colour_any_size_and_three_sources():
    rgb = skimage.data.coffee()[:137, :201].astype(np.float32) / 255  # odd size, not a stride multiple
    mask = np.zeros(rgb.shape[:2], bool)
    mask[:, :100] = True
    a, b = synthetic_multifocus_pair(rgb, mask)
    fused = imagefusion.fuse([a, b], method="siamese-cnn")
    assert fused.shape == rgb.shape and fused.dtype == np.float32
    assert 0 <= fused.min() and fused.max() <= 1
    y = rgb_to_ycbcr(rgb)[..., 0]
    assert np.abs(rgb_to_ycbcr(fused)[..., 0] - y).mean() < np.abs(rgb_to_ycbcr(a)[..., 0] - y).mean()
    three = imagefusion.fuse([a, b, a], method="cnn-liu2017")
    assert three.shape == rgb.shape


def test_pyramid_blending_with_constant_weight_maps():
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 40, 52), dtype=np.float32)
    # W = 1 and a threshold below -1: every level is the weighted average, which is all A
    np.testing.assert_allclose(pyramid_blending(a, b, np.ones_like(a), threshold=-1.1), a, atol=1e-5)
    np.testing.assert_allclose(pyramid_blending(a, b, np.zeros_like(a), threshold=-1.1), b, atol=1e-5)


def test_decision_map_removes_small_regions_and_fusion_follows_it():
    w = np.zeros((100, 100), np.float32)
    w[10:60, 10:60] = 0.9  # 2500 px region: kept
    w[80:85, 80:85] = 0.9  # 25 px < 1% of 10000: removed
    w[30:33, 30:33] = 0.1  # 9 px hole: filled
    d = decision_map(w)
    assert d[10:60, 10:60].all() and not d[80:85, 80:85].any() and d.sum() == 2500
    a, b = np.ones((100, 100), np.float32), np.zeros((100, 100), np.float32)
    fused = decision_map_fusion(a, b, w)
    # the guided filter (r = 8, eps = 0.1) softens the map's edges; the removed speck and the filled
    # hole follow the cleaned map
    assert fused[25:45, 25:45].min() > 0.9 and fused[31, 31] > 0.9 and fused[70:, 70:].max() < 0.1


def test_unknown_rule_is_an_error():
    im = _scene()
    with pytest.raises(imagefusion.ParameterError, match="rule"):
        imagefusion.fuse([im, im], method="siamese-cnn", rule="max")
