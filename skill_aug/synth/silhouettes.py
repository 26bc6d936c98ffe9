"""Per-task product silhouettes and the task attributes each one carries.

A :class:`Silhouette` names its attributes and their values (``sleeve`` for dresses and
shirts, ``subcategory`` for furniture, ...) and draws a product for one assignment of them.
Any task without its own silhouette (a third-party plugin's product type) gets ``generic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from skill_aug.synth.shapes import Canvas, Shape, roundness
from skill_aug.synth.silhouettes_apparel import SLEEVES, dress, shirt, shoes
from skill_aug.synth.silhouettes_home import FURNITURE, curtains, furniture, wall_art

DrawFn = Callable[[dict[str, str], np.random.Generator, int], Shape]


@dataclass(frozen=True)
class Silhouette:
    """A product shape: ``attributes`` (name -> allowed values) and ``draw(attrs, rng, R)``."""

    name: str
    attributes: dict[str, tuple[str, ...]]
    draw: DrawFn


def generic(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A neutral product (a box, a round cushion or a pouch with a handle)."""
    cv = Canvas(size)
    kind = attrs["shape"]
    w, h = rng.uniform(0.28, 0.38), rng.uniform(0.26, 0.36)
    if kind == "box":
        cv.rect(0.5 - w, 0.5 - h, 0.5 + w, 0.5 + h)
        cv.seam([(0.5 - w, 0.5 - h + 0.08), (0.5 + w, 0.5 - h + 0.08)], width=0.006, value=130)
    elif kind == "round":
        r = min(w, h) * 1.15
        cv.ellipse(0.5, 0.5, r, r * rng.uniform(0.85, 1.0))
        cv.seam([(0.5, 0.5 - 0.01), (0.5, 0.5 + 0.01)], width=0.02, value=150)
    else:  # pouch
        top = 0.5 - h + 0.1
        cv.poly([(0.5 - w * 0.75, top), (0.5 + w * 0.75, top), (0.5 + w, 0.5 + h), (0.5 - w, 0.5 + h)])
        cv.ellipse(0.5, top - 0.08, w * 0.45, 0.1, trim="black")
        cv.ellipse(0.5, top - 0.08, w * 0.45 - 0.02, 0.1 - 0.02, trim="black", value=0)
    x, _ = cv.grid()
    return cv.finish(roundness(x, 0.5, 0.45, 0.15))


SILHOUETTES: dict[str, Silhouette] = {
    s.name: s
    for s in (
        Silhouette("dress", {"sleeve": SLEEVES, "length": ("mini", "knee", "maxi")}, dress),
        Silhouette("shirt", {"sleeve": SLEEVES, "collar": ("spread", "band", "crew")}, shirt),
        Silhouette("furniture", {"subcategory": FURNITURE}, furniture),
        Silhouette("curtains", {"panels": ("single", "pair"), "style": ("straight", "tieback")}, curtains),
        Silhouette("shoes", {"style": ("sneaker", "boot", "heel", "loafer")}, shoes),
        Silhouette("wall_art", {"orientation": ("portrait", "landscape", "square"),
                                "frame": ("black", "oak", "white", "gold", "none")}, wall_art),
        Silhouette("generic", {"shape": ("box", "round", "pouch")}, generic),
    )
}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def silhouette_for(task: str, silhouette: str | None = None) -> Silhouette:
    """The shape to draw products of ``task`` with.

    In order: ``silhouette`` if given; the built-in shape named like the task (matched
    case-insensitively, ``-`` and ``_`` alike, so ``wall-art`` finds ``wall_art``); the
    ``silhouette`` that a plugin's :class:`~skill_aug.spec.ProductType` of that name
    declares; else ``generic``.
    """
    if silhouette and _key(silhouette) in SILHOUETTES:
        return SILHOUETTES[_key(silhouette)]
    if _key(task) in SILHOUETTES:
        return SILHOUETTES[_key(task)]
    from skill_aug.plugins import get_registry  # only for tasks without a built-in shape

    declared = get_registry(check=False).product_types.get(task)
    if declared is not None and _key(declared.silhouette) in SILHOUETTES:
        return SILHOUETTES[_key(declared.silhouette)]
    return SILHOUETTES["generic"]
