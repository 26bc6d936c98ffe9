"""Curtains: a flat pattern that is almost always photographed hanging in folds.

Local set A_curtains, and why each op is in it:

- ``FoldShading``: the same curtain shows 3 to 8 folds, darker valleys and a pattern
  squeezed where the fabric turns away, depending on how it was hung; the pattern design
  must survive all of that.
- ``RegionCrop`` of the centre, top and bottom: close views of the pattern itself, of the
  header (rings, tabs, pleats) and of the hem.
- ``Perspective``: curtains are shot in rooms, at an angle to the window.
- ``FastIllumination`` (gaussian): a window behind or beside the curtain lights it unevenly.

No colour op (the global space handles colour). Preprocessing H crops to the curtain on
its background and pads it to a square with the background colour.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec("FoldShading", {"p": 0.5}),
    OpSpec(
        "RegionCrop",
        {
            "regions": ("center", "top", "bottom"),
            "size_range": (0.3, 0.6),
            "threshold": 25,  # written: the op would store its default as 25.0
            "p": 0.3,
        },
    ),
    OpSpec("Perspective", {"scale": (0.02, 0.06), **replicate_border(), "p": 0.3}),
    OpSpec(
        "FastIllumination",
        {"mode": "gaussian", "intensity_range": (0.05, 0.2), "sigma_range": (0.3, 1.0), "p": 0.3},
    ),
)

CURTAINS = ProductType(
    name="curtains",
    description="Curtains: folds, pattern close-ups, header and hem, window light",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "color"),
    silhouette="curtains",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``curtains`` product type."""
    register(CURTAINS)
