"""One broken third-party plugin never takes the tool down.

Each scenario pip-installs a small broken plugin package for real (as the lamps example's
test does) and runs the real commands in a subprocess: the mistake is one line naming the
plugin, never a traceback, and the first-party types keep working in `skill-aug show`,
`validate`, `preview` and `skill train --max-steps 1`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "skill-plugin-{name}"
version = "0.2.0"

[project.entry-points.skill_aug]
{name} = "skill_plugin_{name}"

[tool.setuptools]
py-modules = ["skill_plugin_{name}"]
"""

# One module per mistake of the table (and a few more a plugin author makes).
MODULES = {
    "typo": """
        from skill_aug import ProductType, hookimpl

        @hookimpl
        def register_product_type(register):  # the hook is register_product_types
            register(ProductType("lamp", "Lamps"))
    """,
    "clash": """
        from skill_aug import ProductType, hookimpl

        @hookimpl
        def register_product_types(register):
            register(ProductType("dress", "Someone else's dresses"))
    """,
    "badops": """
        import albumentations as A
        from skill_aug import OpSpec, ProductType, hookimpl

        def _exploding(error):
            class Exploding(A.ImageOnlyTransform):
                def __init__(self, p=0.5):
                    super().__init__(p=p)
                    raise error

            Exploding.__name__ = Exploding.__qualname__ = f"Exploding{type(error).__name__}"
            return Exploding

        class Crashing(A.ImageOnlyTransform):
            def __init__(self, p=0.5):
                super().__init__(p=p)

            def apply(self, img, **params):
                raise RuntimeError("boom while augmenting")

        OPS = [_exploding(RuntimeError("boom")), _exploding(KeyError("gone")),
               _exploding(AttributeError("no such thing")), Crashing]

        @hookimpl
        def register_ops(register):
            for op in OPS:
                register(op)

        @hookimpl
        def register_product_types(register):
            for op in OPS:
                register(ProductType(op.__name__.lower(), op.__name__,
                                     local_set=(OpSpec(op.__name__, {"p": 1.0}),)))
    """,
    "badzoom": """
        from skill_aug import OpSpec, ProductType, hookimpl
        from skill_aug.ops import RegionCrop

        class HalfDoneCrop(RegionCrop):
            @classmethod
            def max_zoom(cls, params):
                return 1 / (params["size_range"][0] - 0.5)  # 0 for the default window

        @hookimpl
        def register_ops(register):
            register(HalfDoneCrop)

        @hookimpl
        def register_product_types(register):
            register(ProductType("lamp", "Lamps", local_set=(OpSpec("HalfDoneCrop", {"size_range": (0.5, 0.8), "p": 0.5}),)))
    """,
    "noimport": """
        import a_module_that_is_not_installed  # noqa: F401
    """,
    "badregister": """
        from skill_aug import hookimpl

        @hookimpl
        def register_product_types(register):
            register("lamp")  # not a ProductType
    """,
}


def _install(tmp: Path, name: str) -> dict[str, str]:
    source = tmp / f"src-{name}"
    source.mkdir()
    (source / "pyproject.toml").write_text(PYPROJECT.format(name=name))
    (source / f"skill_plugin_{name}.py").write_text(textwrap.dedent(MODULES[name]))
    target = tmp / f"site-{name}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k not in {"SKILL_AUG_DEBUG", "SKILL_AUG_PLUGINS"}}
    return {**env, "PYTHONPATH": str(target)}


