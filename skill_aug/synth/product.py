"""A product of the synthetic catalogue: its design, colourway and canonical rendering.

A *design* is a pattern instance with fixed geometry plus the cut of the product (its task
attributes); a *product* is one design in one colourway. The canonical rendering is the
product alone on a transparent canvas, which :mod:`skill_aug.synth.shoot` then photographs.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from skill_aug.synth.palette import Colorway
from skill_aug.synth.patterns import render_pattern
from skill_aug.synth.shapes import Shape
from skill_aug.synth.silhouettes import Silhouette


@dataclass(frozen=True)
class Design:
    """A pattern class with fixed geometry ``params`` and a product cut (``attributes``)."""

    design_id: str
    pattern: str
    params: dict[str, Any]
    attributes: dict[str, str]
    shape_seed: int

    def key(self) -> str:
        """A string that identifies the design's pixels (for caching its layers)."""
        return json.dumps([self.pattern, self.params, self.attributes, self.shape_seed], sort_keys=True)


@dataclass(frozen=True)
class ProductPlan:
    """Everything needed to render one product's photos, deterministically."""

    product_id: str
    design: Design
    colorway: Colorway
    n_photos: int
    seed: int


@dataclass
class Canonical:
    """A product on a transparent canvas: premultiplied RGB + alpha, float32, two pyramid levels.

    ``levels[0]`` is R x R x 4, ``levels[1]`` half of it; ``bbox`` (x0, y0, x1, y1) and
    ``points`` (product pixel centres, for close-ups) are in level-0 pixels.
    """

    levels: tuple[np.ndarray, np.ndarray]
    bbox: tuple[float, float, float, float]
    points: np.ndarray
    ground: np.ndarray


class _LRU:
    """A tiny least-recently-used cache (colourways of one design are rendered in a row)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple, make):
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.items[key] = make()
        if len(self.items) > self.capacity:
            self.items.popitem(last=False)
        return value


_LAYERS = _LRU(8)
_GRAIN: dict[int, np.ndarray] = {}


def _grain(size: int) -> np.ndarray:
    """A fixed fabric-grain texture (multiplicative, about 1 +- 3 %), shared by all products."""
    if size not in _GRAIN:
        rng = np.random.default_rng(12345)
        g = rng.standard_normal((size, size)).astype(np.float32)
        g = cv2.GaussianBlur(g, (0, 0), 0.6) * 0.03
        _GRAIN[size] = 1.0 + np.tile(g, (2, 2))
    return _GRAIN[size]


@dataclass
class _DesignLayers:
    """What every colourway of a design shares: motif map, shape, and where the product is."""

    motif: np.ndarray
    shape: Shape
    bbox: tuple[float, float, float, float]
    points: np.ndarray


def _footprint(shape: Shape, name: str) -> tuple[tuple[float, float, float, float], np.ndarray]:
    """Bounding box and sample interior points of the drawn product, in canvas pixels."""
    size = shape.fabric.shape[0]
    inside = (cv2.pyrDown(shape.alpha) > 127).astype(np.uint8)
    ys, xs = np.nonzero(inside)
    if len(xs) == 0:
        raise ValueError(f"silhouette {name!r} drew nothing")
    bbox = (2.0 * xs.min(), 2.0 * ys.min(), 2.0 * xs.max() + 2, 2.0 * ys.max() + 2)
    # Close-ups aim at points well inside the product, not at its rim.
    deep = cv2.erode(inside, np.ones((3, 3), np.uint8), iterations=max(1, size // 40))
    dy, dx = np.nonzero(deep) if deep.any() else (ys, xs)
    points = np.stack([dx, dy], 1)[:: max(1, len(dx) // 256)] * 2.0
    return bbox, points.astype(np.float32)


def design_layers(design: Design, silhouette: Silhouette, size: int) -> _DesignLayers:
    """The design's motif map, drawn shape and footprint at canvas size ``size`` (cached)."""

    def make():
        motif = render_pattern(design.pattern, design.params, size)
        shape = silhouette.draw(design.attributes, np.random.default_rng(design.shape_seed), size)
        return _DesignLayers(motif, shape, *_footprint(shape, silhouette.name))

    return _LAYERS.get((silhouette.name, design.key(), size), make)


def render_canonical(plan: ProductPlan, silhouette: Silhouette, size: int, rng: np.random.Generator) -> Canonical:
    """Colour the design in the plan's colourway and cut it to the silhouette (R = ``size``)."""
    layers = design_layers(plan.design, silhouette, size)
    shape = layers.shape
    ground = plan.colorway.sample_ground(rng)
    accent = np.asarray(plan.colorway.accent, np.float32)
    oy, ox = rng.integers(0, size, 2)
    light = shape.shading * _grain(size)[oy : oy + size, ox : ox + size]
    light *= 1.0 - 0.45 * (shape.seams.astype(np.float32) / 255.0)
    # Premultiplied colour, one plane per channel: ground where the motif is 0, accent where 1.
    fabric = shape.fabric.astype(np.float32) * np.float32(1 / 255)
    alpha = fabric.copy()
    lit = fabric * light
    lit_motif = layers.motif * lit
    planes = [lit * g + lit_motif * (a - g) for g, a in zip(ground, accent)]
    for mask, rgb in shape.trims:
        trim = mask.astype(np.float32) * np.float32(1 / 255)
        alpha += trim
        trim *= light
        for plane, value in zip(planes, rgb):
            plane += trim * np.float32(value)
    planes.append(np.minimum(alpha, 1.0) * np.float32(255))
    rgba = cv2.merge(planes)
    return Canonical((rgba, cv2.pyrDown(rgba)), layers.bbox, layers.points, ground)
