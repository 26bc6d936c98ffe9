"""Pattern classes built on lattices: stripes, checks, dots, chevron, houndstooth, geometric."""

from __future__ import annotations

import cv2
import numpy as np

from skill_aug.synth.pattern_tools import (
    Params,
    band,
    ellipse,
    grid,
    jittered_centres,
    u8_to_map,
)


# --- stripes -------------------------------------------------------------------------------


def sample_stripes(rng: np.random.Generator) -> Params:
    """Stripe geometry: regular, pinstripe, double or awning; period, widths, phase, angle."""
    style = str(rng.choice(["regular", "pinstripe", "double", "awning"]))
    if style == "regular":
        p = dict(period=rng.uniform(0.035, 0.11), w1=rng.uniform(0.2, 0.42), w2=0.0)
    elif style == "pinstripe":
        p = dict(period=rng.uniform(0.045, 0.08), w1=rng.uniform(0.14, 0.2), w2=0.0)
    elif style == "double":
        w = rng.uniform(0.08, 0.14)
        p = dict(period=rng.uniform(0.07, 0.13), w1=w, w2=w, gap=w + rng.uniform(0.08, 0.16))
    else:
        p = dict(period=rng.uniform(0.08, 0.16), w1=rng.uniform(0.22, 0.32),
                 w2=rng.uniform(0.05, 0.08), gap=0.5)
    p.update(style=style, phase=rng.uniform(0, 1), angle=rng.uniform(30, 60) * rng.choice([-1, 1]))
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in p.items()}


def _stripes_along(u: np.ndarray, p: Params, size: int) -> np.ndarray:
    period = p["period"] * size
    m = band(u, period, p["w1"] * period, p["phase"])
    if p["w2"] > 0:
        m = np.maximum(m, band(u, period, p["w2"] * period, p["phase"] + p["gap"]))
    return m


def render_horizontal(p: Params, size: int) -> np.ndarray:
    """Stripes running across the product."""
    return _stripes_along(grid(size)[1], p, size)


def render_vertical(p: Params, size: int) -> np.ndarray:
    """Stripes running down the product."""
    return _stripes_along(grid(size)[0], p, size)


def render_diagonal(p: Params, size: int) -> np.ndarray:
    """Stripes at 30-60 degrees either way."""
    x, y = grid(size)
    a = np.deg2rad(p["angle"])
    return _stripes_along(x * np.float32(np.cos(a)) + y * np.float32(np.sin(a)), p, size)


# --- checks --------------------------------------------------------------------------------


def sample_checks(rng: np.random.Generator) -> Params:
    """Check geometry: gingham, tartan (bands plus a thin line) or windowpane lines."""
    style = str(rng.choice(["gingham", "tartan", "windowpane"]))
    if style == "gingham":
        period, duty = rng.uniform(0.035, 0.16), rng.uniform(0.2, 0.3)
    elif style == "tartan":
        period, duty = rng.uniform(0.12, 0.22), rng.uniform(0.16, 0.24)
    else:
        period, duty = rng.uniform(0.07, 0.16), rng.uniform(0.06, 0.11)
    return dict(style=style, period=float(period), duty=float(duty),
                line=float(rng.uniform(0.03, 0.06)), line_at=float(rng.uniform(0.35, 0.65)))


def render_checks(p: Params, size: int) -> np.ndarray:
    """Crossing bands: overlaps take the accent, single bands a blend (gingham, tartan)."""
    x, y = grid(size)
    period = p["period"] * size
    bx, by = band(x, period, p["duty"] * period), band(y, period, p["duty"] * period)
    if p["style"] == "gingham":
        return 0.5 * bx + 0.5 * by
    if p["style"] == "windowpane":
        return np.maximum(bx, by)
    lw = max(1.0, p["line"] * period)
    lx, ly = band(x, period, lw, p["line_at"]), band(y, period, lw, p["line_at"])
    return np.clip(0.42 * (bx + by) + np.maximum(lx, ly), 0.0, 1.0)


# --- dots ----------------------------------------------------------------------------------


def sample_dots(rng: np.random.Generator) -> Params:
    """Dot geometry: square or hexagonal grid, random scatter, or rings; spacing and radius."""
    style = str(rng.choice(["grid", "hex", "scatter", "rings"]))
    spacing = rng.uniform(0.04, 0.12) if style != "rings" else rng.uniform(0.07, 0.14)
    return dict(style=style, spacing=float(spacing), radius=float(rng.uniform(0.16, 0.27)),
                seed=int(rng.integers(2**31)))


def render_dots(p: Params, size: int) -> np.ndarray:
    """Dots as distance to the nearest lattice point (or drawn, for scatter)."""
    s = p["spacing"] * size
    if p["style"] == "scatter":
        rng = np.random.default_rng(p["seed"])
        img = np.zeros((size, size), np.uint8)
        for cx, cy in jittered_centres(rng, p["spacing"], jitter=0.5):
            r = s * p["radius"] * rng.uniform(0.5, 1.3)
            ellipse(img, cx * size, cy * size, r, r, 0, 255)
        return u8_to_map(img)
    x, y = grid(size)
    r = p["radius"] * s

    def lattice_distance(ox: float, oy: float, sy: float) -> np.ndarray:
        dx = (np.mod(x / s - ox, 1.0) - 0.5) * s
        dy = (np.mod(y / sy - oy, 1.0) - 0.5) * sy
        return np.sqrt(dx * dx + dy * dy)

    if p["style"] == "grid":
        d = lattice_distance(0.0, 0.0, s)
    else:  # hexagonal: two rectangular sub-lattices
        sy = s * np.sqrt(3.0)
        d = np.minimum(lattice_distance(0.0, 0.0, sy), lattice_distance(0.5, 0.5, sy))
    if p["style"] == "rings":
        return np.clip(0.12 * s - np.abs(d - r * 1.1) + 0.5, 0.0, 1.0)
    return np.clip(r - d + 0.5, 0.0, 1.0)


