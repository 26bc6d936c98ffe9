"""The compiled policy: composition order (H, then A_i, then G), view counts, sizes, seeds."""

from __future__ import annotations

import pickle
from pathlib import Path

import albumentations as A
import numpy as np
import pytest
import yaml

import skill_aug
from skill_aug.policy import Policy
from skill_aug.policy_document import resolve_document
from skill_aug.yaml_lines import LocatedDocument

POLICIES = Path(__file__).resolve().parents[2] / "policies"
TASKS = ["dress", "shirt", "furniture", "curtains", "shoes", "wall-art"]


def policy_from(doc: dict) -> Policy:
    from skill_aug.plugins import get_registry

    registry = get_registry()
    return Policy(resolve_document(LocatedDocument(doc, {}), registry, "test"), registry)


def plain_group(count: int, size: int) -> dict:
    """A view group with a full-frame crop and no ops: its output is its input, resized."""
    return {"count": count, "size": size, "scale": [1.0, 1.0], "ratio": [1.0, 1.0], "ops": []}


def solid(rgb, h=100, w=100) -> np.ndarray:
    return np.full((h, w, 3), rgb, np.uint8)


def test_views_have_the_policy_counts_sizes_and_dtype(photos):
    policy = skill_aug.load_policy(POLICIES / "dress.yaml")
    views = policy(photos, rng=0)
    assert len(views.global_views) == policy.n_global == 2
    assert len(views.local_views) == policy.n_local == 6
    assert all(v.shape == (224, 224, 3) and v.dtype == np.uint8 for v in views.global_views)
    assert all(v.shape == (96, 96, 3) and v.dtype == np.uint8 for v in views.local_views)


def test_same_seed_same_views_other_seed_other_views(photos):
    policy = skill_aug.load_policy(POLICIES / "dress.yaml")
    first, again, other = policy(photos, rng=7), policy(photos, rng=7), policy(photos, rng=8)
    all_first = first.global_views + first.local_views
    assert all(np.array_equal(a, b) for a, b in zip(all_first, again.global_views + again.local_views))
    assert not all(np.array_equal(a, b) for a, b in zip(all_first, other.global_views + other.local_views))


def test_global_views_come_from_x_prime_and_x_double_prime_local_views_from_x_prime():
    policy = policy_from({"global_space": {"high_res": plain_group(2, 32), "low_res": plain_group(3, 16)}})
    red, blue = solid((255, 0, 0)), solid((0, 0, 255))
    views = policy([red, blue], rng=0)
    assert (views.global_views[0] == (255, 0, 0)).all()
    assert (views.global_views[1] == (0, 0, 255)).all()
    assert all((v == (255, 0, 0)).all() for v in views.local_views)
    single = policy([blue], rng=0)  # one photo: x″ is x′ again
    assert all((v == (0, 0, 255)).all() for v in single.global_views)


def test_local_set_runs_before_the_global_crop():
    # Left half red, right half blue. A_i keeps the left half; if G ran first, the view
    # would be 50 px wide and half blue instead of 40 px and all red.
    image = solid((0, 0, 255))
    image[:, :50] = (255, 0, 0)
    with pytest.warns(UserWarning, match="Crop fails on a 96 x 72 px test photo"):  # 100 px tall: too tall for it
        policy = policy_from({
            # the crop's pixels refer to the working image: keep the photo's own 100 px
            "working_size": 100,
            "local_set": [{"Crop": {"x_min": 0, "y_min": 0, "x_max": 50, "y_max": 100, "p": 1.0}}],
            "global_space": {"high_res": plain_group(2, 40), "low_res": plain_group(1, 20)},
        })
    views = policy([image], rng=0)
    assert all(v.shape == (40, 40, 3) and (v == (255, 0, 0)).all() for v in views.global_views)
    assert views.local_views[0].shape == (20, 20, 3)


def test_preprocessing_applies_to_every_source_photo():
    # H pads each photo to a square with black; a full-frame view then shows the bars.
    policy = policy_from({
        "preprocess": [{"PadIfNeeded": {"min_height": 100, "min_width": 100, "border_mode": 0,
                                        "fill": 0, "p": 1.0}}],
        "global_space": {"high_res": plain_group(2, 100), "low_res": plain_group(1, 100)},
    })
    tall, wide = solid((255, 255, 255), 100, 50), solid((255, 255, 255), 50, 100)
    views = policy([tall, wide], rng=0)
    assert (views.global_views[0][:, 0] == 0).all() and (views.global_views[0][:, 50] == 255).all()
    assert (views.global_views[1][0] == 0).all() and (views.global_views[1][50] == 255).all()


def test_ops_of_one_view_draw_independent_random_numbers():
    # albumentations' set_random_seed gives every transform the same seed, so the flip and
    # the grey-scale would always agree; our shared stream must not.
    policy = policy_from({"global_space": {
        "high_res": {**plain_group(1, 8), "ops": [{"HorizontalFlip": {"p": 0.5}},
                                                   {"ToGray": {"p": 0.5}}]},
        "low_res": plain_group(0, 8)}})
    image = solid((255, 0, 0), 8, 8)
    image[:, :4] = (0, 0, 255)
    outcomes = set()
    for seed in range(40):
        view = policy([image], rng=seed).global_views[0]
        flipped = view[0, 0, 0] > view[0, 7, 0] if view[0, 0, 0] != view[0, 0, 2] else view[0, 0, 0] > view[0, 7, 0]
        grey = bool((view[..., 0] == view[..., 2]).all())
        outcomes.add((bool(flipped), grey))
    assert len(outcomes) == 4


