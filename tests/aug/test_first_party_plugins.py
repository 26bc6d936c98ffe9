"""Each first-party plugin registers one valid product type whose ops all build and run."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import albumentations as A
import numpy as np
import pluggy
import pytest

import skill_aug.ops
from skill_aug import OpSpec, ProductType, hookspecs

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]

# plugin module -> (product type name, attributes)
EXPECTED = {
    "dress": ("dress", ("pattern", "sleeve", "color")),
    "shirt": ("shirt", ("pattern", "sleeve", "color")),
    "furniture": ("furniture", ("subcategory", "pattern", "color")),
    "curtains": ("curtains", ("pattern", "color")),
    "shoes": ("shoes", ("pattern", "color")),
    "wall_art": ("wall-art", ("pattern", "color")),
}


def registered_types(module_name: str) -> list[ProductType]:
    """Call the module's hook through pluggy, as the host does."""
    module = importlib.import_module(f"skill_aug_plugins.{module_name}")
    pm = pluggy.PluginManager("skill_aug")
    pm.add_hookspecs(hookspecs)
    pm.register(module, name=module_name)
    pm.check_pending()
    found: list[ProductType] = []
    pm.hook.register_product_types(register=found.append)
    return found


def op_class(name: str) -> type:
    """A policy op name -> class: a custom op of skill_aug.ops, else an albumentations built-in."""
    custom = {cls.__name__: cls for cls in skill_aug.ops.CUSTOM_OPS}
    return custom[name] if name in custom else getattr(A, name)


def build(spec: OpSpec) -> A.BasicTransform:
    """Construct an op with strict=True (unknown arguments raise) where the class supports it."""
    cls = op_class(spec.name)
    if "InitSchema" in vars(cls):
        return cls(**spec.params, strict=True)
    # p-only transforms such as RandomRotate90 have no schema and reject ``strict``
    return cls(**spec.params)


def product_photo() -> np.ndarray:
    """A patterned product on a light background, taller than wide (like most catalogue shots)."""
    rng = np.random.default_rng(0)
    img = np.full((160, 110, 3), 242, np.uint8)
    yy, xx = np.mgrid[0:120, 0:70]
    img[20:140, 20:90] = np.where(((yy // 8 + xx // 8) % 2)[..., None] == 1, (150, 40, 60), (30, 90, 160))
    img[20:140, 20:90] = np.clip(img[20:140, 20:90] + rng.integers(-8, 9, (120, 70, 3)), 0, 255)
    return img


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_plugin_registers_one_valid_product_type(module_name):
    types = registered_types(module_name)
    assert len(types) == 1
    product_type = types[0]
    name, attributes = EXPECTED[module_name]
    assert isinstance(product_type, ProductType)
    assert product_type.name == name
    assert product_type.silhouette == name
    assert product_type.attributes == attributes
    assert product_type.description
    assert [op.name for op in product_type.preprocess] == ["ForegroundCrop", "PadToSquare"]
    assert len(product_type.local_set) >= 3


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_every_op_writes_p_and_only_known_parameters_and_builds_strictly(module_name):
    # Plugins write the arguments they choose plus p; the resolver fills in every default.
    (product_type,) = registered_types(module_name)
    for spec in product_type.preprocess + product_type.local_set:
        cls = op_class(spec.name)
        accepted = {n for n in inspect.signature(cls.__init__).parameters if n not in {"self", "strict"}}
        assert "p" in spec.params, f"{module_name}: {spec.name} does not write p"
        assert set(spec.params) <= accepted, f"{module_name}: {spec.name} has unknown {set(spec.params) - accepted}"
        assert 0 <= spec.params["p"] <= 1
        op = build(spec)
        assert isinstance(op, A.BasicTransform)
        assert op.p == spec.params["p"]


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_local_set_keeps_uint8_rgb_and_varies(module_name):
    (product_type,) = registered_types(module_name)
    preprocess = A.Compose([build(s) for s in product_type.preprocess], seed=0)
    local = A.Compose([build(s) for s in product_type.local_set], seed=0)
    photo = preprocess(image=product_photo())["image"]
    assert photo.shape[0] == photo.shape[1]  # H pads to a square
    outputs = [local(image=photo)["image"] for _ in range(12)]
    for out in outputs:
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3 and min(out.shape[:2]) >= 1
    assert any(out.shape != photo.shape or not np.array_equal(out, photo) for out in outputs)


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_docstring_says_why_each_local_op_is_there(module_name):
    module = importlib.import_module(f"skill_aug_plugins.{module_name}")
    (product_type,) = registered_types(module_name)
    for spec in product_type.local_set:
        assert f"``{spec.name}``" in module.__doc__, f"{module_name} docstring does not explain {spec.name}"


def test_pyproject_publishes_each_plugin_through_an_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entry_points = project["entry-points"]["skill_aug"]
    for module_name in EXPECTED:
        assert f"skill_aug_plugins.{module_name}" in entry_points.values()
    assert entry_points["core_ops"] == "skill_aug.ops.registration"


def test_product_type_names_are_unique():
    names = [registered_types(m)[0].name for m in EXPECTED]
    assert len(names) == len(set(names))