# --- chevron -------------------------------------------------------------------------------


def sample_chevron(rng: np.random.Generator) -> Params:
    """Zigzag geometry: stripe period and width, zigzag length and height, orientation."""
    period = rng.uniform(0.05, 0.14)
    zig = period * rng.uniform(0.9, 2.2)
    return dict(period=float(period), duty=float(rng.uniform(0.22, 0.36)), zig=float(zig),
                amp=float(zig * rng.uniform(0.25, 0.5)), vertical=bool(rng.random() < 0.25),
                phase=float(rng.uniform(0, 1)))


def render_chevron(p: Params, size: int) -> np.ndarray:
    """Stripes along a triangle-wave-shifted coordinate."""
    x, y = grid(size)
    if p["vertical"]:
        x, y = y, x
    zig = p["zig"] * size
    tri = np.abs(np.mod(x / zig, 1.0) - 0.5) * 4.0 - 1.0  # triangle wave in [-1, 1]
    u = y + p["amp"] * size * tri
    period = p["period"] * size
    return band(u, period, p["duty"] * period, p["phase"])


# --- houndstooth ---------------------------------------------------------------------------


def sample_houndstooth(rng: np.random.Generator) -> Params:
    """Houndstooth geometry: thread-cell size and the dark/light thread groups."""
    dark, period = [(3, 8), (4, 12), (3, 12)][int(rng.integers(3))]
    return dict(cell=float(rng.uniform(0.009, 0.022)), dark=dark, period=period,
                offset=int(rng.integers(period)))


def render_houndstooth(p: Params, size: int) -> np.ndarray:
    """A 2/2 twill of dark/light thread groups: the weave that makes a houndstooth."""
    x, y = grid(size)
    c = p["cell"] * size
    i = np.floor(y / c).astype(np.int32) + p["offset"]
    j = np.floor(x / c).astype(np.int32) + p["offset"]
    warp_dark = np.mod(j, p["period"]) < p["dark"]
    weft_dark = np.mod(i, p["period"]) < p["dark"]
    warp_on_top = np.mod(i + j, 4) < 2
    m = np.where(warp_on_top, warp_dark, weft_dark).astype(np.float32)
    return cv2.GaussianBlur(m, (3, 3), 0.5)


# --- geometric -----------------------------------------------------------------------------


def sample_geometric(rng: np.random.Generator) -> Params:
    """Geometric tiling: diamonds, triangles, hexagon outlines, nested squares or crosses."""
    style = str(rng.choice(["diamonds", "triangles", "hexagons", "squares", "crosses"]))
    return dict(style=style, spacing=float(rng.uniform(0.06, 0.15)),
                size=float(rng.uniform(0.55, 0.85)), line=float(rng.uniform(0.06, 0.12)))


def render_geometric(p: Params, size: int) -> np.ndarray:
    """One motif per lattice cell, drawn from distance fields."""
    x, y = grid(size)
    s = p["spacing"] * size
    u, v = np.mod(x / s, 1.0), np.mod(y / s, 1.0)  # position inside the cell, [0, 1)
    dx, dy = (u - 0.5) * s, (v - 0.5) * s
    style, k, line = p["style"], p["size"], max(1.0, p["line"] * s)
    if style == "diamonds":
        d = np.abs(dx) + np.abs(dy) * 0.7
        return np.clip(0.5 * k * 0.55 * s - d + 0.5, 0.0, 1.0)
    if style == "triangles":
        # Upward triangle of height k*s: inside where the row is below the apex and |dx| fits.
        h = k * s
        top = 0.5 * (s - h)
        rel = (v * s - top) / h  # 0 at apex, 1 at base
        inside = np.clip(np.minimum(rel * h, (1 - rel) * h) + 0.5, 0, 1)
        return inside * np.clip(rel * 0.5 * h * 0.7 - np.abs(dx) + 0.5, 0.0, 1.0)
    if style == "hexagons":
        sy = s * np.sqrt(3.0)
        best = None
        for ox, oy in ((0.0, 0.0), (0.5, 0.5)):
            hx = (np.mod(x / s - ox, 1.0) - 0.5) * s
            hy = (np.mod(y / sy - oy, 1.0) - 0.5) * sy
            d = np.maximum(np.abs(hx), np.abs(hx) * 0.5 + np.abs(hy) * 0.866)
            best = d if best is None else np.minimum(best, d)
        return np.clip(line / 2 - np.abs(best - 0.5 * s * 0.98) + 0.5, 0.0, 1.0)
    if style == "squares":
        d = np.maximum(np.abs(dx), np.abs(dy))
        return band(d, s * 0.5 * k / 1.5, line) * (d < 0.5 * k * s)
    arm, w = 0.5 * k * s, line * 1.2  # crosses
    bar1 = np.clip(np.minimum(w / 2 - np.abs(dx), arm - np.abs(dy)) + 0.5, 0, 1)
    bar2 = np.clip(np.minimum(w / 2 - np.abs(dy), arm - np.abs(dx)) + 0.5, 0, 1)
    return np.maximum(bar1, bar2)
