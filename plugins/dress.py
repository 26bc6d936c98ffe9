"""Women's dresses: the paper's hardest product type (pattern and sleeve attributes).

Local set A_dress, and why each op is in it:

- ``Affine`` (small rotation, shear, scale): a dress hangs on a hanger, a mannequin or a
  model at slightly different tilts and distances in every photo of the same product.
- ``Perspective``: the camera is seldom square to the garment.
- ``GridDistortion``: fabric drapes and flows; a gentle smooth warp moves the pattern the
  way drape does, without changing which pattern it is. (ElasticTransform looks alike but
  costs 5-20x more per view, measured on 224-512 px photos.)

No ``RegionCrop`` (close-ups of the neckline, sleeves and hem), although the other first-party
types start their local sets with one. Over three seeds on the synthetic dress catalogue at the
CPU budget, dress with it scored below dress without it: pattern linear -3.7 points
[-6.2, -1.1], k-NN -3.9 [-8.7, +1.0], colour entropy -0.26 [-0.38, -0.13]. The sleeve
attribute, the detail the close-ups were meant to teach, moved +1.4 [-2.2, +4.9]. The views show
why (``benchmarks/view_scale.py``, docs/ablations.md "Dress"). A_i runs after the shrink to the
working size, so a close-up of 0.35-0.6 of the dress that G then crops again is enlarged from
pixels the photo no longer has: 24 % of high-resolution views more than 1.5x at the CPU
preset, 18 % at the paper's views. An enlarged close-up keeps the colour and blurs the pattern,
so colour becomes the cue its two views share. Without the op, dress scores as well as with no
local set at all. Since then a policy whose local set zooms keeps H(x) at up to twice the
working size and never cuts a close-up with fewer pixels than the working size (docs/plugins.md,
"A zooming op declares its zoom"): on a large photo the close-up is photographed, on a small one
it widens. Whether that makes ``RegionCrop`` worth having for dresses needs real photos larger
than the working size to tell (on the 128 px synthetic catalogue it now does nothing); until
then dress stays without it.

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
    description="Women's dresses: drape, pose, camera angle",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "sleeve", "color"),
    silhouette="dress",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``dress`` product type."""
    register(DRESS)
