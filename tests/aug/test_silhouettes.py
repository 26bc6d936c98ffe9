"""Plugins say what their products look like: registered silhouettes and narrowed built-in ones."""

from __future__ import annotations

import numpy as np
import pytest

from skill_aug import ProductType, Silhouette, hookimpl
from skill_aug.synth import Canvas, SynthError, available_silhouettes, render_product, silhouette_for
from skill_aug.synth.silhouettes import SILHOUETTES


def draw_square(attrs, rng, size):
    cv = Canvas(size)
    half = {"small": 0.15, "large": 0.35}[attrs["extent"]]
    cv.rect(0.5 - half, 0.5 - half, 0.5 + half, 0.5 + half)
    return cv.finish()


class Tiles:
    @staticmethod
    @hookimpl
    def register_silhouettes(register):
        register(Silhouette("tile", {"extent": ("small", "large")}, draw_square))

    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("tiles", "Tiles", silhouette="tile"))
        register(ProductType("small-tiles", "Small tiles", silhouette="tile",
                             silhouette_attributes={"extent": ("small",)}))
        register(ProductType("lamp", "Lamps", silhouette="furniture",
                             silhouette_attributes={"subcategory": ("lamp",)}))
        register(ProductType("rug", "Rugs", silhouette="flat"))
        register(ProductType("ghost", "Undrawable", silhouette="nothing-like-it"))
        register(ProductType("odd", "Odd", silhouette="tile", silhouette_attributes={"extent": ("huge",)}))


class BadDraw:
    @staticmethod
    @hookimpl
    def register_silhouettes(register):
        register(Silhouette("blob", {"kind": ("a",)}, lambda attrs, rng, size: np.zeros((size, size))))

    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("blobs", "Blobs", silhouette="blob"))


def test_a_plugin_silhouette_draws_its_products_and_labels_them(isolated_registry):
    isolated_registry(("tiles", Tiles()), entry_points=True)
    assert silhouette_for("tiles").name == "tile" and "tile" in available_silhouettes()
    photos, attrs = render_product("tiles", seed=1, size=64)
    assert attrs["extent"] in {"small", "large"} and photos[0].shape == (64, 64, 3)
    small = {render_product("small-tiles", seed=s, size=64)[1]["extent"] for s in range(6)}
    assert small == {"small"}


def test_a_product_type_can_narrow_a_built_in_silhouette(isolated_registry):
    isolated_registry(("tiles", Tiles()), entry_points=True)
    assert silhouette_for("lamp").attributes["subcategory"] == ("lamp",)
    assert {render_product("lamp", seed=s, size=64)[1]["subcategory"] for s in range(4)} == {"lamp"}
    assert silhouette_for("rug").name == "flat"
    assert silhouette_for("some-unregistered-task").name == "generic"


def test_silhouette_mistakes_are_one_line_naming_the_plugin(isolated_registry):
    isolated_registry(("tiles", Tiles()), ("blobs", BadDraw()), entry_points=True)
    with pytest.raises(SynthError, match=r"product type 'ghost' of plugin 'tiles' \(local\): silhouette "
                                         r"'nothing-like-it' .*is not available \(built in: dress"):
        silhouette_for("ghost")
    with pytest.raises(SynthError, match=r"tile.extent has no value 'huge' \(valid: small, large\)"):
        silhouette_for("odd")
    with pytest.raises(SynthError, match=r"silhouette 'blob' of plugin 'blobs' \(local\) drew ndarray, not a "
                                         r"skill_aug.synth.Shape"):
        render_product("blobs", seed=0, size=32)


def test_the_flat_silhouette_draws_rugs_not_handbags():
    flat = SILHOUETTES["flat"]
    rng = np.random.default_rng(0)
    runner = flat.draw({"shape": "runner", "fringe": "none"}, rng, 128).fabric > 127
    rows, cols = np.nonzero(runner)
    assert np.ptp(rows) > 2 * np.ptp(cols)  # long and narrow
    fringed = flat.draw({"shape": "rectangle", "fringe": "fringed"}, np.random.default_rng(0), 128).fabric > 127
    plain = flat.draw({"shape": "rectangle", "fringe": "none"}, np.random.default_rng(0), 128).fabric > 127
    assert np.ptp(np.nonzero(fringed)[1]) > np.ptp(np.nonzero(plain)[1])  # tassels stick out of the ends


class MoreTiles:
    @staticmethod
    @hookimpl
    def register_silhouettes(register):
        register(Silhouette("tile", {"extent": ("small",)}, draw_square))


def test_a_silhouette_two_plugins_register_is_kept_by_neither(isolated_registry):
    isolated_registry(("tiles", Tiles()), ("more", MoreTiles()), entry_points=True)
    with pytest.raises(SynthError, match=r"product type 'tiles' of plugin 'tiles' \(local\): silhouette 'tile' is "
                                         r"registered by 2 plugins, so by none"):
        silhouette_for("tiles")
    assert silhouette_for("lamp").name == "furniture"  # the plugin's other registrations still work
