"""Wall art: prints, canvases and posters, whose design is the picture itself.

Local set A_wall-art, and why each op is in it:

- ``RegionCrop`` of the centre and the four corners: close views of the motif, its brush
  or print texture, and the frame / mat at the corners.
- ``RandomRotate90``: the same print is sold in portrait and landscape and abstract art
  hangs either way; the paper asks for embeddings agnostic to orientation. Its cost, measured
  over three seeds at the CPU budget: in three pairs of eight one view's horizontal stripes
  are the other's vertical ones, and the embedding then takes stripes for checks 3.5× as often
  (docs/ablations.md). Where orientation is part of the design (striped or directional
  prints), drop it: ``extends: wall-art`` with a ``local_set`` without it.
- ``Perspective`` (strong): listings show the piece hanging on a wall, seen at an angle.
- ``FastIllumination`` (corner): gallery spots and glass glare light one corner more than
  another.

``RegionCrop`` comes first: its regions are symmetric under a quarter turn, so rotating
before or after the close-up draws the same views, and every op after the close-up runs at
the working size rather than at the source size (twice the side).

No colour op (the global space handles colour). Preprocessing H crops to the piece on its
background (a no-op for full-bleed scans) and pads it to a square with the background colour.
"""

from __future__ import annotations

from typing import Any, Callable

from skill_aug import OpSpec, ProductType, hookimpl
from skill_aug.ops import catalogue_preprocessing, replicate_border

LOCAL_SET = (
    OpSpec(
        "RegionCrop",
        {
            "regions": ("center", "upper_left", "upper_right", "lower_left", "lower_right"),
            "size_range": (0.35, 0.6),
            "jitter": 0.05,
            "threshold": 25,  # written: the op would store its default as 25.0
            "p": 0.3,
        },
    ),
    OpSpec("RandomRotate90", {"p": 0.5}),
    OpSpec("Perspective", {"scale": (0.03, 0.1), **replicate_border(), "p": 0.4}),
    OpSpec("FastIllumination", {"mode": "corner", "intensity_range": (0.05, 0.2), "p": 0.3}),
)

WALL_ART = ProductType(
    name="wall-art",
    description="Wall art: orientation, wall-hung viewpoint, glare, motif close-ups",
    local_set=LOCAL_SET,
    preprocess=catalogue_preprocessing(),
    attributes=("pattern", "color"),
    silhouette="wall-art",
)


@hookimpl
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register the ``wall-art`` product type."""
    register(WALL_ART)
