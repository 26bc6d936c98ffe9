"""The views' crop draws what RandomResizedCrop draws, and shrinks without inventing a pattern."""

from __future__ import annotations

import albumentations as A
import numpy as np
from sklearn.datasets import load_sample_image

import skill_aug
from skill_aug.ops import AntialiasedResizedCrop


def stripes(side: int, period: float) -> np.ndarray:
    """Vertical grey stripes of ``period`` px, full contrast: the finest pattern a shirt can have."""
    row = (127 + 120 * np.sin(2 * np.pi * np.arange(side) / period)).astype(np.uint8)
    return np.ascontiguousarray(np.dstack([np.repeat(row[None, :], side, axis=0)] * 3))


def both(size: int, scale: tuple[float, float], seed: int) -> tuple[A.Compose, A.Compose]:
    kwargs = {"size": (size, size), "scale": scale, "p": 1.0}
    return (A.Compose([A.RandomResizedCrop(**kwargs)], seed=seed),
            A.Compose([AntialiasedResizedCrop(**kwargs)], seed=seed))


def test_crops_within_twice_the_view_are_random_resized_crops_exactly():
    photo = np.ascontiguousarray(load_sample_image("china.jpg")[:150, :150])
    for seed in range(10):
        plain, ours = both(96, (0.4, 1.0), seed)  # crops of 95-150 px: never 2x the view
        assert np.array_equal(plain(image=photo)["image"], ours(image=photo)["image"])


def test_fine_stripes_shrink_to_grey_not_to_false_coarse_stripes():
    image = stripes(496, 3.3)
    for seed in range(5):
        plain, ours = both(96, (0.2, 0.4), seed)  # crops of 220-315 px down to 96: 2.3-3.3x
        aliased, filtered = plain(image=image)["image"], ours(image=image)["image"]
        assert filtered.shape == aliased.shape == (96, 96, 3)
        # bilinear alone keeps most of the contrast, at a period the photo does not have
        assert aliased.std() > 40
        assert filtered.std() < 15


def test_a_real_photo_shrinks_closer_to_an_area_average_than_bilinear_alone():
    photo = np.ascontiguousarray(load_sample_image("flower.jpg"))  # 427 x 640
    for seed in range(5):
        plain, ours = both(96, (0.3, 0.6), seed)  # crops of about 230-400 px: 2.4-4x
        area = A.Compose([A.RandomResizedCrop((96, 96), scale=(0.3, 0.6), area_for_downscale="image", p=1.0)], seed=seed)
        reference = area(image=photo)["image"].astype(int)  # the same crop, box-averaged
        view = ours(image=photo)["image"].astype(int)
        aliased = plain(image=photo)["image"].astype(int)
        assert np.abs(view - reference).mean() < np.abs(aliased - reference).mean()
        assert abs(view.mean() - reference.mean()) < 1.0  # the same part of the photo


def test_every_policy_view_starts_with_it():
    policy = skill_aug.policy_for_task("dress")
    for name, pipeline in policy.pipelines().items():
        if name.startswith(("high_res", "low_res")):
            assert type(pipeline.transforms[0]) is AntialiasedResizedCrop, name
