"""AntialiasedResizedCrop: the views' random resized crop, low-pass filtered before it shrinks."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from albumentations import RandomResizedCrop
from albumentations.augmentations.crops import functional as fcrops


class AntialiasedResizedCrop(RandomResizedCrop):
    """``RandomResizedCrop`` whose shrinking cannot invent a pattern.

    Bilinear resizing reads only the 2 × 2 pixels nearest each output pixel, so a crop
    shrunk by more than 2× aliases: fine stripes or checks turn into false coarse ones, a
    pattern the photo does not have, different in every view. DINO's recipe resizes with
    Pillow, which filters first. Here the crop is halved with a Gaussian pyramid
    (``cv2.pyrDown``) while it is still at least twice the view's size, then resized with
    the crop's own interpolation (a factor below 2). Same arguments, same random draws and
    the same crop as ``RandomResizedCrop``; crops within 2× of the view are resized exactly
    as there, and the pyramid costs about as much as the resize itself.
    """

    # Saved pipelines name the class by its public path, whichever file defines it.
    __module__ = "skill_aug.ops"

    def apply(self, img: np.ndarray, crop_coords: tuple[int, int, int, int], **params: Any) -> np.ndarray:
        """Crop, halve with a Gaussian pyramid while at least twice the view, then resize."""
        crop = fcrops.crop(img, *crop_coords)
        height, width = self.size
        while crop.shape[0] >= 2 * height and crop.shape[1] >= 2 * width:
            crop = cv2.pyrDown(crop)
        return super().apply(crop, (0, 0, crop.shape[1], crop.shape[0]), **params)
