"""The custom ops behave as documented on small real images, and serialize like built-ins."""

from __future__ import annotations

import io
import math

import albumentations as A
import cv2
import numpy as np
import pluggy
import pytest

from skill_aug import hookspecs
from skill_aug.ops import CUSTOM_OPS, FastIllumination, FoldShading, ForegroundCrop, PadToSquare, RegionCrop
from skill_aug.ops.background import background_color, product_box
from skill_aug.ops.registration import register_ops

BACKGROUND = (244, 243, 238)
QUADRANT_COLORS = {
    "upper_left": (200, 30, 30),
    "upper_right": (30, 160, 40),
    "lower_left": (30, 40, 200),
    "lower_right": (220, 200, 20),
}


def catalogue_photo(height: int = 240, width: int = 180, box=(40, 30, 140, 210), jpeg: bool = True) -> np.ndarray:
    """A light studio background with a four-colour product in ``box`` (x0, y0, x1, y1), JPEG'd."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = BACKGROUND
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) // 2, (y0 + y1) // 2
    img[y0:ym, x0:xm] = QUADRANT_COLORS["upper_left"]
    img[y0:ym, xm:x1] = QUADRANT_COLORS["upper_right"]
    img[ym:y1, x0:xm] = QUADRANT_COLORS["lower_left"]
    img[ym:y1, xm:x1] = QUADRANT_COLORS["lower_right"]
    if jpeg:  # real catalogue photos carry compression noise around edges and in flat areas
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img


def run(op: A.BasicTransform, image: np.ndarray, seed: int = 0) -> np.ndarray:
    return A.Compose([op], seed=seed)(image=image)["image"]


def mean_color(img: np.ndarray) -> np.ndarray:
    return img.reshape(-1, 3).mean(axis=0)


# ---------------------------------------------------------------- ForegroundCrop


def test_foreground_crop_finds_the_product_on_a_light_background():
    img = catalogue_photo(box=(40, 30, 140, 210))
    out = run(ForegroundCrop(threshold=25, margin=0.1, min_area=0.005, p=1.0), img)
    # box 100 x 180 plus 10% per side: 120 x 216 (a pixel or two of slack for subsampling)
    assert out.shape[2] == 3 and out.dtype == np.uint8
    assert abs(out.shape[1] - 120) <= 3 and abs(out.shape[0] - 216) <= 3
    # the whole product is inside, and the margin is background
    product_pixels = (np.abs(img.astype(int) - BACKGROUND).max(axis=2) > 60).sum()
    assert (np.abs(out.astype(int) - BACKGROUND).max(axis=2) > 60).sum() == product_pixels
    assert np.abs(mean_color(out[:5]) - BACKGROUND).max() < 6


def test_foreground_crop_with_zero_margin_is_tight():
    img = catalogue_photo(box=(50, 60, 120, 200), jpeg=False)
    out = run(ForegroundCrop(threshold=25, margin=0.0, min_area=0.005, p=1.0), img)
    assert out.shape[:2] == (140, 70)


def test_foreground_crop_leaves_busy_or_empty_photos_alone():
    busy = np.random.default_rng(0).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    empty = np.full((120, 90, 3), 250, np.uint8)
    op = ForegroundCrop(threshold=25, margin=0.05, min_area=0.005, p=1.0)
    assert np.array_equal(run(op, busy), busy)
    assert np.array_equal(run(op, empty), empty)


def test_foreground_crop_ignores_specks_below_min_area():
    img = np.full((200, 200, 3), 250, np.uint8)
    img[100:102, 100:102] = 0  # 4 px: 0.01% of the image
    op = ForegroundCrop(threshold=25, margin=0.05, min_area=0.005, p=1.0)
    assert run(op, img).shape == img.shape


def test_foreground_crop_on_a_large_photo_and_float_and_gray_images():
    big = cv2.resize(catalogue_photo(box=(40, 30, 140, 210), jpeg=False), (720, 960), interpolation=cv2.INTER_NEAREST)
    box = product_box(big, threshold=25)
    assert box is not None
    # true box is (160, 120, 560, 840); the subsampled estimate may only grow by a step or two
    assert 150 <= box[0] <= 160 and 110 <= box[1] <= 120 and 560 <= box[2] <= 570 and 840 <= box[3] <= 850
    as_float = catalogue_photo(jpeg=False).astype(np.float32) / 255
    assert product_box(as_float, threshold=25) == product_box(catalogue_photo(jpeg=False), threshold=25)
    gray = cv2.cvtColor(catalogue_photo(jpeg=False), cv2.COLOR_RGB2GRAY)
    assert run(ForegroundCrop(threshold=25, margin=0.0, min_area=0.005, p=1.0), gray).shape == (180, 100)


# ---------------------------------------------------------------- PadToSquare


@pytest.mark.parametrize("shape", [(150, 90), (70, 130), (64, 64)])
def test_pad_to_square_centres_the_image_with_its_border_colour(shape):
    height, width = shape
    img = np.empty((height, width, 3), np.uint8)
    img[:] = BACKGROUND
    img[10:-10, 10:-10] = (10, 20, 30)
    out = run(PadToSquare(fill="border", fill_mask=0, p=1.0), img)
    side = max(height, width)
    assert out.shape == (side, side, 3) and out.dtype == np.uint8
    top, left = (side - height) // 2, (side - width) // 2
    assert np.array_equal(out[top : top + height, left : left + width], img)
    assert (out[0, 0] == BACKGROUND).all() and (out[-1, -1] == BACKGROUND).all()


def test_pad_to_square_constant_fill_and_masks_and_boxes():
    img = np.zeros((40, 100, 3), np.uint8)
    mask = np.ones((40, 100), np.uint8)
    pipeline = A.Compose(
        [PadToSquare(fill=(255, 0, 0), fill_mask=7, p=1.0)],
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]),
    )
    out = pipeline(image=img, mask=mask, bboxes=[(10, 10, 20, 20)], labels=[1])
    assert out["image"].shape == (100, 100, 3)
    assert tuple(out["image"][0, 0]) == (255, 0, 0)
    assert out["mask"][0, 0] == 7 and out["mask"][50, 50] == 1
    assert np.allclose(out["bboxes"][0], (10, 40, 20, 50))


def test_background_color_is_the_border_median():
    img = catalogue_photo(jpeg=False)
    assert background_color(img) == tuple(float(c) for c in BACKGROUND)


# ---------------------------------------------------------------- RegionCrop


@pytest.mark.parametrize("region", list(QUADRANT_COLORS))
def test_region_crop_picks_the_named_corner_of_the_product(region):
    img = catalogue_photo(box=(40, 30, 140, 210))
    op = RegionCrop(regions=(region,), size_range=(0.4, 0.4), jitter=0.0, reference="product", threshold=25, p=1.0)
    out = run(op, img)
    assert abs(out.shape[0] - 72) <= 2 and abs(out.shape[1] - 40) <= 2  # 0.4 of a 180 x 100 box
    # mostly the quadrant's colour (a thin edge of background allowed for the box estimate)
    assert np.abs(mean_color(out[3:-3, 3:-3]) - QUADRANT_COLORS[region]).max() < 12


def test_region_crop_top_bottom_left_right_centre():
    img = catalogue_photo(box=(40, 30, 140, 210), jpeg=False)
    half = {"top": ("upper_left", "upper_right"), "bottom": ("lower_left", "lower_right"),
            "left": ("upper_left", "lower_left"), "right": ("upper_right", "lower_right")}
    for region, (a, b) in half.items():
        op = RegionCrop(regions=(region,), size_range=(0.3, 0.3), jitter=0.0, reference="product", threshold=25, p=1.0)
        expected = (np.array(QUADRANT_COLORS[a]) + np.array(QUADRANT_COLORS[b])) / 2
        assert np.abs(mean_color(run(op, img)) - expected).max() < 8, region
    center = RegionCrop(regions=("center",), size_range=(0.5, 0.5), jitter=0.0, reference="product", threshold=25, p=1.0)
    out = run(center, img)
    all_four = np.mean([QUADRANT_COLORS[q] for q in QUADRANT_COLORS], axis=0)
    assert np.abs(mean_color(out) - all_four).max() < 8


def test_region_crop_reference_image_uses_the_whole_frame():
    img = catalogue_photo(box=(60, 80, 120, 160), jpeg=False)
    op = RegionCrop(regions=("upper_left",), size_range=(0.25, 0.25), jitter=0.0, reference="image", threshold=25, p=1.0)
    out = run(op, img)
    assert out.shape[:2] == (60, 45)
    assert (out == BACKGROUND).all()  # the image's corner is background, not product


def test_region_crop_jitter_and_random_choice_stay_inside_the_image():
    img = catalogue_photo(box=(0, 0, 180, 240), jpeg=False)  # product touches every edge
    op = RegionCrop(regions=tuple(QUADRANT_COLORS) + ("top", "center"), size_range=(0.2, 0.9), jitter=0.5,
                    reference="product", threshold=25, p=1.0)
    pipeline = A.Compose([op], seed=3)
    sizes = {pipeline(image=img)["image"].shape for _ in range(40)}
    assert len(sizes) > 10
    assert all(1 <= h <= 240 and 1 <= w <= 180 and c == 3 for h, w, c in sizes)


def test_region_crop_crops_masks_like_the_image():
    img = catalogue_photo(jpeg=False)
    mask = np.arange(img.shape[0] * img.shape[1], dtype=np.int32).reshape(img.shape[:2])
    op = RegionCrop(regions=("lower_right",), size_range=(0.4, 0.4), jitter=0.0, reference="product", threshold=25, p=1.0)
    out = A.Compose([op])(image=img, mask=mask)
    y, x = divmod(int(out["mask"][0, 0]), img.shape[1])
    h, w = out["image"].shape[:2]
    assert np.array_equal(out["image"], img[y : y + h, x : x + w])


# ---------------------------------------------------------------- FoldShading


def test_fold_shading_darkens_periodic_vertical_bands():
    img = np.full((60, 240, 3), 200, np.uint8)
    op = FoldShading(folds_range=(4, 4), depth_range=(0.4, 0.4), warp_range=(0.0, 0.0), p=1.0)
    out = run(op, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert (out == out[:1]).all()  # vertical bands: every row the same
    profile = out[0, :, 0].astype(float)
    assert profile.max() >= 199 and abs(profile.min() - 200 * 0.6) <= 2
    spectrum = np.abs(np.fft.rfft(profile - profile.mean()))
    assert int(np.argmax(spectrum)) == 4  # four folds across the width


def test_fold_shading_warp_squeezes_the_pattern_but_keeps_size():
    stripes = np.zeros((50, 200, 3), np.uint8)
    stripes[:, ::10] = 255
    op = FoldShading(folds_range=(3, 3), depth_range=(0.0, 0.0), warp_range=(0.15, 0.15), p=1.0)
    out = run(op, stripes)
    assert out.shape == stripes.shape
    assert not np.array_equal(out, stripes)
    no_op = FoldShading(folds_range=(3, 3), depth_range=(0.0, 0.0), warp_range=(0.0, 0.0), p=1.0)
    assert np.array_equal(run(no_op, stripes), stripes)


def test_fold_shading_on_float_and_gray_images():
    op = FoldShading(folds_range=(2, 5), depth_range=(0.2, 0.3), warp_range=(0.0, 0.1), p=1.0)
    as_float = np.full((40, 80, 3), 0.8, np.float32)
    out = run(op, as_float)
    assert out.dtype == np.float32 and out.shape == as_float.shape and 0.5 < out.min() <= out.max() <= 0.8 + 1e-6
    gray = np.full((40, 80), 100, np.uint8)
    assert run(op, gray).shape == (40, 80)


# ---------------------------------------------------------------- shared behaviour


def all_ops() -> list[A.BasicTransform]:
    return [
        ForegroundCrop(threshold=30, margin=0.08, min_area=0.01, p=1.0),
        PadToSquare(fill="border", fill_mask=0, p=1.0),
        RegionCrop(regions=("top", "bottom"), size_range=(0.3, 0.5), jitter=0.05, reference="product", threshold=20, p=0.9),
        FoldShading(folds_range=(2, 6), depth_range=(0.1, 0.3), warp_range=(0.0, 0.1), p=0.8),
        FastIllumination(mode="corner", intensity_range=(0.05, 0.2), p=0.8),
    ]


@pytest.mark.parametrize("data_format", ["yaml", "json"])
def test_save_load_round_trip_with_plain_albumentations(data_format):
    pipeline = A.Compose(all_ops())
    buffer = io.StringIO()
    A.save(pipeline, buffer, data_format=data_format)
    text = buffer.getvalue()
    assert "skill_aug.ops.RegionCrop" in text  # public, file-layout independent names
    buffer.seek(0)
    loaded = A.load(buffer, data_format=data_format)
    assert A.to_dict(loaded) == A.to_dict(pipeline)
    img = catalogue_photo()
    pipeline.set_random_seed(11)
    loaded.set_random_seed(11)
    for _ in range(5):
        assert np.array_equal(pipeline(image=img)["image"], loaded(image=img)["image"])


def test_every_init_argument_is_stored_and_p_is_explicit():
    for op in all_ops():
        saved = A.to_dict(op)["transform"]
        names = set(op.get_transform_init_args_names())
        assert names <= set(saved), type(op).__name__
        assert "p" in saved


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (ForegroundCrop, {"threshold": 300}),
        (ForegroundCrop, {"margin": -0.1}),
        (ForegroundCrop, {"min_area": 1.0}),
        (ForegroundCrop, {"p": 1.5}),
        (PadToSquare, {"fill": "edge"}),
        (RegionCrop, {"regions": ("neck",)}),
        (RegionCrop, {"regions": ()}),
        (RegionCrop, {"size_range": (0.6, 0.3)}),
        (RegionCrop, {"size_range": (0.0, 0.5)}),
        (RegionCrop, {"size_range": (0.5, 1.2)}),
        (RegionCrop, {"jitter": 0.7}),
        (RegionCrop, {"reference": "box"}),
        (FoldShading, {"folds_range": (0, 3)}),
        (FoldShading, {"depth_range": (0.5, 1.5)}),
        (FoldShading, {"warp_range": (0.0, 0.3)}),
        (FoldShading, {"folds_range": (6, 3)}),
        (FastIllumination, {"mode": "radial"}),
        (FastIllumination, {"intensity_range": (0.3, 0.1)}),
    ],
)
def test_bad_params_raise_value_error(cls, kwargs):
    with pytest.raises(ValueError):
        cls(**kwargs)


def test_unknown_argument_raises_in_strict_mode_only():
    with pytest.raises(ValueError, match="sizes"):
        RegionCrop(sizes=(0.1, 0.2), strict=True)
    with pytest.warns(UserWarning):
        RegionCrop(sizes=(0.1, 0.2))


def test_same_seed_same_views_other_seed_other_views():
    img = catalogue_photo()

    def views(seed: int) -> list[np.ndarray]:
        pipeline = A.Compose(all_ops(), seed=seed)
        return [pipeline(image=img)["image"] for _ in range(6)]

    first, again, other = views(5), views(5), views(6)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, other))


def test_set_random_seed_on_the_transform_itself():
    img = catalogue_photo()
    op = RegionCrop(regions=tuple(QUADRANT_COLORS), size_range=(0.2, 0.8), jitter=0.2, reference="product",
                    threshold=25, p=1.0)
    op.set_random_seed(3)
    first = [op(image=img)["image"] for _ in range(4)]
    op.set_random_seed(3)
    assert all(np.array_equal(a, op(image=img)["image"]) for a in first)


def test_ops_keep_uint8_rgb():
    img = catalogue_photo()
    for op in all_ops():
        out = A.Compose([op], seed=1)(image=img)["image"]
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3 and min(out.shape[:2]) >= 1


def test_register_ops_hook_registers_every_custom_op():
    pm = pluggy.PluginManager("skill_aug")
    pm.add_hookspecs(hookspecs)
    from skill_aug.ops import registration

    pm.register(registration, name="core_ops")
    pm.check_pending()
    registered: list[type] = []
    pm.hook.register_ops(register=registered.append)
    assert registered == list(CUSTOM_OPS)
    assert {cls.__name__ for cls in registered} == {"ForegroundCrop", "PadToSquare", "RegionCrop", "FoldShading", "FastIllumination"}
    assert all(issubclass(cls, A.BasicTransform) for cls in registered)
    assert register_ops is registration.register_ops


def test_fold_count_matches_the_drawn_parameter():
    op = FoldShading(folds_range=(2, 9), depth_range=(0.3, 0.3), warp_range=(0.0, 0.0), p=1.0)
    pipeline = A.Compose([op], seed=0, save_applied_params=True)
    img = np.full((8, 360, 3), 200, np.uint8)
    for _ in range(5):
        result = pipeline(image=img)
        folds = result["applied_transforms"][0][1]["folds"]
        profile = result["image"][0, :, 0].astype(float)
        # the mean of a whole number of periods of the shading is 1 - depth / 2
        assert math.isclose(profile.mean(), 200 * (1 - 0.15), abs_tol=1.5), folds
        spectrum = np.abs(np.fft.rfft(profile - profile.mean()))
        assert int(np.argmax(spectrum)) == folds


def test_region_crop_of_a_thin_product_is_never_a_sliver():
    from skill_aug.ops import RegionCrop
    from skill_aug.ops.region_crop import MIN_REGION_SIDE

    image = np.full((120, 120, 3), 240, np.uint8)
    image[60:63, 20:100] = (30, 60, 120)  # a product 80 x 3 px
    op = RegionCrop(regions=("top",), size_range=(0.35, 0.35), jitter=0.0, reference="product", threshold=25, p=1.0)
    for seed in range(3):
        op.set_random_seed(seed)
        out = op(image=image)["image"]
        assert min(out.shape[:2]) == MIN_REGION_SIDE
