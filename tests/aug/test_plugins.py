"""The plugin host: entry points, provenance, conflicts, failures, the allow-list."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import skill_aug
from skill_aug import ProductType, hookimpl, hookspecs
from skill_aug.cli import build_app
from skill_aug.errors import PluginError
from skill_aug.hookspecs import register_ops, register_product_types
from skill_aug.plugins import build_registry
from skill_aug.spec import OpSpec


class Rugs:
    """A plugin object registering one product type."""

    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("rug", "Rugs", local_set=(OpSpec("Transpose", {"p": 0.5}),)))


class OtherRugs:
    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("rug", "Other rugs"))


class Typo:
    @staticmethod
    @hookimpl
    def register_product_type(register):  # misspelled hook name
        pass


def test_product_types_are_tagged_with_their_plugin(isolated_registry):
    reg = isolated_registry(("rugs", Rugs()))
    assert reg.product_type_sources["rug"] == "rugs"
    assert reg.plugins["rugs"].product_types == ["rug"]
    policy = skill_aug.policy_for_task("rug")
    assert [op.name for op in policy.spec.local_set] == ["Transpose"]


def test_two_plugins_registering_one_type_keep_neither_and_using_it_names_both(isolated_registry):
    reg = isolated_registry(("rugs", Rugs()), ("other", OtherRugs()))
    assert "rug" not in reg.product_types and not reg.failures  # both plugins stay enabled
    with pytest.raises(PluginError, match=r"product type 'rug' is registered by 2 plugins, so by none: "
                                          r"plugin 'rugs' \(local\) and plugin 'other' \(local\)"):
        reg.product_type("rug")
    with pytest.raises(PluginError, match="registered by 2 plugins"):
        skill_aug.policy_for_task("rug")


def test_misspelled_hook_disables_the_plugin_naming_it(isolated_registry):
    reg = isolated_registry(("typo", Typo()), ("rugs", Rugs()))
    (failure,) = reg.failures
    assert failure.name == "typo"
    assert "unknown hook 'register_product_type' (did you mean register_product_types?)" in failure.reason
    assert "rug" in reg.product_types and "typo" not in reg.plugins  # the others still load


class TrainerHook:
    """A trainer hook marked as a skill_aug one: methods are the trainer's own plugin group."""

    @staticmethod
    @hookimpl
    def register_methods(register):
        register("vicreg", "pkg.module:VICReg", "not a skill_aug hook")


class HalfBroken:
    """Registers a product type, then hands ``register`` something that is not one."""

    @staticmethod
    @hookimpl
    def register_product_types(register):
        register(ProductType("mat", "Mats"))
        register({"name": "rug"})


def test_register_methods_is_not_a_skill_aug_hook(isolated_registry):
    assert not hasattr(hookspecs, "register_methods")
    reg = isolated_registry(("trainer", TrainerHook()), ("rugs", Rugs()))
    (failure,) = reg.failures
    assert "unknown hook 'register_methods' (a skill_train hook: publish the plugin in the entry-point " \
           "group skill_train instead" in failure.reason
    assert "rug" in reg.product_types and not hasattr(reg, "methods")
    listing = json.loads(CliRunner().invoke(build_app(), ["plugins", "--json"]).output)
    assert [p["name"] for p in listing["plugins"]] == ["rugs"]
    assert listing["failed"][0]["name"] == "trainer"


def test_an_invalid_registration_disables_everything_the_plugin_registered(isolated_registry):
    reg = isolated_registry(("half", HalfBroken()), ("rugs", Rugs()))
    (failure,) = reg.failures
    assert failure.name == "half" and "expects a skill_aug.ProductType, got {'name': 'rug'}" in failure.reason
    assert "mat" not in reg.product_types and "rug" in reg.product_types


def test_unknown_task_suggests_installed_types():
    with pytest.raises(Exception, match="did you mean shirt"):
        skill_aug.policy_for_task("shrit")


def test_first_party_types_arrive_through_entry_points():
    reg = build_registry()
    for name in ("dress", "shirt", "furniture", "curtains", "shoes", "wall-art"):
        plugin = reg.product_type_sources[name]
        assert reg.plugins[plugin].distribution == "skill-aug"
    assert reg.ops["ForegroundCrop"].source == "plugin core_ops"


def fake_distribution(root: Path, name: str, module_source: str) -> None:
    """An installed-looking distribution (dist-info + module) in ``root``."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{name}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[skill_aug]\n{name} = {name}\n")


def run_plugins_json(tmp_path: Path, env_extra: dict | None = None) -> dict:
    import os

    env = {**os.environ, "PYTHONPATH": str(tmp_path), **(env_extra or {})}
    result = subprocess.run([sys.executable, "-m", "skill_aug", "plugins", "--json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_broken_plugin_is_listed_with_its_reason_and_the_rest_works(tmp_path):
    fake_distribution(tmp_path, "broken_plugin", "raise RuntimeError('boom at import')\n")
    listing = run_plugins_json(tmp_path)
    failed = {f["name"]: f for f in listing["failed"]}
    assert "boom at import" in failed["broken_plugin"]["reason"]
    assert failed["broken_plugin"]["distribution"] == "broken_plugin"
    assert "dress" in {t for p in listing["plugins"] for t in p["product_types"]}


def test_third_party_entry_point_registers_type_and_op(tmp_path):
    fake_distribution(tmp_path, "tiles_plugin", """
        import albumentations as A
        from skill_aug import ProductType, OpSpec, hookimpl

        class TileSwap(A.ImageOnlyTransform):
            def __init__(self, p: float = 0.5):
                super().__init__(p=p)
            def apply(self, img, **params):
                return img[::-1].copy()
            def get_transform_init_args_names(self):
                return ()

        @hookimpl
        def register_ops(register):
            register(TileSwap)

        @hookimpl
        def register_product_types(register):
            register(ProductType("tiles", "Floor tiles", local_set=(OpSpec("TileSwap", {"p": 1.0}),)))
    """)
    listing = run_plugins_json(tmp_path)
    (tiles,) = [p for p in listing["plugins"] if p["name"] == "tiles_plugin"]
    assert tiles["product_types"] == ["tiles"] and tiles["ops"] == ["TileSwap"]
    assert tiles["version"] == "0.3"


def test_allow_list_environment_variable_limits_loading(tmp_path):
    listing = run_plugins_json(tmp_path, {"SKILL_AUG_PLUGINS": "dress,core_ops"})
    assert sorted(p["name"] for p in listing["plugins"]) == ["core_ops", "dress"]
    assert run_plugins_json(tmp_path, {"SKILL_AUG_PLUGINS": ""})["plugins"] == []


def test_every_hook_is_documented_for_plugin_authors():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    for hook in (register_product_types, register_ops):
        assert hook.__name__ in docs
        assert hook.__doc__


def test_a_second_plugin_of_the_same_name_is_disabled_and_the_first_keeps_working(isolated_registry):
    reg = isolated_registry(("rugs", Rugs()), ("rugs", OtherRugs()))
    (failure,) = reg.failures
    assert failure.name == "rugs" and failure.reason == "the name is already taken by plugin 'rugs' (local)"
    assert reg.product_type("rug").description == "Rugs"  # the first one, still registered and called
