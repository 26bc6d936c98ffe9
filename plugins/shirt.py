"""Shirts: pattern and sleeve attributes, photographed folded, flat or on a model.

Local set A_shirt, and why each op is in it:

- ``RegionCrop`` of the top, upper corners and centre: views of the collar, the shoulder
  and sleeve, and the placket / pocket area, so collar type, sleeve length and small print
  or check details must be represented, not only the shirt's outline.
- ``Affine`` (rotation up to 12 degrees, small scale): flat-lay and folded shirts are shot
  at many angles; the design does not change with them.
- ``GridDistortion``: creases and wrinkles bend stripes and checks locally; the warp teaches
  that a slightly bent check is still the same check.
- ``Perspective``: mild camera tilt.

No colour op (the global space handles colour invariance). Geometric ops replicate the
plain background at the border. Preprocessing H crops to the shirt and pads it to a square
with the background colour.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("top", "upper_left", "upper_right", "center"),
            "size_range": (0.3, 0.55),
            "jitter": 0.05,
            "threshold": 25,  # written: the op would store its default as 25.0
            "p": 0.3,
        },
    ),
    OpSpec(
        "Affine",
        {
            "scale": (0.9, 1.1),
            "translate_percent": (0.0, 0.0),
            "rotate": (-12.0, 12.0),
            "shear": (0.0, 0.0),  # written: the op would store its default as {x, y}
            "keep_ratio": True,
            **replicate_border(),
            "p": 0.3,
        },
    ),
    OpSpec("GridDistortion", {"distort_limit": (-0.1, 0.1), **replicate_border(), "p": 0.25}),
    OpSpec("Perspective", {"scale": (0.02, 0.05), **replicate_border(), "p": 0.2}),
)

SHIRT = ProductType(
    name="shirt",
    description="Shirts: collar, sleeve and placket details, creases, flat-lay angles",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "sleeve", "color"),
    silhouette="shirt",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``shirt`` product type."""
    register(SHIRT)
