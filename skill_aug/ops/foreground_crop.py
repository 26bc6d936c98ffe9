"""ForegroundCrop: crop a catalogue photo to its product (the first step of preprocessing H)."""

from __future__ import annotations

from typing import Any

from albumentations.augmentations.crops.transforms import BaseCrop
from albumentations.core.transforms_interface import BaseTransformInitSchema
from pydantic import Field

from skill_aug.ops.background import image_from, product_box


class ForegroundCrop(BaseCrop):
    """Crop to the product on its plain background, keeping a margin around it.

    The background colour is the median of the image border; the product is every pixel
    differing from it by more than ``threshold`` (uint8 units, any channel). The crop is the
    product's bounding box widened by ``margin`` of its size on each side. When no product is
    found (busy background, or under ``min_area`` of the image differs) the image is returned
    unchanged. Deterministic: it draws no random numbers.

    Args:
        threshold: largest per-channel difference from the background still counted as
            background, in 0..255 (scaled to 0..1 for float images).
        margin: extra room on each side, as a fraction of the box's width / height.
        min_area: the smallest product, as a fraction of the image area, worth cropping to.
        p: probability of applying.

    Example:
        >>> import albumentations as A
        >>> from skill_aug.ops import ForegroundCrop
        >>> crop = A.Compose([ForegroundCrop(threshold=25, margin=0.05, min_area=0.005, p=1.0)])
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"
    #: No random draw (same input, same output): ``skill data prepare`` may store its result once.
    draws_nothing = True

    class InitSchema(BaseTransformInitSchema):
        threshold: float = Field(ge=0, le=255)
        margin: float = Field(ge=0, le=1)
        min_area: float = Field(ge=0, lt=1)

    def __init__(
        self,
        threshold: float = 25,
        margin: float = 0.05,
        min_area: float = 0.005,
        p: float = 1.0,
    ):
        super().__init__(p=p)
        self.threshold = threshold
        self.margin = margin
        self.min_area = min_area

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The crop box: the product box plus margin, or the whole image when none is found."""
        image = image_from(data)
        height, width = image.shape[:2]
        box = product_box(image, self.threshold, self.min_area)
        if box is None:
            return {"crop_coords": (0, 0, width, height)}
        x_min, y_min, x_max, y_max = box
        pad_x = round(self.margin * (x_max - x_min))
        pad_y = round(self.margin * (y_max - y_min))
        return {
            "crop_coords": (
                max(0, x_min - pad_x),
                max(0, y_min - pad_y),
                min(width, x_max + pad_x),
                min(height, y_max + pad_y),
            )
        }
