"""The end-to-end (adversarial) networks: generators' shapes and ranges, MFF-GAN's decision block, every
loss term against a hand-computed case, the gradient penalty, one training step, tiled inference."""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from imagefusion.models.ddcgan.network import DDcGAN, DDcGANDiscriminator, ddcgan_gradient  # noqa: E402
from imagefusion.models.fusiongan.network import FusionGAN  # noqa: E402
from imagefusion.nn.gan import (PatchDiscriminator, blur_residual, focus_decision, gradient_penalty, laplacian,  # noqa: E402
                                lsgan_d_loss, lsgan_g_loss, wgan_d_loss, wgan_g_loss)
from imagefusion.models.mff_gan.network import MFFGAN  # noqa: E402
from imagefusion.models.pmgi.network import PMGI, PMGI_LOSS_WEIGHTS  # noqa: E402
from imagefusion.models.unet_gan.network import UNetGAN  # noqa: E402
from imagefusion.nn.vgg import VGG  # noqa: E402
from imagefusion.models.ddcgan.train import ddcgan_content_loss  # noqa: E402
from imagefusion.models.fusiongan.train import fusiongan_content_loss  # noqa: E402
from imagefusion.models.mff_gan.train import mffgan_content_loss  # noqa: E402
from imagefusion.models.pmgi.train import pmgi_loss  # noqa: E402
from imagefusion.models.unet_gan.train import gram, total_variation, transfer_loss  # noqa: E402
from imagefusion.train.gan import tf1_rmsprop  # noqa: E402
from imagefusion.train.gan_loop import ema_update  # noqa: E402
from imagefusion.train.samplers import darken_pairs  # noqa: E402


@pytest.mark.parametrize("cls", [PMGI, MFFGAN, FusionGAN, DDcGAN, lambda: UNetGAN(width=8)])
@pytest.mark.parametrize("shape", [(17, 23), (31, 9), (5, 40)])
def test_generators_keep_the_size_and_range_at_odd_sizes(cls, shape):
    torch.manual_seed(0)
    net = cls().eval()
    a, b = torch.rand(1, 1, *shape), torch.rand(1, 1, *shape)
    with torch.no_grad():
        out = net.fuse([a, b])
    assert out.shape == (1, 1, *shape)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_fusiongan_loses_six_pixels_a_side_and_fuse_pads_them_back():
    net = FusionGAN().eval()
    with torch.no_grad():
        assert net(torch.zeros(2, 2, 132, 132)).shape == (2, 1, 120, 120)  # the paper's 132 → 120 patches


def test_focus_decision_finds_a_known_focus_mask():
    rng = np.random.default_rng(0)
    texture = torch.from_numpy(rng.random((1, 1, 64, 64), dtype=np.float32))
    blurred = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(texture, (2, 2, 2, 2), mode="reflect"), 5, stride=1)
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :, :32] = 1  # the left half is in focus in a, the right half in b
    a = mask * texture + (1 - mask) * blurred
    b = (1 - mask) * texture + mask * blurred
    s = focus_decision(a, b)
    inner = (slice(None), slice(None), slice(4, 60))
    left, right = s[inner][..., 4:28], s[inner][..., 36:60]
    assert float(left.mean()) > 0.95 and float(right.mean()) < 0.05
    assert set(torch.unique(s).tolist()) <= {0.0, 1.0}
    assert torch.equal(focus_decision(a, a), torch.zeros_like(a))  # ties go to b


def test_blur_residual_of_a_constant_is_zero_away_from_the_border():
    r = blur_residual(torch.full((1, 1, 9, 9), 0.7))
    total = 4 * 0.0947 + 4 * 0.1183 + 0.1478  # the authors' kernel sums to 0.9998, not 1
    assert torch.allclose(r[..., 2:-2, 2:-2], torch.tensor(0.7 * (1 - total**2)), atol=1e-6)


def test_laplacian_and_ddcgan_gradient_hand_computed():
    x = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    assert float(laplacian(x)[0, 0, 1, 1]) == 2 + 4 + 6 + 8 - 4 * 5  # = 0, a linear ramp
    assert float(laplacian(x)[0, 0, 0, 0]) == 2 + 4 - 4 * 1  # zero padding
    assert float(ddcgan_gradient(x)[0, 0, 1, 1]) == pytest.approx((1 + 2 + 3 + 4 + 6 + 7 + 8 + 9) / 8 - 5)


