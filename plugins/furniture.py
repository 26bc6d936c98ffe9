"""Furniture (the paper's "hard-line" set): subcategory, upholstery pattern and colour.

Local set A_furniture, and why each op is in it:

- ``RegionCrop`` of the centre, top and bottom: views of the upholstery pattern, the
  backrest and the legs / base, the details that tell subcategories and styles apart.
- ``Perspective`` (strong): a sofa or a chair is shot from the front, from three quarters,
  from above; the design is the same object from every one of those viewpoints.
- ``FastIllumination``: studio and room lighting fall off across a large object; a lighting
  gradient must not change the embedding of the design.

``RegionCrop`` comes first: the tilt and the lighting then act on the close-up the view is
cut from, a detail seen at an angle or under a gradient as the photo of a whole piece is, and
every op after the close-up runs at the working size rather than at the source size (twice
the side): 9 % more products/s from prepared 1024 px photos (docs/performance.md).

No rotation beyond the perspective tilt (furniture stands upright in every catalogue) and
no colour op (the global space handles colour). Preprocessing H crops to the piece on its
background and pads it to a square with the background colour.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("center", "top", "bottom"),
            "size_range": (0.35, 0.6),
            "threshold": 25,  # written: the op would store its default as 25.0
            "p": 0.3,
        },
    ),
    OpSpec("Perspective", {"scale": (0.03, 0.1), **replicate_border(), "p": 0.5}),
    OpSpec("FastIllumination", {"intensity_range": (0.05, 0.2), "p": 0.3}),
)

FURNITURE = ProductType(
    name="furniture",
    description="Furniture: viewpoint, room lighting, upholstery / backrest / leg details",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("subcategory", "pattern", "color"),
    silhouette="furniture",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``furniture`` product type."""
    register(FURNITURE)
