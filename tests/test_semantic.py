"""Semantic fusion (Hill & Bull 2021) and DLF (Li, Wu & Kittler 2018): the fusion rules on small arrays
with known answers, the image optimisation's loss, identity fusion, Grad-CAM and Eigen-CAM on networks
whose maps are known, DLF's low-pass filter and DLF against VIFB's own output."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import imagefusion  # noqa: E402
from imagefusion.errors import ParameterError  # noqa: E402
from imagefusion.methods.dlf import tikhonov_lowpass  # noqa: E402
from imagefusion.methods.semantic import (choose_max, eigen_cam, grad_cam, layer_index, local_majority,  # noqa: E402
                                          optimise_image, semantic_cam, semantic_opt)
from imagefusion.nn.vgg import VGG, imagenet_normalise  # noqa: E402

from conftest import GOLDEN, _need  # noqa: E402


@pytest.fixture(scope="module")
def random_vgg(tmp_path_factory):
    """A VGG16 with random weights saved to a file: the methods' code paths without ImageNet weights."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-random.pth"
    torch.save(VGG("vgg16").state_dict(), path)
    return str(path)


def test_layer_names_follow_torchvision_indices():
    assert [layer_index(n) for n in ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1", "conv2_1")] == [0, 1, 2, 3, 4, 5]
    assert layer_index("relu5_3") == 29 and layer_index("pool5") == 30
    assert layer_index("conv4_1", "vgg19") == 19
    with pytest.raises(ParameterError, match="no layer"):
        layer_index("relu6_1")


def test_choose_max_known_answer_and_three_sources():
    a = torch.tensor([[[[1.0, -5.0], [0.0, 2.0]]]])
    b = torch.tensor([[[[-2.0, 4.0], [0.5, -2.0]]]])
    c = torch.tensor([[[[0.0, 0.0], [-3.0, 1.0]]]])
    assert choose_max([a, b]).tolist() == [[[[-2.0, -5.0], [0.5, 2.0]]]]  # the tie at (1, 1) goes to a
    assert choose_max([a, b, c]).tolist() == [[[[-2.0, -5.0], [-3.0, 2.0]]]]
    w = [torch.tensor(0.1), torch.tensor(1.0)]  # CAM weights steer the choice
    assert choose_max([a, b], w).tolist() == [[[[-2.0, 4.0], [0.5, -2.0]]]]


def test_local_majority_known_answer():
    # a wins choose-max on the left 3 columns, b on the right 2, except one isolated b-win inside a's side
    a = torch.zeros(1, 1, 5, 5)
    a[..., :, :3] = 1.0
    b = torch.full((1, 1, 5, 5), 0.5)
    b[..., :, :3] = 0.0
    b[0, 0, 2, 1] = 2.0  # an isolated winner for b
    out = local_majority([a, b], window=3)
    assert float(out[0, 0, 2, 1]) == 1.0  # outvoted by its 8 neighbours: a's value
    assert torch.equal(out[0, 0, :, 3:], b[0, 0, :, 3:])  # b's side stays b
    with pytest.raises(ParameterError):
        local_majority([a, b], window=4)


def _frozen_vgg_and_target():
    """A random frozen VGG16, a random 24×24 target image and its relu1_2 outputs (features[3]; seeded)."""
    torch.manual_seed(0)
    net = VGG("vgg16").eval()
    for p in net.parameters():
        p.requires_grad_(False)
    target = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        t = net.taps(imagenet_normalise(target), [3])
    return net, target, t


def test_optimisation_lowers_its_loss_to_tolerance():
    net, target, t = _frozen_vgg_and_target()
    img, losses = optimise_image(net, t, torch.full((1, 3, 24, 24), 0.5), iterations=150, lr=0.05)
    assert losses[-1] < 0.02 * losses[0]
    assert float((img - target).abs().mean()) < 0.1  # the layer outputs pin the image down
    img2, losses2 = optimise_image(net, t, torch.full((1, 3, 24, 24), 0.5), iterations=20, optimiser="lbfgs")
    assert losses2[-1] < 0.25 * losses2[0]


def test_early_stop_follows_its_rule_and_every_step_is_reported():
    from imagefusion.runtime import progress_to

    net, _, t = _frozen_vgg_and_target()
    seen = []
    with progress_to(lambda done, total, what: seen.append((done, total, what))):
        img, losses = optimise_image(net, t, torch.full((1, 3, 24, 24), 0.5), iterations=400, lr=0.05, tol=0.05)
    steps = len(losses) - 2  # the loss before each step taken, the one that stopped it, the final one
    assert 10 <= steps < 400
    best = np.minimum.accumulate(losses[:-1])  # the lowest loss before each step
    stop = steps  # it stopped before step stop + 1: the rule holds there and at no step before
    assert best[stop - 10] - best[stop] < 0.05 * best[stop - 10]
    assert all(best[k - 10] - best[k] >= 0.05 * best[k - 10] for k in range(10, stop))
    assert seen == [(k, 400, "semantic-opt iterations") for k in range(1, steps + 1)]
    _, full = optimise_image(net, t, torch.full((1, 3, 24, 24), 0.5), iterations=30, lr=0.05)
    assert len(full) == 31  # tol = 0: every iteration


def test_fusing_an_image_with_itself_returns_it(random_vgg):
    rng = np.random.default_rng(1)
    grey = rng.random((33, 41)).astype(np.float32)
    colour = rng.random((33, 41, 3)).astype(np.float32)
    for img in (grey, colour):
        for rule in ("max", "majority"):
            out = semantic_opt([img, img], rule=rule, weights=random_vgg)
            assert out.shape == img.shape and float(np.abs(out - img).max()) < 1e-3
    out = semantic_cam([colour, colour, colour], weights=random_vgg)
    assert float(np.abs(out - colour).max()) < 1e-5


def test_more_than_two_sources_and_colour_stays_colour(random_vgg):
    rng = np.random.default_rng(2)
    srcs = [rng.random((32, 32, 3)).astype(np.float32) for _ in range(3)]
    out = semantic_opt(srcs, weights=random_vgg, iterations=5)
    assert out.shape == (32, 32, 3)
    fused = imagefusion.fuse([srcs[0][..., 0], srcs[1]], "semantic-opt", weights=random_vgg, iterations=5)
    assert fused.shape == (32, 32, 3)  # a grey and a colour source: fused in colour


class _KnownClassifier(torch.nn.Module):
    """features: a 1×1 conv copying the red channel into channel 0 and the blue into channel 1, ReLU;
    class 0 scores the mean of channel 0, class 1 the mean of channel 1."""

    def __init__(self):
        super().__init__()
        conv = torch.nn.Conv2d(3, 2, 1, bias=False)
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0] = 1.0
            conv.weight[1, 2] = 1.0
        self.features = torch.nn.Sequential(conv, torch.nn.ReLU())
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        self.classifier = torch.nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.eye(2))

    def taps(self, x, layers):
        return VGG.taps(self, x, layers)