def test_content_losses_hand_computed():
    z = torch.zeros(1, 1, 3, 3)
    f = torch.zeros(1, 1, 3, 3)
    f[0, 0, 1, 1] = 1.0  # one bright pixel: lap(f) = +1 on its 4 neighbours, −4 at it
    # FusionGAN: mean (F − IR)² = 1/9; mean (∇F − ∇VI)² = (16 + 4·1)/9
    assert float(fusiongan_content_loss(f, z, z, xi=5)) == pytest.approx(1 / 9 + 5 * 20 / 9)
    w = PMGI_LOSS_WEIGHTS["ivif"]  # 1, 0.3, 5, 4
    assert float(pmgi_loss(f, z, z, w)) == pytest.approx(100 * (1 / 9 + 0.3 / 9 + 5 * 20 / 9 + 4 * 20 / 9))
    # DDcGAN: ‖F − IR‖_F² / 16 + 1.2 ‖∇F‖₁ with ∇ = 1/8 ring − centre: |−1| + 8·|1/8|... zero-padded 3×3:
    g = ddcgan_gradient(f)
    assert float(ddcgan_content_loss(f, z, z)) == pytest.approx(1 / 16 + 1.2 * float(g.abs().sum()))
    assert float(g.abs().sum()) == pytest.approx(1 + 8 / 8)


def test_ddcgan_discriminator_keeps_its_gradient_under_bfloat16_autocast():
    # a score of 5: tanh rounds to exactly 1 in bfloat16, not in float32; the cross-entropy must still pull
    d = DDcGANDiscriminator(16)
    with torch.no_grad():
        d.score.weight.zero_()
        d.score.bias.fill_(5.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        p = d(torch.rand(2, 1, 16, 16))
        loss = -torch.log(1 - p + 1e-8).mean()
    loss.backward()
    assert p.dtype == torch.float32 and float(p.max()) < 1.0
    assert float(d.score.bias.grad) == pytest.approx(2 * float(p[0]) * (1 - float(p[0])) / (1 - float(p[0]) + 1e-8), rel=1e-3)


def test_tf1_rmsprop_first_step_is_lr_times_gradient():
    w = torch.nn.Parameter(torch.zeros(3))
    opt = tf1_rmsprop([w], lr=0.1)
    w.grad = torch.tensor([0.01, -0.02, 0.0])
    opt.step()
    # TF1 starts the mean square at 1: Δ = lr·g/√(0.9 + 0.1·g²); torch's default would give lr·√10·sign(g)
    expected = [-0.1 * g / (0.9 + 0.1 * g * g) ** 0.5 for g in (0.01, -0.02, 0.0)]
    assert w.detach().tolist() == pytest.approx(expected, rel=1e-5)


def test_mffgan_content_loss_uses_the_sharper_source_per_pixel():
    a = torch.zeros(1, 1, 8, 8)
    a[..., ::2, :] = 1.0  # sharp stripes: S = 1 everywhere inside
    b = torch.full((1, 1, 8, 8), 0.5)
    l_int_a, l_grad_a = mffgan_content_loss(a, a, b)
    l_int_b, _ = mffgan_content_loss(b, a, b)
    assert float(l_int_a) < float(l_int_b)  # copying the in-focus source costs less than the blurred one
    s = focus_decision(a, b)
    assert float(l_int_b) == pytest.approx(float((s * (b - a) ** 2).mean()))


def test_adversarial_losses_hand_computed():
    torch.manual_seed(0)
    real, fake = torch.full((4000, 1), 0.95), torch.full((4000, 1), 0.15)
    assert float(lsgan_d_loss(real, fake)) == pytest.approx(0.25 / 12 + 0.09 / 12, rel=0.08)  # label variances only
    assert float(lsgan_g_loss(real)) == pytest.approx(0.25 / 12, rel=0.08)
    assert float(lsgan_g_loss(torch.full((4000, 1), 0.0))) == pytest.approx(0.95**2 + 0.25 / 12, rel=0.03)
    assert float(wgan_d_loss(torch.tensor([[3.0]]), torch.tensor([[1.0]]))) == -2.0
    assert float(wgan_g_loss(torch.tensor([[1.0], [2.0]]))) == -1.5


@pytest.mark.parametrize("scale,expected", [(1.0, 0.0), (2.0, 10.0), (0.5, 2.5)])
def test_gradient_penalty_with_a_known_gradient_norm(scale, expected):
    w = torch.zeros(1, 1, 4, 4)
    w[0, 0, 0, 0] = scale  # C(x) = scale · x[0, 0]: ‖∇C‖ = scale everywhere
    critic = lambda x: (x * w).sum((1, 2, 3))[:, None]  # noqa: E731
    real, fake = torch.rand(8, 1, 4, 4), torch.rand(8, 1, 4, 4)
    assert float(gradient_penalty(critic, real, fake, weight=10)) == pytest.approx(expected, abs=1e-5)


def test_gradient_penalty_reaches_the_critic_parameters():
    torch.manual_seed(0)
    d = PatchDiscriminator(32, norm="none")
    gp = gradient_penalty(d, torch.rand(4, 1, 32, 32), torch.rand(4, 1, 32, 32))
    gp.backward()
    weights = [p for n, p in d.named_parameters() if n.endswith("weight")]  # biases do not change ∇_x C
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in weights)