@pytest.mark.parametrize("task", TASKS)
def test_spelled_out_policy_file_equals_the_plugin_default(task):
    assert skill_aug.load_policy(POLICIES / f"{task}.yaml").spec == skill_aug.policy_for_task(task).spec


@pytest.mark.parametrize("path", sorted(POLICIES.rglob("*.yaml")), ids=lambda p: p.name)
def test_resolved_policy_round_trips_through_yaml(path, tmp_path):
    policy = skill_aug.load_policy(path)
    again = tmp_path / "resolved.yaml"
    again.write_text(policy.to_yaml())
    assert skill_aug.load_policy(again).spec == policy.spec
    assert yaml.safe_load(policy.to_yaml()) == policy.to_document()


def test_every_written_op_has_an_explicit_p():
    doc = skill_aug.load_policy(POLICIES / "dress.yaml").to_document()
    ops = doc["preprocess"] + doc["local_set"]
    for group in doc["global_space"].values():
        ops += group["ops"] + [op for view in group["per_view"] for op in view]
    assert ops and all("p" in params for op in ops for params in op.values())


def test_compiled_pipelines_load_back_with_plain_albumentations(tmp_path):
    from skill_aug.export import export_policy

    policy = skill_aug.load_policy(POLICIES / "dino.yaml")
    written = export_policy(policy, tmp_path)
    names = {p.stem for p in written}
    assert {"policy", "preprocess", "high_res_1", "high_res_2", "low_res"} <= names
    loaded = A.load(str(tmp_path / "high_res_2.yaml"), data_format="yaml")
    assert A.to_dict(loaded) == A.to_dict(policy.pipelines()["high_res_2"])
    out = loaded(image=np.zeros((50, 60, 3), np.uint8))["image"]
    assert out.shape == (224, 224, 3)


def test_custom_ops_serialise_with_a_save(tmp_path, photos):
    policy = skill_aug.load_policy(POLICIES / "dress.yaml")
    A.save(policy.pipelines()["preprocess"], str(tmp_path / "h.json"))
    loaded = A.load(str(tmp_path / "h.json"))
    assert [type(t).__name__ for t in loaded.transforms] == ["ForegroundCrop", "PadToSquare"]


def test_dino_recipe_has_its_asymmetric_global_views():
    space = skill_aug.load_policy(POLICIES / "dino.yaml").spec.global_space
    first, second = space.high_res.ops_for_view(0), space.high_res.ops_for_view(1)
    blur_p = lambda ops: [o.params["p"] for o in ops if o.name == "GaussianBlur"]  # noqa: E731
    assert blur_p(first) == [1.0] and blur_p(second) == [0.1]
    assert any(o.name == "Solarize" for o in second) and not any(o.name == "Solarize" for o in first)
    gray = [o.params["p"] for o in space.low_res.ops if o.name == "ToGray"]
    assert gray == [0.2]


def test_skill_global_space_uses_the_paper_probabilities():
    ops = {o.name: o.params["p"] for o in skill_aug.policy_for_task("dress").spec.global_space.high_res.ops}
    assert (ops["ToGray"], ops["ColorJitter"], ops["GaussianBlur"]) == (0.5, 0.8, 0.5)


def test_ablations_change_only_what_they_name():
    full = skill_aug.load_policy(POLICIES / "dress.yaml").spec
    no_local = skill_aug.load_policy(POLICIES / "ablations" / "dress-no-local.yaml").spec
    no_h = skill_aug.load_policy(POLICIES / "ablations" / "dress-no-preprocess.yaml").spec
    low = skill_aug.load_policy(POLICIES / "ablations" / "dress-low-colour.yaml").spec
    assert no_local.local_set == () and no_local.preprocess == full.preprocess
    assert no_h.preprocess == () and no_h.local_set == full.local_set
    assert low.local_set == full.local_set
    assert {o.params["p"] for o in low.global_space.high_res.ops if o.name != "HorizontalFlip"} == {0.1}


def test_view_size_and_count_variants(photos):
    policy = skill_aug.policy_for_task("dress").with_view_sizes(64, 32).with_view_counts(n_local=2)
    views = policy(photos, rng=1)
    assert [v.shape for v in views.global_views] == [(64, 64, 3)] * 2
    assert [v.shape for v in views.local_views] == [(32, 32, 3)] * 2


def test_policy_pickles_for_dataloader_workers(photos):
    policy = skill_aug.load_policy(POLICIES / "shirt.yaml")
    clone = pickle.loads(pickle.dumps(policy))
    assert clone == policy
    a, b = policy(photos, rng=3), clone(photos, rng=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.global_views, b.global_views))


def test_bad_photos_are_refused_with_a_clear_message():
    policy = skill_aug.policy_for_task("dress")
    with pytest.raises(ValueError, match="at least one photo"):
        policy([], rng=0)
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        policy([np.zeros((10, 10), np.uint8)], rng=0)
