"""Every bad policy gets ``FILE:LINE: what is wrong (what would be valid)``; CLI exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill_aug.errors import PolicyError
from skill_aug.plugins import get_registry
from skill_aug.policy_document import resolve_policy_file

GOOD = """\
name: mine
task: dress
global_space:
  high_res:
    count: 2
    size: 64
    scale: [0.4, 1.0]
    ops:
      - HorizontalFlip: {p: 0.5}
      - ColorJitter: {brightness: 0.4, p: 0.8}
"""


def problems_for(tmp_path: Path, text: str, name: str = "policy.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        resolve_policy_file(path, get_registry())
    return info.value.problems


def test_good_policy_resolves_with_task_defaults(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    resolved = resolve_policy_file(path, get_registry())
    assert resolved.spec.global_space.high_res.size == 64
    assert resolved.spec.local_set  # the dress plugin's local set
    assert "plugin dress" in resolved.sources["local_set"]


def test_unknown_op_suggests_the_closest_name_with_its_line(tmp_path):
    (line,) = problems_for(tmp_path, GOOD.replace("ColorJitter", "ColourJitter"))
    assert line.startswith(f"{tmp_path / 'policy.yaml'}:10: ")
    assert "did you mean ColorJitter?" in line


def test_probability_out_of_range_names_the_field(tmp_path):
    (line,) = problems_for(tmp_path, GOOD.replace("p: 0.8", "p: 1.5"))
    assert ":10: " in line and "ColorJitter.p = 1.5" in line and "0.0 to 1.0" in line


def test_missing_p_is_an_error_not_a_silent_half(tmp_path):
    (line,) = problems_for(tmp_path, GOOD.replace("{p: 0.5}", "{}"))
    assert ":9: " in line and "HorizontalFlip has no 'p'" in line


def test_unknown_parameter_suggests_the_real_one(tmp_path):
    (line,) = problems_for(tmp_path, GOOD.replace("brightness:", "brightnes:"))
    assert ":10: " in line and "unknown parameter 'brightnes'" in line and "did you mean brightness?" in line


def test_value_albumentations_rejects_names_the_field(tmp_path):
    (line,) = problems_for(tmp_path, GOOD.replace("brightness: 0.4", "brightness: -3"))
    assert ":10: " in line and "ColorJitter.brightness" in line


def test_bad_view_group_values_name_the_field_and_the_valid_range(tmp_path):
    lines = problems_for(tmp_path, GOOD.replace("count: 2", "count: -1").replace("[0.4, 1.0]", "[0.4, 1.5]"))
    assert any(":5: " in line and "count = -1" in line and "integer from 1" in line for line in lines)
    assert any(":7: " in line and "scale" in line and "high ≤ 1.0" in line for line in lines)


def test_unknown_keys_and_task_are_reported_with_suggestions(tmp_path):
    lines = problems_for(tmp_path, GOOD.replace("task: dress", "task: dres\nlokal_set: []"))
    assert any(":2: " in line and "unknown product type 'dres'" in line and "dress" in line for line in lines)
    assert any(":3: " in line and "did you mean local_set?" in line for line in lines)


def test_every_problem_is_reported_at_once(tmp_path):
    lines = problems_for(tmp_path, GOOD.replace("ColorJitter", "Nope").replace("{p: 0.5}", "{p: 2}"))
    assert len(lines) == 2


def test_python_tags_are_an_error_and_never_run(tmp_path):
    marker = tmp_path / "executed"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    (line,) = problems_for(tmp_path, text)
    assert "invalid YAML" in line and ":1: " in line
    assert not marker.exists()


def test_broken_yaml_reports_its_line(tmp_path):
    (line,) = problems_for(tmp_path, "name: x\nglobal_space: {high_res: [\n")
    assert "invalid YAML" in line


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(PolicyError, match="no such policy file"):
        resolve_policy_file(tmp_path / "absent.yaml", get_registry())
    (line,) = problems_for(tmp_path, "- just\n- a list\n")
    assert "a policy is a YAML mapping" in line


def test_extends_merges_and_reports_errors_in_the_file_that_has_them(tmp_path):
    (tmp_path / "base.yaml").write_text(GOOD)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nlocal_set: []\n")
    spec = resolve_policy_file(child, get_registry()).spec
    assert spec.name == "child" and spec.local_set == () and spec.global_space.high_res.size == 64
    (tmp_path / "base.yaml").write_text(GOOD.replace("ColorJitter", "ColourJitter"))
    with pytest.raises(PolicyError) as info:
        resolve_policy_file(child, get_registry())
    assert info.value.problems[0].startswith(f"{tmp_path / 'base.yaml'}:10: ")
    child.write_text("extends: nowhere.yaml\n")
    with pytest.raises(PolicyError, match="neither a file"):
        resolve_policy_file(child, get_registry())


def test_extends_a_product_type_by_name(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("extends: shirt\npreprocess: []\n")
    spec = resolve_policy_file(path, get_registry()).spec
    assert spec.task == "shirt" and spec.preprocess == () and spec.local_set


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill_aug", *args], capture_output=True, text=True)


def test_validate_cli_exit_codes_and_one_line_per_problem(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(GOOD.replace("ColorJitter", "ColourJitter").replace("{p: 0.5}", "{p: 1.5}"))
    ok = run_cli("validate", str(good))
    assert ok.returncode == 0, ok.stderr
    failed = run_cli("validate", str(good), str(bad))
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{bad}:") for line in lines)
    assert "Traceback" not in failed.stderr


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    result = run_cli("show", "--task", "dres")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown product type 'dres' (did you mean dress?)"


def base_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_global_space_base_and_its_old_spelling_preset_resolve_identically(tmp_path):
    new = base_file(tmp_path, "new.yaml", "name: tiny\nglobal_space:\n  base: dino\n")
    old = base_file(tmp_path, "old.yaml", "name: tiny\nglobal_space:\n  preset: dino\n")
    skill = base_file(tmp_path, "skill.yaml", "name: tiny\nglobal_space:\n  base: skill\n")
    spec = resolve_policy_file(new, get_registry()).spec
    assert spec == resolve_policy_file(old, get_registry()).spec
    assert spec.global_space != resolve_policy_file(skill, get_registry()).spec.global_space


def test_base_and_preset_together_is_one_line_naming_the_file_and_line(tmp_path):
    (line,) = problems_for(tmp_path, "name: x\nglobal_space:\n  base: dino\n  preset: dino\n")
    assert line.startswith(f"{tmp_path / 'policy.yaml'}:4: ")
    assert "both base and preset" in line


def test_unknown_base_names_the_valid_ones_at_its_line(tmp_path):
    (line,) = problems_for(tmp_path, "name: x\nglobal_space:\n  base: mocov3\n")
    assert ":3: " in line and "unknown global-space base 'mocov3' (valid: skill, dino)" in line
    (line,) = problems_for(tmp_path, "name: x\nglobal_space:\n  preset: mocov3\n")
    assert ":3: " in line and "unknown global-space base 'mocov3'" in line


def test_a_file_s_base_overrides_the_old_spelling_in_the_file_it_extends(tmp_path):
    base_file(tmp_path, "parent.yaml", "name: p\nglobal_space:\n  preset: dino\n")
    child = base_file(tmp_path, "child.yaml", "extends: parent.yaml\nglobal_space:\n  base: skill\n")
    skill = base_file(tmp_path, "skill.yaml", "name: tiny\nglobal_space:\n  base: skill\n")
    expected = resolve_policy_file(skill, get_registry()).spec.global_space
    assert resolve_policy_file(child, get_registry()).spec.global_space == expected
