"""Robust image reading: any photo a catalogue may hold → an HxWx3 uint8 RGB array.

    >>> from skill_aug.images import read_image
    >>> photo = read_image("catalog/p001/01.jpg")      # EXIF-rotated, RGB, max side <= 1024

What it handles: EXIF orientation; grayscale, palette, 1-bit, 16-bit (``I;16``, ``I``) and
float (``F``) images; transparency of any kind (RGBA, LA, PA, a palette's or a ``tRNS``
colour key), composited on white; CMYK (through the embedded ICC profile when there is one);
very large photos (downscaled while decoding, with JPEG's DCT scaling) and tiny ones
(upscaled). Empty, truncated, corrupt and non-image files raise
:class:`~skill_aug.errors.ImageReadError` with one line naming the path.
"""

from __future__ import annotations

import io
import math
import os
import threading
from contextlib import contextmanager
from typing import Iterator

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps

from skill_aug.errors import ImageReadError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "DEFAULT_MIN_SIDE",
    "IMAGE_EXTENSIONS",
    "is_image_name",
    "read_image",
    "grow_to_shorter_side",
    "shrink_to_shorter_side",
]

#: File name endings a catalogue folder treats as photos (compared lower-case).
IMAGE_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
#: Longest side of a returned photo; larger ones are downscaled on load.
DEFAULT_MAX_SIDE = 1024
#: Shortest side of a returned photo; smaller ones are upscaled on load.
DEFAULT_MIN_SIDE = 32
#: Pixel count above which a file is refused before decoding (Pillow's own warning level,
#: so no photo we accept triggers its DecompressionBombWarning).
DEFAULT_MAX_PIXELS = 89_478_485

_TRANSPARENT_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_WHITE = (255, 255, 255, 255)

# Pillow's LOAD_TRUNCATED_IMAGES is a process-wide flag that another library may have set;
# while it is on, a truncated file decodes to grey without an error. We switch it off for
# the duration of our own decode (serialised by this lock) so truncation is always seen.
_TRUNCATION_LOCK = threading.Lock()


def read_image(
    path: str | os.PathLike[str],
    *,
    max_side: int | None = DEFAULT_MAX_SIDE,
    min_side: int | None = DEFAULT_MIN_SIDE,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    decode_size: int | None = None,
) -> np.ndarray:
    """Read one photo as a C-contiguous, writable HxWx3 ``uint8`` RGB array.

    ``max_side`` / ``min_side`` bound the returned size (``None`` switches a bound off);
    the aspect ratio is kept, so a photo whose sides differ by more than
    ``max_side / min_side`` cannot meet both and is refused. ``max_pixels`` refuses
    decompression bombs from the header, before any pixel is decoded. ``decode_size`` is the
    shorter side the caller needs at most (a policy's source size): a JPEG is then decoded
    at the smallest DCT scale (1/2, 1/4, 1/8) whose shorter side still reaches it, and
    returned at that size (the caller shrinks it the rest of the way, after cropping).

    Raises :class:`ImageReadError` (one line: path and reason) for a missing, empty,
    truncated, corrupt or non-image file, or one outside these limits.
    """
    _check_bounds(max_side, min_side)
    if decode_size is not None and decode_size < 1:
        raise ValueError(f"decode_size must be >= 1 or None, got {decode_size}")
    where = os.fspath(path)
    try:
        size = os.stat(where).st_size
    except OSError as err:
        raise ImageReadError(f"{where}: cannot open ({_one_line(err.strerror or err)})") from err
    if size == 0:
        raise ImageReadError(f"{where}: empty file (0 bytes)")

    try:
        image = Image.open(where)
    except Image.DecompressionBombError as err:
        raise ImageReadError(f"{where}: refused as a decompression bomb ({_one_line(err)})") from err
    except Exception as err:  # Pillow raises many types on a garbled header
        raise ImageReadError(f"{where}: not a readable image ({_one_line(err)})") from err

    with image:
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageReadError(f"{where}: image has no pixels ({width}x{height})")
        if max_pixels is not None and width * height > max_pixels:
            raise ImageReadError(
                f"{where}: {width}x{height} = {width * height} pixels exceeds the limit of "
                f"{max_pixels} (a possible decompression bomb; raise max_pixels to read it)"
            )
        _check_aspect(where, width, height, max_side, min_side)
        if decode_size is not None and max_side is not None and min(width, height) > decode_size:
            # a long, narrow photo keeps the shorter side the caller needs, whatever max_side says
            max_side = max(max_side, math.ceil(decode_size * max(width, height) / min(width, height)))
        scale = _decode_scale(width, height, max_side, decode_size)
        if scale < 1:
            # JPEG decodes at 1/2, 1/4 or 1/8 scale for almost nothing; never below target.
            image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))
        try:
            with _strict_truncation():
                image.load()
        except Exception as err:
            raise ImageReadError(
                f"{where}: truncated or corrupt {image.format or 'image'} data ({_one_line(err)})"
            ) from err
        image = _apply_exif_orientation(image)
        rgb = _to_rgb(image, where)
    rgb = _fit(rgb, max_side, min_side)
    return np.array(rgb, dtype=np.uint8, order="C")


