"""``imagefusion ui`` in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
download). Upload a real pair, choose a method, press Fuse, read the result image back: its pixels are
``imagefusion.fuse``'s on the same pair; an error shows its one-line message in the page."""

from __future__ import annotations

import shutil
import socket

import cv2
import numpy as np
import pytest

import imagefusion
from imagefusion.ui import fuse_for_page, params_help

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_fuse_for_page_matches_fuse_and_reports_errors(tmp_path, data_dir):
    ir, vi = data_dir / "ivif/tno/ir/07.png", data_dir / "ivif/tno/vi/07.png"
    r = fuse_for_page([str(ir), str(vi)], "lp", "levels=3", 16, ["en", "qabf"], tmp_path)
    assert r["error"] == "" and "| qabf | higher |" in r["table"]
    png = cv2.imread(r["png"], cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    want = imagefusion.fuse([ir, vi], "lp", levels=3)
    assert np.abs(png / 65535.0 - want).max() <= 0.5 / 65535 + 1e-7
    assert fuse_for_page([str(ir), str(vi)], "lp", "levels=99")["error"] == "parameter levels=99 of 'lp': must be in [1, 12]"
    other = data_dir / "ivif/tno/vi/01.png"
    assert "sources differ in size" in fuse_for_page([str(ir), str(other)], "lp")["error"]
    cam = fuse_for_page([str(ir), str(vi)], "cam-fusion", "", 8, [], tmp_path / "cam")
    assert [p.rsplit("/", 1)[1] for p in cam["heat_maps"]] == ["cam_ir.png", "cam_vi.png", "channel_weights.png"]
    assert "`r1=45` ([1, 1024])" in params_help("gff")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian package `chromium`); "
                                              ".ci/run installs it")
def test_page_in_headless_chromium(tmp_path, data_dir):
    from playwright.sync_api import sync_playwright

    from imagefusion.ui import launch

    ir, vi = data_dir / "ivif/tno/ir/07.png", data_dir / "ivif/tno/vi/07.png"
    port = _free_port()
    app = launch(port=port, block=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="networkidle")
            page.locator("#sources input[type=file]").set_input_files([str(ir), str(vi)])
            box = page.locator("#method input")
            box.click()
            box.fill("lp-similarity")
            page.get_by_role("option", name="lp-similarity", exact=True).click()
            page.locator("#params-help").get_by_text("threshold=0.6").wait_for(timeout=30000)
            page.locator("#fuse").click()
            img = page.locator("#result img")
            img.wait_for(state="visible", timeout=120000)
            data = page.request.get(img.get_attribute("src")).body()
            shown = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            want = np.round(imagefusion.fuse([ir, vi], "lp-similarity") * 255).astype(np.uint8)
            assert shown.shape[:2] == want.shape
            shown = shown if shown.ndim == 2 else shown[..., 0]
            assert np.array_equal(shown, want)
            page.locator("#metric-table").get_by_text("qabf").wait_for(timeout=30000)
            assert page.locator("#compare img").count() == 2  # the first source and the result, to slide between
            # an error is the one-line message in the page, and the server goes on
            page.reload(wait_until="networkidle")
            page.locator("#sources input[type=file]").set_input_files([str(ir)])
            page.locator("#fuse").click()
            page.locator("#error").get_by_text("fusion needs at least two sources, got 1").wait_for(timeout=60000)
            # a bundled example: none for ivif (said in the page); the multi-exposure pair loads and fuses
            page.locator("#example").click()
            page.locator("#error").get_by_text("no bundled example for task 'ivif'").wait_for(timeout=30000)
            task = page.locator("#task input")
            task.click()
            page.get_by_role("option", name="mef", exact=True).click()
            page.locator("#example").click()
            page.locator("#sources").get_by_text("mef_over", exact=True).wait_for(timeout=30000)
            page.locator("#fuse").click()
            page.wait_for_function("() => { const i = document.querySelector('#result img');"
                                   " return i && i.naturalWidth === 600; }", timeout=120000)
            browser.close()
    finally:
        app.close()


def test_launch_reports_its_url_and_refuses_bad_ports():
    from imagefusion.errors import ParameterError
    from imagefusion.ui import launch

    urls: list[str] = []
    app = launch(block=False, on_ready=urls.append)
    app.close()
    assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:")
    for port in (0, -5, 99999):
        with pytest.raises(ParameterError, match=f"--port {port}: give a port in 1-65535"):
            launch(port=port, block=False)


def test_the_page_never_opens_a_server_path_a_visitor_types(tmp_path):
    import shutil

    from imagefusion.nn.registry import shipped_weights_path
    from imagefusion.ui import fuse_for_page

    a = imagefusion.write_image(tmp_path / "a.png", np.full((24, 24), 0.25, np.float32))
    b = imagefusion.write_image(tmp_path / "b.png", np.full((24, 24), 0.75, np.float32))
    for text in ("weights=/etc/passwd", f"weights={shipped_weights_path('densefuse')}", "weights=../x.safetensors"):
        r = fuse_for_page([str(a), str(b)], "densefuse", text, out_dir=tmp_path / "o")
        assert "names a file on the server" in r["error"] and r["png"] is None
    folder = tmp_path / "allowed"
    folder.mkdir()
    shutil.copy(shipped_weights_path("densefuse"), folder / "mine.safetensors")
    r = fuse_for_page([str(a), str(b)], "densefuse", "weights=../allowed/mine.safetensors", out_dir=tmp_path / "o",
                      weights_dir=folder)
    assert "server's weights folder (mine.safetensors)" in r["error"]
    r = fuse_for_page([str(a), str(b)], "densefuse", "weights=mine.safetensors", out_dir=tmp_path / "o",
                      weights_dir=folder)
    assert r["error"] == "" and imagefusion.read_image(r["png"]).shape == (24, 24)
    r = fuse_for_page([str(a), str(b)], "densefuse", "weights=authors", out_dir=tmp_path / "o")
    assert r["error"] == "" and r["png"]  # the authors' weights are a variant's name, not a server path
    for text in ("encoder=/etc/passwd", "decoder=/etc/passwd"):  # every file-valued parameter, not only weights=
        r = fuse_for_page([str(a), str(b)], "didfuse", text, out_dir=tmp_path / "o")
        assert "names a file on the server" in r["error"] and r["png"] is None


def test_every_file_valued_method_parameter_is_refused_by_the_page():
    """A method parameter that takes a file (a string defaulting to "") is in PATH_PARAMS."""
    import inspect

    from imagefusion.registry import list_methods
    from imagefusion.ui import PATH_PARAMS

    files = {p.name for spec in list_methods() for p in inspect.signature(spec.func).parameters.values()
             if p.default == ""}
    assert files and files <= set(PATH_PARAMS)
