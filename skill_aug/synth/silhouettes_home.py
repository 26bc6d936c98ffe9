"""Home silhouettes: furniture (several subcategories), hanging curtains and framed wall art."""

from __future__ import annotations

import numpy as np

from skill_aug.synth.shapes import Canvas, Shape, folds, roundness

FURNITURE = ("chair", "sofa", "table", "lamp", "cabinet", "ottoman")


def _legs(cv: Canvas, xs, y0: float, y1: float, width: float, wood: str, splay: float = 0.0) -> None:
    for x in xs:
        s = splay * (1 if x > 0.5 else -1)
        cv.poly([(x - width / 2, y0), (x + width / 2, y0), (x + width / 2 + s, y1), (x - width / 2 + s, y1)],
                trim=wood)


def furniture(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A piece of furniture of subcategory ``attrs['subcategory']``, upholstered in the pattern."""
    cv = Canvas(size)
    kind = attrs["subcategory"]
    wood = str(rng.choice(["walnut", "oak", "black", "chrome"]))
    x, y = cv.grid()
    shading = None
    if kind == "chair":
        w = rng.uniform(0.17, 0.22)
        top = rng.uniform(0.1, 0.2)
        cv.poly([(0.5 - w, 0.52), (0.5 - w + 0.02, top + 0.05), (0.5, top), (0.5 + w - 0.02, top + 0.05),
                 (0.5 + w, 0.52)])
        cv.rect(0.5 - w - 0.03, 0.5, 0.5 + w + 0.03, 0.6)
        cv.seam([(0.5 - w - 0.03, 0.52), (0.5 + w + 0.03, 0.52)], width=0.005, value=120)
        _legs(cv, (0.5 - w, 0.5 + w - 0.0), 0.6, 0.9, 0.025, wood, splay=0.02)
    elif kind == "sofa":
        top, seat = rng.uniform(0.28, 0.36), rng.uniform(0.5, 0.56)
        cv.rect(0.14, top, 0.86, seat + 0.02)
        cv.rect(0.08, seat, 0.92, 0.76)
        for side in (0.08, 0.92):  # rounded arms
            cv.rect(side - 0.05, seat - 0.1, side + 0.05, 0.76)
            cv.ellipse(side, seat - 0.1, 0.05, 0.035)
        n = int(rng.integers(2, 4))
        for k in range(1, n):
            xk = 0.14 + k * 0.72 / n
            cv.seam([(xk, top + 0.02), (xk, 0.66)], width=0.005, value=130)
        cv.seam([(0.13, 0.66), (0.87, 0.66)], width=0.005, value=110)
        _legs(cv, (0.1, 0.9), 0.76, 0.81, 0.03, wood)
        shading = 1.0 - 0.1 * np.clip((y - seat) * 8, 0, 1) * (y < 0.66)
    elif kind == "table":
        top, drop = rng.uniform(0.32, 0.4), rng.uniform(0.16, 0.24)
        w = rng.uniform(0.36, 0.42)
        _legs(cv, (0.5 - w + 0.08, 0.5 + w - 0.08), top + drop - 0.02, 0.86, 0.035, wood)
        hem = [(0.5 + w - k / 8 * 2 * w, top + drop + 0.012 * np.sin(k * 2.4)) for k in range(9)]
        cv.poly([(0.5 - w + 0.04, top), (0.5 + w - 0.04, top)] + hem)
        shading = folds(x, y, period=rng.uniform(0.06, 0.09), depth=0.14, y0=top + 0.05)
    elif kind == "lamp":
        top, bot = rng.uniform(0.08, 0.14), rng.uniform(0.4, 0.48)
        tw, bw = rng.uniform(0.12, 0.17), rng.uniform(0.22, 0.28)
        cv.poly([(0.5 - tw, top), (0.5 + tw, top), (0.5 + bw, bot), (0.5 - bw, bot)])
        cv.rect(0.49, bot, 0.51, 0.84, trim=wood)
        cv.ellipse(0.5, 0.85, rng.uniform(0.1, 0.14), 0.03, trim=wood)
        shading = roundness(x, 0.5, bw, 0.3)
    elif kind == "cabinet":
        w, top = rng.uniform(0.24, 0.32), rng.uniform(0.12, 0.22)
        cv.rect(0.5 - w, top, 0.5 + w, 0.8)
        cv.rect(0.5 - w - 0.015, top - 0.02, 0.5 + w + 0.015, top + 0.005, trim=wood)
        doors = int(rng.integers(1, 3))
        for k in range(1, doors + 1):
            xk = 0.5 - w + k * 2 * w / (doors + 1)
            cv.seam([(xk, top + 0.02), (xk, 0.78)], width=0.005, value=140)
            cv.ellipse(xk - 0.025, 0.47, 0.008, 0.008, trim="chrome")
            cv.ellipse(xk + 0.025, 0.47, 0.008, 0.008, trim="chrome")
        cv.seam([(0.5 - w, top + 0.02), (0.5 + w, top + 0.02), (0.5 + w, 0.78), (0.5 - w, 0.78)],
                width=0.005, value=120, closed=True)
        _legs(cv, (0.5 - w + 0.03, 0.5 + w - 0.03), 0.8, 0.88, 0.025, wood)
    else:  # ottoman
        w, top = rng.uniform(0.28, 0.38), rng.uniform(0.4, 0.5)
        cv.rect(0.5 - w, top, 0.5 + w, 0.76)
        cv.ellipse(0.5, top, w, 0.05)
        for k in range(3):
            cv.ellipse(0.5 - w / 2 + k * w / 2, (top + 0.76) / 2, 0.01, 0.01, value=255)
            cv.seam([(0.5 - w / 2 + k * w / 2, (top + 0.76) / 2 - 0.005),
                     (0.5 - w / 2 + k * w / 2, (top + 0.76) / 2 + 0.005)], width=0.012, value=150)
        _legs(cv, (0.5 - w + 0.04, 0.5 + w - 0.04), 0.76, 0.83, 0.03, wood)
        shading = roundness(x, 0.5, w, 0.2)
    return cv.finish(shading)


def curtains(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """Curtain panel(s) hanging from a rod in vertical folds; ``tieback`` gathers them."""
    cv = Canvas(size)
    pair = attrs["panels"] == "pair"
    tied = attrs["style"] == "tieback"
    rod_y, hem_y = rng.uniform(0.06, 0.1), rng.uniform(0.88, 0.94)
    span = rng.uniform(0.36, 0.42)
    cv.rect(0.5 - span - 0.04, rod_y - 0.012, 0.5 + span + 0.04, rod_y + 0.006,
            trim=str(rng.choice(["black", "chrome", "walnut"])))
    panels = [(0.5 - span, 0.5 - 0.01), (0.5 + 0.01, 0.5 + span)] if pair else [(0.5 - span * 0.7, 0.5 + span * 0.7)]
    tie_y = rng.uniform(0.55, 0.65)
    for k, (a, b) in enumerate(panels):
        inner = b if (k == 0 or not pair) else a  # the edge that is pulled towards the wall
        ys = np.linspace(rod_y + 0.006, hem_y, 24)
        pull = np.zeros_like(ys)
        if tied:
            pull = (b - a) * 0.55 * np.exp(-(((ys - tie_y) / 0.22) ** 2))
        if inner == b:
            right = [(b - p, yy) for p, yy in zip(pull, ys)]
            left = [(a, yy) for yy in ys[::-1]]
            cv.poly(right + left)
        else:
            left = [(a + p, yy) for p, yy in zip(pull, ys)]
            right = [(b, yy) for yy in ys[::-1]]
            cv.poly(left + right)
        for i in range(int(rng.integers(4, 8))):  # rings on the rod
            xr = a + (i + 0.5) * (b - a) / 7
            cv.ellipse(xr, rod_y, 0.008, 0.012, trim="chrome")
        if tied:
            xt = b - (b - a) * 0.55 if inner == b else a + (b - a) * 0.55
            cv.seam([(min(a, xt) if inner == b else xt, tie_y), (xt if inner == b else b, tie_y)],
                    width=0.012, value=180)
    x, y = cv.grid()
    period = rng.uniform(0.045, 0.075)
    shading = folds(x, y, period=period, depth=0.24, y0=rod_y - 0.02, phase=rng.uniform(0, 1))
    return cv.finish(shading)


def wall_art(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A framed canvas print: the pattern is the artwork; ``frame`` and ``orientation`` vary."""
    cv = Canvas(size)
    long_side, short = rng.uniform(0.38, 0.44), rng.uniform(0.27, 0.32)
    hw, hh = {"portrait": (short, long_side), "landscape": (long_side, short),
              "square": (short * 1.15, short * 1.15)}[attrs["orientation"]]
    frame = attrs["frame"]
    fw = 0.0 if frame == "none" else rng.uniform(0.018, 0.03)
    if fw:
        cv.rect(0.5 - hw - fw, 0.5 - hh - fw, 0.5 + hw + fw, 0.5 + hh + fw, trim=frame)
    cv.rect(0.5 - hw, 0.5 - hh, 0.5 + hw, 0.5 + hh)
    x, y = cv.grid()
    return cv.finish(1.04 - 0.08 * np.clip((x + y) - 0.5, 0, 1))
