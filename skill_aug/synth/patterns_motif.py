"""Pattern classes of scattered, drawn motifs: floral, paisley, animal print, abstract."""

from __future__ import annotations

import cv2
import numpy as np

from skill_aug.synth.pattern_tools import (
    ONE,
    SHIFT,
    Params,
    ellipse,
    grid,
    jittered_centres,
    noise,
    poly,
    u8_to_map,
)


# --- floral --------------------------------------------------------------------------------


def sample_floral(rng: np.random.Generator) -> Params:
    """Floral geometry: ditsy, bloom or sprig; flower spacing, petals, petal shape, leaves."""
    style = str(rng.choice(["ditsy", "bloom", "sprig"]))
    cell = {"ditsy": (0.06, 0.09), "bloom": (0.16, 0.24), "sprig": (0.1, 0.15)}[style]
    return dict(style=style, cell=float(rng.uniform(*cell)), petals=int(rng.integers(4, 9)),
                petal_len=float(rng.uniform(0.2, 0.3)), petal_aspect=float(rng.uniform(0.35, 0.65)),
                leaves=int(rng.integers(0, 3)), seed=int(rng.integers(2**31)))


def render_floral(p: Params, size: int) -> np.ndarray:
    """Flowers (petals, centre, leaves) or sprigs on a jittered grid."""
    rng = np.random.default_rng(p["seed"])
    img = np.zeros((size, size), np.uint8)
    cell = p["cell"] * size
    for cx, cy in jittered_centres(rng, p["cell"]):
        cx, cy = cx * size, cy * size
        length = p["petal_len"] * cell * rng.uniform(0.8, 1.15)
        width = length * p["petal_aspect"]
        rot = rng.uniform(0, 360)
        for k in range(p["leaves"]):
            a = np.deg2rad(rot + 180 * k + rng.uniform(20, 70))
            lx, ly = cx + np.cos(a) * length * 1.5, cy + np.sin(a) * length * 1.5
            ellipse(img, lx, ly, length * 0.8, length * 0.3, np.rad2deg(a), 120)
        if p["style"] == "sprig":  # a stem with buds instead of a round flower
            a = np.deg2rad(rot)
            ex, ey = cx + np.cos(a) * length * 2.2, cy + np.sin(a) * length * 2.2
            cv2.line(img, (int(cx * ONE), int(cy * ONE)), (int(ex * ONE), int(ey * ONE)),
                     200, max(1, int(width * 0.25)), cv2.LINE_AA, SHIFT)
            for t in (0.45, 0.8, 1.0):
                ellipse(img, cx + (ex - cx) * t, cy + (ey - cy) * t, width * 0.55, width * 0.55, 0, 255)
            continue
        for k in range(p["petals"]):
            a = rot + k * 360.0 / p["petals"]
            ar = np.deg2rad(a)
            px, py = cx + np.cos(ar) * length * 0.55, cy + np.sin(ar) * length * 0.55
            ellipse(img, px, py, length * 0.55, width * 0.5, a, 255)
        ellipse(img, cx, cy, length * 0.28, length * 0.28, 0, 70)
    return u8_to_map(img)


# --- paisley -------------------------------------------------------------------------------


