"""The example third-party plugin, installed for real with pip, works end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "skill-plugin-lamps"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, text=True,
    )
    return {**os.environ, "PYTHONPATH": str(target)}


def skill_aug(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill_aug", *args], capture_output=True,
                          text=True, env=env)


def test_plugins_lists_the_installed_example(installed):
    result = skill_aug(installed, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    (lamps,) = [p for p in json.loads(result.stdout)["plugins"] if p["name"] == "lamps"]
    assert lamps["distribution"] == "skill-plugin-lamps"
    assert lamps["product_types"] == ["lamp"] and lamps["ops"] == ["LampGlow"]


def test_a_policy_can_use_the_example_product_type(installed, tmp_path):
    policy = tmp_path / "lamp.yaml"
    policy.write_text("task: lamp\nglobal_space:\n  high_res: {size: 64}\n  low_res: {size: 32}\n")
    assert skill_aug(installed, "validate", str(policy)).returncode == 0
    shown = json.loads(skill_aug(installed, "show", str(policy), "--json").stdout)
    assert "LampGlow" in json.dumps(shown["policy"]["local_set"])
    out = tmp_path / "lamp.png"
    result = skill_aug(installed, "preview", str(policy), "--samples", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0


def test_the_example_draws_lamps_with_its_own_silhouette(installed, tmp_path):
    probe = ("from skill_aug.synth import render_product, silhouette_for; "
             "photos, attrs = render_product('lamp', seed=3, size=64); "
             "print(silhouette_for('lamp').name, attrs['shade'])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=installed)
    assert result.returncode == 0, result.stderr
    name, shade = result.stdout.split()
    assert name == "lamp" and shade in {"drum", "empire", "dome"}
    listing = json.loads(skill_aug(installed, "plugins", "--json").stdout)
    (lamps,) = [p for p in listing["plugins"] if p["name"] == "lamps"]
    assert lamps["silhouettes"] == ["lamp"]
    out = tmp_path / "lamp.png"
    preview = skill_aug(installed, "preview", "--task", "lamp", "--samples", "1", "--out", str(out))
    assert preview.returncode == 0 and preview.stderr == "" and out.stat().st_size > 0
