"""The shared YCbCr colour path."""

from __future__ import annotations

import numpy as np

import imagefusion
from imagefusion.color import fuse_chroma, rgb_to_ycbcr, ycbcr_to_rgb

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