@pytest.fixture(scope="module")
def envs(tmp_path_factory) -> dict[str, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("plugins")
    return {name: _install(tmp, name) for name in MODULES}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict[str, Path]:
    """A small dress catalogue and a tiny preset, so `skill train --max-steps 1` is quick."""
    from skill_aug.synth import write_catalog

    tmp = tmp_path_factory.mktemp("train")
    write_catalog("dress", products=12, out=tmp / "dress", size=64, photos_min=2, photos_max=2)
    preset = yaml.safe_load((ROOT / "skill_train" / "presets" / "cpu.yaml").read_text())
    preset.update(arch="vit_tiny_patch16_224", arch_overrides={"patch_size": 8, "embed_dim": 32, "depth": 1,
                                                                "num_heads": 2},
                  high_res_size=32, low_res_size=16, n_local=2, batch_size=4, workers=0, threads=1,
                  epochs=1, warmup_epochs=0)
    preset["method_options"].update(out_dim=32, head_hidden_dim=32, head_bottleneck_dim=16)
    (tmp / "tiny.yaml").write_text(yaml.safe_dump(preset))
    return {"data": tmp / "dress", "preset": tmp / "tiny.yaml", "tmp": tmp}


def run(env: dict[str, str], *args: str, cli: str = "skill_aug", cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", cli, *args], capture_output=True, text=True, env=env, cwd=cwd)


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def warnings_of(stderr: str) -> list[str]:
    assert "Traceback" not in stderr and ".py:" not in stderr, stderr  # no Python warning format
    return [line for line in stderr.splitlines() if line.strip()]


def first_party_still_works(env: dict[str, str], tmp: Path, expected_stderr: list[str]) -> None:
    """show, validate, preview of a first-party type: exit 0, stderr only the expected lines."""
    for args in (["show", "--task", "shirt"], ["validate", str(ROOT / "policies" / "shirt.yaml")],
                 ["preview", "--task", "shirt", "--samples", "1", "--out", str(tmp / "shirt.png")]):
        result = run(env, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert warnings_of(result.stderr) == expected_stderr, args
    assert (tmp / "shirt.png").stat().st_size > 0


def trains_one_step(env: dict[str, str], tiny_run: dict[str, Path], out: Path, task: str = "dress"):
    return run(env, "train", "--data", str(tiny_run["data"]), "--task", task, "--preset", str(tiny_run["preset"]),
               "--out", str(out), "--max-steps", "1", cli="skill_train")


@pytest.mark.parametrize("name, reason", [
    ("typo", "implements unknown hook 'register_product_type' (did you mean register_product_types?)"),
    ("noimport", "import failed: ModuleNotFoundError: No module named 'a_module_that_is_not_installed'"),
    ("badregister", "register_product_types: register_product_types expects a skill_aug.ProductType, got 'lamp'"),
])
def test_a_plugin_that_breaks_the_contract_is_disabled_in_one_line(envs, tmp_path, name, reason):
    env = envs[name]
    warning = one_line(run(env, "show", "--task", "dress").stderr)
    assert warning == (f"warning: skill_aug plugin {name!r} (skill-plugin-{name} 0.2.0) is disabled: {reason} "
                       f"(fix or uninstall skill-plugin-{name}, or leave it out with SKILL_AUG_PLUGINS)")
    first_party_still_works(env, tmp_path, [warning])
    listing = json.loads(run(env, "plugins", "--json").stdout)
    (failed,) = [f for f in listing["failed"] if f["name"] == name]
    assert failed["distribution"] == f"skill-plugin-{name}" and failed["reason"] == reason
    assert name not in {p["name"] for p in listing["plugins"]} and "dress" in json.dumps(listing["plugins"])
    assert "lamp" not in json.dumps(listing["plugins"])  # nothing it registered survives


def test_a_clash_keeps_neither_and_is_an_error_only_where_the_name_is_used(envs, tiny_run, tmp_path):
    env = envs["clash"]
    first_party_still_works(env, tmp_path, [])
    line = one_line(run(env, "show", "--task", "dress").stderr)
    assert line == ("error: product type 'dress' is registered by 2 plugins, so by none: plugin 'clash' "
                    "(skill-plugin-clash 0.2.0) and plugin 'dress' (skill-aug 0.1.0); uninstall one, or load "
                    "one with SKILL_AUG_PLUGINS")
    result = run(env, "train", "--data", str(tiny_run["data"]), "--task", "dress", "--out", str(tmp_path / "r"),
                 cli="skill_train")
    assert result.returncode == 2 and "registered by 2 plugins" in one_line(result.stderr)
    assert not (tmp_path / "r").exists()
    shirt = trains_one_step(env, tiny_run, tmp_path / "shirt-run", task="shirt")
    assert shirt.returncode == 0, shirt.stderr
    listing = json.loads(run(env, "plugins", "--json").stdout)
    assert listing["clashes"] == [line.removeprefix("error: ")]
    allowed = run({**env, "SKILL_AUG_PLUGINS": "dress,core_ops"}, "show", "--task", "dress")
    assert allowed.returncode == 0 and allowed.stderr == ""


def test_validate_reports_every_file_when_a_plugin_policy_fails(envs, tmp_path):
    env = envs["clash"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: dress\n")
    good = tmp_path / "good.yaml"
    good.write_text("task: shirt\n")
    result = run(env, "validate", str(bad), str(good))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{bad}:1: product type 'dress' is registered by 2 plugins, so by none: "
                                          "plugin 'clash' (skill-plugin-clash 0.2.0) and plugin 'dress' (skill-aug "
                                          "0.1.0); uninstall one, or load one with SKILL_AUG_PLUGINS; `skill-aug plugins` "
                                          "lists the installed ones"]
    assert result.stdout.strip() == "1 of 2 policies valid"


@pytest.mark.parametrize("error", ["RuntimeError: boom", "KeyError: 'gone'", "AttributeError: no such thing"])
def test_an_op_constructor_that_raises_is_one_line_naming_the_plugin(envs, tmp_path, error):
    env = envs["badops"]
    task = f"exploding{error.split(':')[0].lower()}"
    op = f"Exploding{error.split(':')[0]}"
    for args in (["show", "--task", task], ["preview", "--task", task, "--out", str(tmp_path / "x.png")]):
        result = run(env, *args)
        assert result.returncode == 2
        assert one_line(result.stderr) == (f"error: plugin 'badops' (skill-plugin-badops 0.2.0) could not build op "
                                           f"{op}: {error}")
    if op == "ExplodingRuntimeError":  # the other commands do not depend on which exception it is
        policy = tmp_path / "bad.yaml"
        policy.write_text(f"task: {task}\n")
        result = run(env, "validate", str(policy), str(ROOT / "policies" / "dress.yaml"))
        assert result.returncode == 1 and result.stdout.strip() == "1 of 2 policies valid"
        assert one_line(result.stderr).startswith(f"{policy}: plugin 'badops'")
        first_party_still_works(env, tmp_path, [])


def test_an_op_that_raises_while_augmenting_is_one_line_naming_the_plugin(envs, tmp_path):
    validate = run(envs["badops"], "show", "--task", "crashing")  # the trial run at validation finds it
    assert validate.returncode == 0
    assert one_line(validate.stderr) == (
        "warning: <product type crashing>:1: Crashing fails on a 96 x 72 px test photo: RuntimeError: boom while "
        "augmenting (a bug of plugin 'badops' (skill-plugin-badops 0.2.0))")
    result = run(envs["badops"], "preview", "--task", "crashing", "--out", str(tmp_path / "c.png"))
    assert result.returncode == 1 and not (tmp_path / "c.png").exists()
    warning, line = warnings_of(result.stderr)
    assert warning == one_line(validate.stderr)
    assert line.startswith("error: plugin 'badops' (skill-plugin-badops 0.2.0) raised RuntimeError: boom while "
                           "augmenting (the plugin's bug")
    debug = run(envs["badops"], "preview", "--task", "crashing", "--out", str(tmp_path / "c.png"), "--debug")
    assert "Traceback" in debug.stderr and "boom while augmenting" in debug.stderr


def test_a_zoom_declaration_that_fails_is_one_line_naming_the_plugin(envs, tmp_path):
    for args in (["show", "--task", "lamp"], ["preview", "--task", "lamp", "--out", str(tmp_path / "x.png")]):
        result = run(envs["badzoom"], *args)
        line = one_line(result.stderr)
        assert result.returncode == 2 and line.startswith("error: HalfDoneCrop.max_zoom({'regions': "), line
        assert line.endswith("'size_range': [0.5, 0.8], 'jitter': 0.1, 'reference': 'product', 'threshold': 25.0, "
                             "'p': 0.5}) failed: ZeroDivisionError: float division by zero (it must return how far "
                             "the op enlarges, a number >= 1) (a bug of plugin 'badzoom' (skill-plugin-badzoom 0.2.0))")
    assert not (tmp_path / "x.png").exists()
    first_party_still_works(envs["badzoom"], tmp_path, [])


def test_first_party_types_train_beside_a_broken_plugin(envs, tiny_run, tmp_path):
    result = trains_one_step(envs["typo"], tiny_run, tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert warnings_of(result.stderr) == [one_line(run(envs["typo"], "ops").stderr)]
    assert (tmp_path / "run" / "summary.json").exists()


def test_an_allow_list_naming_no_installed_plugin_is_a_warning(envs):
    result = run({**envs["typo"], "SKILL_AUG_PLUGINS": "dress,core_ops,dresss"}, "show", "--task", "dress")
    assert result.returncode == 0
    assert one_line(result.stderr) == ("warning: SKILL_AUG_PLUGINS names 'dresss', which no installed skill_aug "
                                       "plugin provides (did you mean dress?)")