def test_grad_cam_on_a_known_classifier():
    x = torch.zeros(1, 3, 8, 8)
    x[0, 0, :4, :4] = 1.0  # red top-left: class 0 wins
    x[0, 2, 4:, 4:] = 0.5  # some blue bottom-right
    (cam,) = grad_cam(_KnownClassifier(), x, [1])
    # y = mean(A_0): dy/dA_0 = 1/64 everywhere, dy/dA_1 = 0 → CAM = A_0 / 64 = the red square / 64
    assert torch.allclose(cam, x[0, 0] / 64)
    (cam2,) = grad_cam(_KnownClassifier(), x, [1], top_k=2)  # both classes: red and blue
    assert torch.allclose(cam2, (x[0, 0] + x[0, 2]) / 64)


def test_eigen_cam_finds_the_dominant_activation():
    x = torch.zeros(1, 3, 8, 8)
    x[0, 0, 2:5, 2:5] = 1.0
    (cam,) = eigen_cam(_KnownClassifier(), x, [1])
    assert cam.shape == (8, 8) and float(cam[3, 3]) > 0 and float(cam[7, 7]) == 0.0


def test_tikhonov_lowpass_attenuates_a_sinusoid_by_the_known_factor():
    """Periodic input (no padding effect): a row-constant cosine of period 8 is multiplied by
    1 / (1 + λ·|1 − e^{-iω}|²) = 1 / (1 + λ·(2 − 2 cos ω)), ω = 2π/8."""
    n = 64
    y = np.cos(2 * np.pi * (np.arange(n) + 0.5) / 8)[:, None] * np.ones((1, n))  # mirror-symmetric at both ends
    base, detail = tikhonov_lowpass(y, lam=5.0, pad=16)
    gain = 1 / (1 + 5.0 * (2 - 2 * np.cos(2 * np.pi / 8)))
    assert np.allclose(base[20:44, 20:44], gain * y[20:44, 20:44], atol=1e-9)
    assert np.allclose(base + detail, y)


def test_dlf_reproduces_vifb_on_kettle():
    """VIFB's DLF (VGG19) against ours (the offline VGG16): the detail layer is a small part of the image,
    so the luminance of the two stays within a few grey levels: PSNR ≥ 35 dB."""
    import os

    from imagefusion.color import rgb_to_ycbcr
    from imagefusion.io import read_image

    if not os.environ.get("IMAGEFUSION_VGG16"):
        pytest.skip("no offline VGG16 weights (../shared/weights)")
    root = _need(GOLDEN / "vifb")
    fused = imagefusion.fuse([root / "ir/kettle.jpg", root / "vi/kettle.jpg"], "dlf")
    ref = read_image(root / "fused/kettle_DLF.jpg")
    y1 = np.round(rgb_to_ycbcr(np.round(fused * 255) / 255)[..., 0] * 255)
    y2 = np.round(rgb_to_ycbcr(ref)[..., 0] * 255)
    psnr = 10 * np.log10(255**2 / np.mean((y1 - y2) ** 2))
    assert psnr >= 35.0, psnr


def test_cli_explain_writes_the_cam_maps(tmp_path, random_vgg):
    from typer.testing import CliRunner

    from imagefusion.cli import app
    from imagefusion.io import write_image

    rng = np.random.default_rng(3)
    write_image(tmp_path / "a.png", rng.random((40, 40)).astype(np.float32))
    write_image(tmp_path / "b.png", rng.random((40, 40)).astype(np.float32))
    res = CliRunner().invoke(app, ["fuse", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-m", "semantic-cam",
                                   "-p", f"weights={random_vgg}", "--explain", str(tmp_path / "cams"),
                                   "-o", str(tmp_path / "f.png")])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "cams").iterdir())
    assert names == ["cam.txt", "cam_1.png", "cam_2.png", "weights_1.png", "weights_2.png"]
    assert "Eigen-CAM" in (tmp_path / "cams" / "cam.txt").read_text()  # the random file has no classifier head
    w1 = imagefusion.read_image(tmp_path / "cams" / "weights_1.png")
    w2 = imagefusion.read_image(tmp_path / "cams" / "weights_2.png")
    assert np.abs(w1 + w2 - 1).max() <= 2 / 255  # the weights of the two sources sum to 1
