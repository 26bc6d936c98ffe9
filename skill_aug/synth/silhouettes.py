"""Per-task product silhouettes and the task attributes each one carries.

A :class:`~skill_aug.spec.Silhouette` names its attributes and their values (``sleeve`` for
dresses and shirts, ``subcategory`` for furniture, ...) and draws a product for one
assignment of them. The built-in ones are below; a plugin adds its own through the
``register_silhouettes`` hook, and a product type picks one (and may narrow its values)
with ``ProductType.silhouette`` / ``silhouette_attributes``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from skill_aug.spec import Silhouette
from skill_aug.synth.shapes import Canvas, Shape, roundness
from skill_aug.synth.silhouettes_apparel import SLEEVES, dress, shirt, shoes
from skill_aug.synth.silhouettes_home import FURNITURE, curtains, furniture, wall_art

DrawFn = Callable[[dict[str, str], np.random.Generator, int], Shape]


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


def flat(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
    """A flat-laid textile seen from above (rugs, towels, scarves, throws), fringed or not."""
    cv = Canvas(size)
    kind = attrs["shape"]
    if kind == "round":
        r = rng.uniform(0.36, 0.42)
        cv.ellipse(0.5, 0.5, r, r)
        cv.seam([(0.5 + (r - 0.02) * np.cos(t), 0.5 + (r - 0.02) * np.sin(t))
                 for t in np.linspace(0, 2 * np.pi, 64, endpoint=False)], width=0.004, value=110, closed=True)
    else:
        # (half width, half height): a runner is long and narrow, a rug wider than deep
        w, h = ((rng.uniform(0.15, 0.19), rng.uniform(0.40, 0.44)) if kind == "runner"
                else (rng.uniform(0.36, 0.42), rng.uniform(0.25, 0.32)))
        cv.rect(0.5 - w, 0.5 - h, 0.5 + w, 0.5 + h)
        inset = [(0.5 - w + 0.015, 0.5 - h + 0.015), (0.5 + w - 0.015, 0.5 - h + 0.015),
                 (0.5 + w - 0.015, 0.5 + h - 0.015), (0.5 - w + 0.015, 0.5 + h - 0.015)]
        cv.seam(inset, width=0.004, value=110, closed=True)
        if attrs["fringe"] == "fringed":  # tassels along the two short ends
            vertical = kind == "runner"
            half, edge = (w, h) if vertical else (h, w)
            for side in (-1.0, 1.0):
                base = 0.5 + side * edge
                for t in np.linspace(-half + 0.01, half - 0.01, 24):
                    a, b = (base, base + side * 0.04)
                    line = [(0.5 + t, a), (0.5 + t, b)] if vertical else [(a, 0.5 + t), (b, 0.5 + t)]
                    cv.poly(_thicken(line, 0.0025, vertical))
    x, y = cv.grid()
    return cv.finish(1.0 - 0.04 * np.hypot(x - 0.5, y - 0.5))  # faint studio fall-off


def _thicken(line: list[tuple[float, float]], half: float, vertical: bool) -> list[tuple[float, float]]:
    """A two-point line as a thin polygon (fringe threads are fabric, not seams)."""
    (x0, y0), (x1, y1) = line
    if vertical:
        return [(x0 - half, y0), (x0 + half, y0), (x1 + half, y1), (x1 - half, y1)]
    return [(x0, y0 - half), (x0, y0 + half), (x1, y1 + half), (x1, y1 - half)]


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
        Silhouette("flat", {"shape": ("rectangle", "runner", "round"), "fringe": ("none", "fringed")}, flat),
        Silhouette("generic", {"shape": ("box", "round", "pouch")}, generic),
    )
}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def available_silhouettes() -> dict[str, Silhouette]:
    """Every silhouette by name: the built-in ones and those the installed plugins register."""
    from skill_aug.plugins import get_registry

    registered = get_registry().silhouettes
    return {**SILHOUETTES, **{name: sil for name, sil in registered.items() if _key(name) not in SILHOUETTES}}


def _lookup(name: str, wanted_by: str) -> Silhouette:
    """The silhouette ``name`` (built-in names match case-insensitively, ``-`` as ``_``)."""
    from skill_aug.plugin_host import suggest
    from skill_aug.plugins import get_registry
    from skill_aug.synth.catalog_writer import SynthError

    registry = get_registry()
    if _key(name) in SILHOUETTES:
        if name in registry.silhouettes:
            owner = registry.plugins[registry.silhouette_sources[name]].label()
            raise SynthError(f"silhouette {name!r} is built in, and {owner} registers one of the same "
                             "name: the plugin must rename its silhouette")
        return SILHOUETTES[_key(name)]
    if name in registry.silhouettes:
        return _checked(registry.silhouettes[name], registry.plugins[registry.silhouette_sources[name]].label())
    clash = registry.clashes.get(("silhouette", name))
    if clash is not None:
        raise SynthError(f"{wanted_by}: {clash.message()}")
    raise SynthError(f"{wanted_by}: silhouette {name!r} ({suggest(name, available_silhouettes())}) is not available "
                     f"(built in: {', '.join(SILHOUETTES)})")


def _checked(sil: Silhouette, owner: str) -> Silhouette:
    """``sil`` with a draw that reports a wrong result as one line naming ``owner``."""
    from skill_aug.synth.catalog_writer import SynthError

    def draw(attrs: dict[str, str], rng: np.random.Generator, size: int) -> Shape:
        shape: Any = sil.draw(attrs, rng, size)
        if not isinstance(shape, Shape) or shape.fabric.shape != (size, size):
            raise SynthError(f"silhouette {sil.name!r} of {owner} drew {type(shape).__name__}, not a "
                             f"skill_aug.synth.Shape of {size} x {size} px (return canvas.finish())")
        return shape

    return dataclasses.replace(sil, draw=draw)


def _narrowed(sil: Silhouette, values: dict[str, tuple[str, ...]], wanted_by: str) -> Silhouette:
    """``sil`` drawing only the attribute ``values`` a product type asks for."""
    from skill_aug.synth.catalog_writer import SynthError

    attributes = dict(sil.attributes)
    for attr, chosen in values.items():
        if attr not in attributes:
            raise SynthError(f"{wanted_by}: silhouette {sil.name!r} has no attribute {attr!r} "
                             f"(it has: {', '.join(attributes) or 'none'})")
        chosen = (chosen,) if isinstance(chosen, str) else tuple(chosen)
        wrong = [v for v in chosen if v not in attributes[attr]]
        if wrong or not chosen:
            raise SynthError(f"{wanted_by}: {sil.name}.{attr} has no value {', '.join(map(repr, wrong)) or '(none given)'} "
                             f"(valid: {', '.join(attributes[attr])})")
        attributes[attr] = chosen
    return dataclasses.replace(sil, attributes=attributes)


def silhouette_for(task: str, silhouette: str | None = None) -> Silhouette:
    """The shape to draw products of ``task`` with.

    In order: ``silhouette`` if given; the silhouette that the installed product type
    ``task`` declares (narrowed by its ``silhouette_attributes``); the built-in shape named
    like the task (case-insensitively, ``-`` and ``_`` alike); else ``generic``. A name that
    is neither built in nor registered by a plugin is a :class:`SynthError`.
    """
    if silhouette:
        return _lookup(silhouette, "--silhouette")
    from skill_aug.plugins import get_registry

    registry = get_registry()
    declared = registry.product_types.get(task)
    if declared is not None:
        wanted_by = f"product type {task!r} of {registry.plugins[registry.product_type_sources[task]].label()}"
        sil = _lookup(declared.silhouette, wanted_by)
        return _narrowed(sil, dict(declared.silhouette_attributes), wanted_by) \
            if declared.silhouette_attributes else sil
    return SILHOUETTES.get(_key(task), SILHOUETTES["generic"])
