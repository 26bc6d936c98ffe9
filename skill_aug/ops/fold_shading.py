"""FoldShading: vertical folds as on a hanging curtain (periodic shading plus pattern squeeze)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import cv2
import numpy as np
from albumentations.core.pydantic import check_range_bounds, nondecreasing
from albumentations.core.transforms_interface import BaseTransformInitSchema, ImageOnlyTransform
from pydantic import AfterValidator

# A horizontal warp x + a·P·sin(2πx/P) stays one-to-one only while 2πa < 1.
_MAX_WARP = 0.15


class FoldShading(ImageOnlyTransform):
    """Shade the image in vertical sinusoidal bands and squeeze the pattern along them.

    A curtain hangs in folds: the pattern is the same, but every photo shows it with a
    different number of folds, darker valleys and a pattern compressed where the fabric
    turns away. Each call draws ``folds`` periods across the width (a random phase), a
    darkening ``depth`` for the valleys and a horizontal ``warp`` amplitude (a fraction of
    one fold's width; 0 shades only). Size and dtype are kept.

    Args:
        folds_range: range of the number of folds across the image width (integers >= 1).
        depth_range: range of how much darker a valley is than a ridge, in [0, 1].
        warp_range: range of the pattern squeeze, as a fraction of a fold's width, in [0, 0.15].
        p: probability of applying.

    Example:
        >>> from skill_aug.ops import FoldShading
        >>> folds = FoldShading(folds_range=(3, 8), depth_range=(0.1, 0.35),
        ...                     warp_range=(0.0, 0.1), p=0.5)
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"

    class InitSchema(BaseTransformInitSchema):
        folds_range: Annotated[tuple[int, int], AfterValidator(check_range_bounds(1, 64)), AfterValidator(nondecreasing)]
        depth_range: Annotated[tuple[float, float], AfterValidator(check_range_bounds(0, 1)), AfterValidator(nondecreasing)]
        warp_range: Annotated[
            tuple[float, float], AfterValidator(check_range_bounds(0, _MAX_WARP)), AfterValidator(nondecreasing)
        ]

    def __init__(
        self,
        folds_range: tuple[int, int] = (3, 8),
        depth_range: tuple[float, float] = (0.1, 0.35),
        warp_range: tuple[float, float] = (0.0, 0.1),
        p: float = 0.5,
    ):
        super().__init__(p=p)
        self.folds_range = folds_range
        self.depth_range = depth_range
        self.warp_range = warp_range

    def get_params(self) -> dict[str, Any]:
        """Draw the number of folds, their phase, the valley depth and the warp amplitude."""
        return {
            "folds": self.py_random.randint(*self.folds_range),
            "phase": self.py_random.uniform(0, 2 * math.pi),
            "depth": self.py_random.uniform(*self.depth_range),
            "warp": self.py_random.uniform(*self.warp_range),
        }

    def apply(self, img: np.ndarray, folds: int, phase: float, depth: float, warp: float, **params: Any) -> np.ndarray:
        """Warp the columns along the folds, then multiply by the shading profile."""
        height, width = img.shape[:2]
        period = width / folds
        x = np.arange(width, dtype=np.float32)
        angle = (2 * math.pi / period) * x + phase
        if warp > 0:
            source_x = (x + np.float32(warp * period) * np.sin(angle)).astype(np.float32)
            map_x = np.repeat(source_x[None, :], height, axis=0)
            map_y = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
            # Fixed-point maps remap faster than float ones, conversion included.
            fixed_xy, fixed_frac = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
            img = cv2.remap(img, fixed_xy, fixed_frac, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        # Ridges (cos = 1) keep their brightness; valleys (cos = -1) lose ``depth`` of it.
        gain = (1.0 - depth * 0.5 * (1.0 - np.cos(angle))).astype(np.float32)
        channels = 1 if img.ndim == 2 else img.shape[2]
        if img.dtype == np.uint8 and channels <= 4:
            # OpenCV multiplies uint8 by a float gain with rounding and saturation in one pass.
            row = np.repeat(gain.reshape(1, width, 1), channels, axis=2).reshape(1, width, channels)
            gain_image = _stretch_rows(row if channels > 1 else row[:, :, 0], height)
            return cv2.multiply(img, gain_image, dtype=cv2.CV_8U).reshape(img.shape)
        shape = (1, width, 1) if img.ndim == 3 else (1, width)
        return (img * gain.reshape(shape)).astype(img.dtype)


def _stretch_rows(row: np.ndarray, height: int) -> np.ndarray:
    """Repeat a 1-row array ``height`` times (one OpenCV call, faster than numpy tiling)."""
    return cv2.resize(row, (row.shape[1], height), interpolation=cv2.INTER_NEAREST)