def _teardrop(bend: float, tip: float, n: int = 40) -> np.ndarray:
    """Unit paisley outline: a round body with a bent, pointed tip (points, shape (n, 2))."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1.0 + tip * np.exp(-(((a - np.pi / 2 + np.pi) % (2 * np.pi) - np.pi) / 0.5) ** 2)
    a2 = a + bend * (r - 1.0)
    return np.stack([np.cos(a2) * r, -np.sin(a2) * r], axis=1)


def sample_paisley(rng: np.random.Generator) -> Params:
    """Paisley geometry: tossed or in rows; size, bend and tip of the teardrop, ring, dots."""
    return dict(style=str(rng.choice(["tossed", "rows"])), cell=float(rng.uniform(0.14, 0.28)),
                bend=float(rng.uniform(0.5, 1.3)), tip=float(rng.uniform(0.9, 1.6)),
                ring=float(rng.uniform(0.62, 0.78)), dots=bool(rng.random() < 0.5),
                seed=int(rng.integers(2**31)))


def render_paisley(p: Params, size: int) -> np.ndarray:
    """Outlined teardrops with an inner tone and a dot, optionally haloed by small dots."""
    rng = np.random.default_rng(p["seed"])
    img = np.zeros((size, size), np.uint8)
    unit = _teardrop(p["bend"], p["tip"])
    cell = p["cell"] * size
    for idx, (cx, cy) in enumerate(jittered_centres(rng, p["cell"], jitter=0.15)):
        scale = cell * 0.26 * rng.uniform(0.85, 1.1)
        rot = rng.uniform(0, 2 * np.pi) if p["style"] == "tossed" else np.pi * (idx % 2) + 0.6
        c, s = np.cos(rot), np.sin(rot)
        pts = unit @ np.array([[c, s], [-s, c]], np.float32) * scale
        centre = np.array([cx * size, cy * size], np.float32)
        poly(img, pts + centre, 255)
        poly(img, pts * p["ring"] + centre, 0)
        poly(img, pts * p["ring"] * 0.6 + centre, 140)
        ellipse(img, centre[0], centre[1], scale * 0.18, scale * 0.18, 0, 255)
        if p["dots"]:
            for q in pts[::4] * 1.25 + centre:
                ellipse(img, q[0], q[1], scale * 0.09, scale * 0.09, 0, 255)
    return u8_to_map(img)


# --- animal print --------------------------------------------------------------------------


def sample_animal(rng: np.random.Generator) -> Params:
    """Animal print: leopard rosettes, cheetah spots or zebra stripes; spot spacing, warp."""
    style = str(rng.choice(["leopard", "cheetah", "zebra"]))
    cell = {"leopard": (0.07, 0.12), "cheetah": (0.035, 0.06), "zebra": (0.06, 0.1)}[style]
    return dict(style=style, cell=float(rng.uniform(*cell)), warp=float(rng.uniform(0.6, 1.4)),
                seed=int(rng.integers(2**31)))


def render_animal(p: Params, size: int) -> np.ndarray:
    """Rosettes and spots on a jittered grid, or noise-warped zebra stripes."""
    rng = np.random.default_rng(p["seed"])
    cell = p["cell"] * size
    if p["style"] == "zebra":
        x, y = grid(size)
        n1, n2 = noise(rng, size, 4), noise(rng, size, 6)
        u = x + (n1 - 0.5) * cell * 4.0 * p["warp"] + y * 0.15
        width = cell * (0.3 + 0.16 * n2)
        d = np.abs(np.mod(u / cell, 1.0) - 0.5) * cell
        return np.clip(width / 2 - d + 0.5, 0.0, 1.0)
    img = np.zeros((size, size), np.uint8)
    for cx, cy in jittered_centres(rng, p["cell"], jitter=0.4):
        cx, cy = cx * size, cy * size
        r = cell * rng.uniform(0.22, 0.34)
        rot = rng.uniform(0, 360)
        if p["style"] == "cheetah":
            ellipse(img, cx, cy, r * rng.uniform(0.7, 1.1), r * rng.uniform(0.5, 0.9), rot, 255)
            continue
        ellipse(img, cx, cy, r * 0.8, r * 0.65, rot, 110)  # tawny centre
        start = rng.uniform(0, 360)
        for k in range(int(rng.integers(3, 6))):  # broken ring of dark arcs
            a0 = start + k * 360 / 4.5
            ellipse(img, cx, cy, r, r * 0.85, rot, 255, thickness=r * 0.35,
                     a0=int(a0), a1=int(a0 + rng.uniform(40, 70)))
    return u8_to_map(img)


# --- abstract ------------------------------------------------------------------------------


def sample_abstract(rng: np.random.Generator) -> Params:
    """Abstract print: brush strokes, blobs, tossed shapes or splatter; scale."""
    return dict(style=str(rng.choice(["brush", "blobs", "shapes", "splatter"])),
                scale=float(rng.uniform(0.6, 1.4)), seed=int(rng.integers(2**31)))


def render_abstract(p: Params, size: int) -> np.ndarray:
    """Free shapes at random places: strokes, thresholded noise, shapes or drop clumps."""
    rng = np.random.default_rng(p["seed"])
    style, sc = p["style"], p["scale"]
    if style == "blobs":
        n = noise(rng, size, max(2, int(round(4 / sc))))
        n2 = noise(rng, size, max(3, int(round(7 / sc))))
        return np.clip((n - 0.62) * 12, 0, 1) + 0.5 * np.clip((n2 - 0.7) * 12, 0, 1) * (n < 0.6)
    img = np.zeros((size, size), np.uint8)
    if style == "shapes":  # tossed circles, triangles and bars of random size and tone
        for _ in range(int(rng.integers(8, 14) / sc)):
            cx, cy = rng.uniform(-0.05, 1.05, 2) * size
            r = size * rng.uniform(0.03, 0.09) * sc
            tone = int(rng.choice([255, 255, 150]))
            kind = int(rng.integers(3))
            if kind == 0:
                ellipse(img, cx, cy, r, r, 0, tone)
            elif kind == 1:  # triangle
                a = rng.uniform(0, 2 * np.pi) + np.arange(3) * (2 * np.pi / 3)
                poly(img, np.stack([cx + np.cos(a) * r * 1.3, cy + np.sin(a) * r * 1.3], 1), tone)
            else:  # bar
                poly(img, cv2.boxPoints(((cx, cy), (r * 3.2, r * 0.7), rng.uniform(0, 180))), tone)
        return u8_to_map(img)
    if style == "brush":
        for _ in range(int(20 / sc)):
            p0, p1, p2 = rng.uniform(-0.1, 1.1, size=(3, 2)) * size
            t = np.linspace(0, 1, 16)[:, None]
            curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
            thick = int(size * rng.uniform(0.015, 0.045) * sc)
            pts = np.round(curve * ONE).astype(np.int32)
            cv2.polylines(img, [pts], False, int(rng.choice([255, 150])), max(1, thick), cv2.LINE_AA, SHIFT)
        return u8_to_map(img)
    for _ in range(int(rng.integers(7, 12))):  # splatter: clumps of drops
        cx, cy = rng.uniform(0, 1, 2) * size
        spread = size * 0.12 * sc
        for _ in range(int(rng.integers(15, 30))):
            r = size * 0.02 * sc * rng.uniform(0.2, 1.2)
            ellipse(img, cx + rng.normal() * spread, cy + rng.normal() * spread, r, r * rng.uniform(0.6, 1), 0, 255)
    return u8_to_map(img)
