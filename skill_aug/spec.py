"""The declarative model of a policy: ops, view groups, the global space, product types.

Everything here is plain data (no albumentations objects), so a policy can be shown,
compared, serialised back to YAML and validated before anything is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class OpSpec:
    """One op of a policy: an albumentations (or registered custom) class name and its arguments.

    Written in YAML as a one-key mapping, ``- ColorJitter: {brightness: 0.4, p: 0.8}``.
    ``params`` always holds ``p`` once resolved.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_yaml(self) -> dict[str, dict[str, Any]]:
        """The one-key mapping this op is written as in a policy file."""
        return {self.name: dict(self.params)}


@dataclass(frozen=True)
class ViewGroup:
    """A crop group of the global space: ``count`` views of ``size`` px each.

    Every view is a random resized crop (``scale``, ``ratio``) of the locally augmented
    photo, followed by ``ops``; ``per_view`` optionally adds ops to single views (DINO
    blurs its first global view always and solarises only its second).
    """

    count: int
    size: int
    scale: tuple[float, float]
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    ops: tuple[OpSpec, ...] = ()
    per_view: tuple[tuple[OpSpec, ...], ...] = ()

    def ops_for_view(self, index: int) -> tuple[OpSpec, ...]:
        """The shared ops followed by the ops specific to view ``index``."""
        extra = self.per_view[index] if index < len(self.per_view) else ()
        return tuple(self.ops) + tuple(extra)


@dataclass(frozen=True)
class GlobalSpace:
    """G = {G_h, G_l}: the task-independent part of a policy (paper §3.2)."""

    high_res: ViewGroup
    low_res: ViewGroup


@dataclass(frozen=True)
class ProductType:
    """A product type T_i as a plugin registers it.

    ``local_set`` is A_i (applied to every view before the global ops), ``preprocess`` is H
    (applied once to every source photo). ``attributes`` are the labels an evaluation
    reports for this type. ``silhouette`` names the shape the synthetic catalogue draws its
    products with (a built-in one, or one a plugin registers with ``register_silhouettes``);
    ``silhouette_attributes`` narrows that shape's attribute values, e.g.
    ``silhouette="furniture", silhouette_attributes={"subcategory": ("lamp",)}``.
    """

    name: str
    description: str
    local_set: tuple[OpSpec, ...] = ()
    preprocess: tuple[OpSpec, ...] = ()
    attributes: tuple[str, ...] = ("pattern", "color")
    silhouette: str = "generic"
    silhouette_attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Silhouette:
    """A product shape for the synthetic catalogue: its attributes and how to draw it.

    ``attributes`` maps each attribute the shape varies (``sleeve``, ``shade``, ...) to its
    values; the catalogue draws one value of each per product and writes it as a label.
    ``draw(attrs, rng, size)`` returns a :class:`skill_aug.synth.Shape` drawn on a
    :class:`skill_aug.synth.Canvas` of ``size`` px (coordinates are fractions of the canvas).
    """

    name: str
    attributes: Mapping[str, tuple[str, ...]]
    draw: Callable[..., Any]


#: The values of ``PolicySpec.source_size``: ``auto`` keeps H(x) larger for a local set that zooms
#: in (working size × its zoom, so close-ups hold the photo's pixels); ``working`` keeps it at the
#: working size (close-ups enlarged, cheapest).
SOURCE_SIZES = ("auto", "working")
#: The values of ``PolicySpec.local_set_draws``.
LOCAL_SET_DRAWS = ("per_photo", "per_view")


@dataclass(frozen=True)
class PolicySpec:
    """A fully resolved policy: H, A_i and G with every op's every parameter written out."""

    name: str
    task: str | None
    preprocess: tuple[OpSpec, ...]
    local_set: tuple[OpSpec, ...]
    global_space: GlobalSpace
    description: str = ""
    #: Shorter side (px) of the image everything after H runs on; ``None``: derived from the
    #: view sizes and crop scales (:func:`derived_working_size`).
    working_size: int | None = None
    #: How often A_i is drawn for one product: ``per_photo`` (once for x′, once for x″, as
    #: paper Eq. 1–2 write it; the views of one photo share the draw) or ``per_view``.
    local_set_draws: str = "per_photo"
    #: What H(x) is kept at for A_i (:data:`SOURCE_SIZES`); see :attr:`skill_aug.Policy.source_size`.
    source_size: str = "auto"

    @property
    def resolved_working_size(self) -> int:
        """The stated working size, else the one the global space needs."""
        return self.working_size if self.working_size is not None else derived_working_size(self.global_space)


def derived_working_size(space: GlobalSpace) -> int:
    """The smallest shorter side at which no view's crop is smaller than the view.

    A view is a crop of ``scale`` × the image's area at aspect ``ratio``, resized to ``size``
    px. Its shorter side is ``sqrt(scale · area · min(ratio, 1/ratio))``; on an image whose
    shorter side is W (area ≥ W²), the smallest crop of every group still holds ``size`` px
    when W ≥ size / sqrt(scale_min · narrowest ratio). Larger photos are scaled down to W
    after H: beyond it, the extra pixels are thrown away by every crop's resize anyway.
    """
    need = 0.0
    for group in (space.high_res, space.low_res):
        if group.count == 0:
            continue
        narrowest = min(group.ratio[0], 1 / group.ratio[1], 1.0)
        need = max(need, group.size / math.sqrt(group.scale[0] * narrowest))
    return math.ceil(need)
