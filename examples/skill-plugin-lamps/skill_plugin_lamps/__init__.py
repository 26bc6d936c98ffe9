"""skill-plugin-lamps: the ``lamp`` product type for skill-aug, and its LampGlow op.

Local set A_lamp, and why each op is in it:

- ``LampGlow``: lamps are shown switched on and off; the glow must not change the design.
- ``RegionCrop`` of the top and bottom: views of the shade and of the base, the two parts
  that make a lamp's design.
- ``Perspective``: lamps are shot slightly from above or from the side.

No colour op: the global space (ToGray, ColorJitter) already makes embeddings colour
agnostic. Preprocessing H crops to the lamp on its catalogue background and pads it to a
square with the background colour, like the built-in product types.

The synthetic catalogue draws lamps with the plugin's own silhouette (``silhouette.py``),
registered through ``register_silhouettes``.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border
from skill_plugin_lamps.lamp_glow import LampGlow
from skill_plugin_lamps.silhouette import LAMP_SILHOUETTE

__all__ = ["LAMP", "LAMP_SILHOUETTE", "LampGlow", "register_ops", "register_product_types", "register_silhouettes"]

LAMP = ProductType(
    name="lamp",
    description="Lamps: lit and unlit, shade and base details, slight top / side views",
    preprocess=catalogue_preprocessing(),
    local_set=(
        OpSpec("LampGlow", {"p": 0.4}),
        OpSpec(
            "RegionCrop",
            {
                "regions": ("top", "bottom"),
                "size_range": (0.4, 0.6),
                "jitter": 0.05,
                "threshold": 25,  # written: the op would store its default as 25.0
                "p": 0.3,
            },
        ),
        OpSpec("Perspective", {"scale": (0.02, 0.06), **replicate_border(), "p": 0.3}),
    ),
    attributes=("pattern", "shade", "color"),  # "shade" is a label of the lamp silhouette
    silhouette="lamp",  # registered below; synthetic lamps are drawn with it
)


@hookimpl
def register_ops(register: Callable[[type], None]) -> None:
    """Make ``LampGlow`` an op that policies may name."""
    register(LampGlow)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Add the ``lamp`` product type (``skill train --task lamp``, ``skill-aug preview --task lamp``)."""
    register(LAMP)


@hookimpl
def register_silhouettes(register: Callable[[Any], None]) -> None:
    """Teach the synthetic catalogue what a lamp looks like (``skill data synth --task lamp``)."""
    register(LAMP_SILHOUETTE)
