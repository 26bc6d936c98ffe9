"""Shared tools for drawing pattern motif maps: anti-aliased stripes, noise, motif layouts.

Coordinates are pixels of an R x R canvas; drawing uses OpenCV with sub-pixel precision.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np

Params = dict[str, Any]
SHIFT = 4  # sub-pixel bits for OpenCV drawing
ONE = 1 << SHIFT


@lru_cache(maxsize=4)
def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (x, y) of a size x size canvas, float32 (cached)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    return x, y


def band(u: np.ndarray, period: float, width: float, phase: float = 0.0) -> np.ndarray:
    """Anti-aliased stripes across coordinate ``u``: ``width`` px wide every ``period`` px."""
    d = np.abs(np.mod(u / period + phase, 1.0) - 0.5) * period
    return np.clip(width / 2.0 - d + 0.5, 0.0, 1.0)


def noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] with about ``cells`` bumps across the image."""
    low = rng.random((cells + 1, cells + 1)).astype(np.float32)
    return np.clip(cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def jittered_centres(rng: np.random.Generator, cell: float, jitter: float = 0.35):
    """Motif centres in fractions of R: a jittered grid covering the canvas and its edge."""
    n = int(np.ceil(1.0 / cell)) + 2
    out = []
    for i in range(-1, n - 1):
        for j in range(-1, n - 1):
            off = (i % 2) * 0.5  # brick offset avoids visible columns
            cx = (j + 0.5 + off + rng.uniform(-jitter, jitter)) * cell
            cy = (i + 0.5 + rng.uniform(-jitter, jitter)) * cell
            out.append((cx, cy))
    return out


def ellipse(img, cx, cy, ax, ay, angle, value, thickness=-1, a0=0, a1=360) -> None:
    """Draw an anti-aliased (arc of an) ellipse with sub-pixel centre and axes."""
    centre = (int(round(cx * ONE)), int(round(cy * ONE)))
    axes = (max(1, int(round(ax * ONE))), max(1, int(round(ay * ONE))))
    thick = thickness if thickness < 0 else max(1, int(round(thickness)))
    cv2.ellipse(img, centre, axes, float(angle), a0, a1, int(value), thick, cv2.LINE_AA, SHIFT)


def poly(img, pts: np.ndarray, value: int) -> None:
    """Fill a polygon (float pixel points) with anti-aliased, sub-pixel edges."""
    cv2.fillPoly(img, [np.round(pts * ONE).astype(np.int32)], int(value), cv2.LINE_AA, SHIFT)


def u8_to_map(img: np.ndarray) -> np.ndarray:
    """A uint8 drawing (0..255) as a float32 motif map (0..1)."""
    return img.astype(np.float32) * (1.0 / 255.0)