def test_gram_total_variation_and_transfer_loss():
    x = torch.arange(8, dtype=torch.float32).reshape(1, 2, 2, 2)
    f = x.reshape(2, 4)
    assert torch.allclose(gram(x)[0], f @ f.T / 8)
    assert float(total_variation(torch.tensor([[[[0.0, 2.0], [1.0, 3.0]]]]))) == pytest.approx(0.5 * (1 + 2))
    torch.manual_seed(0)
    vgg = VGG("vgg16").eval()
    vi, ir = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    fused = torch.rand(1, 1, 32, 32, requires_grad=True)
    loss, parts = transfer_loss(vgg, fused, vi, ir)
    loss.backward()
    # unlike the reference code, the content and style terms reach the fused image
    assert parts["content"] > 0 and parts["style"] > 0 and float(fused.grad.abs().sum()) > 0


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    batch = torch.from_numpy(rng.random((4, 2, 32, 32), dtype=np.float32)) * 2 - 1
    a, b = batch[:, :1], batch[:, 1:]
    for net, loss_fn in ((PMGI(), lambda n: pmgi_loss(n(a, b), a, b, PMGI_LOSS_WEIGHTS["mef"])),
                         (MFFGAN(), lambda n: sum(mffgan_content_loss(n(a, b), a, b))),
                         (FusionGAN(), lambda n: fusiongan_content_loss(n(batch), a[..., 6:-6, 6:-6], b[..., 6:-6, 6:-6]))):
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        before = float(loss_fn(net))
        for _ in range(3):
            opt.zero_grad()
            loss_fn(net).backward()
            opt.step()
        assert float(loss_fn(net)) < before, type(net).__name__


def test_discriminators_score_shapes():
    assert PatchDiscriminator(60)(torch.rand(3, 1, 60, 60)).shape == (3, 1)
    p = DDcGANDiscriminator(84)(torch.rand(2, 1, 84, 84))
    assert p.shape == (2, 1) and bool(((p > 0) & (p < 1)).all())
    with pytest.raises(ValueError):
        PatchDiscriminator(8)


@pytest.mark.parametrize("name", ["pmgi", "fusiongan", "ddcgan"])
def test_tiles_do_not_change_the_fused_image(name, tmp_path):
    """Batch norm runs on its running statistics and tiles overlap by the receptive field, so a
    200 × 150 image in 64-pixel tiles equals one pass (up to float32 round-off)."""
    from imagefusion.nn.gan import run_generator
    from imagefusion.nn.registry import network_class
    from imagefusion.nn.weights import save_weights

    torch.manual_seed(0)
    net = network_class(name)()
    for m in net.modules():  # non-trivial running statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    path = save_weights(net, tmp_path / f"{name}.safetensors", {})
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 150, 200), dtype=np.float32)
    whole = run_generator(name, [a, b], weights=str(path), precision="float32", tile=4096)
    tiled = run_generator(name, [a, b], weights=str(path), precision="float32", tile=64)
    assert np.abs(whole - tiled).max() < 1e-4


_GAN_WEIGHTS = ("pmgi", "pmgi.mif", "pmgi.mff", "pmgi.mef", "mff-gan", "fusiongan", "fusiongan.wgan-gp", "ddcgan",
                "unet-gan", "unet-gan.no-st", "unet-gan.wgan-gp", "unet-gan.wgan-gp-no-st")


def _shipped_gan_weights():
    from importlib import resources

    root = resources.files("imagefusion") / "weights"
    return [n for n in _GAN_WEIGHTS if (root / f"{n}.safetensors").is_file()]


@pytest.mark.parametrize("name", _shipped_gan_weights())
def test_shipped_gan_weights_have_a_model_card_and_loss_curves(name):
    """Every shipped end-to-end network was trained by the project's trainer on training data, and its
    card says how long, on what, with which loss; its curves are in the docs."""
    import csv
    from pathlib import Path

    from imagefusion.nn.registry import shipped_weights_path
    from imagefusion.nn.weights import create_network, read_model_card

    path = shipped_weights_path(name)
    card = read_model_card(path)
    assert card["network"] == name and card["command"].startswith(f"imagefusion train {name} ")
    assert card["steps"] > 0 and card["training_seconds"] > 0 and card["machine"] and card["torch"]
    assert "roadscene" in card["training_data"]["source"] or "bsds500" in card["training_data"]["source"] \
        or "pet-mri" in card["training_data"]["source"]
    assert "ct-mri never read" in card["training_data"]["source"] or "medical" not in card["training_data"]["source"]
    docs = Path(__file__).resolve().parent.parent / "docs" / "training"
    assert (docs / f"{name}-loss.png").is_file()
    rows = list(csv.DictReader((docs / f"{name}-log.csv").open()))
    assert len(rows) == card["epochs"] and "g_total" in rows[0]
    assert any(k.startswith("d_") for k in rows[0]) == (not name.startswith("pmgi"))  # PMGI: no discriminator
    create_network(name)  # the file fits the registered network (strict load)


