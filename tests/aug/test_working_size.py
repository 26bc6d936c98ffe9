"""The working size: what it is, which image each stage sees, and how a policy file states it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from albumentations.core.transforms_interface import ImageOnlyTransform
from sklearn.datasets import load_sample_image

import skill_aug
from skill_aug import hookimpl
from skill_aug.errors import PluginError, PolicyError
from skill_aug.images import read_image, shrink_to_shorter_side
from skill_aug.ops import RegionCrop
from skill_aug.policy import Policy
from skill_aug.policy_document import resolve_document, resolve_policy_file
from skill_aug.spaces import dino_global_space, skill_global_space
from skill_aug.spec import derived_working_size
from skill_aug.yaml_lines import LocatedDocument

SEEN: dict[str, list[tuple[int, int]]] = {}


class SeenByH(ImageOnlyTransform):
    """Records the shape of every image it is given (as a preprocessing op)."""

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        SEEN.setdefault("H", []).append(img.shape[:2])
        return img


class SeenByLocalSet(ImageOnlyTransform):
    """Records the shape of every image it is given (as a local-set op)."""

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        SEEN.setdefault("A_i", []).append(img.shape[:2])
        return img


class Recorders:
    @hookimpl
    def register_ops(self, register):
        register(SeenByH)
        register(SeenByLocalSet)


@pytest.fixture
def registry(isolated_registry):
    SEEN.clear()
    from skill_aug.ops import registration

    return isolated_registry(("core_ops", registration), ("recorders", Recorders()))


def resolve(doc: dict, registry) -> Policy:
    policy = Policy(resolve_document(LocatedDocument(doc, {}), registry, "test"), registry)
    SEEN.clear()  # validation tries every op once on a small test photo
    return policy


@pytest.mark.parametrize("space, expected", [
    (skill_global_space(), 496),                        # 96 / sqrt(0.05 · 0.75) = 495.8
    (skill_global_space(64, 32), 166),                  # the CPU preset's views
    (dino_global_space(224, 96, n_local=10), 496),      # the paper's 2 × 224 + 10 × 96
])
def test_derived_size_is_the_smallest_at_which_no_crop_is_smaller_than_its_view(space, expected):
    size = derived_working_size(space)
    assert size == expected

    def smallest_crop_side(shorter: int, group) -> float:
        narrowest = min(group.ratio[0], 1 / group.ratio[1])
        return math.sqrt(group.scale[0] * shorter * shorter * narrowest)

    for group in (space.high_res, space.low_res):
        assert smallest_crop_side(size, group) >= group.size - 1e-9
    # and one pixel less is too small for at least one group
    assert any(smallest_crop_side(size - 1, g) < g.size for g in (space.high_res, space.low_res))


def test_a_group_without_views_needs_no_size():
    space = skill_global_space(64, 32, n_local=0)
    assert derived_working_size(space) == math.ceil(64 / math.sqrt(0.4 * 0.75))


@pytest.mark.parametrize("draws, local_calls", [("per_photo", 2), ("per_view", 4)])
def test_h_sees_the_photo_and_the_local_set_sees_the_working_image(registry, draws, local_calls):
    policy = resolve({
        "preprocess": [{"SeenByH": {"p": 1.0}}],
        "local_set": [{"SeenByLocalSet": {"p": 1.0}}],
        "local_set_draws": draws,
        "global_space": {"base": "skill", "high_res": {"size": 64}, "low_res": {"size": 32, "count": 2}},
    }, registry)
    assert policy.working_size == 166
    photo = np.full((1500, 1000, 3), 200, np.uint8)
    views = policy([photo], rng=0)
    assert SEEN["H"] == [(1500, 1000)]  # H once, at the photo's own size
    # A_i on H(x) scaled so that its shorter side is the working size: once for x′ and
    # once for x″ (per_photo), or once in each of the 2 + 2 views (per_view)
    assert SEEN["A_i"] == [(249, 166)] * local_calls
    assert all(v.shape == (64, 64, 3) for v in views.global_views)


def test_a_photo_smaller_than_the_working_size_is_never_upscaled(registry):
    policy = resolve({"local_set": [{"SeenByLocalSet": {"p": 1.0}}]}, registry)
    policy([np.full((300, 200, 3), 200, np.uint8)], rng=0)
    assert set(SEEN["A_i"]) == {(300, 200)}


def test_a_stated_working_size_is_kept_when_the_views_are_resized(registry):
    with pytest.warns(UserWarning, match="working_size 300 is below the 496 px the views need"):
        stated = resolve({"working_size": 300}, registry)
    derived = resolve({}, registry)
    assert (stated.working_size, derived.working_size) == (300, 496)
    assert stated.with_view_sizes(64, 32).working_size == 300
    assert derived.with_view_sizes(64, 32).working_size == 166  # derived again for the new views


def test_the_resolved_yaml_writes_the_size_and_reads_back_the_same_policy(tmp_path: Path, registry):
    for doc in ({}, {"working_size": 640}, {"working_size": "auto"}):
        policy = resolve(doc, registry)
        written = yaml.safe_load(policy.to_yaml())
        assert written["working_size"] == policy.working_size
        path = tmp_path / "resolved.yaml"
        path.write_text(policy.to_yaml())
        again = Policy(resolve_policy_file(path, registry), registry)
        assert again.spec == policy.spec
        # a derived size stays derived through the round trip: new views, new size
        assert again.with_view_sizes(64, 32).working_size == (640 if doc.get("working_size") == 640 else 166)


@pytest.mark.parametrize("value", [0, 31, 9000, 2.5, "big", True])
def test_an_invalid_working_size_names_the_field_and_the_range(value, tmp_path, registry):
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\nworking_size: {yaml.safe_dump(value).splitlines()[0]}\n")
    with pytest.raises(PolicyError) as err:
        resolve_policy_file(path, registry)
    assert err.value.problems == [
        f"{path}:2: working_size = {value!r} (an integer from 32 to 8192 px, the shorter side everything "
        f"after preprocess runs at; or 'auto')"
    ]


def test_a_working_size_below_what_the_views_need_warns(tmp_path, registry):
    path = tmp_path / "small.yaml"
    path.write_text("name: small\nworking_size: 200\n")
    with pytest.warns(UserWarning, match=rf"{path}:2: working_size 200 is below the 496 px the views need"):
        assert Policy(resolve_policy_file(path, registry), registry).working_size == 200


def test_every_first_party_policy_file_states_the_size_its_views_need():
    for path in sorted((Path(__file__).resolve().parents[2] / "policies").glob("*.yaml")):
        policy = skill_aug.load_policy(path)
        assert policy.working_size == derived_working_size(policy.spec.global_space) == 496, path.name


def test_views_at_the_working_size_match_views_from_the_full_photo_up_to_resampling(registry):
    # A_i and G on a 4x larger photo against on its working-size copy: same crops, same
    # flips, same colours; only the resampling differs (a few grey levels on a smooth photo).
    yy, xx = np.mgrid[0:1984, 0:1984].astype(np.float32)
    smooth = np.stack([128 + 100 * np.sin(xx / 150), 128 + 100 * np.cos(yy / 190),
                       128 + 60 * np.sin((xx + yy) / 240)], axis=-1).astype(np.uint8)
    doc = {"local_set": [{"Perspective": {"scale": [0.02, 0.06], "p": 1.0}}]}
    working = resolve(doc, registry)
    full = resolve({**doc, "working_size": 1984}, registry)
    assert working.working_size == 496
    a, b = working([smooth], rng=3), full([smooth], rng=3)
    for x, y in zip(a.global_views + a.local_views, b.global_views + b.local_views):
        assert np.abs(x.astype(int) - y.astype(int)).mean() < 2.0


def test_shrinking_keeps_the_aspect_and_hits_the_shorter_side_exactly():
    image = np.zeros((1001, 3000, 3), np.uint8)
    assert shrink_to_shorter_side(image, 496).shape == (496, 1487, 3)  # 3000 · 496 / 1001 = 1486.5
    assert shrink_to_shorter_side(image, 2000) is image


def test_shrinking_by_more_than_2x_filters_where_bilinear_alone_aliases():
    # 2.5 px stripes at 1100 px shrunk to 496 (2.2x): more than 496 px can hold
    row = (127 + 120 * np.sin(2 * np.pi * np.arange(1100) / 2.5)).astype(np.uint8)
    stripes = np.ascontiguousarray(np.dstack([np.repeat(row[None, :], 1100, axis=0)] * 3))
    aliased = cv2.resize(stripes, (496, 496), interpolation=cv2.INTER_LINEAR).std()  # about 54
    assert shrink_to_shorter_side(stripes, 496).std() < aliased / 2  # about 23 (area averaging: 12)
    # a real photo shrunk 2.1x: closer to OpenCV's area average than bilinear alone is
    photo = np.ascontiguousarray(load_sample_image("china.jpg"))  # 427 x 640
    shrunk = shrink_to_shorter_side(photo, 200)
    area = cv2.resize(photo, shrunk.shape[1::-1], interpolation=cv2.INTER_AREA).astype(int)
    plain = cv2.resize(photo, shrunk.shape[1::-1], interpolation=cv2.INTER_LINEAR).astype(int)
    assert np.abs(shrunk.astype(int) - area).mean() < np.abs(plain - area).mean()


def test_jpeg_decoding_stops_at_the_scale_the_working_size_needs(tmp_path: Path):
    photo = np.random.default_rng(0).integers(0, 255, (1536, 2048, 3), dtype=np.uint8)
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), photo)
    assert read_image(path, max_side=None).shape == (1536, 2048, 3)
    assert read_image(path, max_side=None, decode_size=496).shape == (768, 1024, 3)  # 1/2: 384 would be too small
    assert read_image(path, max_side=None, decode_size=150).shape == (192, 256, 3)   # 1/8
    assert read_image(path, decode_size=496).shape == (768, 1024, 3)                 # max_side 1024 also met



def test_a_long_narrow_photo_keeps_the_shorter_side_the_working_size_needs(tmp_path: Path):
    runner = np.random.default_rng(1).integers(0, 255, (1000, 3000, 3), dtype=np.uint8)  # a rug runner, 3:1
    path = tmp_path / "runner.jpg"
    cv2.imwrite(str(path), runner)
    assert read_image(path).shape == (341, 1024, 3)                   # the 1024 px cap alone: too narrow
    assert read_image(path, decode_size=496).shape == (496, 1488, 3)  # the shorter side stays at 496


def test_h_that_crops_to_a_speck_still_hands_a_i_a_workable_image(registry):
    # A near-empty photo: ForegroundCrop finds a 6 px "product"; GridDistortion would divide by
    # zero on a side below its grid's 5 steps. A_i gets at least read_image's 32 px instead.
    photo = np.full((400, 300, 3), 240, np.uint8)
    photo[200:206, 150:156] = (30, 30, 30)
    policy = resolve({
        "preprocess": [{"ForegroundCrop": {"threshold": 25, "margin": 0.0, "min_area": 0.0, "p": 1.0}}],
        "local_set": [{"SeenByLocalSet": {"p": 1.0}}, {"GridDistortion": {"num_steps": 5, "p": 1.0}}],
    }, registry)
    views = policy([photo], rng=0)
    assert min(SEEN["A_i"][0]) == 32
    assert all(v.shape == (224, 224, 3) for v in views.global_views)


class UndeclaredRegionCrop(RegionCrop):
    """RegionCrop as an op that does not declare its zoom: its close-ups come from the working image."""

    max_zoom = None


class CarelessRegionCrop(RegionCrop):
    """RegionCrop whose zoom declaration fails, as a careless plugin's might."""

    @classmethod
    def max_zoom(cls, params):
        return "a lot"


