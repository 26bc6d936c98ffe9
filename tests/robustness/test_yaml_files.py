"""Policy and preset YAML: `extends` stays among policy files and never echoes a foreign file, YAML
bombs and duplicate keys are refused by file and line before anything is built."""

from __future__ import annotations

import pytest

from conftest import assert_refused

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
SECRET = "root:SECRET-HASH:19000:0:99999:7:::\ndaemon:OTHER-SECRET:19000::::::\n"


def assert_policy_refused(result, *fragments: str, lines: int = 1) -> None:
    """`skill-aug validate`: exit non-zero, one FILE:LINE line per problem, no traceback."""
    assert result.code != 0 and "Traceback" not in result.stderr + result.stdout, result
    assert len(result.error_lines) == lines, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.mark.parametrize("extends", ["/etc/passwd-copy", "../outside/secret.yaml", "../outside/secret.txt"])
def test_extends_outside_the_policy_files_is_refused_without_reading_it(cli, tmp_path, extends):
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("secret.yaml", "secret.txt", "passwd-copy"):
        (outside / name).write_text(SECRET)
    mine = tmp_path / "mine"
    mine.mkdir()
    target = str(outside / "passwd-copy") if extends.startswith("/etc") else extends
    (mine / "policy.yaml").write_text(f"extends: {target}\nname: mine\n")
    result = cli("skill-aug", "validate", mine / "policy.yaml")
    assert_policy_refused(result, "policy.yaml:1", "outside the policy files")
    assert "SECRET" not in result.stderr + result.stdout


def test_extends_within_the_folder_tree_and_of_the_repo_policies_still_works(cli, tmp_path):
    (tmp_path / "base.yaml").write_text("name: base\nlocal_set: []\ntask: null\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "child.yaml").write_text("extends: ../base.yaml\nname: child\n")
    (tmp_path / "top.yaml").write_text("extends: sub/child.yaml\nname: top\n")
    assert cli("skill-aug", "validate", tmp_path / "top.yaml").code == 0


@pytest.mark.parametrize("text, said", [
    (BILLION_LAUGHS, "YAML bomb"),
    ("name: deep\nx: " + "[" * 1000 + "]" * 1000 + "\n", "levels deep"),
    ("name: one\nlocal_set: []\nname: two\n", "policy.yaml:3"),
])
def test_yaml_bombs_and_duplicate_keys_in_a_policy(cli, tmp_path, text, said):
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    result = cli("skill-aug", "validate", policy)
    assert_policy_refused(result, said)


@pytest.mark.parametrize("text, said", [
    (BILLION_LAUGHS, "YAML bomb"),
    # a mixed run's record with a key twice: plain safe_load would keep the last one and show it
    ("categories: {}\npolicies: {}\ncategories: {dress: {products: 1, policy: dress}}\n", "policy.yaml:3"),
])
def test_show_reads_a_run_record_through_the_bounded_loader(cli, tmp_path, text, said):
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    assert_policy_refused(cli("skill-aug", "show", policy), said)


@pytest.mark.parametrize("text, said", [
    (BILLION_LAUGHS, "YAML bomb"),
    ("epochs: 1\nepochs: 2\n", "bad.yaml:2"),
])
def test_yaml_bombs_and_duplicate_keys_in_a_preset(cli, tmp_path, text, said):
    preset = tmp_path / "bad.yaml"
    preset.write_text(text)
    out = tmp_path / "run"
    assert_refused(cli("skill", "train", "--task", "dress", "--preset", preset, "--out", out), said)
    assert not out.exists()


@pytest.mark.parametrize("text, said", [
    ("task: dress\nglobal_space:\n  high_res: {ratio: [1, .inf]}\n", "policy.yaml:3: global_space.high_res.ratio"),
    ("task: dress\nlocal_set:\n  - GaussianBlur: {blur_limit: [3, 999999999], p: 1.0}\n",
     "policy.yaml:3: GaussianBlur.blur_limit = [3, 999999999]: every number must be finite and at most 65,536"),
    ("task: dress\nlocal_set:\n  - Affine: {rotate: [-10, .nan], p: 0.5}\n", "Affine.rotate"),
    ("task: dress\nglobal_space:\n  high_res: {count: 64, size: 4096}\n",
     "the views of one product need 3,072 MiB"),
    ("task: shirt\nsource_size: photo\n", "policy.yaml:2: source_size = 'photo' (auto or working: H(x) kept larger"),
])
def test_values_that_pass_an_ops_own_checks_but_cannot_work_are_refused(cli, tmp_path, text, said):
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    for command in (("validate", policy), ("preview", policy, "--samples", "1", "--out", tmp_path / "p.png")):
        result = cli("skill-aug", *command)
        assert_policy_refused(result, said)
    assert not (tmp_path / "p.png").exists()


def test_an_op_that_fails_on_a_photo_is_a_warning_at_validation(cli, tmp_path):
    """A crop larger than the photo is refused only when it runs: the trial run at validation says so.
    (A huge MedianBlur kernel served here until OpenCV 5.1 began to accept it.)"""
    policy = tmp_path / "policy.yaml"
    policy.write_text("task: dress\nlocal_set:\n  - RandomCrop: {height: 200, width: 200, p: 0.1}\n")
    result = cli("skill-aug", "validate", policy)
    assert result.code == 0 and "Traceback" not in result.stderr
    (line,) = result.error_lines
    assert line.startswith(f"warning: {policy}:3: RandomCrop fails on a 96 x 72 px test photo: CropSizeError")