def test_ema_update_matches_the_closed_form_and_copies_batch_counts():
    torch.manual_seed(0)
    avg, cur = torch.nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2)
    w0 = avg.weight.detach().clone()
    with torch.no_grad():
        cur.weight.fill_(2.0)
        cur.running_mean.fill_(1.0)
    cur.num_batches_tracked.fill_(7)
    for _ in range(3):
        ema_update(avg, cur, 0.9)
    # after k steps towards a fixed target: avg = 0.9^k·start + (1 − 0.9^k)·target
    assert torch.allclose(avg.weight, 0.729 * w0 + 0.271 * 2.0)
    assert torch.allclose(avg.running_mean, torch.full((2,), 0.271))
    assert int(avg.num_batches_tracked) == 7


def test_darken_pairs_scales_both_sources_by_one_gain_within_the_range():
    rng = np.random.default_rng(0)
    batch = rng.uniform(0.5, 1.0, (200, 2, 4, 4)).astype(np.float32)
    out = darken_pairs(batch, np.random.default_rng(1), 0.25)
    gains = out / batch
    assert np.allclose(gains, gains[:, :1, :1, :1], atol=1e-6)  # one gain per patch, both sources
    g = gains[:, 0, 0, 0]
    assert g.min() >= 0.25 - 1e-6 and g.max() <= 1.0 + 1e-6
    # log-uniform: the median gain is the geometric midpoint, 0.5
    assert abs(float(np.median(g)) - 0.5) < 0.05
    with pytest.raises(ValueError, match="gain_min"):
        darken_pairs(batch, rng, 0.0)


def test_fit_gan_ships_the_weight_average_and_resumes_it(tmp_path):
    """With ``ema`` the shipped generator is the moving average of the weights the steps produced,
    and an interrupted run resumes the average from its checkpoint."""
    from safetensors.torch import load_file

    from imagefusion.train.gan_loop import fit_gan
    from imagefusion.train.loop import TrainConfig

    def run(epochs: int, out) -> torch.Tensor:
        g = torch.nn.Conv2d(1, 1, 1, bias=False)
        with torch.no_grad():
            g.weight.fill_(0.0)

        def step(batch, i):  # the "update" sets the weight to the step number + 1
            with torch.no_grad():
                g.weight.fill_(float(i + 1))
            return {"g_total": 0.0}

        cfg = TrainConfig(epochs=epochs, steps_per_epoch=2, batch_size=1, val_size=1, precision="float32", threads=1)
        fit_gan("toy", g, critics={}, optimizers={}, step=step, sample=lambda rng, n, s: np.zeros((n, 2, s, s), np.float32),
                patch=4, val_batch=np.zeros((1, 2, 4, 4), np.float32), val_loss=lambda net, b: net(b[:, :1]).mean(),
                config=cfg, out=out, progress=False, ema=0.5)
        return load_file(str(out / "toy.safetensors"))["weight"].flatten()[0]

    # weights after steps 1..4: 1, 2, 3, 4; average from 0: 0.5, 1.25, 2.125, 3.0625
    assert float(run(2, tmp_path / "a")) == pytest.approx(3.0625)
    run(1, tmp_path / "b")  # stop after the first epoch (average 1.25), then resume for the second
    assert float(run(2, tmp_path / "b")) == pytest.approx(3.0625)


def test_ddcgan_stretches_its_output_as_the_authors_save_it(tmp_path):
    """The authors' generate.py saves with scipy.misc.imsave, which maps the float output's minimum and
    maximum to 0 and 255: ``stretch=True`` is that linear map of the raw output, over the whole image."""
    from imagefusion.models.ddcgan import ddcgan
    from imagefusion.nn.registry import network_class
    from imagefusion.nn.weights import save_weights

    torch.manual_seed(0)
    path = save_weights(network_class("ddcgan")(), tmp_path / "ddcgan.safetensors", {})
    rng = np.random.default_rng(0)
    ir, vi = rng.random((2, 70, 90), dtype=np.float32)
    raw = ddcgan([ir, vi], weights=str(path), precision="float32", tile=48)
    out = ddcgan([ir, vi], stretch=True, weights=str(path), precision="float32", tile=48)
    assert float(out.min()) == 0.0 and float(out.max()) == pytest.approx(1.0)
    assert np.allclose(out, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)