class NanRegionCrop(RegionCrop):
    """RegionCrop whose zoom declaration computes NaN (e.g. 0 / 0 on an empty size range)."""

    @classmethod
    def max_zoom(cls, params):
        return float("nan")


class UnboundedRegionCrop(RegionCrop):
    """RegionCrop that declares no bound on its zoom."""

    @classmethod
    def max_zoom(cls, params):
        return float("inf")


class ZoomRecorders:
    @hookimpl
    def register_ops(self, register):
        register(SeenByLocalSet)
        register(UndeclaredRegionCrop)
        register(CarelessRegionCrop)
        register(NanRegionCrop)
        register(UnboundedRegionCrop)


@pytest.fixture
def zoom_registry(isolated_registry):
    SEEN.clear()
    from skill_aug.ops import registration

    return isolated_registry(("core_ops", registration), ("recorders", ZoomRecorders()))


CPU_VIEWS = {"base": "skill", "high_res": {"size": 64}, "low_res": {"size": 32, "count": 2}}


def close_up(op: str, size: float) -> dict:
    return {op: {"regions": ["center"], "size_range": [size, size], "jitter": 0.0, "reference": "image", "p": 1.0}}


@pytest.mark.parametrize("draws, local_calls", [("per_photo", 2), ("per_view", 4)])
def test_a_zooming_local_set_starts_from_a_larger_h_and_the_ops_after_it_see_the_working_size(
        zoom_registry, draws, local_calls):
    policy = resolve({"local_set": [close_up("RegionCrop", 0.5), {"SeenByLocalSet": {"p": 1.0}}],
                      "local_set_draws": draws, "global_space": CPU_VIEWS}, zoom_registry)
    assert (policy.working_size, policy.zoom, policy.source_size, policy.last_zooming_op) == (166, 2.0, 332, 0)
    photo = np.full((1500, 1000, 3), 200, np.uint8)
    assert policy.preprocess(photo).shape[:2] == (498, 332)
    policy([photo], rng=0)
    # the centre half of H(x) at 332 px is 249 x 166: the working size, cut from the photo's pixels
    # (from the 249 x 166 working image it would be 124 x 83, enlarged by every 64 px view)
    assert SEEN["A_i"] == [(249, 166)] * local_calls


