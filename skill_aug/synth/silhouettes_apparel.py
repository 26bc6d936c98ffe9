"""Apparel silhouettes: a dress and a shirt laid flat (front view) and a shoe in side profile."""

from __future__ import annotations

import numpy as np

from skill_aug.synth.shapes import Canvas, Shape, folds, roundness, smooth

SLEEVES = ("sleeveless", "short", "elbow", "long")


def _sleeve(cv: Canvas, shoulder, armpit, angle_deg: float, length: float, cuff: float, side: int):
    """A sleeve from the armhole (shoulder..armpit) hanging ``angle_deg`` off vertical."""
    a = np.deg2rad(angle_deg)
    d = np.array([np.sin(a) * side, np.cos(a)])  # down and outwards
    n = np.array([-np.cos(a) * side, np.sin(a)])  # across the sleeve, towards the body
    s, p = np.asarray(shoulder), np.asarray(armpit)
    end_outer = s + d * length
    end_inner = end_outer + n * cuff
    cv.poly([s, end_outer, end_inner, p])
    cv.seam([end_outer, end_inner], width=0.005, value=120)
    return end_outer, end_inner


def dress(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """An A-line dress: bodice, flared skirt of the given ``length``, sleeves of ``sleeve``."""
    cv = Canvas(size)
    cx = 0.5
    sleeveless = attrs["sleeve"] == "sleeveless"
    neck_w = rng.uniform(0.045, 0.065)
    sw = rng.uniform(0.11, 0.125) if sleeveless else rng.uniform(0.13, 0.155)
    bust_y, bw = 0.22, rng.uniform(0.11, 0.125)
    waist_y, ww = rng.uniform(0.34, 0.39), rng.uniform(0.085, 0.1)
    hem_y = {"mini": 0.62, "knee": 0.77, "maxi": 0.93}[attrs["length"]] + rng.uniform(-0.02, 0.02)
    hw = min(0.42, ww + rng.uniform(0.3, 0.62) * (hem_y - waist_y))
    right = [(cx + neck_w, 0.07), (cx + sw, 0.1), (cx + bw + 0.01, 0.16), (cx + bw, bust_y),
             (cx + ww, waist_y), (cx + hw, hem_y - 0.01), (cx + hw * 0.5, hem_y + 0.004)]
    left = [(2 * cx - x, y) for x, y in reversed(right)]
    cv.poly(right + left)
    if rng.random() < 0.5:  # round or V neckline
        cv.ellipse(cx, 0.07, neck_w, rng.uniform(0.03, 0.06), value=0)
    else:
        cv.poly([(cx - neck_w, 0.06), (cx + neck_w, 0.06), (cx, 0.07 + rng.uniform(0.06, 0.1))], value=0)
    length = {"short": 0.08, "elbow": 0.19, "long": 0.36}.get(attrs["sleeve"], 0.0)
    if length:
        angle = rng.uniform(22, 36)
        cuff = 0.07 if attrs["sleeve"] != "long" else 0.05
        for side in (1, -1):
            _sleeve(cv, (cx + side * sw, 0.1), (cx + side * bw, bust_y - 0.02), angle,
                    length * rng.uniform(0.92, 1.08), cuff, side)
    cv.seam([(cx - ww, waist_y), (cx + ww, waist_y)], width=0.004, value=110)
    x, y = cv.grid()
    shading = folds(x, y, period=rng.uniform(0.06, 0.1), depth=0.16, y0=waist_y + 0.03, grow=1.2,
                    phase=rng.uniform(0, 1)) * roundness(x, cx, 0.45, 0.12)
    return cv.finish(shading)


def shirt(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A shirt laid flat: boxy body, sleeves of ``sleeve``, a ``collar`` and a button placket."""
    cv = Canvas(size)
    cx = 0.5
    sh_y, sw = 0.2, rng.uniform(0.17, 0.19)
    arm_y, bw = 0.36, rng.uniform(0.165, 0.185)
    hem_y = rng.uniform(0.74, 0.8)
    neck_w = 0.065
    right = [(cx + neck_w, sh_y - 0.03), (cx + sw, sh_y), (cx + bw, arm_y),
             (cx + bw, hem_y - 0.02), (cx + bw * 0.4, hem_y + 0.01)]
    left = [(2 * cx - x, y) for x, y in reversed(right)]
    cv.poly(right + left)
    length = {"short": 0.12, "elbow": 0.23, "long": 0.38}.get(attrs["sleeve"], 0.0)
    if length:
        angle = rng.uniform(32, 44)
        cuff = {"short": 0.1, "elbow": 0.085, "long": 0.065}[attrs["sleeve"]]
        for side in (1, -1):
            o, i = _sleeve(cv, (cx + side * sw, sh_y), (cx + side * bw, arm_y - 0.01), angle,
                           length * rng.uniform(0.93, 1.07), cuff, side)
            if attrs["sleeve"] == "long":  # a cuff band
                back = np.array([np.sin(np.deg2rad(angle)) * side, np.cos(np.deg2rad(angle))]) * 0.035
                cv.seam([o - back, i - back], width=0.004, value=140)
    collar = attrs["collar"]
    if collar == "crew":
        cv.ellipse(cx, sh_y - 0.035, neck_w, 0.045, value=0)
        cv.seam([(cx - neck_w, sh_y - 0.02), (cx, sh_y + 0.02), (cx + neck_w, sh_y - 0.02)], width=0.01, value=120)
    else:
        cv.ellipse(cx, sh_y - 0.04, neck_w * 0.85, 0.03, value=0)
        if collar == "spread":  # two collar points over the shoulders
            for side in (1, -1):
                pts = [(cx + side * 0.005, sh_y + 0.04), (cx + side * neck_w * 1.05, sh_y - 0.035),
                       (cx + side * (neck_w + 0.05), sh_y + 0.045)]
                cv.poly(pts)
                cv.seam(pts, width=0.004, value=170, closed=True)
        else:  # band collar
            cv.seam([(cx - neck_w, sh_y - 0.03), (cx, sh_y - 0.005), (cx + neck_w, sh_y - 0.03)],
                    width=0.012, value=150)
        cv.seam([(cx, sh_y + 0.02), (cx, hem_y)], width=0.004, value=130)  # placket
        for k in range(5):
            yk = sh_y + 0.06 + k * (hem_y - sh_y - 0.1) / 4
            cv.ellipse(cx + 0.012, yk, 0.008, 0.008, trim="white")
    if rng.random() < 0.5:  # chest pocket
        px = cx + 0.07
        cv.seam([(px, 0.31), (px, 0.39), (px + 0.06, 0.39), (px + 0.06, 0.31)], width=0.004, value=130)
    x, y = cv.grid()
    shading = roundness(x, cx, 0.4, 0.14) * folds(x, y, period=0.12, depth=0.06, y0=0.45,
                                                  phase=rng.uniform(0, 1))
    return cv.finish(shading)


# Side profiles, toe to the right, as corner points that ``smooth`` rounds; y = 0.72 is the
# top of the sole for flat shoes.
_UPPERS = {
    "sneaker": [(0.1, 0.72), (0.09, 0.56), (0.12, 0.45), (0.2, 0.43), (0.3, 0.48), (0.38, 0.4),
                (0.46, 0.44), (0.68, 0.54), (0.84, 0.59), (0.91, 0.66), (0.9, 0.72)],
    "boot": [(0.12, 0.72), (0.11, 0.22), (0.13, 0.12), (0.36, 0.12), (0.37, 0.44), (0.55, 0.52),
             (0.78, 0.57), (0.9, 0.63), (0.9, 0.72)],
    "loafer": [(0.1, 0.72), (0.09, 0.58), (0.13, 0.52), (0.3, 0.56), (0.46, 0.52), (0.62, 0.52),
               (0.8, 0.58), (0.9, 0.65), (0.9, 0.72)],
    "heel": [(0.14, 0.6), (0.12, 0.42), (0.2, 0.46), (0.5, 0.66), (0.7, 0.68), (0.82, 0.7),
             (0.9, 0.76), (0.88, 0.8), (0.6, 0.8), (0.36, 0.7)],
}


def shoes(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """One shoe in side profile, toe to the right: the upper is patterned, sole and heel are trim."""
    cv = Canvas(size)
    style = attrs["style"]
    sole = str(rng.choice(["white", "black", "gum"]))
    pts = np.array(_UPPERS[style]) + rng.uniform(-0.012, 0.012, size=(len(_UPPERS[style]), 2))
    pts[:, 1] = 0.72 + (pts[:, 1] - 0.72) * rng.uniform(0.9, 1.1)  # taller or lower cut
    if style == "heel":
        pts[:, 1] -= 0.04
        cv.poly(smooth(pts))
        heel = "black" if sole == "white" else sole
        cv.poly([(0.13, 0.56), (0.22, 0.6), (0.19, 0.9), (0.17, 0.9)], trim=heel)
        cv.poly(smooth([(0.36, 0.67), (0.6, 0.77), (0.89, 0.77), (0.9, 0.785), (0.6, 0.79), (0.35, 0.69)],
                       closed=False, iterations=1), trim=heel)
        cv.seam(smooth(pts[1:5], closed=False), width=0.006, value=150)
        return cv.finish()
    cv.poly(smooth(pts))
    sole_h = 0.05 if style == "sneaker" else 0.03
    cv.poly(smooth([(0.085, 0.7), (0.915, 0.7), (0.92, 0.72 + sole_h), (0.09, 0.72 + sole_h)], 1), trim=sole)
    if style == "sneaker":
        for k in range(4):
            t = 0.42 + k * 0.06
            cv.seam([(t, 0.44 + k * 0.03), (t + 0.05, 0.48 + k * 0.03)], width=0.009, value=200)
        cv.seam(smooth([(0.55, 0.7), (0.6, 0.58), (0.8, 0.6), (0.88, 0.7)], closed=False), width=0.005, value=120)
    elif style == "loafer":
        cv.seam(smooth([(0.5, 0.56), (0.58, 0.62), (0.7, 0.57)], closed=False), width=0.01, value=170)
    else:
        cv.seam([(0.35, 0.14), (0.35, 0.44)], width=0.005, value=120)
    return cv.finish(roundness(cv.grid()[1], 0.6, 0.3, 0.12))
