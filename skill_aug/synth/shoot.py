"""The photo shoot: several catalogue photos of one canonical product.

Photo 0 is the front shot (upright, centred, large). The others vary as a real shoot does:
scale and crop (including close-ups of the fabric), rotation, horizontal flip, a small
perspective tilt, the light backdrop's tone and gradient, a soft shadow, exposure, light
direction, white balance and sensor noise. The product always sits on a plain light
background, so a foreground crop has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from skill_aug.synth.product import Canonical


@dataclass
class Photo:
    """One rendered photo (H x W x 3 uint8 RGB) and the product's coverage in it (float32 0..1)."""

    image: np.ndarray
    mask: np.ndarray
    kind: str


def _similarity(cx, cy, scale, angle_deg, flip, tx, ty) -> np.ndarray:
    """3x3: move (cx, cy) to the origin, flip, rotate, scale, then move to (tx, ty)."""
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a) * scale, np.sin(a) * scale
    f = -1.0 if flip else 1.0
    m = np.array([[c * f, -s, 0.0], [s * f, c, 0.0], [0.0, 0.0, 1.0]])
    m[:2, 2] = np.array([tx, ty]) - m[:2, :2] @ np.array([cx, cy])
    return m


def _camera(canon: Canonical, index: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """The homography from canonical level-0 pixels to the photo, and the shot's kind."""
    x0, y0, x1, y1 = canon.bbox
    extent = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if index == 0:
        kind, fill = "front", rng.uniform(0.78, 0.9)
        angle, flip, tilt = rng.uniform(-2, 2), False, 0.008
        room = (1 - fill) / 2 * size * 0.3
    elif rng.random() < 0.25:
        kind, fill = "detail", 1.0 / rng.uniform(0.35, 0.6)
        cx, cy = canon.points[rng.integers(len(canon.points))]
        angle, flip, tilt = rng.uniform(-10, 10), bool(rng.random() < 0.5), 0.02
        room = size * 0.1
    else:
        kind, fill = "full", rng.uniform(0.55, 0.92)
        angle, flip, tilt = rng.uniform(-12, 12), bool(rng.random() < 0.5), 0.025
        room = (1 - fill) / 2 * size * 0.9
    tx, ty = size / 2 + rng.uniform(-room, room), size / 2 + rng.uniform(-room, room)
    affine = _similarity(cx, cy, fill * size / extent, angle, flip, tx, ty)
    src = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    dst = (affine[:2, :2] @ src.T).T + affine[:2, 2]
    dst += rng.normal(0.0, tilt * size, dst.shape)  # small perspective: move each corner a little
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)), kind


def _backdrop(size: int, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    tone = rng.uniform(200, 248)
    tint = rng.uniform(-6, 6) * np.array([1.0, 0.2, -1.0])  # warm or cool paper
    bg = np.empty((size, size, 3), np.float32)
    bg[:] = tone + tint
    if rng.random() < 0.4:  # a mild sweep: darker towards one side or the corners
        if rng.random() < 0.5:
            a = rng.uniform(0, 2 * np.pi)
            g = 1.0 - rng.uniform(0.03, 0.1) * (0.5 + (xx - 0.5) * np.cos(a) + (yy - 0.5) * np.sin(a))
        else:
            g = 1.0 - rng.uniform(0.04, 0.12) * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
        bg *= g[..., None]
    return bg


_GRIDS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _unit_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    if size not in _GRIDS:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
        _GRIDS[size] = (yy, xx)
    return _GRIDS[size]


def photograph(canon: Canonical, index: int, size: int, rng: np.random.Generator) -> Photo:
    """Photo number ``index`` of the product (index 0 is the front shot)."""
    h, kind = _camera(canon, index, size, rng)
    level = 1 if h[0, 0] ** 2 + h[1, 0] ** 2 < 0.75**2 else 0  # downsampling: use the half level
    src = canon.levels[level]
    if level:
        h = h @ np.diag([2.0, 2.0, 1.0])
    prod = cv2.warpPerspective(src, h, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    alpha = prod[..., 3] * (1.0 / 255.0)
    yy, xx = _unit_grid(size)
    bg = _backdrop(size, rng, yy, xx)
    if rng.random() < 0.75:  # soft contact shadow, offset down/right or down/left
        k = int(size * rng.uniform(0.03, 0.07)) * 2 + 1
        shift = np.float32([[1, 0, rng.uniform(-0.03, 0.03) * size], [0, 1, rng.uniform(0.01, 0.04) * size]])
        sh = cv2.warpAffine(alpha, shift, (size, size))
        sh = cv2.GaussianBlur(sh, (k, k), 0)
        bg *= (1.0 - rng.uniform(0.12, 0.3) * sh)[..., None]
    img = prod[..., :3] + bg * (1.0 - alpha)[..., None]
    a = rng.uniform(0, 2 * np.pi)
    light = rng.uniform(0.86, 1.1) * (1.0 + rng.uniform(0, 0.14) * ((xx - 0.5) * np.cos(a) + (yy - 0.5) * np.sin(a)))
    img *= light[..., None]
    img *= rng.uniform(0.97, 1.03, 3).astype(np.float32)  # white balance
    img += rng.standard_normal((size, size, 1), np.float32) * np.float32(rng.uniform(0.5, 2.0))
    return Photo(np.clip(img + 0.5, 0, 255).astype(np.uint8), alpha, kind)
