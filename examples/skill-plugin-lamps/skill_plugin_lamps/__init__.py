"""skill-plugin-lamps: the ``lamp`` product type for skill-aug, and its LampGlow op.

Local set A_lamp, and why each op is in it:

- ``LampGlow``: lamps are shown switched on and off; the glow must not change the design.
- ``RegionCrop`` of the top and bottom: views of the shade and of the base, the two parts
  that make a lamp's design.
- ``Perspective``: lamps are shot slightly from above or from the side.

No colour op: the global space (ToGray, ColorJitter) already makes embeddings colour
agnostic. Preprocessing H crops to the lamp on its catalogue background and pads it to a
square with the background colour, like the built-in product types.
"""

from __future__ import annotations

from typing import Any, Callable

import cv2

from skill_aug import OpSpec, ProductType, hookimpl
from skill_plugin_lamps.lamp_glow import LampGlow

__all__ = ["LAMP", "LampGlow", "register_ops", "register_product_types"]

LAMP = ProductType(
    name="lamp",
    description="Lamps: lit and unlit, shade and base details, slight top / side views",
    preprocess=(
        OpSpec("ForegroundCrop", {"threshold": 25, "margin": 0.05, "min_area": 0.005, "p": 1.0}),
        OpSpec("PadToSquare", {"fill": "border", "fill_mask": 0, "p": 1.0}),
    ),
    local_set=(
        OpSpec(
            "LampGlow",
            {
                "center_x_range": (0.35, 0.65),
                "center_y_range": (0.1, 0.45),
                "radius_range": (0.1, 0.3),
                "intensity_range": (0.2, 0.5),
                "p": 0.4,
            },
        ),
        OpSpec(
            "RegionCrop",
            {
                "regions": ("top", "bottom"),
                "size_range": (0.4, 0.6),
                "jitter": 0.05,
                "reference": "product",
                "threshold": 25,
                "p": 0.3,
            },
        ),
        OpSpec(
            "Perspective",
            {
                "scale": (0.02, 0.06),
                "keep_size": True,
                "fit_output": False,
                "interpolation": cv2.INTER_LINEAR,
                "mask_interpolation": cv2.INTER_NEAREST,
                "border_mode": cv2.BORDER_REPLICATE,
                "fill": 0,
                "fill_mask": 0,
                "p": 0.3,
            },
        ),
    ),
    attributes=("pattern", "color"),
    # The synthetic catalogue has no lamp shape; "generic" is its shape for any product.
    silhouette="generic",
)


@hookimpl
def register_ops(register: Callable[[type], None]) -> None:
    """Make ``LampGlow`` an op that policies may name."""
    register(LampGlow)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Add the ``lamp`` product type (``skill train --task lamp``, ``skill-aug preview --task lamp``)."""
    register(LAMP)
