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

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("top", "upper_left", "upper_right", "bottom"),
            "size_range": (0.35, 0.6),
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
            "rotate": (-8.0, 8.0),
            "shear": (-5.0, 5.0),
            "keep_ratio": True,
            **replicate_border(),
            "p": 0.3,
        },
    ),
    OpSpec("Perspective", {"scale": (0.02, 0.06), **replicate_border(), "p": 0.3}),
    OpSpec("GridDistortion", {"distort_limit": (-0.15, 0.15), **replicate_border(), "p": 0.3}),
)

DRESS = ProductType(
    name="dress",
    description="Women's dresses: neckline, sleeve and hem details, drape, pose",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "sleeve", "color"),
    silhouette="dress",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``dress`` product type."""
    register(DRESS)
