"""The weights the package leaves out (ablation variants): registered with their hash, read from a source
checkout, fetched hash-checked into the cache, refused offline with a one-line error naming the file."""

from __future__ import annotations

import http.server
import shutil
import threading
import zlib
from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("torch")

from imagefusion.errors import WeightsError  # noqa: E402
from imagefusion.io import sha256_file  # noqa: E402
from imagefusion.nn import published  # noqa: E402
from imagefusion.nn.registry import shipped_weights_path  # noqa: E402

CHECKOUT = Path(__file__).resolve().parents[1] / "weights"
PACKAGE = Path(str(resources.files("imagefusion") / "weights"))


def _project_files() -> list[published.WeightFile]:
    published._import_all()
    return [f for f in published.WEIGHT_FILES.values() if f.repo == published.PROJECT_REPO]


def test_each_variant_is_registered_with_the_checkouts_file_and_left_out_of_the_package():
    files = _project_files()
    assert {f.name for f in files} == {"unet-gan", "unet-gan.wgan-gp", "unet-gan.wgan-gp-no-st",
                                       "fusiongan.wgan-gp", "cam-fwa.no-ldf"}
    for f in files:
        local = CHECKOUT / f"{f.name}.safetensors"
        assert local.stat().st_size == f.size and sha256_file(local) == f.sha256
        assert not (PACKAGE / local.name).exists() and (PACKAGE / f"{f.name}.json").is_file()  # the card stays
        assert f.url == (f"https://raw.githubusercontent.com/imagefusion/imagefusion/{published.PROJECT_WEIGHTS_COMMIT}"
                         f"/weights/{f.name}.safetensors")
    # what the package ships stays small: its weights deflate (as in the wheel) to under 24.5 MB (wheel: 25 MB)
    shipped = [*PACKAGE.glob("*.safetensors"), *PACKAGE.glob("published/*.safetensors")]
    assert sum(len(zlib.compress(p.read_bytes(), 6)) for p in shipped) < 24.5e6


@pytest.fixture()
def away(tmp_path, monkeypatch):
    """No checkout copy, no weights folder, an empty cache."""
    monkeypatch.setattr(published, "_CHECKOUT_WEIGHTS", tmp_path / "no-checkout")
    monkeypatch.setenv("IMAGEFUSION_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("IMAGEFUSION_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_offline_the_variant_is_a_one_line_error_naming_its_file(away, monkeypatch):
    monkeypatch.setenv("IMAGEFUSION_OFFLINE", "1")
    with pytest.raises(WeightsError) as info:
        shipped_weights_path("cam-fwa.no-ldf")
    text = str(info.value)
    assert "cam-fwa.no-ldf.safetensors" in text and "downloads are off" in text and "\n" not in text


def test_first_use_fetches_it_hash_checked_into_the_cache(away, monkeypatch):
    root = away / "www"
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/cam-fwa.no-ldf.safetensors"
        (root / "cam-fwa.no-ldf.safetensors").write_bytes(b"a corrupted copy")
        monkeypatch.setenv("IMAGEFUSION_OFFLINE", "0")
        with pytest.raises(WeightsError, match="SHA-256 is not the registered one"):
            published.fetch("cam-fwa.no-ldf", url=url)
        shutil.copy(CHECKOUT / "cam-fwa.no-ldf.safetensors", root / "cam-fwa.no-ldf.safetensors")
        got = published.fetch("cam-fwa.no-ldf", url=url)
    finally:
        httpd.shutdown()
    assert got == away / "cache" / "weights" / "cam-fwa" / "weights" / "cam-fwa.no-ldf.safetensors"
    assert shipped_weights_path("cam-fwa.no-ldf") == got  # the methods find it there from now on
