"""Training: data, synthetic multi-focus samples, the resumable loop, `imagefusion train` (smoke runs
of a few steps on a few images; CI never trains for real)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from typer.testing import CliRunner

import imagefusion
from imagefusion.errors import ParameterError
import imagefusion.nn.weights
from imagefusion.cli import app
from imagefusion.io import write_image
from imagefusion.nn.weights import load_weights
from imagefusion.models.siamese.network import LiuCNN, SiameseResidualCNN
from imagefusion.train import load_config, train
from imagefusion.models.siamese.train import train_siamese
from imagefusion.train.data import (
    MultiFocusPatchPairs,
    bsds500_images,
    check_not_evaluation_set,
    split_train_val,
    synthetic_multifocus_pair,
)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """A data root in the shared/data layout with a few skimage images as 'natural/bsds500'."""
    root = tmp_path_factory.mktemp("data")
    imgs = {"train/1": skimage.data.camera(), "train/2": skimage.data.astronaut(), "test/3": skimage.data.coffee(),
            "val/4": skimage.data.chelsea(), "val/41033": skimage.data.moon()}
    for name, im in imgs.items():
        write_image(root / "natural" / "bsds500" / "images" / f"{name}.png", im)
    return root


def test_bsds500_split_leaves_out_test_overlap(tiny_data, data_dir):
    train_p, val_p = bsds500_images(tiny_data)
    assert sorted(p.stem for p in train_p) == ["1", "2", "3"]
    assert [p.stem for p in val_p] == ["4"]  # val/41033 is made into mff/classic pairs: left out
    real_train, real_val = bsds500_images(data_dir)
    assert (len(real_train), len(real_val)) == (398, 99)
    names = {p.parent.name + "/" + p.stem for p in real_train + real_val}
    assert not names & {"val/41033", "train/323016", "test/81095"}


def test_evaluation_sets_are_refused(tmp_path):
    with pytest.raises(ValueError, match="evaluation set"):
        check_not_evaluation_set(tmp_path / "mff" / "lytro")
    check_not_evaluation_set(tmp_path / "ivif" / "roadscene-full")  # a training set: fine


def test_split_is_deterministic_and_disjoint():
    paths = [Path(f"{i}.png") for i in range(200)]
    t1, v1 = split_train_val(paths, 0.2, seed=1)
    t2, v2 = split_train_val(paths[::-1], 0.2, seed=1)
    assert set(v1) == set(v2) and not set(t1) & set(v1) and len(t1) + len(v1) == 200
    assert 20 < len(v1) < 60


def test_patch_pairs_label_the_sharper_patch():
    im = skimage.data.camera().astype(np.float32) / 255
    pairs = MultiFocusPatchPairs([im], levels=5, both_blurred=0.25)
    a, b, label = pairs.sample(2000, np.random.default_rng(0))
    assert a.shape == b.shape == (2000, 1, 16, 16) and set(np.unique(label)) == {0, 1}

    def energy(x: np.ndarray) -> np.ndarray:
        return (np.diff(x, axis=-1) ** 2).sum(axis=(1, 2, 3)) + (np.diff(x, axis=-2) ** 2).sum(axis=(1, 2, 3))

    ea, eb = energy(a), energy(b)
    textured = np.maximum(ea, eb) > 1e-3
    agree = ((ea > eb) == (label == 1))[textured]
    assert agree.mean() > 0.97  # blur can move an edge into a patch, so not always


def test_synthetic_pair_from_mask():
    im = skimage.data.camera().astype(np.float32) / 255
    mask = np.zeros(im.shape, bool)
    mask[100:300, 150:400] = True
    a, b = synthetic_multifocus_pair(im, mask)
    np.testing.assert_array_equal(a[mask], im[mask])
    np.testing.assert_array_equal(b[~mask], im[~mask])
    assert np.abs(a[~mask] - im[~mask]).mean() > 0.01


def test_training_resumes_to_the_same_weights(tiny_data, tmp_path, monkeypatch):
    import imagefusion.train.loop as loop

    cfg = load_config("siamese-cnn", epochs=2, steps_per_epoch=3, batch_size=16, val_size=64)
    straight = train("siamese-cnn", cfg, tmp_path / "a", data_root=tiny_data, progress=False)
    # an interrupted run: it dies right after writing the first epoch's checkpoint ...
    real_write_log = loop._write_log

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "_write_log", crash)
    with pytest.raises(KeyboardInterrupt):
        train("siamese-cnn", cfg, tmp_path / "b", data_root=tiny_data, progress=False)
    assert not (tmp_path / "b" / "siamese-cnn.safetensors").exists()
    # ... and the same command resumes from it
    monkeypatch.setattr(loop, "_write_log", real_write_log)
    resumed = train("siamese-cnn", cfg, tmp_path / "b", data_root=tiny_data, progress=False)
    assert straight["epochs"] == resumed["epochs"] == 2
    wa = load_weights(SiameseResidualCNN(), tmp_path / "a" / "siamese-cnn.safetensors").state_dict()
    wb = load_weights(SiameseResidualCNN(), tmp_path / "b" / "siamese-cnn.safetensors").state_dict()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    log = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,steps,lr,train_loss") and len(log) == 3
    assert (tmp_path / "b" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert np.isfinite(resumed["final"]["train_loss"]) and 0 <= resumed["final"]["val_acc"] <= 1


def test_config_file_and_errors(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("epochs = 7\nlr = 0.01\nblur_levels = 3\n")
    cfg = load_config("cnn-liu2017", f, epochs=None, batch_size=8)
    assert (cfg.epochs, cfg.lr, cfg.batch_size, cfg.extra["blur_levels"]) == (7, 0.01, 8, 3)
    bad = tmp_path / "bad.json"
    bad.write_text("{epochs: 3")
    with pytest.raises(ValueError, match="bad.json"):
        load_config("siamese-cnn", bad)
    with pytest.raises(imagefusion.UnknownNameError, match="siamese-cnn"):
        load_config("gff")
    with pytest.raises(imagefusion.ParameterError, match="fc1_rank"):
        rank = tmp_path / "rank.toml"
        rank.write_text("fc1_rank = 8\n")
        train_siamese("siamese-cnn", load_config("siamese-cnn", rank), tmp_path / "x", data_root=tmp_path)


def test_cli_train_then_fuse_with_own_weights(tiny_data, tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    cfg = tmp_path / "small.toml"
    cfg.write_text("val_size = 64\n")  # validation on 64 patch pairs, not the default 4096 (three passes)
    res = runner.invoke(app, ["train", "cnn-liu2017", "--epochs", "1", "--steps", "2", "--batch-size", "8",
                              "--config", str(cfg), "--data", str(tiny_data), "-o", str(out)])
    assert res.exit_code == 0, res.output
    weights = out / "cnn-liu2017.safetensors"
    card = imagefusion.nn.weights.read_model_card(weights)
    assert card["command"].startswith("imagefusion train cnn-liu2017") and card["steps"] == 2
    assert card["fc1_low_rank"]["rank"] == 32 and load_weights(LiuCNN(), weights).fc1_rank == 32
    im = skimage.data.camera()[:64, :80]
    write_image(tmp_path / "a.png", im)
    write_image(tmp_path / "b.png", im)
    res = runner.invoke(app, ["fuse", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-m", "cnn-liu2017",
                              "--weights", str(weights), "-o", str(tmp_path / "f.png")])
    assert res.exit_code == 0, res.output
    fused = imagefusion.read_image(tmp_path / "f.png")
    assert np.abs(fused * 255 - im).max() <= 1  # two copies of one image fuse to that image
    res = runner.invoke(app, ["fuse", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-m", "gff",
                              "--weights", str(weights), "-o", str(tmp_path / "g.png")])
    assert res.exit_code != 0 and "no trained weights" in res.output


def test_train_without_a_network_lists_every_trainable_network_from_the_registry():
    from imagefusion.train import TRAINABLE, list_trainers

    assert set(TRAINABLE) == {"siamese-cnn", "cnn-liu2017", "densefuse", "cam-ae", "cam-fwa", "cam-fwa.no-ldf", "mfenet",
                              "pmgi", "pmgi.mif", "pmgi.mff", "pmgi.mef", "fusiongan", "fusiongan.wgan-gp", "mff-gan",
                              "ddcgan", "unet-gan", "unet-gan.no-st", "unet-gan.wgan-gp", "unet-gan.wgan-gp-no-st"}
    res = CliRunner().invoke(app, ["train"], env={"COLUMNS": "300"}, terminal_width=300)
    assert res.exit_code == 0
    assert all(f"│ {t.name} " in res.output for t in list_trainers()), res.output


def test_unknown_training_setting_lists_the_valid_ones(tmp_path):
    from imagefusion.train import load_config

    with pytest.raises(ParameterError, match="densefuse has no setting pach; its settings: epochs, .*patch"):
        load_config("densefuse", pach=3)
    good = tmp_path / "c.toml"
    good.write_text("fc1_rank = 16\n")
    cfg = load_config("cnn-liu2017", good)
    assert cfg.extra["fc1_rank"] == 16 and cfg.extra["blur_levels"] == 5 and cfg.epochs == 10
    bad = tmp_path / "d.toml"
    bad.write_text("ldf_weight = 1.0\n")
    with pytest.raises(ParameterError, match="mfenet has no setting ldf_weight in .*d.toml"):
        load_config("mfenet", bad)


class _Payload:
    """A pickle that, when unpickled by a full unpickler, creates a marker file (a planted payload)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _plant(folder: Path, marker: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": _Payload(marker), "optimizer": {}, "rows": [], "epoch": 0}, folder / "checkpoint.pt")
    return folder / "checkpoint.pt"


def test_a_planted_checkpoint_pickle_never_runs_in_train(tiny_data, tmp_path):
    marker = tmp_path / "PWNED"
    planted = _plant(tmp_path / "run", marker)
    before = planted.read_bytes()
    res = CliRunner().invoke(app, ["train", "cnn-liu2017", "--epochs", "1", "--steps", "1", "--batch-size", "4",
                                   "--data", str(tiny_data), "-o", str(tmp_path / "run")])
    assert not marker.exists(), "the planted pickle ran"
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("error:") and "checkpoint.pt: refusing to load a checkpoint" in last, last
    assert "--no-resume" in last and planted.read_bytes() == before  # kept as it was, for the user to inspect
    # a full unpickler would have run it: the payload is real
    torch.load(planted, weights_only=False)
    assert marker.exists()


def test_a_planted_checkpoint_pickle_never_runs_in_the_gan_loop(tmp_path):
    from imagefusion.errors import WeightsError
    from imagefusion.train.gan_loop import fit_gan
    from imagefusion.train.loop import TrainConfig

    marker = tmp_path / "PWNED"
    _plant(tmp_path / "gan", marker)
    g = torch.nn.Conv2d(2, 1, 1)
    opt = {"g": torch.optim.Adam(g.parameters(), lr=0.01)}
    with pytest.raises(WeightsError, match="checkpoint.pt: refusing to load"):
        fit_gan("g", g, critics={}, optimizers=opt, step=lambda b, i: {}, patch=4,
                sample=lambda rng, n, s: np.zeros((n, 2, s, s), np.float32), val_batch=np.zeros((1, 2, 4, 4), np.float32),
                val_loss=lambda net, b: torch.zeros(()), config=TrainConfig(epochs=1, steps_per_epoch=1, batch_size=1),
                out=tmp_path / "gan", progress=False)
    assert not marker.exists()


@pytest.mark.parametrize("content, why", [
    (b"", "not a readable checkpoint"),
    (b"PK\x03\x04 truncated zip", "not a readable checkpoint"),
    (None, "not a readable checkpoint"),  # a real checkpoint cut in half
    ("int", "holds a int"),  # torch.save(3)
])
def test_a_checkpoint_that_is_not_ours_is_a_one_line_error(tmp_path, content, why):
    from imagefusion.errors import WeightsError
    from imagefusion.train.loop import load_checkpoint

    path = tmp_path / "checkpoint.pt"
    if content is None:
        torch.save({"model": {"w": torch.ones(1000)}, "epoch": 1}, path)
        content = path.read_bytes()[:400]
    if content == "int":
        torch.save(3, path)
    else:
        path.write_bytes(content)
    with pytest.raises(WeightsError) as info:
        load_checkpoint(path, ("model",))
    assert why in str(info.value) and "\n" not in str(info.value) and str(path) in str(info.value)
    torch.save({"epoch": 1}, path)
    with pytest.raises(WeightsError, match="no model, optimizer"):
        load_checkpoint(path, ("model", "optimizer"))


@pytest.mark.parametrize("text, message", [
    ('{"epochs": "many", "lr": "fast"}', "setting epochs='many' in .*c.json: expected an integer"),
    ('[1, 2]', "c.json: holds a list; give an object of settings"),
    ('{"lr": -0.1}', "setting lr=-0.1 in .*: must be greater than 0"),
    ('{"batch_size": 0}', "setting batch_size=0 in .*: must be at least 1"),
    ('{"patch": 12.5}', "setting patch=12.5 in .*: expected an integer"),
    ('{"store_float16": "yes"}', "store_float16='yes' in .*: expected true or false"),
])
def test_config_values_are_checked_against_their_types_and_ranges(tmp_path, text, message):
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(ParameterError, match=message):
        load_config("densefuse", tmp_path / "c.json")
