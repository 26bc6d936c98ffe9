"""Custom ops: real albumentations 2.0.8 transforms for product photos.

Importing this package defines (and so registers for ``A.load``) every op below; saved
pipelines name them ``skill_aug.ops.<ClassName>``. Policies name them by class name.

- :class:`ForegroundCrop`: crop to the product on its plain background (preprocessing H).
- :class:`PadToSquare`: pad to a square with the background colour (preprocessing H).
- :class:`RegionCrop`: crop a named region of the product (neckline, hem, sleeve, toe, ...).
- :class:`FoldShading`: vertical fold shading and pattern squeeze, as on a curtain.
- :class:`FastIllumination`: albumentations' ``Illumination``, its gain built from one row and one column.

Not for policies to name: :class:`AntialiasedResizedCrop`, the crop every view of the global
space G starts with (a policy sets its size, scale and ratio), and :class:`ShrinkToShorterSide`,
which follows a zooming op of A_i down to the working size (see :attr:`skill_aug.Policy.zoom`).

Choices every catalogue product type makes the same way (:mod:`skill_aug.ops.common`):
:func:`catalogue_preprocessing` (H: ForegroundCrop then PadToSquare) and
:func:`replicate_border` (geometric ops fill with the background, not black).
"""

from skill_aug.ops.antialiased_crop import AntialiasedResizedCrop
from skill_aug.ops.common import catalogue_preprocessing, replicate_border
from skill_aug.ops.fast_illumination import FastIllumination
from skill_aug.ops.fold_shading import FoldShading
from skill_aug.ops.foreground_crop import ForegroundCrop
from skill_aug.ops.pad_to_square import PadToSquare
from skill_aug.ops.region_crop import REGION_ANCHORS, RegionCrop
from skill_aug.ops.shrink import ShrinkToShorterSide

#: Every op this package defines, in the order ``skill-aug ops`` lists them.
CUSTOM_OPS = (ForegroundCrop, PadToSquare, RegionCrop, FoldShading, FastIllumination)

__all__ = [
    "AntialiasedResizedCrop",
    "CUSTOM_OPS",
    "REGION_ANCHORS",
    "FastIllumination",
    "FoldShading",
    "ForegroundCrop",
    "PadToSquare",
    "RegionCrop",
    "ShrinkToShorterSide",
    "catalogue_preprocessing",
    "replicate_border",
]
