"""Find a product on its plain catalogue background: the background colour and the product box.

Catalogue photos show one product on a plain, usually light, studio background. The
background colour is estimated from the image border (the median border pixel) and the
product is every pixel that differs from it by more than a threshold. Both run on a
subsampled copy (about 128 px on the short side) so they cost the same on any photo size.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

# Work on about this many pixels along the short side; the box is then scaled back up.
_WORK_SIDE = 128
# Border band used to estimate the background, as a fraction of the short side.
_BORDER_FRACTION = 0.03
# At least this share of border pixels must match the estimate, or the background is not plain.
_MIN_BORDER_AGREEMENT = 0.5
# A row / column belongs to the product when this share of its pixels differ from the background.
_MIN_LINE_FRACTION = 0.01


def image_from(data: dict[str, Any]) -> np.ndarray:
    """The image a data-dependent op measures: ``image``, else the first of ``images``."""
    return data["image"] if "image" in data else data["images"][0]


def _as_hwc(img: np.ndarray) -> np.ndarray:
    return img[:, :, None] if img.ndim == 2 else img


def _step(shape: tuple[int, ...]) -> int:
    return max(1, round(min(shape[0], shape[1]) / _WORK_SIDE))


def _border_pixels(small: np.ndarray) -> np.ndarray:
    """Every pixel of the border band of an HxWxC image as an Nx C array."""
    h, w = small.shape[:2]
    band = max(1, round(_BORDER_FRACTION * min(h, w)))
    band = min(band, h // 2 or 1, w // 2 or 1)
    channels = small.shape[2]
    return np.concatenate(
        [
            small[:band].reshape(-1, channels),
            small[h - band :].reshape(-1, channels),
            small[band : h - band, :band].reshape(-1, channels),
            small[band : h - band, w - band :].reshape(-1, channels),
        ]
    )


def _threshold_for(img: np.ndarray, threshold: float) -> float:
    # Thresholds are written in uint8 units; float images are in [0, 1].
    return threshold if img.dtype == np.uint8 else threshold / 255.0


def _matches(pixels: np.ndarray, color: np.ndarray, limit: float) -> np.ndarray:
    """True where every channel of an HxWxC array is within ``limit`` of ``color``."""
    if pixels.dtype in (np.uint8, np.float32) and pixels.shape[2] <= 4:
        # One OpenCV pass; about 6x faster than the numpy expression below.
        lower = tuple(float(c) - limit for c in color)
        upper = tuple(float(c) + limit for c in color)
        return cv2.inRange(np.ascontiguousarray(pixels), lower, upper) > 0
    return (np.abs(pixels.astype(np.float32) - color.astype(np.float32)) <= limit).all(axis=2)


def background_color(img: np.ndarray) -> tuple[float, ...]:
    """The median colour of the image border, one value per channel (uint8 or float units)."""
    small = _as_hwc(img)[:: _step(img.shape), :: _step(img.shape)]
    color = np.median(_border_pixels(small), axis=0)
    if img.dtype == np.uint8:
        color = np.rint(color)
    return tuple(float(c) for c in color)


def product_box(
    img: np.ndarray, threshold: float = 25, min_area: float = 0.005
) -> tuple[int, int, int, int] | None:
    """The product's bounding box ``(x_min, y_min, x_max, y_max)`` (max exclusive), or None.

    ``threshold`` is the largest per-channel difference (uint8 units) still counted as
    background. None means no product was found: the border is not a plain colour, or fewer
    than ``min_area`` of the pixels differ from it.
    """
    step = _step(img.shape)
    small = _as_hwc(img)[::step, ::step]
    border = _border_pixels(small)
    bg = np.median(border, axis=0)
    limit = _threshold_for(img, threshold)

    if np.mean(~_matches(border[:, None, :], bg, limit)) > 1 - _MIN_BORDER_AGREEMENT:
        return None

    mask = ~_matches(small, bg, limit)
    if mask.mean() < min_area:
        return None
    sh, sw = mask.shape
    rows = np.flatnonzero(mask.sum(axis=1) >= max(1, math.ceil(_MIN_LINE_FRACTION * sw)))
    cols = np.flatnonzero(mask.sum(axis=0) >= max(1, math.ceil(_MIN_LINE_FRACTION * sh)))
    if rows.size == 0 or cols.size == 0:
        return None

    h, w = img.shape[:2]
    # A sample at index i stands for pixels (i-1)*step+1 .. i*step: widen by one step so the
    # subsampling never cuts into the product.
    x_min = max(0, (int(cols[0]) - 1) * step + 1)
    y_min = max(0, (int(rows[0]) - 1) * step + 1)
    x_max = min(w, (int(cols[-1]) + 1) * step)
    y_max = min(h, (int(rows[-1]) + 1) * step)
    return x_min, y_min, x_max, y_max
