"""read_image on real files: every mode and defect a catalogue meets, written into tmp_path."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from skill_aug.errors import ImageReadError, SkillAugError
from skill_aug.images import is_image_name, read_image


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _assert_one_line_error(path: Path, match: str) -> ImageReadError:
    with pytest.raises(ImageReadError, match=match) as info:
        read_image(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert isinstance(info.value, SkillAugError)
    return info.value


# ------------------------------------------------------------------ broken files
def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    _assert_one_line_error(path, "empty file")


def test_truncated_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    Image.fromarray(_noise(128, 128)).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _assert_one_line_error(path, "truncated or corrupt JPEG")


def test_truncation_is_seen_even_when_pillow_is_told_to_hide_it(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "cut.jpg"
    Image.fromarray(_noise(128, 128)).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:3000])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    _assert_one_line_error(path, "truncated")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the caller's setting is restored


def test_truncated_png(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    Image.fromarray(_noise(96, 96)).save(path)
    path.write_bytes(path.read_bytes()[:2000])
    _assert_one_line_error(path, "truncated or corrupt")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\nbut it has a photo's name\n")
    _assert_one_line_error(path, "not a readable image")


def test_corrupt_png_pixel_data(tmp_path: Path) -> None:
    path = tmp_path / "garbled.png"
    Image.fromarray(_noise(64, 64)).save(path)
    data = bytearray(path.read_bytes())
    start = data.find(b"IDAT")
    data[start + 30 : start + 60] = bytes(30)  # zero a stretch of the compressed pixels
    path.write_bytes(bytes(data))
    _assert_one_line_error(path, "truncated or corrupt PNG data")


def test_corrupt_jpeg_header(tmp_path: Path) -> None:
    path = tmp_path / "garbled.jpg"
    Image.fromarray(_noise(64, 64)).save(path)
    data = bytearray(path.read_bytes())
    start = data.find(b"\xff\xc4")  # a Huffman table: garble it
    data[start + 4 : start + 40] = b"\xff" * 36
    path.write_bytes(bytes(data))
    _assert_one_line_error(path, "not a readable image")


def test_missing_file(tmp_path: Path) -> None:
    _assert_one_line_error(tmp_path / "nowhere.jpg", "cannot open")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width`` x ``height`` pixels."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")


def test_decompression_bomb_header_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(100_000, 100_000))  # 10^10 pixels claimed, no data
    _assert_one_line_error(path, "decompression bomb")


def test_max_pixels_limit(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.fromarray(_noise(40, 50)).save(path)
    with pytest.raises(ImageReadError, match="2000 pixels exceeds the limit of 1000"):
        read_image(path, max_pixels=1000)
    assert read_image(path, max_pixels=2000).shape == (40, 50, 3)


def test_extreme_aspect_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "banner.png"
    Image.fromarray(_noise(10, 400)).save(path)
    _assert_one_line_error(path, "aspect ratio 400x10")
    assert read_image(path, min_side=None).shape == (10, 400, 3)


# ------------------------------------------------------------------ modes
def test_rgb_jpeg_roundtrip_is_writable_contiguous_uint8(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    pixels = np.full((48, 64, 3), (200, 40, 90), np.uint8)
    Image.fromarray(pixels).save(path, quality=95)
    image = read_image(path)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert image.flags.c_contiguous and image.flags.writeable
    assert np.abs(image.astype(int) - pixels).max() <= 3


def test_cmyk_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(path)  # pure red in CMYK
    assert Image.open(path).mode == "CMYK"
    image = read_image(path)
    assert image.shape == (40, 40, 3)
    assert image[20, 20, 0] > 240 and image[20, 20, 1:].max() < 15


def test_sixteen_bit_png(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    values = np.array([[0, 128 * 257, 65535, 255]], dtype=np.uint16).repeat(32, axis=0).repeat(8, axis=1)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    image = read_image(path)
    assert image.shape == (32, 32, 3)
    assert [int(v) for v in image[0, ::8, 0]] == [0, 128, 255, 1]  # scaled, not clipped
    assert (image[..., 0] == image[..., 2]).all()


def test_rgba_png_composited_on_white(tmp_path: Path) -> None:
    path = tmp_path / "cutout.png"
    rgba = np.zeros((32, 48, 4), np.uint8)
    rgba[:, :16] = (255, 0, 0, 255)  # opaque red
    rgba[:, 16:32] = (0, 0, 0, 0)  # fully transparent black
    rgba[:, 32:] = (0, 0, 0, 128)  # half-transparent black
    Image.fromarray(rgba, "RGBA").save(path)
    image = read_image(path)
    assert image.shape == (32, 48, 3)
    assert tuple(image[5, 5]) == (255, 0, 0)
    assert tuple(image[5, 20]) == (255, 255, 255)
    assert all(120 <= v <= 135 for v in image[5, 40])


def test_palette_png_with_transparency(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, 0, 128, 0] + [0] * 762)
    image.paste(1, (0, 0, 20, 40))
    image.save(path, transparency=0)
    assert Image.open(path).mode == "P"
    pixels = read_image(path)
    assert tuple(pixels[10, 5]) == (0, 128, 0)
    assert tuple(pixels[10, 30]) == (255, 255, 255)  # index 0 is transparent → white


def test_palette_png_without_transparency(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    Image.fromarray(np.full((40, 40, 3), (10, 20, 30), np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE).save(path)
    assert tuple(read_image(path)[0, 0]) == (10, 20, 30)


def test_grayscale_and_gray_alpha(tmp_path: Path) -> None:
    gray = tmp_path / "gray.png"
    Image.new("L", (40, 40), 77).save(gray)
    assert read_image(gray).shape == (40, 40, 3)
    assert (read_image(gray) == 77).all()
    la = tmp_path / "la.png"
    Image.new("LA", (40, 40), (0, 0)).save(la)
    assert (read_image(la) == 255).all()


def test_one_bit_bmp_and_webp(tmp_path: Path) -> None:
    bmp = tmp_path / "mono.bmp"
    Image.new("1", (40, 40), 1).save(bmp)
    assert (read_image(bmp) == 255).all()
    webp = tmp_path / "photo.webp"
    Image.new("RGB", (40, 40), (0, 0, 255)).save(webp, lossless=True)
    assert tuple(read_image(webp)[0, 0]) == (0, 0, 255)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :32] = (255, 0, 0)  # left half red
    stored[:, 32:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    image = read_image(path)
    assert image.shape == (64, 32, 3)  # portrait once rotated
    top, bottom = image[8, 16], image[56, 16]
    assert top[0] > 200 and top[2] < 50  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 50


# ------------------------------------------------------------------ sizes
def test_huge_photo_is_downscaled(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (3000, 2000), (30, 160, 60)).save(path)
    image = read_image(path)
    assert image.shape == (683, 1024, 3)
    assert np.abs(image[300, 500].astype(int) - (30, 160, 60)).max() <= 3
    assert read_image(path, max_side=300).shape == (200, 300, 3)


def test_tiny_photo_is_upscaled(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (8, 4), (9, 99, 199)).save(path)
    image = read_image(path)
    assert image.shape == (32, 64, 3)
    assert tuple(image[16, 32]) == (9, 99, 199)
    assert read_image(path, min_side=None).shape == (4, 8, 3)


def test_bad_bounds_are_programmer_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="min_side"):
        read_image(tmp_path / "x.jpg", max_side=16, min_side=32)


def test_is_image_name() -> None:
    assert is_image_name("a.JPG") and is_image_name("b.jpeg") and is_image_name("c.webp")
    assert not is_image_name("attributes.csv") and not is_image_name("photo.gif")
