"""ShrinkToShorterSide: the step inside A_i that brings a zoomed image down to the working size."""

from __future__ import annotations

from typing import Any

import numpy as np
from albumentations.core.transforms_interface import ImageOnlyTransform

from skill_aug.images import shrink_to_shorter_side


class ShrinkToShorterSide(ImageOnlyTransform):
    """Scale the image down so its shorter side is ``side`` px (never up), anti-aliased.

    A policy whose local set zooms in (``RegionCrop``) keeps H(x) larger than the working size,
    so a close-up is cut from the photo's own pixels; this step follows A_i's last zooming op
    and hands the rest of A_i and G the working size again. It draws no random number, so
    adding it changes no other op's draws.
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"
    draws_nothing = True

    def __init__(self, side: int, p: float = 1.0):
        super().__init__(p=p)
        self.side = side

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        """``img`` with its shorter side at most ``side`` px."""
        return shrink_to_shorter_side(img, self.side)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("side",)