def test_a_deeper_zoom_keeps_h_at_most_twice_the_working_size(zoom_registry):
    policy = resolve({"local_set": [close_up("RegionCrop", 0.25)], "global_space": CPU_VIEWS}, zoom_registry)
    assert (policy.zoom, policy.source_size) == (2.0, 332)


def test_an_op_that_does_not_zoom_keeps_h_at_the_working_size(zoom_registry):
    policy = resolve({"local_set": [close_up("UndeclaredRegionCrop", 0.5), {"SeenByLocalSet": {"p": 1.0}}],
                      "global_space": CPU_VIEWS}, zoom_registry)
    assert (policy.zoom, policy.source_size, policy.last_zooming_op) == (1.0, 166, None)
    policy([np.full((1500, 1000, 3), 200, np.uint8)], rng=0)
    assert SEEN["A_i"] == [(124, 83)] * 2


def test_a_close_up_of_a_real_photo_holds_the_photos_own_detail(zoom_registry):
    photo = np.ascontiguousarray(load_sample_image("china.jpg"))  # 427 x 640, larger than the 166 px working size
    height, width = photo.shape[:2]

    def close_up_of(source_size: str) -> np.ndarray:
        policy = resolve({"local_set": [close_up("RegionCrop", 0.5)], "source_size": source_size,
                          "global_space": CPU_VIEWS}, zoom_registry)
        return policy.pipelines()["local_set"](image=policy.preprocess(photo))["image"]

    sharp, enlarged = close_up_of("auto"), close_up_of("working")
    assert sharp.shape[:2] == (166, 249) and enlarged.shape[:2] == (83, 124)
    # detail (mean |Laplacian|) at the close-up's size, against the centre half of the photo itself
    centre = photo[round(height / 4):round(height * 3 / 4), round(width / 4):round(width * 3 / 4)]

    def detail(image: np.ndarray) -> float:
        resized = cv2.resize(image, (249, 166), interpolation=cv2.INTER_AREA if image.shape[0] > 166 else cv2.INTER_LINEAR)
        return float(np.abs(cv2.Laplacian(cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY), cv2.CV_32F)).mean())

    truth = detail(centre)
    # about 1.16 (bilinear keeps a little more than area averaging) against about 0.19
    assert abs(detail(sharp) / truth - 1) < 0.25 and detail(enlarged) / truth < 0.5, (detail(sharp), detail(enlarged), truth)

