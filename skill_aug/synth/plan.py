"""Planning a synthetic catalogue: which designs exist and which colourways each comes in.

Labels are balanced and independent by construction: pattern classes and every task
attribute are dealt in shuffled rounds (each value once per round), and each design takes
its colourways from the ground colours used least so far, first within its pattern class
and then overall. So every pattern meets every colour about equally often, and the same
colourway appears across all patterns.
"""

from __future__ import annotations

import re
from typing import Iterator, Sequence

import numpy as np

from skill_aug.synth.palette import COLOR_NAMES, COLORWAYS
from skill_aug.synth.patterns import PATTERN_NAMES, PATTERNS
from skill_aug.synth.product import Design, ProductPlan
from skill_aug.synth.silhouettes import Silhouette


def task_slug(task: str) -> str:
    """A file-name-safe form of a task name (``"Wall-Art"`` -> ``"wall-art"``)."""
    return re.sub(r"[^a-z0-9_-]+", "_", task.strip().lower()).strip("_") or "product"


def _rounds(values: Sequence, rng: np.random.Generator) -> Iterator:
    """Deal ``values`` forever, each round a fresh shuffle (a balanced, unpredictable stream)."""
    while True:
        for i in rng.permutation(len(values)):
            yield values[int(i)]


def plan_catalog(task: str, products: int, silhouette: Silhouette, *, seed: int = 0,
                 photos: tuple[int, int] = (4, 8), colorways: tuple[int, int] = (3, 5)) -> list[ProductPlan]:
    """Plans for ``products`` products of ``task``: designs in ``colorways`` colours each."""
    rng = np.random.default_rng([seed, 0x5EED])
    slug = task_slug(task)
    patterns = _rounds(PATTERN_NAMES, rng)
    attr_streams = {a: _rounds(v, rng) for a, v in silhouette.attributes.items()}
    # One accent stream per (pattern, ground): every colourway reaches every pattern class.
    accent_streams = {(p, g): _rounds(COLORWAYS[g], rng) for p in PATTERN_NAMES for g in COLOR_NAMES}
    used = np.zeros(len(COLOR_NAMES))
    used_in: dict[str, np.ndarray] = {p: np.zeros(len(COLOR_NAMES)) for p in PATTERN_NAMES}
    plans: list[ProductPlan] = []
    design_no = 0
    while len(plans) < products:
        pattern = next(patterns)
        design = Design(
            design_id=f"{slug}-d{design_no:05d}",
            pattern=pattern,
            params=PATTERNS[pattern].sample(rng),
            attributes={a: next(s) for a, s in attr_streams.items()},
            shape_seed=int(rng.integers(2**31)),
        )
        design_no += 1
        k = min(int(rng.integers(colorways[0], colorways[1] + 1)), products - len(plans), len(COLOR_NAMES))
        score = used_in[pattern] * 1000.0 + used + rng.random(len(COLOR_NAMES)) * 0.5
        for c in np.argsort(score)[:k]:
            used[c] += 1
            used_in[pattern][c] += 1
            plans.append(ProductPlan(
                product_id=f"{slug}-{len(plans):05d}",
                design=design,
                colorway=next(accent_streams[pattern, COLOR_NAMES[c]]),
                n_photos=int(rng.integers(photos[0], photos[1] + 1)),
                seed=int(rng.integers(2**63)),
            ))
    return plans


def plan_one(task: str, seed: int, silhouette: Silhouette, n_photos: int) -> ProductPlan:
    """A single random product of ``task`` (for previews): any pattern, colour and cut."""
    rng = np.random.default_rng([seed, 0x0E])
    pattern = str(rng.choice(PATTERN_NAMES))
    ground = str(rng.choice(COLOR_NAMES))
    design = Design(
        design_id=f"{task_slug(task)}-preview-{seed}",
        pattern=pattern,
        params=PATTERNS[pattern].sample(rng),
        attributes={a: str(rng.choice(v)) for a, v in silhouette.attributes.items()},
        shape_seed=int(rng.integers(2**31)),
    )
    colorway = COLORWAYS[ground][int(rng.integers(len(COLORWAYS[ground])))]
    return ProductPlan(f"{task_slug(task)}-preview-{seed}", design, colorway, n_photos, int(rng.integers(2**63)))
