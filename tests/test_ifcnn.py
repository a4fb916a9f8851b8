"""IFCNN with its authors' weights: equal to the official code's outputs (``shared/peers/ifcnn``, made by
the authors' ``IFCNN_Main.py`` with the same weights) on a pair of every task; tiles; the weights'
registry entry, its download with a hash check (a local server), and the offline error."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import imagefusion
from imagefusion.errors import WeightsError
from imagefusion.nn import published
from imagefusion.pairs import find_pairs

CASES = [("ivif", "ivif/tno", "07"), ("ivif", "ivif/roadscene", "FLIR_00977"), ("mff", "mff/lytro", "lytro_01"),
         ("mif", "medical/ct-mri", "11"), ("mef", "mef/mefb", "Chair")]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.mark.parametrize("task,folder,name", CASES, ids=[c[2] for c in CASES])
def test_ifcnn_equals_the_authors_code(data_dir, task, folder, name):
    peers = data_dir.parent / "peers" / "ifcnn" / folder
    files = find_pairs(data_dir / folder).pairs[name]
    ours = np.round(imagefusion.fuse(files, "ifcnn", task=task) * 255).astype(np.uint8)
    ref = imagefusion.io.read_image_raw(next(peers.glob(f"{name}.*")))
    assert ours.shape == ref.shape  # grey for ivif/mif as the authors save it, RGB for mff/mef
    assert _psnr(ours, ref) >= 40.0  # measured 85-98 dB (benchmarks/measure/ifcnn_reference.py)
    d = np.abs(ours.astype(int) - ref.astype(int))  # float round-off flips an 8-bit truncation here and there
    assert d.max() <= 3 and np.mean(d > 0) < 1e-3


def test_the_fast_network_equals_the_authors_layers():
    """FastIFCNN (conv1∘conv2 composed, batch norms folded, grey sources as one channel) against
    IFCNN layer by layer, with random weights and statistics, at sizes down to 1 × 1."""
    import torch

    from imagefusion.models.ifcnn.network import IFCNN, FastIFCNN

    torch.manual_seed(0)
    for rule in ("max", "sum", "mean"):
        net = IFCNN(rule).eval()
        for bn in (net.conv2.bn, net.conv3.bn):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.2, 0.2)
        fast = FastIFCNN(net)
        for h, w in ((1, 1), (5, 9), (33, 20)):
            a, b = torch.rand(2, 1, 3, h, w)
            g = torch.rand(1, 1, h, w)
            with torch.no_grad():
                assert (fast(a, b) - net(a, b)).abs().max() < 1e-4
                assert (fast(g, b) - net(g.expand(-1, 3, -1, -1), b)).abs().max() < 1e-4


def test_folder_names_pick_the_branch_and_tiles_change_nothing(data_dir):
    files = find_pairs(data_dir / "ivif/roadscene").pairs["FLIR_00977"]
    whole = imagefusion.fuse(files, "ifcnn")  # task from the folders ir/vi: grey output
    assert whole.ndim == 2
    tiled = imagefusion.fuse(files, "ifcnn", tile=96)  # 96-pixel tiles with 8-pixel halos
    d = np.abs(tiled - whole) * 255  # float round-off may flip the authors' 8-bit truncation by one level
    assert d.max() <= 1.0 + 1e-4 and np.mean(d > 0.5) < 1e-3


def test_the_registry_entry_and_the_converted_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEFUSION_CACHE", str(tmp_path))
    entry = published.get_weight_file("ifcnn-max")
    assert entry.url == ("https://raw.githubusercontent.com/uzeful/IFCNN/8fe59c2b1553e52acc793986208ca479d134a8da/"
                         "Code/snapshots/IFCNN-MAX.pth")
    assert entry.licence == "no licence file"  # never shipped in the package
    state = published.load_published("ifcnn-max")
    assert tuple(state["conv1.weight"].shape) == (64, 3, 7, 7)
    converted = list((tmp_path / "weights" / "converted").glob("ifcnn-max-*.safetensors"))
    assert len(converted) == 1  # read once from the pickle, then from safetensors
    assert set(published.load_published("ifcnn-max")) == set(state)


def test_offline_without_a_copy_says_which_file_and_where(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEFUSION_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("IMAGEFUSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGEFUSION_OFFLINE", "1")
    with pytest.raises(WeightsError) as info:
        published.fetch("ifcnn-sum")
    text = str(info.value)
    assert "IFCNN-SUM.pth" in text and str(tmp_path / "cache" / "weights" / "ifcnn") in text and "\n" not in text


def test_a_copy_with_another_hash_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "ifcnn" / "Code" / "snapshots" / "IFCNN-MAX.pth"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the authors' file")
    monkeypatch.setenv("IMAGEFUSION_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match="SHA-256 .* is not ifcnn-max's"):
        published.locate("ifcnn-max")


@pytest.fixture()
def server(tmp_path):
    """A local HTTP server over ``tmp_path / 'www'`` (no network: the download code is tested here)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_checks_the_hash_into_the_cache(tmp_path, monkeypatch, server):
    root, url = server
    monkeypatch.setenv("IMAGEFUSION_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("IMAGEFUSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGEFUSION_OFFLINE", "0")
    official = Path(os.environ.get("IMAGEFUSION_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    source = official / "weights" / "official" / "ifcnn" / "Code" / "snapshots" / "IFCNN-MEAN.pth"
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    (root / "wrong.pth").write_bytes(b"something else")
    with pytest.raises(WeightsError, match="SHA-256 is not the registered one"):
        published.fetch("ifcnn-mean", url=f"{url}/wrong.pth")
    assert not list((tmp_path / "cache").rglob("*.pth"))  # nothing kept
    shutil.copy(source, root / "IFCNN-MEAN.pth")
    got = published.fetch("ifcnn-mean", url=f"{url}/IFCNN-MEAN.pth")
    assert got == tmp_path / "cache" / "weights" / "ifcnn" / "Code" / "snapshots" / "IFCNN-MEAN.pth"
    assert imagefusion.io.sha256_file(got) == published.get_weight_file("ifcnn-mean").sha256
    assert published.locate("ifcnn-mean") == got  # found in the cache next time, not downloaded again
    with pytest.raises(WeightsError, match="cannot download"):
        published.fetch("ifcnn-sum", url=f"{url}/nosuch.pth")
