"""MFEnet: network layout, fusion rules, edge enhancement, shipped weights, colour, training smoke run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from torch.nn import functional as F
from typer.testing import CliRunner

import imagefusion
from imagefusion.cli import app
from imagefusion.errors import ParameterError
from imagefusion.io import read_image, write_image
from imagefusion.models.mfenet import canny_edges, edge_enhance, fuse_features
from imagefusion.metrics.structural import ssim_index
from imagefusion.nn.losses import gradient_loss
from imagefusion.models.mfenet.network import MFEnet
from imagefusion.nn.weights import create_network, read_model_card, shipped_weights_path
from imagefusion.models.mfenet.train import mfenet_loss
from imagefusion.train.data import medical_training_images


def _brain_like(size: int = 96) -> np.ndarray:
    """A grey head slice in no training set: the centre of the Shepp–Logan phantom (400×400)."""
    im = skimage.data.shepp_logan_phantom().astype(np.float32)
    y0 = 200 - size // 2
    return np.ascontiguousarray(im[y0 : y0 + size, y0 : y0 + size])


def test_layer_shapes_and_dilations():
    torch.manual_seed(0)
    net = MFEnet().eval()
    for name, d in (("c2", 1), ("c3", 3), ("c4", 5)):
        conv = getattr(net, name)
        assert conv.dilation == (d, d) and conv.kernel_size == (3, 3) and conv.padding == (d, d)
        assert (conv.in_channels, conv.out_channels) == (64, 64)
    assert (net.c1.in_channels, net.c1.out_channels) == (1, 64)
    assert net.c5.kernel_size == (1, 1) and (net.c5.in_channels, net.c5.out_channels) == (192, 64)
    assert [(c.in_channels, c.out_channels) for c in (net.c6, net.c7)] == [(64, 64)] * 2
    assert [(c.in_channels, c.out_channels) for c in (net.c8, net.c9, net.c10, net.c11)] == [
        (64, 64), (64, 32), (32, 16), (16, 1)]
    for shape in ((37, 53), (1, 1), (64, 31)):
        x = torch.rand(2, 1, *shape)
        with torch.no_grad():
            f = net.encoder(x)
            assert f.shape == (2, 64, *shape) and float(f.min()) >= 0
            y = net.decoder(f)
            assert y.shape == (2, 1, *shape) and float(y.min()) >= 0  # ReLU output (module docstring)
    # the encoder's C5-as-three-slices equals C5 on the concatenation, plus the C1 skip
    x = torch.rand(1, 1, 40, 40)
    with torch.no_grad():
        shallow = F.relu(net.c1(x))
        ref = F.relu(net.c5(torch.cat(net.multi_scale(shallow), 1))) + shallow
        ref = F.relu(net.c7(F.relu(net.c6(ref))))
        assert torch.allclose(net.encoder(x), ref, atol=1e-6)


def test_receptive_field_radius():
    torch.manual_seed(0)
    net = MFEnet().eval()
    with torch.no_grad():  # every ReLU on for a positive input, so the change reaches as far as it can
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.abs_()
                m.bias.zero_()
    x = torch.rand(1, 1, 64, 64)
    y = x.clone()
    y[0, 0, 32, 32] += 1
    with torch.no_grad():
        changed = (net(x) - net(y)).abs()[0, 0] > 0
    rows, cols = np.nonzero(changed.numpy())
    r = net.radius
    assert rows.min() >= 32 - r and rows.max() <= 32 + r and cols.min() >= 32 - r and cols.max() <= 32 + r
    assert rows.max() - rows.min() == 2 * r  # the radius is tight, not just a bound


def test_fusion_rules_hand_computed():
    a = torch.tensor([[1.0, -3.0], [2.0, 0.0]]).view(1, 1, 2, 2)
    b = torch.tensor([[-2.0, 1.0], [-2.0, 5.0]]).view(1, 1, 2, 2)
    # max-abs (eq. 1): the larger magnitude wins, the first source on ties
    assert fuse_features([a, b], "max").flatten().tolist() == [-2.0, -3.0, 2.0, 5.0]
    assert fuse_features([a, b], "add").flatten().tolist() == [-1.0, -2.0, 0.0, 5.0]
    assert fuse_features([a, b], "average").flatten().tolist() == [-0.5, -1.0, 0.0, 2.5]
    sm = fuse_features([a, b], "softmax").flatten()
    ea, eb = np.exp([1.0, -3, 2, 0]), np.exp([-2.0, 1, -2, 5])
    want = (ea * [1, -3, 2, 0] + eb * [-2, 1, -2, 5]) / (ea + eb)
    assert np.allclose(sm.numpy(), want, atol=1e-6)
    three = fuse_features([a, b, 2 * b], "max").flatten().tolist()
    assert three == [-4.0, -3.0, -4.0, 10.0]
    with pytest.raises(ParameterError, match="rule"):
        fuse_features([a, b], "median")


def test_edge_enhancement_adds_only_at_canny_pixels():
    yy, xx = np.mgrid[:80, :80]
    disc = ((yy - 40) ** 2 + (xx - 35) ** 2 < 20**2).astype(np.float32) * 0.6 + 0.2
    square = np.full((80, 80), 0.3, np.float32)
    square[10:30, 45:70] = 0.7
    fused = np.full((80, 80), 0.4, np.float32)
    out = edge_enhance(fused, [disc, square], gain=0.1)
    e1, e2 = canny_edges(disc), canny_edges(square)
    assert e1.sum() > 50 and e2.sum() > 50 and set(np.unique(e1)) == {0.0, 1.0}
    diff = out - fused
    assert np.all(diff[(e1 + e2) == 0] == 0)  # nothing changes off the edges
    assert np.allclose(diff, 0.1 * (e1 + e2), atol=1e-6)  # one gain per source that has the edge
    assert np.all(edge_enhance(np.full((80, 80), 0.95, np.float32), [disc, square], gain=0.1) <= 1.0)
    with pytest.raises(ParameterError, match="Canny"):
        canny_edges(disc, 200, 100)


def test_gradient_loss_known_answer():
    x = torch.arange(16.0).view(1, 1, 4, 4)  # ∂_h = 1, ∂_v = 4 everywhere
    y = torch.zeros_like(x)
    assert float(gradient_loss(x, y)) == pytest.approx(1 + 16)
    assert float(gradient_loss(x + 3, x)) == 0.0  # constant offsets have no gradient
    assert float(mfenet_loss(x + 1, x, alpha=6)) == pytest.approx(1.0)


def test_training_slices_leave_ct_mri_out(data_dir):
    train, val = medical_training_images(data_dir)
    assert len(train) + len(val) == 2 * (42 + 73)
    assert not any("/medical/ct-mri/" in p.as_posix() for p in train + val)
    names = lambda ps: {(p.parent.parent.name, p.stem) for p in ps}  # noqa: E731
    assert not names(train) & names(val)  # a pair never straddles the split


def test_shipped_weights_model_card_and_reconstruction(data_dir):
    path = shipped_weights_path("mfenet")
    assert path.stat().st_size < 4 * 2**20
    card = read_model_card(path)
    assert card["network"] == "mfenet" and card["command"].startswith("imagefusion train mfenet")
    assert "ct-mri never read" in card["training_data"]["source"]
    net = create_network("mfenet")
    # a CT and an MRI slice of the evaluation set, never trained on
    for rel in ("ct/11.png", "mri/11.png"):
        im = read_image(data_dir / "medical" / "ct-mri" / rel)
        im = im if im.ndim == 2 else im[..., 0]
        with torch.no_grad():
            rec = np.clip(net(torch.from_numpy(im)[None, None])[0, 0].numpy(), 0, 1)
        assert ssim_index(im * 255, rec * 255) >= 0.9, rel


@pytest.mark.parametrize("rule", ["max", "average", "softmax"])
def test_image_fused_with_itself_is_its_reconstruction(rule):
    im = _brain_like()
    fused = imagefusion.fuse([im, im], "mfenet", rule=rule, edges=False, precision="float32")
    net = create_network("mfenet")
    with torch.no_grad():
        rec = np.clip(net(torch.from_numpy(im)[None, None])[0, 0].numpy(), 0, 1)
    assert np.abs(fused - rec).max() < 1e-4


def test_tiled_fusion_equals_one_pass_and_n_sources():
    a = _brain_like(160)
    b = np.ascontiguousarray(a[::-1, ::-1])
    whole = imagefusion.fuse([a, b], "mfenet", precision="float32", tile=4096)
    tiled = imagefusion.fuse([a, b], "mfenet", precision="float32", tile=64)
    assert np.abs(whole - tiled).max() < 1e-4
    three = imagefusion.fuse([a, b, a.T.copy()], "mfenet", rule="average")
    assert three.shape == a.shape and 0 <= three.min() and three.max() <= 1
    with pytest.raises(ParameterError, match="rule"):
        imagefusion.fuse([a, b], "mfenet", rule="l1")


def test_pet_keeps_its_colours(data_dir):
    pet = read_image(data_dir / "medical" / "pet-mri" / "pet" / "11.png")
    mri = read_image(data_dir / "medical" / "pet-mri" / "mri" / "11.png")
    out = imagefusion.fuse([pet, mri], "mfenet")
    assert out.shape == pet.shape
    # chroma of the result follows the PET image's: where PET is strongly coloured, so is the result
    sat_pet = pet.max(2) - pet.min(2)
    sat_out = out.max(2) - out.min(2)
    coloured = sat_pet > 0.3
    assert coloured.sum() > 500 and sat_out[coloured].mean() > 0.5 * sat_pet[coloured].mean()


@pytest.fixture()
def tiny_medical(tmp_path) -> Path:
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    base = _brain_like(140)
    for sets, src in (("pet-mri", "pet"), ("spect-mri", "spect")):
        for i in range(3):
            mri = np.roll(base, 7 * i, axis=1)
            colour = np.stack([mri, mri[::-1], rng.random(mri.shape, dtype=np.float32)], 2)
            write_image(root / "medical" / sets / "mri" / f"{i}.png", mri)
            write_image(root / "medical" / sets / src / f"{i}.png", colour)
    return root


def test_train_mfenet_smoke_and_fuse_with_own_weights(tiny_medical, tmp_path):
    res = CliRunner().invoke(app, ["train", "mfenet", "--epochs", "1", "--steps", "2", "--batch-size", "2",
                                   "--data", str(tiny_medical), "--out", str(tmp_path / "mf")])
    assert res.exit_code == 0, res.output
    w = tmp_path / "mf" / "mfenet.safetensors"
    card = json.loads(w.with_suffix(".json").read_text())
    # all six tiny pairs hash to the training side, so validation reuses the last two slices
    assert (card["training_data"]["train_images"], card["training_data"]["val_images"]) == (12, 2)
    assert np.isfinite(card["final"]["val_loss"]) and card["task"] == "mif"
    im = _brain_like(64)
    ours = imagefusion.fuse([im, im[::-1].copy()], "mfenet", weights=str(w), edges=False)
    shipped = imagefusion.fuse([im, im[::-1].copy()], "mfenet", edges=False)
    assert ours.shape == (64, 64) and not np.allclose(ours, shipped)
