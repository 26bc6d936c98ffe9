"""Choices every catalogue product type makes the same way: preprocessing H and the border.

A product type writes only the arguments it chooses; the policy resolver fills every other
constructor default into the resolved policy. These helpers hold the few op arguments that
every catalogue product type shares, so a plugin states them by name.

    >>> from skill_aug import OpSpec, ProductType
    >>> from skill_aug.ops import catalogue_preprocessing, replicate_border
    >>> mug = ProductType(
    ...     name="mug",
    ...     description="Mugs",
    ...     preprocess=catalogue_preprocessing(),
    ...     local_set=(OpSpec("Perspective", {"scale": (0.02, 0.06), **replicate_border(), "p": 0.3}),),
    ... )
"""

from __future__ import annotations

from typing import Any

import cv2

from skill_aug.spec import OpSpec


def catalogue_preprocessing() -> tuple[OpSpec, ...]:
    """Preprocessing H for catalogue photos: ``ForegroundCrop``, then ``PadToSquare``.

    Crops each photo to the product on its plain background and pads it to a square with
    that background colour, so every view starts from the product at the same framing.
    """
    # threshold and fill_mask are the ops' defaults, written so the resolved policy keeps
    # the integers the spelled-out policies show (the ops store their defaults as floats).
    return (
        OpSpec("ForegroundCrop", {"threshold": 25, "p": 1.0}),
        OpSpec("PadToSquare", {"fill_mask": 0, "p": 1.0}),
    )


def replicate_border() -> dict[str, Any]:
    """Border arguments for geometric albumentations ops (``Affine``, ``Perspective``, ...).

    Pixels a warp brings in copy the nearest edge, that is the plain catalogue background,
    instead of the black that albumentations pads with by default.
    """
    # fill and fill_mask go unused with a replicated border; they are written as integers
    # so the resolved policy matches the spelled-out policies (albumentations stores 0.0).
    return {"border_mode": cv2.BORDER_REPLICATE, "fill": 0, "fill_mask": 0}
