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

import cv2

from skill_aug import OpSpec, ProductType, hookimpl

PREPROCESS = (
    OpSpec("ForegroundCrop", {"threshold": 25, "margin": 0.05, "min_area": 0.005, "p": 1.0}),
    OpSpec("PadToSquare", {"fill": "border", "fill_mask": 0, "p": 1.0}),
)

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("top", "upper_left", "upper_right", "center"),
            "size_range": (0.3, 0.55),
            "jitter": 0.05,
            "reference": "product",
            "threshold": 25,
            "p": 0.3,
        },
    ),
    OpSpec(
        "Affine",
        {
            "scale": (0.9, 1.1),
            "translate_percent": (0.0, 0.0),
            "translate_px": None,
            "rotate": (-12.0, 12.0),
            "shear": (0.0, 0.0),
            "interpolation": cv2.INTER_LINEAR,
            "mask_interpolation": cv2.INTER_NEAREST,
            "fit_output": False,
            "keep_ratio": True,
            "rotate_method": "largest_box",
            "balanced_scale": False,
            "border_mode": cv2.BORDER_REPLICATE,
            "fill": 0,
            "fill_mask": 0,
            "p": 0.3,
        },
    ),
    OpSpec(
        "GridDistortion",
        {
            "num_steps": 5,
            "distort_limit": (-0.1, 0.1),
            "interpolation": cv2.INTER_LINEAR,
            "normalized": True,
            "mask_interpolation": cv2.INTER_NEAREST,
            "keypoint_remapping_method": "mask",
            "border_mode": cv2.BORDER_REPLICATE,
            "fill": 0,
            "fill_mask": 0,
            "p": 0.25,
        },
    ),
    OpSpec(
        "Perspective",
        {
            "scale": (0.02, 0.05),
            "keep_size": True,
            "fit_output": False,
            "interpolation": cv2.INTER_LINEAR,
            "mask_interpolation": cv2.INTER_NEAREST,
            "border_mode": cv2.BORDER_REPLICATE,
            "fill": 0,
            "fill_mask": 0,
            "p": 0.2,
        },
    ),
)

SHIRT = ProductType(
    name="shirt",
    description="Shirts: collar, sleeve and placket details, creases, flat-lay angles",
    local_set=LOCAL_SET,
    preprocess=PREPROCESS,
    attributes=("pattern", "sleeve", "color"),
    silhouette="shirt",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``shirt`` product type."""
    register(SHIRT)
