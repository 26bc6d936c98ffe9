"""Shared fixtures for the core tests: small real photos and isolated plugin registries."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from skill_aug.plugins import build_registry, get_registry, set_registry


def product_photo(colour: tuple[int, int, int], size: tuple[int, int] = (120, 100)) -> np.ndarray:
    """A striped product of ``colour`` on a light catalogue background."""
    h, w = size
    image = np.full((h, w, 3), 240, np.uint8)
    body = np.zeros((h - 30, w - 30, 3), np.uint8) + np.array(colour, np.uint8)
    body[::6] //= 3  # stripes
    image[15:h - 15, 15:w - 15] = body
    return image


@pytest.fixture
def photos() -> list[np.ndarray]:
    """Two photos of one product (different sizes, like a real shoot)."""
    return [product_photo((200, 40, 40)), product_photo((200, 40, 40), (140, 90))]


@pytest.fixture
def isolated_registry():
    """Install a registry built from the given plugin objects (no entry points) for one test."""
    previous = get_registry()

    def install(*plugins: tuple[str, object], entry_points: bool = False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            registry = build_registry(plugins, load_entry_points=entry_points)
        set_registry(registry)
        return registry

    yield install
    set_registry(previous)
