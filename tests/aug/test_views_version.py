"""Which changes of the view pipeline alter which policies' views (what reuse and resume check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill_aug import load_policy, policy_for_task
from skill_aug.views_version import CHANGES, VIEWS_VERSION, changes_since

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_the_version_is_the_last_change():
    assert VIEWS_VERSION == CHANGES[-1].version
    assert [c.version for c in CHANGES] == list(range(2, VIEWS_VERSION + 1))


@pytest.mark.parametrize("task", ["curtains", "shirt", "shoes", "furniture", "wall-art"])
def test_the_source_size_altered_every_policy_with_close_ups(task):
    policy = policy_for_task(task)
    assert [c.version for c in changes_since(1, [policy])] == [2]
    assert changes_since(VIEWS_VERSION, [policy]) == []


def test_a_policy_without_a_zooming_op_draws_what_it_drew_before(tmp_path):
    assert changes_since(1, [policy_for_task("dress")]) == []
    assert changes_since(1, [load_policy(POLICIES / "dino.yaml")]) == []
    # the same close-ups on the old pipeline, as the policy file can ask
    working = tmp_path / "curtains-working.yaml"
    working.write_text(f"extends: {POLICIES / 'curtains.yaml'}\nsource_size: working\n")
    assert changes_since(1, [load_policy(working)]) == []


def test_a_catalogue_run_is_altered_when_any_of_its_policies_is():
    dress, shirt = policy_for_task("dress"), policy_for_task("shirt")
    assert [c.version for c in changes_since(1, [dress, shirt])] == [2]