def test_source_size_working_keeps_h_at_the_working_size_whatever_the_local_set(zoom_registry):
    policy = resolve({"local_set": [close_up("RegionCrop", 0.5), {"SeenByLocalSet": {"p": 1.0}}],
                      "source_size": "working", "global_space": CPU_VIEWS}, zoom_registry)
    assert (policy.zoom, policy.source_size, policy.to_document()["source_size"]) == (1.0, 166, "working")
    policy([np.full((1500, 1000, 3), 200, np.uint8)], rng=0)
    assert SEEN["A_i"] == [(124, 83)] * 2


def test_an_invalid_source_size_names_the_field_and_the_choices(tmp_path, registry):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nsource_size: 900\n")
    with pytest.raises(PolicyError) as err:
        resolve_policy_file(path, registry)
    assert err.value.problems == [f"{path}:2: source_size = 900 (auto or working: H(x) kept larger for a local set "
                                  "that zooms in, or at the working size)"]


@pytest.mark.parametrize("photo_shape, seen", [
    ((1500, 1000), (248, 166)),  # a 0.25 window of H(x) at 332 px would be 83 px: widened to the working size
    ((128, 128), (128, 128)),    # a photo smaller than the working size has no pixels to zoom into
])
def test_a_close_up_never_holds_fewer_pixels_than_the_working_size(zoom_registry, photo_shape, seen):
    policy = resolve({"local_set": [close_up("RegionCrop", 0.25), {"SeenByLocalSet": {"p": 1.0}}],
                      "global_space": CPU_VIEWS}, zoom_registry)
    policy([np.full((*photo_shape, 3), 200, np.uint8)], rng=0)
    assert SEEN["A_i"] == [seen] * 2


