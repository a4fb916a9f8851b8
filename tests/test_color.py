"""The shared YCbCr colour path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import imagefusion
from imagefusion.color import fuse_chroma, rgb_to_ycbcr, weighted_rule, ycbcr_to_rgb
from imagefusion.registry import get_method, register_method

RNG = np.random.default_rng(1)


def test_bt601_coefficients_and_roundtrip():
    rgb = RNG.random((16, 16, 3)).astype(np.float32)
    ycc = rgb_to_ycbcr(rgb)
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    np.testing.assert_allclose(ycc[..., 0], y, atol=1e-5)
    np.testing.assert_allclose(ycc[..., 1], 0.5 + (rgb[..., 2] - y) / 1.772, atol=1e-5)
    np.testing.assert_allclose(ycc[..., 2], 0.5 + (rgb[..., 0] - y) / 1.402, atol=1e-5)
    np.testing.assert_allclose(ycbcr_to_rgb(ycc), rgb, atol=1e-5)


def test_chroma_weighted_by_distance_from_neutral():
    c1 = np.full((2, 2, 2), 0.5, np.float32)  # neutral: no weight
    c2 = np.full((2, 2, 2), 0.7, np.float32)
    np.testing.assert_allclose(fuse_chroma([c1, c2]), 0.7)
    c3 = np.full((2, 2, 2), 0.3, np.float32)
    c4 = np.full((2, 2, 2), 0.6, np.float32)  # weights 0.2 and 0.1
    np.testing.assert_allclose(fuse_chroma([c3, c4]), (0.3 * 0.2 + 0.6 * 0.1) / 0.3, atol=1e-6)
    np.testing.assert_allclose(fuse_chroma([c1, c1]), 0.5)


def test_ir_plus_colour_visible_keeps_visible_chroma(data_dir):
    ir = data_dir / "ivif/roadscene/ir/FLIR_00211.jpg"
    vi = data_dir / "ivif/roadscene/vi/FLIR_00211.jpg"
    fused = imagefusion.fuse([ir, vi], method="gff")
    vis = imagefusion.read_image(vi)
    assert fused.shape == vis.shape
    got = rgb_to_ycbcr(fused)[..., 1:]
    want = rgb_to_ycbcr(vis)[..., 1:]
    diff = np.abs(got - want).max(axis=2)
    inside = np.all((fused > 0) & (fused < 1), axis=2)  # equal except where RGB was clipped to [0, 1]
    assert inside.mean() > 0.5
    assert diff[inside].max() < 1e-4


def test_pet_colours_kept(data_dir):
    pet = data_dir / "medical/pet-mri/pet"
    name = sorted(pet.iterdir())[0].name
    mri = data_dir / "medical/pet-mri/mri" / name
    fused = imagefusion.fuse([pet / name, mri], method="lp")
    p = imagefusion.read_image(pet / name)
    assert fused.ndim == 3 and p.ndim == 3
    diff = np.abs(rgb_to_ycbcr(fused)[..., 1:] - rgb_to_ycbcr(p)[..., 1:]).max(axis=2)
    inside = np.all((fused > 0) & (fused < 1), axis=2)  # where the RGB rebuild was not clipped
    assert inside.mean() > 0.3
    assert diff[inside].max() < 1e-4


def test_weighted_rule_and_chroma_by_rule():
    w = np.stack([np.full((2, 3), 0.25, np.float32), np.full((2, 3), 0.75, np.float32)])
    rule = weighted_rule(w)
    np.testing.assert_allclose(rule([np.full((2, 3), 0.2), np.full((2, 3), 0.6)]), 0.25 * 0.2 + 0.75 * 0.6, atol=1e-6)
    with pytest.raises(ValueError, match="2 sources"):
        rule([np.zeros((2, 3))] * 3)
    c1, c2 = np.full((2, 3, 2), 0.7, np.float32), np.full((2, 3, 2), 0.3, np.float32)
    np.testing.assert_allclose(fuse_chroma([c1, c2], rule), 0.25 * 0.7 + 0.75 * 0.3, atol=1e-6)
    np.testing.assert_allclose(fuse_chroma([c1, c2]), 0.5, atol=1e-6)  # the neutral-distance rule


def _colour_multifocus_pair(size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """A sharp on the left and blurred on the right, B the other way round; A tinted blue-ish
    (Cb 0.6), B yellow-ish (Cb 0.4), equally far from neutral."""
    rng = np.random.default_rng(5)
    y = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), 1.0)
    y = 0.25 + 0.5 * (y - y.min()) / (y.max() - y.min())
    blurred = cv2.GaussianBlur(y, (0, 0), 3.0)
    left = np.arange(size)[None, :] < size // 2
    ya, yb = np.where(left, y, blurred), np.where(left, blurred, y)

    def tint(lum: np.ndarray, cb: float) -> np.ndarray:
        ycc = np.stack([lum, np.full_like(lum, cb), np.full_like(lum, 0.5)], axis=-1)
        return ycbcr_to_rgb(ycc.astype(np.float32))

    return tint(ya, 0.6), tint(yb, 0.4)


# GFF's base-layer weights are guided-filtered with r = 45, ε = 0.3, so on a 96-pixel image they stay
# near 0.5 away from the boundary too (0.53 and 0.47 with the windows cut at the border, as the authors' code
# cuts them); the focus-map methods decide sharply.
@pytest.mark.parametrize(("method", "margin"), [("gff", 0.02), ("siamese-cnn", 0.09), ("cnn-liu2017", 0.09)])
def test_multifocus_chroma_follows_the_focused_source(method, margin):
    assert get_method(method).channel_rule
    a, b = _colour_multifocus_pair()
    cb = rgb_to_ycbcr(imagefusion.fuse([a, b], method=method))[..., 1]
    # away from the focus boundary and the image border, each side leans to its sharp source's chroma
    assert cb[16:-16, 8:32].mean() > 0.5 + margin
    assert cb[16:-16, -32:-8].mean() < 0.5 - margin
    # a method without its own rule mixes them (neutral-distance weights are equal here)
    lp = rgb_to_ycbcr(imagefusion.fuse([a, b], method="lp"))[..., 1]
    np.testing.assert_allclose(lp[16:-16, 8:-8], 0.5, atol=0.01)


def test_channel_rule_registration_needs_the_parameter():
    with pytest.raises(ValueError, match="no such parameter"):
        register_method("no-rule-test", tasks=("mff",), family="pixel", reference="-", channel_rule=True)(
            lambda images: images[0])
    assert "channel_rule" not in get_method("gff").params
