"""FastIllumination draws what albumentations' Illumination draws and shades a real photo the same way."""

from __future__ import annotations

import albumentations as A
import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from skill_aug.ops import FastIllumination

MODES = ("linear", "corner", "gaussian")


def photos() -> list[np.ndarray]:
    """A real photo at two sizes and shapes, a narrow strip and a grey-scale one."""
    china = np.ascontiguousarray(load_sample_image("china.jpg"))  # 427 x 640
    return [china, np.ascontiguousarray(china[::3, ::2]), np.ascontiguousarray(china[:, 300:340]),
            np.ascontiguousarray(china[..., 1])]


@pytest.mark.parametrize("mode", MODES)
def test_same_draws_and_pixels_within_rounding_of_illumination(mode):
    kwargs = {"mode": mode, "intensity_range": (0.05, 0.2), "sigma_range": (0.2, 1.0), "p": 1.0}
    reference, fast = A.Illumination(**kwargs), FastIllumination(**kwargs)
    for seed, image in enumerate(photos() * 3):
        reference.set_random_seed(seed)
        fast.set_random_seed(seed)
        expected = reference(image=image)["image"]
        got = fast(image=image)["image"]
        assert got.shape == image.shape and got.dtype == np.uint8
        difference = np.abs(expected.astype(int) - got.astype(int))
        assert difference.max() <= 3, (mode, seed, image.shape)
        assert difference.mean() < 1.0, (mode, seed, image.shape)
        # the op did something: a 5 % gain at least moves the bright pixels
        assert np.abs(got.astype(int) - image.astype(int)).max() >= 3


@pytest.mark.parametrize("mode", MODES)
def test_float_images_take_illuminations_own_path(mode):
    image = photos()[1].astype(np.float32) / 255
    reference, fast = A.Illumination(mode=mode, p=1.0), FastIllumination(mode=mode, p=1.0)
    reference.set_random_seed(3)
    fast.set_random_seed(3)
    assert np.array_equal(reference(image=image)["image"], fast(image=image)["image"])


def test_saves_under_its_public_name_and_loads_back():
    op = FastIllumination(mode="gaussian", intensity_range=(0.1, 0.2), p=0.5)
    saved = A.to_dict(op)
    assert saved["transform"]["__class_fullname__"] == "skill_aug.ops.FastIllumination"
    assert A.to_dict(A.from_dict(saved)) == saved
