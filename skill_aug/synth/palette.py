"""Named colours and colourways of the synthetic catalogue.

Colour is the nuisance SkiLL should ignore, so it is drawn independently of the design: a
*colourway* is a ground colour (the product's ``color`` label, the dominant colour of its
fabric) plus an accent colour for the pattern's motif. The accent always differs from the
ground in lightness, so every pattern stays readable in grayscale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Base sRGB of each named colour; products jitter around it (see ``Colorway.sample_ground``).
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (200, 32, 42),
    "orange": (240, 128, 24),
    "yellow": (240, 204, 48),
    "green": (48, 140, 62),
    "teal": (20, 128, 134),
    "blue": (36, 76, 176),
    "purple": (112, 50, 150),
    "pink": (240, 142, 182),
    "brown": (100, 62, 36),
    "black": (32, 32, 34),
}
COLOR_NAMES: tuple[str, ...] = tuple(PALETTE)

# Neutral accents: names of the tones an accent may take besides the palette colours.
_IVORY = (246, 240, 226)
_CHARCOAL = (34, 34, 38)
_MIN_LIGHTNESS_GAP = 28.0  # CIE L* units between ground and accent


def lab(rgb: np.ndarray | tuple[int, int, int]) -> np.ndarray:
    """CIE L*a*b* (L in 0..100) of sRGB uint8 colours, shape (..., 3) in, (..., 3) float32 out."""
    arr = np.asarray(rgb, dtype=np.float32).reshape(-1, 1, 3) / 255.0
    out = cv2.cvtColor(arr, cv2.COLOR_RGB2Lab)
    return out.reshape(np.shape(rgb))


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(round(c * factor)) for c in rgb)  # type: ignore[return-value]


def _tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(int(round(c + (255 - c) * amount)) for c in rgb)  # type: ignore[return-value]


@dataclass(frozen=True)
class Colorway:
    """A ground colour name and an accent (name, sRGB); shared by every pattern class."""

    ground: str
    accent_name: str
    accent: tuple[int, int, int]

    @property
    def name(self) -> str:
        """``"<ground>/<accent>"``, e.g. ``"red/ivory"``."""
        return f"{self.ground}/{self.accent_name}"

    def sample_ground(self, rng: np.random.Generator) -> np.ndarray:
        """The ground colour of one product: the named colour with a small shade jitter."""
        base = np.array(PALETTE[self.ground], dtype=np.uint8).reshape(1, 1, 3)
        hsv = cv2.cvtColor(base, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)[0, 0]
        hsv[0] = (hsv[0] + rng.uniform(-4.0, 4.0)) % 256  # about +-6 degrees of hue
        hsv[1] = np.clip(hsv[1] * rng.uniform(0.88, 1.06), 0, 255)
        hsv[2] = np.clip(hsv[2] * rng.uniform(0.9, 1.06), 0, 255)
        px = hsv.round().astype(np.uint8).reshape(1, 1, 3)
        return cv2.cvtColor(px, cv2.COLOR_HSV2RGB_FULL)[0, 0].astype(np.float32)


def _tone(ground: tuple[int, int, int], lighter: bool) -> tuple[str, tuple[int, int, int]]:
    """The mildest tint (or shade) of ``ground`` that is far enough from it in lightness."""
    g_l = float(lab(ground)[0])
    for step in (0.55, 0.65, 0.75, 0.85):
        c = _tint(ground, step) if lighter else _shade(ground, 1.0 - step)
        if abs(float(lab(c)[0]) - g_l) >= _MIN_LIGHTNESS_GAP:
            break
    return ("tint", c) if lighter else ("shade", c)


def _accent_candidates(ground: str) -> list[tuple[str, tuple[int, int, int]]]:
    """Accents for ``ground`` in a fixed order: a neutral, a tone of the ground, two colours."""
    g = PALETTE[ground]
    g_l = float(lab(g)[0])
    dark_ground = g_l < 55
    neutral = ("ivory", _IVORY) if dark_ground else ("charcoal", _CHARCOAL)
    skip = {ground, "black"} if not dark_ground else {ground}
    others = [(n, c) for n, c in PALETTE.items() if n not in skip]
    # Most contrasting palette colours first; ties broken by palette order (deterministic).
    others.sort(key=lambda nc: -abs(float(lab(nc[1])[0]) - g_l))
    out = [neutral, _tone(g, lighter=dark_ground)] + others[:2]
    return [(n, c) for n, c in out if abs(float(lab(c)[0]) - g_l) >= _MIN_LIGHTNESS_GAP]


COLORWAYS: dict[str, tuple[Colorway, ...]] = {
    g: tuple(Colorway(g, n, c) for n, c in _accent_candidates(g)) for g in COLOR_NAMES
}


def _nearest(lab_colours: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour; lightness counts half (light varies in a shoot)."""
    centres = lab(np.array(list(PALETTE.values()), dtype=np.uint8))
    w = np.array([0.5, 1.0, 1.0], dtype=np.float32)
    return (((lab_colours[:, None, :] - centres[None]) * w) ** 2).sum(-1).argmin(1)


def dominant_color(rgb: np.ndarray, clusters: int = 3, iterations: int = 12) -> str:
    """The palette name of the largest colour cluster in ``rgb`` (uint8, any shape ending in 3).

    k-means in L*a*b* (deterministic: seeded at lightness quantiles) separates the ground,
    the motif and the blends between them; the biggest cluster's centre is then named. A
    vote over single pixels would let blended edges of a fine motif, or shading, outvote
    the ground; a cluster centre averages them out.
    """
    px = lab(np.asarray(rgb, dtype=np.uint8).reshape(-1, 3))
    if len(px) == 0:
        raise ValueError("dominant_color: no pixels")
    px = px[:: max(1, len(px) // 20000)]
    order = np.argsort(px[:, 0], kind="stable")
    centres = px[order[((np.arange(clusters) + 0.5) / clusters * len(px)).astype(int)]].copy()
    for _ in range(iterations):
        label = ((px[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        for k in range(clusters):
            if (label == k).any():
                centres[k] = px[label == k].mean(0)
    biggest = np.bincount(label, minlength=clusters).argmax()
    return COLOR_NAMES[int(_nearest(centres[biggest : biggest + 1])[0])]
