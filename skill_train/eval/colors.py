"""Colour labels for colour entropy: the catalogue's ``color`` column, or one read from pixels.

Without a colour column, a product's colour is the dominant named colour of the product
region of its first photo: the background is the median colour of the photo's border,
the product region is every pixel far from it (the whole photo if that region is tiny),
and the region's most common colour (the fullest bin of a coarse Lab histogram) is named
by the nearest entry of :data:`PALETTE`.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import cv2
import numpy as np

from skill_aug.catalog import NoReadablePhotos

#: Named colours (sRGB) a pixel-derived colour label is chosen from.
PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
    "red": (200, 30, 35),
    "orange": (240, 130, 30),
    "yellow": (240, 215, 50),
    "green": (50, 150, 60),
    "teal": (20, 130, 130),
    "blue": (40, 80, 200),
    "navy": (25, 30, 90),
    "purple": (120, 50, 150),
    "pink": (240, 140, 185),
    "brown": (115, 70, 35),
    "beige": (220, 200, 160),
}
COLOR_COLUMNS = ("color", "colour")
_BORDER = 0.04  # fraction of each side read as background
_BACKGROUND_DISTANCE = 40.0  # RGB distance from the background colour that counts as product
_MIN_REGION = 0.05  # below this fraction of pixels, the whole photo is used


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.reshape(-1, 1, 3).astype(np.uint8), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


_PALETTE_NAMES = list(PALETTE)
_PALETTE_LAB = _to_lab(np.asarray(list(PALETTE.values()), dtype=np.uint8))


def product_region(image: np.ndarray) -> np.ndarray:
    """The pixels (N×3 uint8) of ``image`` that differ from its border's median colour."""
    h, w = image.shape[:2]
    b = max(1, int(round(min(h, w) * _BORDER)))
    border = np.concatenate(
        [image[:b].reshape(-1, 3), image[-b:].reshape(-1, 3), image[:, :b].reshape(-1, 3), image[:, -b:].reshape(-1, 3)]
    )
    background = np.median(border, axis=0)
    pixels = image.reshape(-1, 3)
    far = np.linalg.norm(pixels.astype(np.float32) - background, axis=1) > _BACKGROUND_DISTANCE
    return pixels[far] if far.mean() >= _MIN_REGION else pixels


def dominant_color(image: np.ndarray) -> str:
    """The palette name of the product region's most common colour.

    "Most common" is the fullest bin of a coarse Lab histogram (fine motifs blend with
    the ground into many thin bins; the ground keeps one full bin); that bin's mean colour
    is named by the nearest palette entry, lightness counting half (shading darkens a
    colour more than it changes its hue).
    """
    lab = _to_lab(product_region(image))
    bins = np.floor(lab / np.array([25.0, 12.0, 12.0], np.float32)).astype(np.int64)
    _, inverse, counts = np.unique(bins, axis=0, return_inverse=True, return_counts=True)
    peak = lab[inverse.reshape(-1) == counts.argmax()].mean(axis=0)
    weights = np.array([0.5, 1.0, 1.0], np.float32)
    return _PALETTE_NAMES[int((((_PALETTE_LAB - peak) * weights) ** 2).sum(axis=1).argmin())]


def color_column(attribute_names: Sequence[str]) -> str | None:
    """The catalogue's colour column (``color`` or ``colour``), if it has one."""
    for name in COLOR_COLUMNS:
        if name in attribute_names:
            return name
    return None


def colors_from_attributes(product_ids: Sequence[str], attributes: Mapping[str, Mapping[str, str]], column: str) -> np.ndarray:
    """Each row's product colour from the catalogue (``""`` where a product has none)."""
    return np.asarray([attributes.get(pid, {}).get(column, "") for pid in product_ids])


def colors_from_pixels(catalog, product_ids: Sequence[str]) -> dict[str, str]:
    """The dominant colour of the first readable photo of each product in ``product_ids``.

    ``catalog`` is a :class:`skill_aug.catalog.Catalog`; a product with no readable photo
    among its first three gets ``""`` (left out of colour entropy).
    """
    wanted = set(product_ids)
    out: dict[str, str] = {}
    for product in catalog:
        if product.product_id not in wanted:
            continue
        n = min(3, len(product.paths))
        try:
            images = catalog.load_images(product, list(range(n)), limit=1) if n else []
        except NoReadablePhotos:  # skipped and counted by the catalogue
            images = []
        out[product.product_id] = dominant_color(images[0]) if images else ""
    return out
