"""What a lamp looks like in the synthetic catalogue: a patterned shade on a plain base.

``skill data synth --task lamp`` and ``skill-aug preview --task lamp`` draw lamps with it
(the product type names it in ``silhouette="lamp"``); its attribute ``shade`` becomes a
label of every synthetic product, so ``skill eval`` can report it.
"""

from __future__ import annotations

import numpy as np

from skill_aug import Silhouette
from skill_aug.synth import Canvas, Shape, roundness

SHADES = ("drum", "empire", "dome")


def draw_lamp(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A table lamp with shade ``attrs['shade']``; the shade carries the pattern (the fabric)."""
    cv = Canvas(size)  # coordinates are fractions of the canvas, (0, 0) top left
    top, bottom = rng.uniform(0.10, 0.16), rng.uniform(0.42, 0.48)
    width = rng.uniform(0.20, 0.26)  # half width of the shade at its bottom edge
    if attrs["shade"] == "drum":
        cv.rect(0.5 - width, top, 0.5 + width, bottom)
    elif attrs["shade"] == "empire":
        cv.poly([(0.5 - 0.55 * width, top), (0.5 + 0.55 * width, top), (0.5 + width, bottom), (0.5 - width, bottom)])
    else:  # dome: half an ellipse
        cv.ellipse(0.5, bottom, width, bottom - top)
        cv.rect(0.5 - width - 0.01, bottom, 0.5 + width + 0.01, 2 * bottom - top + 0.01, value=0)
    cv.seam([(0.5 - width, bottom), (0.5 + width, bottom)], width=0.006, value=120)  # the shade's hem
    wood = str(rng.choice(["walnut", "oak", "black", "chrome"]))
    cv.rect(0.485, bottom, 0.515, 0.83, trim=wood)  # the stem
    cv.ellipse(0.5, 0.85, rng.uniform(0.10, 0.14), 0.03, trim=wood)  # the foot
    x, _ = cv.grid()
    return cv.finish(roundness(x, 0.5, width, 0.18))  # the shade darkens towards its sides


LAMP_SILHOUETTE = Silhouette("lamp", {"shade": SHADES}, draw_lamp)
