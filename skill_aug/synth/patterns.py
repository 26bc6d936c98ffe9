"""Pattern classes of the synthetic catalogue: the design signal SkiLL should learn.

A pattern class samples *geometry* parameters (scale, density, motif shape, line widths,
a layout seed) and renders them to a motif map ``m`` (float32, R x R, 0 = ground colour,
1 = accent colour, values between are blends). Geometry is in fractions of R, so a design
looks the same at any image size. Colour never enters here: it is applied afterwards, so
every pattern meets every colourway. Each class keeps its motif coverage well under half,
which makes the ground the dominant colour of the product (the ``color`` label).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import cv2
import numpy as np

Params = dict[str, Any]
_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class PatternClass:
    """A named pattern class: ``sample(rng) -> params`` and ``render(params, R) -> motif map``."""

    name: str
    sample: Callable[[np.random.Generator], Params]
    render: Callable[[Params, int], np.ndarray]


@lru_cache(maxsize=4)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    return x, y


def _band(u: np.ndarray, period: float, width: float, phase: float = 0.0) -> np.ndarray:
    """Anti-aliased stripes across coordinate ``u``: ``width`` px wide every ``period`` px."""
    d = np.abs(np.mod(u / period + phase, 1.0) - 0.5) * period
    return np.clip(width / 2.0 - d + 0.5, 0.0, 1.0)


def _noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] with about ``cells`` bumps across the image."""
    low = rng.random((cells + 1, cells + 1)).astype(np.float32)
    return np.clip(cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def _jittered_centres(rng: np.random.Generator, cell: float, jitter: float = 0.35):
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


def _ellipse(img, cx, cy, ax, ay, angle, value, thickness=-1, a0=0, a1=360) -> None:
    """Draw an anti-aliased (arc of an) ellipse with sub-pixel centre and axes."""
    centre = (int(round(cx * _ONE)), int(round(cy * _ONE)))
    axes = (max(1, int(round(ax * _ONE))), max(1, int(round(ay * _ONE))))
    thick = thickness if thickness < 0 else max(1, int(round(thickness)))
    cv2.ellipse(img, centre, axes, float(angle), a0, a1, int(value), thick, cv2.LINE_AA, _SHIFT)


def _poly(img, pts: np.ndarray, value: int) -> None:
    cv2.fillPoly(img, [np.round(pts * _ONE).astype(np.int32)], int(value), cv2.LINE_AA, _SHIFT)


def _u8_to_map(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) * (1.0 / 255.0)


# --- stripes -------------------------------------------------------------------------------


def _sample_stripes(rng: np.random.Generator) -> Params:
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
    m = _band(u, period, p["w1"] * period, p["phase"])
    if p["w2"] > 0:
        m = np.maximum(m, _band(u, period, p["w2"] * period, p["phase"] + p["gap"]))
    return m


def _render_horizontal(p: Params, size: int) -> np.ndarray:
    return _stripes_along(_grid(size)[1], p, size)


def _render_vertical(p: Params, size: int) -> np.ndarray:
    return _stripes_along(_grid(size)[0], p, size)


def _render_diagonal(p: Params, size: int) -> np.ndarray:
    x, y = _grid(size)
    a = np.deg2rad(p["angle"])
    return _stripes_along(x * np.float32(np.cos(a)) + y * np.float32(np.sin(a)), p, size)


# --- checks --------------------------------------------------------------------------------


def _sample_checks(rng: np.random.Generator) -> Params:
    style = str(rng.choice(["gingham", "tartan", "windowpane"]))
    if style == "gingham":
        period, duty = rng.uniform(0.035, 0.16), rng.uniform(0.2, 0.3)
    elif style == "tartan":
        period, duty = rng.uniform(0.12, 0.22), rng.uniform(0.16, 0.24)
    else:
        period, duty = rng.uniform(0.07, 0.16), rng.uniform(0.06, 0.11)
    return dict(style=style, period=float(period), duty=float(duty),
                line=float(rng.uniform(0.03, 0.06)), line_at=float(rng.uniform(0.35, 0.65)))


def _render_checks(p: Params, size: int) -> np.ndarray:
    x, y = _grid(size)
    period = p["period"] * size
    bx, by = _band(x, period, p["duty"] * period), _band(y, period, p["duty"] * period)
    if p["style"] == "gingham":
        return 0.5 * bx + 0.5 * by
    if p["style"] == "windowpane":
        return np.maximum(bx, by)
    lw = max(1.0, p["line"] * period)
    lx, ly = _band(x, period, lw, p["line_at"]), _band(y, period, lw, p["line_at"])
    return np.clip(0.42 * (bx + by) + np.maximum(lx, ly), 0.0, 1.0)


# --- dots ----------------------------------------------------------------------------------


def _sample_dots(rng: np.random.Generator) -> Params:
    style = str(rng.choice(["grid", "hex", "scatter", "rings"]))
    spacing = rng.uniform(0.04, 0.12) if style != "rings" else rng.uniform(0.07, 0.14)
    return dict(style=style, spacing=float(spacing), radius=float(rng.uniform(0.16, 0.27)),
                seed=int(rng.integers(2**31)))


def _render_dots(p: Params, size: int) -> np.ndarray:
    s = p["spacing"] * size
    if p["style"] == "scatter":
        rng = np.random.default_rng(p["seed"])
        img = np.zeros((size, size), np.uint8)
        for cx, cy in _jittered_centres(rng, p["spacing"], jitter=0.5):
            r = s * p["radius"] * rng.uniform(0.5, 1.3)
            _ellipse(img, cx * size, cy * size, r, r, 0, 255)
        return _u8_to_map(img)
    x, y = _grid(size)
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


# --- floral --------------------------------------------------------------------------------


def _sample_floral(rng: np.random.Generator) -> Params:
    style = str(rng.choice(["ditsy", "bloom", "sprig"]))
    cell = {"ditsy": (0.06, 0.09), "bloom": (0.16, 0.24), "sprig": (0.1, 0.15)}[style]
    return dict(style=style, cell=float(rng.uniform(*cell)), petals=int(rng.integers(4, 9)),
                petal_len=float(rng.uniform(0.2, 0.3)), petal_aspect=float(rng.uniform(0.35, 0.65)),
                leaves=int(rng.integers(0, 3)), seed=int(rng.integers(2**31)))


def _render_floral(p: Params, size: int) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    img = np.zeros((size, size), np.uint8)
    cell = p["cell"] * size
    for cx, cy in _jittered_centres(rng, p["cell"]):
        cx, cy = cx * size, cy * size
        length = p["petal_len"] * cell * rng.uniform(0.8, 1.15)
        width = length * p["petal_aspect"]
        rot = rng.uniform(0, 360)
        for k in range(p["leaves"]):
            a = np.deg2rad(rot + 180 * k + rng.uniform(20, 70))
            lx, ly = cx + np.cos(a) * length * 1.5, cy + np.sin(a) * length * 1.5
            _ellipse(img, lx, ly, length * 0.8, length * 0.3, np.rad2deg(a), 120)
        if p["style"] == "sprig":  # a stem with buds instead of a round flower
            a = np.deg2rad(rot)
            ex, ey = cx + np.cos(a) * length * 2.2, cy + np.sin(a) * length * 2.2
            cv2.line(img, (int(cx * _ONE), int(cy * _ONE)), (int(ex * _ONE), int(ey * _ONE)),
                     200, max(1, int(width * 0.25)), cv2.LINE_AA, _SHIFT)
            for t in (0.45, 0.8, 1.0):
                _ellipse(img, cx + (ex - cx) * t, cy + (ey - cy) * t, width * 0.55, width * 0.55, 0, 255)
            continue
        for k in range(p["petals"]):
            a = rot + k * 360.0 / p["petals"]
            ar = np.deg2rad(a)
            px, py = cx + np.cos(ar) * length * 0.55, cy + np.sin(ar) * length * 0.55
            _ellipse(img, px, py, length * 0.55, width * 0.5, a, 255)
        _ellipse(img, cx, cy, length * 0.28, length * 0.28, 0, 70)
    return _u8_to_map(img)


# --- paisley -------------------------------------------------------------------------------


def _teardrop(bend: float, tip: float, n: int = 40) -> np.ndarray:
    """Unit paisley outline: a round body with a bent, pointed tip (points, shape (n, 2))."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1.0 + tip * np.exp(-(((a - np.pi / 2 + np.pi) % (2 * np.pi) - np.pi) / 0.5) ** 2)
    a2 = a + bend * (r - 1.0)
    return np.stack([np.cos(a2) * r, -np.sin(a2) * r], axis=1)


def _sample_paisley(rng: np.random.Generator) -> Params:
    return dict(style=str(rng.choice(["tossed", "rows"])), cell=float(rng.uniform(0.14, 0.28)),
                bend=float(rng.uniform(0.5, 1.3)), tip=float(rng.uniform(0.9, 1.6)),
                ring=float(rng.uniform(0.62, 0.78)), dots=bool(rng.random() < 0.5),
                seed=int(rng.integers(2**31)))


def _render_paisley(p: Params, size: int) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    img = np.zeros((size, size), np.uint8)
    unit = _teardrop(p["bend"], p["tip"])
    cell = p["cell"] * size
    for idx, (cx, cy) in enumerate(_jittered_centres(rng, p["cell"], jitter=0.15)):
        scale = cell * 0.26 * rng.uniform(0.85, 1.1)
        rot = rng.uniform(0, 2 * np.pi) if p["style"] == "tossed" else np.pi * (idx % 2) + 0.6
        c, s = np.cos(rot), np.sin(rot)
        pts = unit @ np.array([[c, s], [-s, c]], np.float32) * scale
        centre = np.array([cx * size, cy * size], np.float32)
        _poly(img, pts + centre, 255)
        _poly(img, pts * p["ring"] + centre, 0)
        _poly(img, pts * p["ring"] * 0.6 + centre, 140)
        _ellipse(img, centre[0], centre[1], scale * 0.18, scale * 0.18, 0, 255)
        if p["dots"]:
            for q in pts[::4] * 1.25 + centre:
                _ellipse(img, q[0], q[1], scale * 0.09, scale * 0.09, 0, 255)
    return _u8_to_map(img)


# --- chevron -------------------------------------------------------------------------------


def _sample_chevron(rng: np.random.Generator) -> Params:
    period = rng.uniform(0.05, 0.14)
    zig = period * rng.uniform(0.9, 2.2)
    return dict(period=float(period), duty=float(rng.uniform(0.22, 0.36)), zig=float(zig),
                amp=float(zig * rng.uniform(0.25, 0.5)), vertical=bool(rng.random() < 0.25),
                phase=float(rng.uniform(0, 1)))


def _render_chevron(p: Params, size: int) -> np.ndarray:
    x, y = _grid(size)
    if p["vertical"]:
        x, y = y, x
    zig = p["zig"] * size
    tri = np.abs(np.mod(x / zig, 1.0) - 0.5) * 4.0 - 1.0  # triangle wave in [-1, 1]
    u = y + p["amp"] * size * tri
    period = p["period"] * size
    return _band(u, period, p["duty"] * period, p["phase"])


# --- houndstooth ---------------------------------------------------------------------------


def _sample_houndstooth(rng: np.random.Generator) -> Params:
    dark, period = [(3, 8), (4, 12), (3, 12)][int(rng.integers(3))]
    return dict(cell=float(rng.uniform(0.009, 0.022)), dark=dark, period=period,
                offset=int(rng.integers(period)))


def _render_houndstooth(p: Params, size: int) -> np.ndarray:
    """A 2/2 twill of dark/light thread groups: the weave that makes a houndstooth."""
    x, y = _grid(size)
    c = p["cell"] * size
    i = np.floor(y / c).astype(np.int32) + p["offset"]
    j = np.floor(x / c).astype(np.int32) + p["offset"]
    warp_dark = np.mod(j, p["period"]) < p["dark"]
    weft_dark = np.mod(i, p["period"]) < p["dark"]
    warp_on_top = np.mod(i + j, 4) < 2
    m = np.where(warp_on_top, warp_dark, weft_dark).astype(np.float32)
    return cv2.GaussianBlur(m, (3, 3), 0.5)


# --- animal print --------------------------------------------------------------------------


def _sample_animal(rng: np.random.Generator) -> Params:
    style = str(rng.choice(["leopard", "cheetah", "zebra"]))
    cell = {"leopard": (0.07, 0.12), "cheetah": (0.035, 0.06), "zebra": (0.06, 0.1)}[style]
    return dict(style=style, cell=float(rng.uniform(*cell)), warp=float(rng.uniform(0.6, 1.4)),
                seed=int(rng.integers(2**31)))


def _render_animal(p: Params, size: int) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    cell = p["cell"] * size
    if p["style"] == "zebra":
        x, y = _grid(size)
        n1, n2 = _noise(rng, size, 4), _noise(rng, size, 6)
        u = x + (n1 - 0.5) * cell * 4.0 * p["warp"] + y * 0.15
        width = cell * (0.3 + 0.16 * n2)
        d = np.abs(np.mod(u / cell, 1.0) - 0.5) * cell
        return np.clip(width / 2 - d + 0.5, 0.0, 1.0)
    img = np.zeros((size, size), np.uint8)
    for cx, cy in _jittered_centres(rng, p["cell"], jitter=0.4):
        cx, cy = cx * size, cy * size
        r = cell * rng.uniform(0.22, 0.34)
        rot = rng.uniform(0, 360)
        if p["style"] == "cheetah":
            _ellipse(img, cx, cy, r * rng.uniform(0.7, 1.1), r * rng.uniform(0.5, 0.9), rot, 255)
            continue
        _ellipse(img, cx, cy, r * 0.8, r * 0.65, rot, 110)  # tawny centre
        start = rng.uniform(0, 360)
        for k in range(int(rng.integers(3, 6))):  # broken ring of dark arcs
            a0 = start + k * 360 / 4.5
            _ellipse(img, cx, cy, r, r * 0.85, rot, 255, thickness=r * 0.35,
                     a0=int(a0), a1=int(a0 + rng.uniform(40, 70)))
    return _u8_to_map(img)


# --- geometric -----------------------------------------------------------------------------


def _sample_geometric(rng: np.random.Generator) -> Params:
    style = str(rng.choice(["diamonds", "triangles", "hexagons", "squares", "crosses"]))
    return dict(style=style, spacing=float(rng.uniform(0.06, 0.15)),
                size=float(rng.uniform(0.55, 0.85)), line=float(rng.uniform(0.06, 0.12)))


def _render_geometric(p: Params, size: int) -> np.ndarray:
    x, y = _grid(size)
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
        return _band(d, s * 0.5 * k / 1.5, line) * (d < 0.5 * k * s)
    arm, w = 0.5 * k * s, line * 1.2  # crosses
    bar1 = np.clip(np.minimum(w / 2 - np.abs(dx), arm - np.abs(dy)) + 0.5, 0, 1)
    bar2 = np.clip(np.minimum(w / 2 - np.abs(dy), arm - np.abs(dx)) + 0.5, 0, 1)
    return np.maximum(bar1, bar2)


# --- abstract ------------------------------------------------------------------------------


def _sample_abstract(rng: np.random.Generator) -> Params:
    return dict(style=str(rng.choice(["brush", "blobs", "shapes", "splatter"])),
                scale=float(rng.uniform(0.6, 1.4)), seed=int(rng.integers(2**31)))


def _render_abstract(p: Params, size: int) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    style, sc = p["style"], p["scale"]
    if style == "blobs":
        n = _noise(rng, size, max(2, int(round(4 / sc))))
        n2 = _noise(rng, size, max(3, int(round(7 / sc))))
        return np.clip((n - 0.62) * 12, 0, 1) + 0.5 * np.clip((n2 - 0.7) * 12, 0, 1) * (n < 0.6)
    img = np.zeros((size, size), np.uint8)
    if style == "shapes":  # tossed circles, triangles and bars of random size and tone
        for _ in range(int(rng.integers(8, 14) / sc)):
            cx, cy = rng.uniform(-0.05, 1.05, 2) * size
            r = size * rng.uniform(0.03, 0.09) * sc
            tone = int(rng.choice([255, 255, 150]))
            kind = int(rng.integers(3))
            if kind == 0:
                _ellipse(img, cx, cy, r, r, 0, tone)
            elif kind == 1:  # triangle
                a = rng.uniform(0, 2 * np.pi) + np.arange(3) * (2 * np.pi / 3)
                _poly(img, np.stack([cx + np.cos(a) * r * 1.3, cy + np.sin(a) * r * 1.3], 1), tone)
            else:  # bar
                _poly(img, cv2.boxPoints(((cx, cy), (r * 3.2, r * 0.7), rng.uniform(0, 180))), tone)
        return _u8_to_map(img)
    if style == "brush":
        for _ in range(int(20 / sc)):
            p0, p1, p2 = rng.uniform(-0.1, 1.1, size=(3, 2)) * size
            t = np.linspace(0, 1, 16)[:, None]
            curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
            thick = int(size * rng.uniform(0.015, 0.045) * sc)
            pts = np.round(curve * _ONE).astype(np.int32)
            cv2.polylines(img, [pts], False, int(rng.choice([255, 150])), max(1, thick), cv2.LINE_AA, _SHIFT)
        return _u8_to_map(img)
    for _ in range(int(rng.integers(7, 12))):  # splatter: clumps of drops
        cx, cy = rng.uniform(0, 1, 2) * size
        spread = size * 0.12 * sc
        for _ in range(int(rng.integers(15, 30))):
            r = size * 0.02 * sc * rng.uniform(0.2, 1.2)
            _ellipse(img, cx + rng.normal() * spread, cy + rng.normal() * spread, r, r * rng.uniform(0.6, 1), 0, 255)
    return _u8_to_map(img)


def _render_solid(p: Params, size: int) -> np.ndarray:
    return np.zeros((size, size), np.float32)


PATTERNS: dict[str, PatternClass] = {
    c.name: c
    for c in (
        PatternClass("solid", lambda rng: {}, _render_solid),
        PatternClass("horizontal_stripes", _sample_stripes, _render_horizontal),
        PatternClass("vertical_stripes", _sample_stripes, _render_vertical),
        PatternClass("diagonal_stripes", _sample_stripes, _render_diagonal),
        PatternClass("checks", _sample_checks, _render_checks),
        PatternClass("polka_dots", _sample_dots, _render_dots),
        PatternClass("floral", _sample_floral, _render_floral),
        PatternClass("paisley", _sample_paisley, _render_paisley),
        PatternClass("chevron", _sample_chevron, _render_chevron),
        PatternClass("houndstooth", _sample_houndstooth, _render_houndstooth),
        PatternClass("animal_print", _sample_animal, _render_animal),
        PatternClass("geometric", _sample_geometric, _render_geometric),
        PatternClass("abstract", _sample_abstract, _render_abstract),
    )
}
PATTERN_NAMES: tuple[str, ...] = tuple(PATTERNS)


def render_pattern(name: str, params: Params, size: int) -> np.ndarray:
    """The motif map (float32, size x size, values in [0, 1]) of pattern ``name``."""
    return PATTERNS[name].render(params, size).astype(np.float32, copy=False)
