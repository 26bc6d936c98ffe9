"""Shoes: shape and material pattern, shot in side, three-quarter and top views.

Local set A_shoes, and why each op is in it:

- ``RegionCrop`` of the left, right, centre and top: the toe box (left or right, whichever
  way the shoe points), the vamp and lacing, and the collar / heel; toe shape and lacing
  are what tell one design from another at a glance.
- ``Affine`` (rotation up to 20 degrees, scale): shoes and pairs are laid out at an angle.
- ``Perspective``: side and three-quarter views of the same shoe.

Which way the toe points is left to the global horizontal flip. No colour op (the global
space handles colour). Preprocessing H crops to the shoe on its background and pads it to
a square with the background colour.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("left", "right", "center", "top"),
            "size_range": (0.4, 0.65),
            "jitter": 0.05,
            "threshold": 25,  # written: the op would store its default as 25.0
            "p": 0.3,
        },
    ),
    OpSpec(
        "Affine",
        {
            "scale": (0.85, 1.1),
            "translate_percent": (0.0, 0.0),
            "rotate": (-20.0, 20.0),
            "shear": (0.0, 0.0),  # written: the op would store its default as {x, y}
            "keep_ratio": True,
            **replicate_border(),
            "p": 0.4,
        },
    ),
    OpSpec("Perspective", {"scale": (0.03, 0.08), **replicate_border(), "p": 0.3}),
)

SHOES = ProductType(
    name="shoes",
    description="Shoes: toe, lacing and heel details, layout angle, side / three-quarter views",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "color"),
    silhouette="shoes",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``shoes`` product type."""
    register(SHOES)
