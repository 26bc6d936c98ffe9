"""Real photos for the benchmarks: the samples scikit-learn and scikit-image ship, as JPEG files.

Synthetic 512 px products flatter anything that scales with photo size; these are real
photographs (people, animals, objects, textures, scenes) written at the longest sides a shop's
catalogue has, so decoding and every full-resolution op cost what they cost in production.

    >>> from photos import real_photos, write_catalogue
    >>> root = write_catalogue(tmp / "c1024", real_photos(), longest_side=1024, products=64)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

#: scikit-image's bundled colour samples (no download: they ship inside the wheel).
SKIMAGE_SAMPLES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina")
JPEG_QUALITY = 90


def real_photos() -> list[np.ndarray]:
    """Eight real RGB photos (about 300 to 1400 px): scikit-learn's two and six of scikit-image's."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    photos = [np.ascontiguousarray(image) for image in load_sample_images().images]
    photos += [np.ascontiguousarray(getattr(data, name)()[..., :3]) for name in SKIMAGE_SAMPLES]
    return photos


def at_longest_side(photo: np.ndarray, side: int) -> np.ndarray:
    """``photo`` resized so that its longest side is ``side`` px (area when shrinking, cubic when growing)."""
    h, w = photo.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def write_jpeg(path: Path, photo: np.ndarray) -> Path:
    """Write an RGB array as a JPEG file (quality 90, like a shop's exports)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f"could not write {path}")
    return path


def write_catalogue(root: Path, photos: list[np.ndarray], longest_side: int, products: int,
                    photos_per_product: int = 2) -> Path:
    """A catalogue folder of ``products`` product folders, each with ``photos_per_product`` JPEGs
    of ``photos`` (cycled, mirrored every other round so no two products are byte-identical)."""
    sized = [at_longest_side(p, longest_side) for p in photos]
    for k in range(products):
        for j in range(photos_per_product):
            index = k + j
            photo = sized[index % len(sized)]
            if (index // len(sized)) % 2:
                photo = np.ascontiguousarray(photo[:, ::-1])
            write_jpeg(root / f"p{k:05d}" / f"{j + 1:02d}.jpg", photo)
    return root
