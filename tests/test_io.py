"""imagefusion.io: formats, bit depths, grey detection, validation errors, atomic writes."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from imagefusion import InvalidImageError, OverwriteError, ParameterError, SizeMismatchError, read_image, write_image
from imagefusion.io import check_same_size, is_grey_rgb, read_image_raw, to_float
from imagefusion.pairs import find_pairs, source_order

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif"])
@pytest.mark.parametrize("colour", [False, True])
def test_lossless_roundtrip_8bit(tmp_path, ext, colour):
    shape = (37, 51, 3) if colour else (37, 51)
    img = RNG.integers(0, 256, shape, dtype=np.uint8)
    path = write_image(tmp_path / f"x{ext}", img)
    back = read_image(path)
    assert back.dtype == np.float32 and back.shape == shape
    np.testing.assert_array_equal(np.round(back * 255).astype(np.uint8), img)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_roundtrip(tmp_path, ext):
    img = RNG.random((20, 30, 3)).astype(np.float32)
    path = write_image(tmp_path / f"x{ext}", img, bit_depth=16)
    raw = read_image_raw(path)
    assert raw.dtype == np.uint16 and raw.shape == (20, 30, 3)
    np.testing.assert_allclose(read_image(path), img, atol=1 / 65535)


def test_jpeg_reads_close(tmp_path):
    img = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))
    path = write_image(tmp_path / "x.jpg", img)
    assert np.abs(read_image(path) - img).max() < 0.03


def test_grey_stored_as_rgb_is_read_as_grey(data_dir):
    path = data_dir / "ivif/tno/ir/01.png"
    raw = read_image_raw(path)
    assert raw.ndim == 3 and is_grey_rgb(raw)  # the file is RGB ...
    img = read_image(path)
    assert img.ndim == 2  # ... but holds grey, so it is read as grey
    np.testing.assert_array_equal(np.round(img * 255).astype(np.uint8), raw[..., 0])
    assert read_image(path, collapse_grey=False).shape == raw.shape


def test_real_formats_read(data_dir):
    # 1-channel JPEG, colour JPEG, BMP and TIFF from the real sets.
    assert read_image(data_dir / "ivif/roadscene/ir/FLIR_00211.jpg").ndim == 2
    assert read_image(data_dir / "ivif/roadscene/vi/FLIR_00211.jpg").ndim == 3
    bmp = sorted((data_dir / "mff/classic/a").glob("*.bmp"))[0]
    tif = sorted((data_dir / "mef/mefb/under").glob("*.tif*"))[0]
    for path in (bmp, tif):
        img = read_image(path)
        assert img.dtype == np.float32 and 0.0 <= img.min() and img.max() <= 1.0


def test_unreadable_and_empty_files_name_the_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(InvalidImageError, match="notes.png.*not a readable image"):
        read_image(text)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InvalidImageError, match="empty.jpg.*empty"):
        read_image(empty)
    with pytest.raises(InvalidImageError, match="missing.png: no such file"):
        read_image(tmp_path / "missing.png")


def test_float_tiff_is_read_and_checked(tmp_path):
    values = RNG.random((8, 9)).astype(np.float32)
    assert cv2.imwrite(str(tmp_path / "float.tif"), values)
    got = read_image(tmp_path / "float.tif")
    assert got.dtype == np.float32 and np.array_equal(got, values)  # read exactly, no rescaling
    import tifffile  # OpenCV writes 3-channel float TIFF with lossy LogLuv compression

    colour = RNG.random((8, 9, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "colour.tif", colour)
    assert np.array_equal(read_image(tmp_path / "colour.tif"), colour)
    assert cv2.imwrite(str(tmp_path / "hdr.tif"), values * 4)
    with pytest.raises(InvalidImageError, match=r"hdr.tif: float32 values must lie in \[0, 1\], found"):
        read_image(tmp_path / "hdr.tif")
    values[2, 3] = np.nan
    assert cv2.imwrite(str(tmp_path / "nan.tif"), values)
    with pytest.raises(InvalidImageError, match="nan.tif: float32 image with 1 NaN"):
        read_image(tmp_path / "nan.tif")
    assert cv2.imwrite(str(tmp_path / "int32.tif"), RNG.integers(0, 9, (8, 8)).astype(np.int32))
    with pytest.raises(InvalidImageError, match="int32.tif.*unsupported sample type int32"):
        read_image(tmp_path / "int32.tif")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_pillow_does(tmp_path, orientation):
    from PIL import Image, ImageOps

    pixels = RNG.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    im = Image.fromarray(pixels)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(tmp_path / "o.jpg", exif=exif, quality=100, subsampling=0)
    with Image.open(tmp_path / "o.jpg") as f:
        upright = np.asarray(ImageOps.exif_transpose(f).convert("RGB"))
    got = read_image(tmp_path / "o.jpg", collapse_grey=False)
    assert got.shape[:2] == upright.shape[:2] == ((6, 10) if orientation < 5 else (10, 6))
    assert np.abs(got * 255 - upright).max() <= 1.0  # same decoder up to rounding, same orientation


def test_a_named_pipe_is_refused_without_opening_it(tmp_path):
    import os

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading would wait forever for a writer
    with pytest.raises(InvalidImageError, match="pipe.png: is a named pipe"):
        read_image(fifo)


def test_array_validation():
    with pytest.raises(InvalidImageError, match="NaN"):
        to_float(np.array([[0.1, np.nan]]), "source 2")
    with pytest.raises(InvalidImageError, match="empty"):
        to_float(np.zeros((0, 4)), "source 1")
    with pytest.raises(InvalidImageError, match=r"\[0, 1\]"):
        to_float(np.full((3, 3), 2.0), "x")
    with pytest.raises(InvalidImageError, match="shape"):
        to_float(np.zeros((3, 3, 4)), "x")
    np.testing.assert_allclose(to_float(np.array([[0, 255]], np.uint8)), [[0.0, 1.0]])
    np.testing.assert_allclose(to_float(np.array([[0, 65535]], np.uint16)), [[0.0, 1.0]])


def test_size_mismatch_names_both_files_and_sizes():
    with pytest.raises(SizeMismatchError, match=r"a.png is 5x4 but b.png is 6x4"):
        check_same_size([np.zeros((4, 5)), np.zeros((4, 6))], ["a.png", "b.png"])


def test_write_is_atomic_and_never_overwrites_a_source(tmp_path):
    src = tmp_path / "src.png"
    write_image(src, np.zeros((4, 4), np.float32))
    before = src.read_bytes()
    with pytest.raises(OverwriteError, match="src.png"):
        write_image(tmp_path / "." / "src.png", np.ones((4, 4), np.float32), protect=[src])
    assert src.read_bytes() == before
    write_image(tmp_path / "out" / "f.png", np.ones((4, 4), np.float32))
    assert sorted(os.listdir(tmp_path / "out")) == ["f.png"]  # no temporary file left


def test_write_rejects_bad_requests(tmp_path):
    with pytest.raises(ParameterError, match="16-bit output needs PNG or TIFF"):
        write_image(tmp_path / "x.jpg", np.zeros((4, 4), np.float32), bit_depth=16)
    with pytest.raises(ParameterError, match="unsupported output format"):
        write_image(tmp_path / "x.gif", np.zeros((4, 4), np.float32))


def test_find_pairs_orders_sources_and_reports_unmatched(tmp_path):
    for src, names in {"vi": ["1", "2", "3"], "ir": ["1", "2", "4"]}.items():
        for n in names:
            write_image(tmp_path / src / f"{n}.png", np.zeros((4, 4), np.float32))
    ps = find_pairs(tmp_path)
    assert ps.sources == ["ir", "vi"]
    assert list(ps.pairs) == ["1", "2"]
    assert ps.unmatched == {"ir": ["4"], "vi": ["3"]}
    assert source_order(["over", "under"]) == ["under", "over"]
    assert source_order(["mri", "pet"]) == ["pet", "mri"]


def test_opencv_warnings_about_damaged_files_stay_off_stderr(tmp_path, capfd):
    path = write_image(tmp_path / "x.png", RNG.random((40, 48)).astype(np.float32))
    data = path.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidImageError, match="cut.png"):
        read_image(tmp_path / "cut.png")
    assert "WARN" not in capfd.readouterr().err  # the one-line error says it; OpenCV's warning does not repeat it
