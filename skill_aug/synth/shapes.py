"""Drawing primitives for product silhouettes, in coordinates that are fractions of the canvas.

A silhouette draws onto a :class:`Canvas`: the *fabric* layer (the patterned, coloured
region), *trims* in fixed colours (legs, soles, frames, buttons), *seam* lines that darken
what lies under them, and a *shading* map (folds, roundness). :meth:`Canvas.finish`
returns the layers as a :class:`Shape`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

_SHIFT = 4
_ONE = 1 << _SHIFT
RGB = tuple[int, int, int]

# Fixed trim colours (furniture legs, soles, frames, buttons). Kept neutral or wood-toned and
# small in area, so they never outweigh the ground colour of the fabric.
TRIMS: dict[str, RGB] = {
    "walnut": (104, 72, 46),
    "oak": (196, 160, 112),
    "black": (28, 28, 30),
    "chrome": (188, 190, 196),
    "white": (238, 238, 234),
    "gold": (196, 160, 70),
    "gum": (186, 130, 70),
}


@dataclass
class Shape:
    """A drawn product: layers on an R x R canvas (uint8 coverage masks, float32 shading)."""

    fabric: np.ndarray
    trims: list[tuple[np.ndarray, RGB]]
    seams: np.ndarray
    shading: np.ndarray

    @property
    def alpha(self) -> np.ndarray:
        """Coverage of the whole product (fabric and trims), uint8."""
        out = self.fabric.copy()
        for mask, _ in self.trims:
            np.maximum(out, mask, out=out)
        return out


@dataclass
class Canvas:
    """An R x R drawing surface with fabric, trim and seam layers (coordinates in [0, 1])."""

    size: int
    fabric: np.ndarray = field(init=False)
    seams: np.ndarray = field(init=False)
    trims: dict[RGB, np.ndarray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.fabric = np.zeros((self.size, self.size), np.uint8)
        self.seams = np.zeros((self.size, self.size), np.uint8)

    def _layer(self, trim: str | None) -> np.ndarray:
        if trim is None:
            return self.fabric
        rgb = TRIMS[trim]
        if rgb not in self.trims:
            self.trims[rgb] = np.zeros((self.size, self.size), np.uint8)
        return self.trims[rgb]

    def _pts(self, pts) -> np.ndarray:
        return np.round(np.asarray(pts, np.float64) * self.size * _ONE).astype(np.int32)

    def poly(self, pts, trim: str | None = None, value: int = 255) -> None:
        """Fill a polygon on the fabric (or on trim ``trim``); ``value=0`` cuts it out."""
        cv2.fillPoly(self._layer(trim), [self._pts(pts)], value, cv2.LINE_AA, _SHIFT)
        if value:  # what is drawn later covers the other layers beneath it
            self._erase_below(trim, lambda img: cv2.fillPoly(img, [self._pts(pts)], 0, cv2.LINE_AA, _SHIFT))

    def ellipse(self, cx, cy, ax, ay, angle=0.0, trim: str | None = None, value: int = 255) -> None:
        """Fill an ellipse centred at (cx, cy) with semi-axes (ax, ay)."""
        s = self.size * _ONE

        def draw(img, v):
            cv2.ellipse(img, (int(cx * s), int(cy * s)), (max(1, int(ax * s)), max(1, int(ay * s))),
                        angle, 0, 360, v, -1, cv2.LINE_AA, _SHIFT)

        draw(self._layer(trim), value)
        if value:
            self._erase_below(trim, lambda img: draw(img, 0))

    def rect(self, x0, y0, x1, y1, trim: str | None = None, value: int = 255) -> None:
        """Fill an axis-aligned rectangle."""
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], trim, value)

    def seam(self, pts, width: float = 0.006, value: int = 255, closed: bool = False) -> None:
        """A darkening line through ``pts`` (stitching, folds, panel edges)."""
        w = max(1, int(round(width * self.size)))
        cv2.polylines(self.seams, [self._pts(pts)], closed, value, w, cv2.LINE_AA, _SHIFT)

    def _erase_below(self, trim: str | None, draw) -> None:
        rgb = TRIMS[trim] if trim is not None else None
        if rgb is not None:
            draw(self.fabric)
        for other, img in self.trims.items():
            if other != rgb:
                draw(img)

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates as fractions of the canvas (x, y), float32."""
        y, x = np.mgrid[0 : self.size, 0 : self.size].astype(np.float32)
        return (x + 0.5) / self.size, (y + 0.5) / self.size

    def finish(self, shading: np.ndarray | None = None) -> Shape:
        """The drawn layers as a :class:`Shape` (shading defaults to none)."""
        if shading is None:
            shading = np.ones((self.size, self.size), np.float32)
        trims = [(m, rgb) for rgb, m in self.trims.items() if m.any()]
        return Shape(self.fabric, trims, self.seams, shading.astype(np.float32, copy=False))


def folds(x: np.ndarray, y: np.ndarray, *, period: float, depth: float, y0: float,
          grow: float = 0.0, phase: float = 0.0) -> np.ndarray:
    """Vertical fold shading below ``y0``: brightness 1 - depth..1, folds widening by ``grow``."""
    below = np.clip((y - y0) * 6.0, 0.0, 1.0)
    local = period * (1.0 + grow * np.clip(y - y0, 0.0, None))
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * ((x - 0.5) / local + phase))
    return 1.0 - depth * below * wave


def roundness(x: np.ndarray, cx: float, half_width: float, depth: float) -> np.ndarray:
    """Darken towards the left/right edges of a rounded object centred at ``cx``."""
    t = np.clip((x - cx) / half_width, -1.0, 1.0)
    return 1.0 - depth * t * t


def smooth(pts, iterations: int = 2, closed: bool = True) -> np.ndarray:
    """Round a polygon's corners by Chaikin corner cutting (points in, more points out)."""
    p = np.asarray(pts, np.float64)
    for _ in range(iterations):
        q = np.roll(p, -1, axis=0) if closed else p[1:]
        a = p if closed else p[:-1]
        cut = np.empty((2 * len(a), 2))
        cut[0::2] = 0.75 * a + 0.25 * q
        cut[1::2] = 0.25 * a + 0.75 * q
        p = cut if closed else np.vstack([p[:1], cut, p[-1:]])
    return p
