"""RegionCrop: crop a named part of the product (neckline, hem, sleeve, shoe toe, ...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from albumentations.augmentations.crops.transforms import BaseCrop
from albumentations.core.pydantic import check_range_bounds, nondecreasing
from albumentations.core.transforms_interface import BaseTransformInitSchema
from pydantic import AfterValidator, Field

from skill_aug.ops.background import image_from, product_box

Region = Literal[
    "top",
    "bottom",
    "left",
    "right",
    "center",
    "upper_left",
    "upper_right",
    "lower_left",
    "lower_right",
]

#: The smallest side (px) of a region, however thin the product box (the whole image if smaller).
MIN_REGION_SIDE = 16

# Where each region's window sits inside the product box: (x, y), 0 = left/top, 1 = right/bottom.
REGION_ANCHORS: dict[str, tuple[float, float]] = {
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "center": (0.5, 0.5),
    "upper_left": (0.0, 0.0),
    "upper_right": (1.0, 0.0),
    "lower_left": (0.0, 1.0),
    "lower_right": (1.0, 1.0),
}


class RegionCrop(BaseCrop):
    """Crop one named region of the product box, so a view shows a design detail up close.

    Each call picks one of ``regions`` at random, a side fraction ``s`` from ``size_range``
    and crops an ``s·box_height × s·box_width`` window anchored at that region of the
    product box (``top`` = top centre, ``upper_left`` = top-left corner, ...), shifted by up
    to ``jitter`` of the box size in x and y. With ``reference="product"`` the box is the
    product found on its plain background (as ForegroundCrop finds it; the whole image when
    none is found); with ``reference="image"`` it is the whole image.

    Args:
        regions: the regions to choose from: top, bottom, left, right, center, upper_left,
            upper_right, lower_left, lower_right.
        size_range: range of the window side as a fraction of the box side, in (0, 1].
        jitter: largest shift of the window, as a fraction of the box size, in [0, 0.5].
        reference: ``"product"`` or ``"image"``: what the regions are parts of.
        threshold: background threshold (0..255) used to find the product.
        p: probability of applying.

    Example:
        >>> from skill_aug.ops import RegionCrop
        >>> neckline_or_hem = RegionCrop(regions=("top", "bottom"), size_range=(0.3, 0.5),
        ...                              jitter=0.05, reference="product", threshold=25, p=0.4)
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"
    #: The shortest window side (px) to cut: a policy sets its working size here, so a close-up
    #: never holds fewer pixels than G's views are cut from (a larger window, a shallower zoom,
    #: where the image is too small). 0: no floor.
    min_window = 0

    class InitSchema(BaseTransformInitSchema):
        regions: tuple[Region, ...] = Field(min_length=1)
        size_range: Annotated[
            tuple[float, float],
            AfterValidator(check_range_bounds(0, 1, min_inclusive=False)),
            AfterValidator(nondecreasing),
        ]
        jitter: float = Field(ge=0, le=0.5)
        reference: Literal["product", "image"]
        threshold: float = Field(ge=0, le=255)

    def __init__(
        self,
        regions: tuple[Region, ...] = ("top", "bottom", "left", "right", "center"),
        size_range: tuple[float, float] = (0.3, 0.6),
        jitter: float = 0.1,
        reference: Literal["product", "image"] = "product",
        threshold: float = 25,
        p: float = 0.5,
    ):
        super().__init__(p=p)
        self.regions = regions
        self.size_range = size_range
        self.jitter = jitter
        self.reference = reference
        self.threshold = threshold

    @classmethod
    def max_zoom(cls, params: dict[str, Any]) -> float:
        """How far a close-up can enlarge: the box side over the smallest window side.

        The policy keeps H(x) this much larger than the working size (see
        :attr:`skill_aug.Policy.zoom`), so on a large photo the window holds the photo's pixels
        instead of enlarging the working image's.
        """
        low = params.get("size_range", (0.3, 0.6))[0]
        return 1.0 / float(low)

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Choose a region, a size and a shift; return the window as ``crop_coords``."""
        image = image_from(data)
        height, width = image.shape[:2]
        box = product_box(image, self.threshold) if self.reference == "product" else None
        box_x, box_y, box_x_max, box_y_max = box if box is not None else (0, 0, width, height)
        box_w, box_h = box_x_max - box_x, box_y_max - box_y

        region = self.py_random.choice(self.regions)
        side = self.py_random.uniform(*self.size_range)
        shift_x = self.py_random.uniform(-self.jitter, self.jitter)
        shift_y = self.py_random.uniform(-self.jitter, self.jitter)

        # a sliver of a thin product box holds no design, and grid ops after it divide by its side
        crop_w = min(width, max(MIN_REGION_SIDE, round(side * box_w)))
        crop_h = min(height, max(MIN_REGION_SIDE, round(side * box_h)))
        if min(crop_w, crop_h) < self.min_window:  # too few pixels for the views: zoom in less
            grow = self.min_window / min(crop_w, crop_h)
            crop_w, crop_h = min(width, round(crop_w * grow)), min(height, round(crop_h * grow))
        anchor_x, anchor_y = REGION_ANCHORS[region]
        x_min = round(box_x + anchor_x * (box_w - crop_w) + shift_x * box_w)
        y_min = round(box_y + anchor_y * (box_h - crop_h) + shift_y * box_h)
        x_min = min(max(0, x_min), width - crop_w)
        y_min = min(max(0, y_min), height - crop_h)
        return {"crop_coords": (x_min, y_min, x_min + crop_w, y_min + crop_h), "region": region}
