"""PadToSquare: pad a photo to a square with its own background colour (preprocessing H)."""

from __future__ import annotations

from typing import Any, Literal, Union

import cv2
import numpy as np
from albumentations.augmentations.geometric import functional as fgeometric
from albumentations.core.bbox_utils import denormalize_bboxes, normalize_bboxes
from albumentations.core.transforms_interface import BaseTransformInitSchema, DualTransform
from albumentations.core.type_definitions import Targets

from skill_aug.ops.background import background_color, image_from


class PadToSquare(DualTransform):
    """Pad the shorter side (evenly on both ends) so the image becomes square.

    A tall dress and a wide sofa then both fill a square view without being squashed by
    the resize that follows. With ``fill="border"`` the padding takes the median colour of
    the image border, so the product sits on a seamless continuation of its own background.

    Args:
        fill: ``"border"``, or a constant colour (one number, or one per channel).
        fill_mask: the value padded into masks.
        p: probability of applying.

    Example:
        >>> import albumentations as A
        >>> from skill_aug.ops import PadToSquare
        >>> pad = A.Compose([PadToSquare(fill="border", fill_mask=0, p=1.0)])
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"
    #: No random draw (same input, same output): ``skill data prepare`` may store its result once.
    draws_nothing = True

    _targets = (Targets.IMAGE, Targets.MASK, Targets.BBOXES, Targets.KEYPOINTS)

    class InitSchema(BaseTransformInitSchema):
        fill: Union[Literal["border"], float, tuple[float, ...]]
        fill_mask: float

    def __init__(
        self,
        fill: Literal["border"] | float | tuple[float, ...] = "border",
        fill_mask: float = 0,
        p: float = 1.0,
    ):
        super().__init__(p=p)
        self.fill = fill
        self.fill_mask = fill_mask

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Padding per side and the colour to pad with."""
        image = image_from(data)
        height, width = image.shape[:2]
        side = max(height, width)
        pad_top = (side - height) // 2
        pad_left = (side - width) // 2
        if side == height and side == width:
            pad_value: Any = 0
        elif self.fill == "border":
            pad_value = background_color(image)
        else:
            pad_value = self.fill
        return {
            "pad_top": pad_top,
            "pad_bottom": side - height - pad_top,
            "pad_left": pad_left,
            "pad_right": side - width - pad_left,
            "pad_value": pad_value,
        }

    def apply(
        self,
        img: np.ndarray,
        pad_top: int,
        pad_bottom: int,
        pad_left: int,
        pad_right: int,
        pad_value: Any,
        **params: Any,
    ) -> np.ndarray:
        """Pad an image with the chosen colour."""
        if pad_top == pad_bottom == pad_left == pad_right == 0:
            return img
        return fgeometric.pad_with_params(
            img, pad_top, pad_bottom, pad_left, pad_right, border_mode=cv2.BORDER_CONSTANT, value=pad_value
        )

    def apply_to_mask(
        self, mask: np.ndarray, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int, **params: Any
    ) -> np.ndarray:
        """Pad a mask with ``fill_mask``."""
        if pad_top == pad_bottom == pad_left == pad_right == 0:
            return mask
        return fgeometric.pad_with_params(
            mask, pad_top, pad_bottom, pad_left, pad_right, border_mode=cv2.BORDER_CONSTANT, value=self.fill_mask
        )

    def apply_to_images(self, images: np.ndarray, **params: Any) -> np.ndarray:
        """Pad every image of a batch the same way."""
        return np.stack([self.apply(image, **params) for image in images])

    def apply_to_bboxes(
        self, bboxes: np.ndarray, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int, **params: Any
    ) -> np.ndarray:
        """Shift normalised boxes into the padded frame."""
        rows, cols = params["shape"][:2]
        padded = fgeometric.pad_bboxes(
            denormalize_bboxes(bboxes, params["shape"]),
            pad_top,
            pad_bottom,
            pad_left,
            pad_right,
            cv2.BORDER_CONSTANT,
            image_shape=(rows, cols),
        )
        return normalize_bboxes(padded, (rows + pad_top + pad_bottom, cols + pad_left + pad_right))

    def apply_to_keypoints(
        self, keypoints: np.ndarray, pad_top: int, pad_bottom: int, pad_left: int, pad_right: int, **params: Any
    ) -> np.ndarray:
        """Shift keypoints into the padded frame."""
        return fgeometric.pad_keypoints(
            keypoints,
            pad_top,
            pad_bottom,
            pad_left,
            pad_right,
            cv2.BORDER_CONSTANT,
            image_shape=params["shape"][:2],
        )
