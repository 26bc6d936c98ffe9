"""Women's dresses: the paper's hardest product type (pattern and sleeve attributes).

Local set A_dress, and why each op is in it:

- ``RegionCrop`` of the top, upper corners and bottom of the dress: views of the neckline,
  the sleeves and the hem, so the model must learn those design details (sleeve length,
  neckline shape, hem cut) rather than only the overall outline.
- ``Affine`` (small rotation, shear, scale): a dress hangs on a hanger, a mannequin or a
  model at slightly different tilts and distances in every photo of the same product.
- ``Perspective``: the camera is seldom square to the garment.
- ``GridDistortion``: fabric drapes and flows; a gentle smooth warp moves the pattern the
  way drape does, without changing which pattern it is. (ElasticTransform looks alike but
  costs 5-20x more per view, measured on 224-512 px photos.)

No hue or colour op: colour invariance is the global space's job (ToGray, ColorJitter), so
A_i stays about geometry and detail. Geometric ops replicate the border (the plain
background) instead of padding with black. Preprocessing H crops to the dress on its
catalogue background and pads it to a square with that background colour.
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
            "regions": ("top", "upper_left", "upper_right", "bottom"),
            "size_range": (0.35, 0.6),
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
            "rotate": (-8.0, 8.0),
            "shear": (-5.0, 5.0),
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
    OpSpec(
        "GridDistortion",
        {
            "num_steps": 5,
            "distort_limit": (-0.15, 0.15),
            "interpolation": cv2.INTER_LINEAR,
            "normalized": True,
            "mask_interpolation": cv2.INTER_NEAREST,
            "keypoint_remapping_method": "mask",
            "border_mode": cv2.BORDER_REPLICATE,
            "fill": 0,
            "fill_mask": 0,
            "p": 0.3,
        },
    ),
)

DRESS = ProductType(
    name="dress",
    description="Women's dresses: neckline, sleeve and hem details, drape, pose",
    local_set=LOCAL_SET,
    preprocess=PREPROCESS,
    attributes=("pattern", "sleeve", "color"),
    silhouette="dress",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``dress`` product type."""
    register(DRESS)
