"""The lamps plugin: its hooks, its op, and (once pip-installed) the whole road through skill-aug."""

from __future__ import annotations

import io
from importlib.metadata import entry_points

import albumentations as A
import numpy as np
import pluggy
import pytest

import skill_aug.ops
import skill_plugin_lamps
from skill_aug import ProductType, hookspecs
from skill_plugin_lamps import LAMP, LampGlow

INSTALLED = any(ep.value == "skill_plugin_lamps" for ep in entry_points(group="skill_aug"))


def lamp_photo() -> np.ndarray:
    """A lamp on a light background: a dark trapezoid shade over a thin base."""
    img = np.full((200, 140, 3), 240, np.uint8)
    for y in range(30, 90):  # shade, wider at the bottom
        half = 20 + (y - 30) // 2
        img[y, 70 - half : 70 + half] = (90, 60, 40)
    img[90:170, 66:74] = (50, 50, 50)  # stem
    img[170:180, 45:95] = (50, 50, 50)  # foot
    return img


def hooked() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("skill_aug")
    pm.add_hookspecs(hookspecs)
    pm.register(skill_plugin_lamps, name="lamps")
    pm.check_pending()  # a misspelled hook name would fail here
    return pm


def op_class(name: str) -> type:
    custom = {cls.__name__: cls for cls in skill_aug.ops.CUSTOM_OPS + (LampGlow,)}
    return custom[name] if name in custom else getattr(A, name)


def test_hooks_register_the_lamp_type_and_the_glow_op():
    pm = hooked()
    types: list[ProductType] = []
    ops: list[type] = []
    pm.hook.register_product_types(register=types.append)
    pm.hook.register_ops(register=ops.append)
    assert types == [LAMP] and LAMP.name == "lamp"
    assert ops == [LampGlow] and issubclass(LampGlow, A.ImageOnlyTransform)


def test_every_op_of_the_lamp_type_builds_strictly_and_runs():
    steps = [op_class(s.name)(**s.params, strict=True) for s in LAMP.preprocess + LAMP.local_set]
    pipeline = A.Compose(steps, seed=0)
    for _ in range(10):
        out = pipeline(image=lamp_photo())["image"]
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


def test_lamp_glow_brightens_the_upper_middle_and_never_darkens():
    img = np.full((100, 80, 3), 100, np.uint8)
    glow = LampGlow(center_x_range=(0.5, 0.5), center_y_range=(0.25, 0.25), radius_range=(0.2, 0.2),
                    intensity_range=(0.5, 0.5), p=1.0)
    out = A.Compose([glow], seed=0)(image=img)["image"]
    assert out.shape == img.shape and out.dtype == np.uint8
    assert (out >= img).all()
    assert abs(int(out[25, 40, 0]) - (100 + 155 * 0.5)) <= 1  # half-way to white at the centre
    assert out[25, 40, 0] > out[75, 40, 0] and out[25, 40, 0] > out[25, 5, 0]


def test_lamp_glow_is_seeded_by_albumentations():
    def views(seed: int) -> list[np.ndarray]:
        pipeline = A.Compose([LampGlow(p=1.0)], seed=seed)
        return [pipeline(image=lamp_photo())["image"] for _ in range(3)]

    assert all(np.array_equal(a, b) for a, b in zip(views(4), views(4)))
    assert not all(np.array_equal(a, b) for a, b in zip(views(4), views(5)))


@pytest.mark.parametrize(
    "kwargs",
    [{"intensity_range": (0.2, 1.5)}, {"radius_range": (0.0, 0.3)}, {"center_y_range": (0.6, 0.2)}, {"p": 2.0}],
)
def test_lamp_glow_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        LampGlow(**kwargs)


def test_lamp_glow_round_trips_through_plain_albumentations():
    pipeline = A.Compose([LampGlow(center_y_range=(0.2, 0.3), intensity_range=(0.3, 0.4), p=0.7)])
    buffer = io.StringIO()
    A.save(pipeline, buffer, data_format="yaml")
    buffer.seek(0)
    assert A.to_dict(A.load(buffer, data_format="yaml")) == A.to_dict(pipeline)


@pytest.mark.skipif(not INSTALLED, reason="pip install this folder to test the entry-point road")
def test_installed_plugin_gives_a_policy_for_the_lamp_task():
    from skill_aug import policy_for_task
    from skill_aug.plugins import get_registry

    registry = get_registry()
    assert registry.product_type("lamp") == LAMP
    assert "LampGlow" in registry.ops
    views = policy_for_task("lamp")([lamp_photo()], rng=0)
    assert len(views.global_views) == 2 and all(v.dtype == np.uint8 for v in views.global_views)
