"""Every example in docs/plugins.md runs as written: a plugin author copies them."""

from __future__ import annotations

import re
import sys
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"
LAMPS = ROOT / "examples" / "skill-plugin-lamps"


def blocks(language: str) -> list[str]:
    return [body for lang, body in re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(), re.S) if lang == language]


def as_plugin(namespace: dict, name: str) -> types.ModuleType:
    """The hooks a doc example defined, as a plugin module of its own."""
    module = types.ModuleType(name)
    module.__dict__.update({k: v for k, v in namespace.items() if k.startswith("register_")})
    return module


@pytest.fixture
def lamps_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(LAMPS))
    monkeypatch.setenv("SKILL_AUG_PLUGINS", "core_ops")  # the doc's own lamp, not the installed one
    yield
    for name in [m for m in sys.modules if m.startswith("skill_plugin_lamps")]:
        del sys.modules[name]


def test_the_toml_examples_parse_and_use_the_entry_point_group():
    (toml,) = blocks("toml")
    data = tomllib.loads(toml)
    assert data["project"]["entry-points"]["skill_aug"] == {"lamps": "skill_plugin_lamps"}


def test_every_python_example_runs_and_its_hooks_register(isolated_registry, lamps_importable, tmp_path):
    from skill_aug import hookimpl, policy_for_task
    from skill_aug.policy_document import resolve_policy_file
    from skill_aug.synth import render_product
    from skill_plugin_lamps.lamp_glow import LampGlow

    namespaces = []
    for i, code in enumerate(blocks("python")):
        namespace: dict = {"__name__": f"doc_example_{i}"}
        exec(compile(code, f"{DOC}:python-block-{i}", "exec"), namespace)  # noqa: S102 - our own docs
        namespaces.append(namespace)
    product_type, custom_op, narrowing, silhouette, testing = namespaces

    class LampGlowOp:  # the product type example names LampGlow, which the example package supplies
        @staticmethod
        @hookimpl
        def register_ops(register):
            register(LampGlow)

    registry = isolated_registry(("doc_lamp", as_plugin(product_type, "doc_lamp")),
                                 ("doc_vignette", as_plugin(custom_op, "doc_vignette")),
                                 ("doc_silhouette", as_plugin(silhouette, "doc_silhouette")),
                                 ("glow", LampGlowOp()), entry_points=True)
    assert not registry.failures
    assert {"lamp", "LampGlow", "Vignette"} <= set(registry.product_types) | set(registry.ops)
    assert "lamp" in registry.silhouettes

    views = policy_for_task("lamp")([np.full((80, 60, 3), 200, np.uint8)], rng=0)
    assert len(views.global_views) == 2
    photos, attrs = render_product("lamp", seed=0, size=64)
    assert attrs["shade"] in {"drum", "empire"} and photos[0].dtype == np.uint8

    image = np.full((32, 32, 3), 200, np.uint8)
    dark = custom_op["Vignette"](strength_range=(0.4, 0.4), radius=0.2, p=1.0)(image=image)["image"]
    assert dark.dtype == np.uint8 and dark[0, 0, 0] < 200 == dark[16, 16, 0]

    assert narrowing["RUG"].silhouette == "flat"
    assert narrowing["DESK_LAMP"].silhouette_attributes == {"subcategory": ("lamp",)}
    assert [t.name for t in testing["types"]] == ["lamp"]

    (yaml_example,) = blocks("yaml")
    policy = tmp_path / "lamp-bright.yaml"
    policy.write_text(yaml_example)
    resolved = resolve_policy_file(policy, registry)
    assert resolved.spec.name == "lamp-bright" and resolved.spec.local_set[0].params["p"] == 0.6