def _decode_scale(width: int, height: int, max_side: int | None, decode_size: int | None) -> float:
    """The smallest scale (<= 1) the caller needs: ``max_side`` caps the longer side, and
    nothing below ``decode_size`` on the shorter side is ever used."""
    scale = 1.0
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
    if decode_size is not None and min(width, height) > decode_size:
        scale = min(scale, decode_size / min(width, height))
    return scale


def _check_bounds(max_side: int | None, min_side: int | None) -> None:
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be >= 1 or None, got {max_side}")
    if min_side is not None and min_side < 1:
        raise ValueError(f"min_side must be >= 1 or None, got {min_side}")
    if max_side is not None and min_side is not None and min_side > max_side:
        raise ValueError(f"min_side ({min_side}) must not exceed max_side ({max_side})")


def _check_aspect(where: str, width: int, height: int, max_side: int | None, min_side: int | None) -> None:
    if max_side is None or min_side is None:
        return
    long, short = max(width, height), min(width, height)
    if long * min_side > short * max_side:
        raise ImageReadError(
            f"{where}: aspect ratio {width}x{height} is too extreme to fit min_side={min_side} "
            f"and max_side={max_side} (sides may differ by at most {max_side / min_side:g}x)"
        )


@contextmanager
def _strict_truncation() -> Iterator[None]:
    if not ImageFile.LOAD_TRUNCATED_IMAGES:
        yield
        return
    with _TRUNCATION_LOCK:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = True


def _apply_exif_orientation(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # A garbled EXIF block is common in the wild; the pixels themselves are fine.
        return image


def _to_rgb(image: Image.Image, where: str) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _SIXTEEN_BIT_MODES or mode in {"I", "F"}:
        return Image.fromarray(_high_depth_to_uint8(np.asarray(image), mode)).convert("RGB")
    if mode == "CMYK":
        return _cmyk_to_rgb(image)
    if mode in _TRANSPARENT_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as err:
        raise ImageReadError(f"{where}: unsupported colour mode {mode} ({_one_line(err)})") from err


def _high_depth_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    if mode in _SIXTEEN_BIT_MODES:
        scaled = values.astype(np.float32) / 257.0
    elif mode == "I":
        # 32-bit integer images carry 16-bit data (old PNG/TIFF readers) or plain 8-bit values.
        top = float(values.max(initial=0))
        scaled = values.astype(np.float32) / (257.0 if top > 255 else 1.0)
    else:  # "F": floats in [0, 1] or already in [0, 255]
        top = float(np.nanmax(values, initial=0.0))
        scaled = np.nan_to_num(values.astype(np.float32)) * (255.0 if top <= 1.0 else 1.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except Exception:
            pass  # a broken profile: fall back to Pillow's naive conversion below
    return image.convert("RGB")


def _fit(image: Image.Image, max_side: int | None, min_side: int | None) -> Image.Image:
    width, height = image.size
    long, short = max(width, height), min(width, height)
    if max_side is not None and long > max_side:
        scale = max_side / long
        resample = Image.Resampling.BICUBIC
    elif min_side is not None and short < min_side:
        scale = min_side / short
        resample = Image.Resampling.BICUBIC
    else:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Rounding may miss the bound by a pixel; pin the side that set the scale.
    if max_side is not None and long > max_side:
        size = (min(size[0], max_side), min(size[1], max_side))
    elif min_side is not None:
        size = (max(size[0], min_side), max(size[1], min_side))
    return image.resize(size, resample, reducing_gap=2.0 if scale < 1 else None)


def _one_line(message: object) -> str:
    text = " ".join(str(message).split())
    return text or "no details"


def is_image_name(name: str) -> bool:
    """Whether a file name has one of :data:`IMAGE_EXTENSIONS` (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS



def shrink_to_shorter_side(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` scaled down so its shorter side is ``side`` px; smaller ones as they are.

    Anti-aliased in two steps, as Pillow's ``reducing_gap`` does: a box average over
    k × k pixels for the largest whole factor k, then bilinear for the rest (a factor
    below 2, where bilinear still reads every pixel). OpenCV's area resampling at a
    fractional factor gives almost the same pixels at 3–7× the cost.
    """
    height, width = image.shape[:2]
    shorter = min(height, width)
    if shorter <= side:
        return image
    scale = side / shorter
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(size) < side:  # rounding must not take the shorter side below the promise
        size = (side, size[1]) if width == shorter else (size[0], side)
    whole = shorter // side
    if whole >= 2:
        image = cv2.resize(image, (width // whole, height // whole), interpolation=cv2.INTER_AREA)
        if image.shape[1] == size[0] and image.shape[0] == size[1]:
            return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def grow_to_shorter_side(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` scaled up (cubic) so its shorter side is ``side`` px; larger ones as they are."""
    height, width = image.shape[:2]
    if min(height, width) >= side:
        return image
    scale = side / min(height, width)
    size = (max(side, round(width * scale)), max(side, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)


def grey_rgb(image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image's luma (ITU-R 601 weights, as albumentations' ``ToGray`` with
    ``weighted_average``) copied to three channels, so a model trained on colour takes it."""
    return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
