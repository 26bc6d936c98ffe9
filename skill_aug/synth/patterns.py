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
from typing import Callable

import numpy as np

from skill_aug.synth import patterns_lattice as lattice
from skill_aug.synth import patterns_motif as motif
from skill_aug.synth.pattern_tools import Params


@dataclass(frozen=True)
class PatternClass:
    """A named pattern class: ``sample(rng) -> params`` and ``render(params, R) -> motif map``."""

    name: str
    sample: Callable[[np.random.Generator], Params]
    render: Callable[[Params, int], np.ndarray]


def _render_solid(p: Params, size: int) -> np.ndarray:
    return np.zeros((size, size), np.float32)


PATTERNS: dict[str, PatternClass] = {
    c.name: c
    for c in (
        PatternClass("solid", lambda rng: {}, _render_solid),
        PatternClass("horizontal_stripes", lattice.sample_stripes, lattice.render_horizontal),
        PatternClass("vertical_stripes", lattice.sample_stripes, lattice.render_vertical),
        PatternClass("diagonal_stripes", lattice.sample_stripes, lattice.render_diagonal),
        PatternClass("checks", lattice.sample_checks, lattice.render_checks),
        PatternClass("polka_dots", lattice.sample_dots, lattice.render_dots),
        PatternClass("floral", motif.sample_floral, motif.render_floral),
        PatternClass("paisley", motif.sample_paisley, motif.render_paisley),
        PatternClass("chevron", lattice.sample_chevron, lattice.render_chevron),
        PatternClass("houndstooth", lattice.sample_houndstooth, lattice.render_houndstooth),
        PatternClass("animal_print", motif.sample_animal, motif.render_animal),
        PatternClass("geometric", lattice.sample_geometric, lattice.render_geometric),
        PatternClass("abstract", motif.sample_abstract, motif.render_abstract),
    )
}
PATTERN_NAMES: tuple[str, ...] = tuple(PATTERNS)


def render_pattern(name: str, params: Params, size: int) -> np.ndarray:
    """The motif map (float32, size x size, values in [0, 1]) of pattern ``name``."""
    return PATTERNS[name].render(params, size).astype(np.float32, copy=False)
