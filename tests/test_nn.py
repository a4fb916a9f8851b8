"""The deep-learning base: network shapes, dense and tiled inference, the patch-average weight map,
safetensors weights with model cards."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from imagefusion.errors import UnknownNameError, WeightsError
from imagefusion.nn.inference import dense_score_map, patch_average, pointwise_conv_of_concat, select_dtype
from imagefusion.models.siamese.network import LiuCNN, SiameseResidualCNN
from imagefusion.nn.weights import create_network, load_weights, read_model_card, save_weights, shipped_weights_path

NETS = [SiameseResidualCNN, LiuCNN]


@pytest.mark.parametrize("cls", NETS)
def test_patch_and_whole_image_shapes(cls):
    torch.manual_seed(0)
    net = cls().eval()
    with torch.no_grad():
        patch = net(torch.rand(5, 1, 16, 16), torch.rand(5, 1, 16, 16))
        whole = net(torch.rand(2, 1, 100, 124), torch.rand(2, 1, 100, 124))
    assert patch.shape == (5, 2, 1, 1)
    s = cls.stride
    assert whole.shape == (2, 2, (100 - 16) // s + 1, (124 - 16) // s + 1)


def test_branch_feature_sizes_follow_the_paper():
    # Yang et al. 2020, Table 1: 16 -> conv 64 -> conv 128 -> pool 8 -> residual 6 -> pool 3 -> conv 256 (3x3x256)
    net = SiameseResidualCNN().eval()
    with torch.no_grad():
        x = torch.rand(1, 1, 16, 16)
        assert net.early(x).shape == (1, 128, 8, 8)
        assert net.res(net.early(x)).shape == (1, 128, 6, 6)
        assert net.branch(x).shape == (1, 256, 3, 3)
        assert LiuCNN().eval().branch(x).shape == (1, 256, 8, 8)


def test_low_rank_fc1_is_the_truncated_svd_and_loads_from_its_file(tmp_path):
    torch.manual_seed(3)
    net = LiuCNN().eval()
    a, b = torch.rand(2, 3, 1, 40, 36)
    w = net.fc1.weight.detach().reshape(256, -1).double()
    s = torch.linalg.svdvals(w)
    factored = {rank: net.low_rank(rank) for rank in (256, 5)}  # one SVD each (a 256×16384 matrix)
    for rank, small in factored.items():
        assert small.fc1_rank == rank and not small.training
        # the factors multiply to the best rank-r approximation (Eckart-Young): its error is the tail of
        # the singular values
        prod = (small.fc1[1].weight.reshape(256, rank).double() @ small.fc1[0].weight.reshape(rank, -1).double())
        assert float(torch.linalg.matrix_norm(w - prod)) == pytest.approx(float(s[rank:].norm()), abs=1e-4)
    with torch.no_grad():
        torch.testing.assert_close(factored[256](a, b), net(a, b), atol=1e-4, rtol=1e-4)
        small = factored[5]
        path = save_weights(small, tmp_path / "liu5.safetensors", {})
        loaded = load_weights(LiuCNN(), path)  # a full-rank network takes the file's rank
        assert loaded.fc1_rank == 5 and sum(p.numel() for p in loaded.parameters()) < 1_000_000
        assert torch.equal(loaded.eval()(a, b), small(a, b))
        assert load_weights(small, save_weights(net, tmp_path / "full.safetensors", {})).fc1_rank is None
    with pytest.raises(ValueError, match="already factored"):
        loaded.low_rank(2)
    with pytest.raises(ValueError, match="rank must be"):
        net.low_rank(0)


@pytest.mark.parametrize("cls", NETS)
def test_banded_early_layers_equal_one_pass(cls):
    torch.manual_seed(1)
    net = cls().eval()
    x = torch.rand(2, 1, 150, 90)
    with torch.no_grad():
        banded = net.early(x)
        net.band = 10_000
        whole = net.early(x)
    assert torch.equal(banded, whole)


@pytest.mark.parametrize("cls", NETS)
def test_tiled_score_map_equals_untiled(cls):
    torch.manual_seed(2)
    net = cls()
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 131, 97), dtype=np.float32)
    whole = dense_score_map(net, a, b, precision="float32", tile=4096)
    tiled = dense_score_map(net, a, b, precision="float32", tile=40)
    np.testing.assert_allclose(tiled, whole, atol=2e-6)
    # padded to the stride: the map covers every pixel
    assert (whole.shape[0] - 1) * cls.stride + 16 >= 131


def test_inference_in_bfloat16_leaves_the_model_in_float32():
    torch.manual_seed(5)
    net = SiameseResidualCNN()
    before = net.conv2.weight.clone()
    a = np.random.default_rng(1).random((40, 40), dtype=np.float32)
    first = dense_score_map(net, a, a[::-1].copy(), precision="float32")
    dense_score_map(net, a, a[::-1].copy(), precision="bfloat16")
    assert net.conv2.weight.dtype == torch.float32 and torch.equal(net.conv2.weight, before)
    np.testing.assert_array_equal(dense_score_map(net, a, a[::-1].copy(), precision="float32"), first)


def test_score_map_of_tiny_image_is_padded():
    net = SiameseResidualCNN()
    a = np.random.default_rng(0).random((7, 11), dtype=np.float32)
    s = dense_score_map(net, a, a, precision="float32")
    assert s.shape == (1, 1)
    assert patch_average(s, a.shape).shape == (7, 11)


def test_patch_average_matches_a_loop():
    rng = np.random.default_rng(3)
    scores = rng.random((6, 5))
    patch, stride = 16, 4
    H, W = (6 - 1) * stride + patch, (5 - 1) * stride + patch
    acc, cnt = np.zeros((H, W)), np.zeros((H, W))
    for i in range(6):
        for j in range(5):
            acc[i * stride : i * stride + patch, j * stride : j * stride + patch] += scores[i, j]
            cnt[i * stride : i * stride + patch, j * stride : j * stride + patch] += 1
    np.testing.assert_allclose(patch_average(scores, (H, W), patch, stride), acc / cnt, rtol=1e-6)
    with pytest.raises(ValueError, match="multiple"):
        patch_average(scores, (H, W), 16, 5)


def test_select_dtype():
    cpu = torch.device("cpu")
    assert select_dtype(cpu, "float32") is torch.float32
    assert select_dtype(cpu, "bfloat16") is torch.bfloat16
    assert select_dtype(cpu, "auto") in (torch.float32, torch.bfloat16)
    with pytest.raises(ValueError, match="precision"):
        select_dtype(cpu, "half")


def test_weights_round_trip_and_float16(tmp_path):
    torch.manual_seed(4)
    net = SiameseResidualCNN()
    path = save_weights(net, tmp_path / "w.safetensors", {"epochs": 3})
    other = load_weights(SiameseResidualCNN(), path)
    for k, v in net.state_dict().items():
        assert torch.equal(v, other.state_dict()[k])
    assert read_model_card(path) == {"epochs": 3}
    half = save_weights(net, tmp_path / "h.safetensors", {}, dtype=torch.float16)
    assert half.stat().st_size < path.stat().st_size * 0.6
    loaded = load_weights(SiameseResidualCNN(), half)
    assert loaded.conv1.weight.dtype == torch.float32
    torch.testing.assert_close(loaded.conv1.weight, net.conv1.weight, atol=1e-3, rtol=1e-3)


def test_weights_errors_name_the_file(tmp_path):
    path = save_weights(LiuCNN(), tmp_path / "liu.safetensors", {})
    with pytest.raises(WeightsError, match=r"liu\.safetensors.*does not fit SiameseResidualCNN"):
        load_weights(SiameseResidualCNN(), path)
    with pytest.raises(WeightsError, match="not found"):
        load_weights(SiameseResidualCNN(), tmp_path / "none.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsError, match="cannot read"):
        load_weights(SiameseResidualCNN(), bad)
    with pytest.raises(UnknownNameError, match="siamese-cnn"):
        create_network("resnet50")


@pytest.mark.parametrize("name", ["siamese-cnn", "cnn-liu2017"])
def test_shipped_weights_and_model_card(name):
    path = shipped_weights_path(name)
    assert path.stat().st_size < 4 * 2**20  # "a few MB"
    card = json.loads(path.with_suffix(".json").read_text())
    for key in ("training_data", "epochs", "final", "command", "config"):
        assert key in card
    assert card["command"].startswith(f"imagefusion train {name}")
    assert card["final"]["val_acc"] > 0.9
    assert "bsds500" in card["training_data"]["source"]
    net = create_network(name)  # pretrained=True loads the shipped file
    assert not net.training
    if name == "cnn-liu2017":  # shipped with fc1 at rank 32, validated before and after
        low = card["fc1_low_rank"]
        assert net.fc1_rank == low["rank"] == 32 and low["parameters_full"] == 8_759_042
        assert low["val_acc"] >= low["val_acc_full"] - 0.002


def test_pointwise_conv_of_concat_equals_the_conv_of_the_concatenation_and_its_gradient():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(40, 3, 1).double()
    parts = [torch.rand(2, c, 9, 11, dtype=torch.float64, requires_grad=True) for c in (16, 8, 16)]
    y = pointwise_conv_of_concat(parts, conv)
    ref = conv(torch.cat(parts, dim=1))
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    g = torch.autograd.grad(y.square().sum(), [*parts, conv.weight])
    g_ref = torch.autograd.grad(ref.square().sum(), [*parts, conv.weight])
    for a, b in zip(g, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="40"):
        pointwise_conv_of_concat(parts[:2], conv)
    with pytest.raises(ValueError, match="1×1"):
        pointwise_conv_of_concat(parts, torch.nn.Conv2d(40, 3, 3))