@pytest.mark.parametrize("task", ["shirt", "shoes", "curtains", "furniture", "wall-art"])
def test_first_party_close_ups_widen_to_the_whole_small_photo_and_zoom_into_a_large_one(task):
    from skill_aug.synth import render_product

    for views, photo_size, zooms in (((64, 32), 128, False), ((224, 96), 1024, True)):
        policy = skill_aug.policy_for_task(task).with_view_sizes(*views)
        close_up_op = policy.pipelines()["local_set"].transforms[policy.last_zooming_op]
        close_up_op.p = 1.0
        for seed in range(4):
            photo = render_product(task, seed=seed, size=photo_size, n_photos=1)[0][0]
            h = policy.preprocess(photo, seed)
            close_up_op.set_random_seed(seed)
            out = close_up_op(image=h)["image"]
            if not zooms:  # the CPU preset's 128 px photos hold no close-up of 166 px: the whole H(x)
                assert np.array_equal(out, h)
            else:  # a window of at least the 496 px working size, cut from H(x) at up to 992 px
                assert policy.working_size <= min(out.shape[:2]) and out.shape[:2] != h.shape[:2], out.shape


@pytest.mark.parametrize("op", ["CarelessRegionCrop", "NanRegionCrop"])
def test_a_zoom_declaration_that_fails_is_one_line_naming_the_op(zoom_registry, op):
    with pytest.raises(PluginError) as err:
        resolve({"local_set": [close_up(op, 0.5)], "global_space": CPU_VIEWS}, zoom_registry)
    message = str(err.value)
    assert message.startswith(f"{op}.max_zoom(") and "ValueError" in message and "\n" not in message


def test_an_unbounded_zoom_is_the_cap(zoom_registry):
    policy = resolve({"local_set": [close_up("UnboundedRegionCrop", 0.5)], "global_space": CPU_VIEWS}, zoom_registry)
    assert (policy.zoom, policy.last_zooming_op) == (2.0, 0)
