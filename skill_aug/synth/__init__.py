"""The synthetic product catalogue: the embedded default data of SkiLL.

Products of a task (dress, shirt, furniture, curtains, shoes, wall-art, a plugin's type drawn
with the silhouette it declares, or any other name, which gets a generic shape) carry one of 13 pattern classes with varied geometry, in
colourways drawn independently of the pattern, photographed 4-8 times as a catalogue shoot
would. Pattern and design are the signal; colour is the nuisance.

    >>> from skill_aug.synth import write_catalog, default_catalog, render_product
    >>> stats = write_catalog("dress", products=2000, out="data/dress", seed=0)
    >>> root = default_catalog("dress")            # cached; built once
    >>> photos, attrs = render_product("shirt", seed=3)

Only numpy and OpenCV; no torch.
"""

from skill_aug.synth.catalog_writer import (
    DEFAULT_PRODUCTS,
    SYNTH_VERSION,
    SynthError,
    cache_root,
    check_request,
    default_catalog,
    render_product,
    write_catalog,
)
from skill_aug.synth.palette import COLOR_NAMES, PALETTE, dominant_color
from skill_aug.synth.patterns import PATTERN_NAMES
from skill_aug.synth.shapes import TRIMS, Canvas, Shape, folds, roundness
from skill_aug.synth.silhouettes import SILHOUETTES, Silhouette, available_silhouettes, silhouette_for

__all__ = [
    "COLOR_NAMES",
    "Canvas",
    "Shape",
    "Silhouette",
    "TRIMS",
    "available_silhouettes",
    "folds",
    "roundness",
    "DEFAULT_PRODUCTS",
    "PALETTE",
    "PATTERN_NAMES",
    "SILHOUETTES",
    "SYNTH_VERSION",
    "SynthError",
    "cache_root",
    "check_request",
    "default_catalog",
    "dominant_color",
    "render_product",
    "silhouette_for",
    "write_catalog",
]
