"""The one image → tensor transform of the trainer and of evaluation: ImageNet normalisation, CHW.

    >>> to_tensor(view)               # a training view (already at its size) → 3×H×W float32
    >>> photo_tensor(photo, 64)       # a whole photo squashed to 64×64 (area interpolation), then to_tensor

Training views arrive at their size from the policy; evaluation embeds whole photos, resized
to the backbone's input size without cropping, so no part of a product is left out.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_MEAN = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(3, 1, 1) * 255.0
_STD = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(3, 1, 1) * 255.0


def to_tensor(view: np.ndarray) -> torch.Tensor:
    """An HxWx3 uint8 RGB image → a contiguous 3xHxW float32 tensor normalised with ImageNet mean/std."""
    if view.dtype != np.uint8 or view.ndim != 3 or view.shape[2] != 3:
        raise TypeError(f"a view must be an HxWx3 uint8 array, got {view.dtype} of shape {view.shape}")
    pixels = torch.from_numpy(np.ascontiguousarray(view)).permute(2, 0, 1).float()
    return pixels.sub_(_MEAN).div_(_STD).contiguous()


def photo_tensor(image: np.ndarray, size: int) -> torch.Tensor:
    """A whole photo squashed to ``size``×``size`` (area interpolation), then :func:`to_tensor`."""
    return to_tensor(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA))
