"""A tiny real catalogue on disk: 4 patterns × 3 designs × 3 colourways, 2 photos each."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PATTERNS = ("plain", "stripes", "dots", "checks")
COLOURS = {"red": (200, 30, 35), "blue": (40, 80, 200), "green": (50, 150, 60)}


def draw_product(pattern: str, rgb: tuple[int, int, int], design: int, photo: int, size: int = 48) -> np.ndarray:
    """A product on a white background: a rectangle of ``rgb`` with a dark ``pattern``."""
    image = np.full((size, size, 3), 250, np.uint8)
    top, left = 6 + photo, 8 + design
    region = np.zeros((size - 12, size - 18), bool)
    yy, xx = np.mgrid[: region.shape[0], : region.shape[1]]
    period = 6 + design
    ink = {
        "plain": np.zeros_like(region),
        "stripes": yy % period < 2,
        "dots": ((yy % period) - period // 2) ** 2 + ((xx % period) - period // 2) ** 2 <= 2,
        "checks": (yy % period == 0) | (xx % period == 0),
    }[pattern]
    block = np.where(ink[..., None] & (pattern != "plain"), np.array(rgb) // 3, np.array(rgb)).astype(np.uint8)
    # the ink covers at most a third of the region, so the base colour stays dominant
    image[top : top + region.shape[0], left : left + region.shape[1]] = block
    return image


def write_catalogue(root: Path, with_colour: bool = True) -> Path:
    """Write the catalogue folder (ROOT/<product_id>/NN.png + attributes.csv)."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for pattern in PATTERNS:
        for design in range(3):
            for colour, rgb in COLOURS.items():
                pid = f"{pattern}-{design}-{colour}"
                (root / pid).mkdir(exist_ok=True)
                for photo in range(2):
                    Image.fromarray(draw_product(pattern, rgb, design, photo)).save(root / pid / f"{photo:02d}.png")
                row = {"product_id": pid, "pattern": pattern, "design_id": f"{pattern}-{design}",
                       "sleeve": "long" if design % 2 else "short"}
                if with_colour:
                    row["color"] = colour
                rows.append(row)
    with open(root / "attributes.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory) -> Path:
    """The tiny catalogue, with a ``color`` column."""
    return write_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture(scope="session")
def catalogue_without_colour(tmp_path_factory) -> Path:
    """The same catalogue without a ``color`` column (colour must come from pixels)."""
    return write_catalogue(tmp_path_factory.mktemp("catalogue_nocolour"), with_colour=False)
