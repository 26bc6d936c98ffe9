"""LampGlow: the light of a switched-on lamp, as a custom albumentations transform."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from albumentations.core.pydantic import check_range_bounds, nondecreasing
from albumentations.core.transforms_interface import BaseTransformInitSchema, ImageOnlyTransform
from pydantic import AfterValidator

# A (low, high) range whose values lie in [0, 1].
UnitRange = Annotated[tuple[float, float], AfterValidator(check_range_bounds(0, 1)), AfterValidator(nondecreasing)]


class LampGlow(ImageOnlyTransform):
    """Brighten a soft round spot towards white, as a lit bulb or a glowing shade does.

    The same lamp is photographed switched on and switched off; its design (shade shape,
    base, pattern) does not change. Each call draws the glow's centre (as fractions of the
    width and height), its radius (a fraction of the shorter side) and its strength (the
    share of the way to white at the centre), and blends a Gaussian spot in.

    Args:
        center_x_range: range of the glow centre's x, as a fraction of the width.
        center_y_range: range of the glow centre's y, as a fraction of the height
            (lamps glow in their upper half, where bulb and shade are).
        radius_range: range of the glow radius, as a fraction of the shorter side.
        intensity_range: range of the blend towards white at the centre, in [0, 1].
        p: probability of applying.
    """

    class InitSchema(BaseTransformInitSchema):
        center_x_range: UnitRange
        center_y_range: UnitRange
        radius_range: Annotated[
            tuple[float, float], AfterValidator(check_range_bounds(0, 1, min_inclusive=False)), AfterValidator(nondecreasing)
        ]
        intensity_range: UnitRange

    def __init__(
        self,
        center_x_range: tuple[float, float] = (0.35, 0.65),
        center_y_range: tuple[float, float] = (0.1, 0.45),
        radius_range: tuple[float, float] = (0.1, 0.3),
        intensity_range: tuple[float, float] = (0.2, 0.5),
        p: float = 0.5,
    ):
        super().__init__(p=p)
        # Every argument is stored under its own name: that is what A.save writes.
        self.center_x_range = center_x_range
        self.center_y_range = center_y_range
        self.radius_range = radius_range
        self.intensity_range = intensity_range

    def get_params(self) -> dict[str, Any]:
        """Draw the glow from the transform's own seeded generator (never global random)."""
        return {
            "center_x": self.py_random.uniform(*self.center_x_range),
            "center_y": self.py_random.uniform(*self.center_y_range),
            "radius": self.py_random.uniform(*self.radius_range),
            "intensity": self.py_random.uniform(*self.intensity_range),
        }

    def apply(
        self, img: np.ndarray, center_x: float, center_y: float, radius: float, intensity: float, **params: Any
    ) -> np.ndarray:
        """Blend the image towards white with a Gaussian weight around the centre."""
        height, width = img.shape[:2]
        sigma = max(1.0, radius * min(height, width))
        # The Gaussian is separable: an outer product of two 1-D profiles is cheap.
        wy = np.exp(-0.5 * ((np.arange(height, dtype=np.float32) - center_y * height) / sigma) ** 2)
        wx = np.exp(-0.5 * ((np.arange(width, dtype=np.float32) - center_x * width) / sigma) ** 2)
        weight = intensity * np.outer(wy, wx)
        if img.ndim == 3:
            weight = weight[:, :, None]
        white = 255.0 if img.dtype == np.uint8 else 1.0
        out = img + (white - img.astype(np.float32)) * weight
        if img.dtype == np.uint8:
            return (out + 0.5).astype(np.uint8)  # stays <= 255.5: the blend never passes white
        return out.astype(img.dtype)
