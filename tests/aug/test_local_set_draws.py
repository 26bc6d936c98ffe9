"""``local_set_draws``: A_i drawn once per photo (paper Eq. 1–2 as written) or once per view."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from albumentations.core.transforms_interface import ImageOnlyTransform

from skill_aug import hookimpl
from skill_aug.errors import PolicyError
from skill_aug.policy import Policy
from skill_aug.policy_document import resolve_document
from skill_aug.yaml_lines import LocatedDocument


class RandomFill(ImageOnlyTransform):
    """Fills the image with one random grey level: every draw leaves its own mark."""

    def get_params(self) -> dict[str, Any]:
        return {"level": self.py_random.randint(0, 255)}

    def apply(self, img: np.ndarray, level: int = 0, **params: Any) -> np.ndarray:
        return np.full_like(img, level)


class Fills:
    @hookimpl
    def register_ops(self, register):
        register(RandomFill)


def plain(count: int, size: int) -> dict:
    return {"count": count, "size": size, "scale": [1.0, 1.0], "ratio": [1.0, 1.0], "ops": []}


def views(isolated_registry, draws: str | None, photos: int, seed: int):
    registry = isolated_registry(("fills", Fills()))
    doc = {"local_set": [{"RandomFill": {"p": 1.0}}],
           "global_space": {"high_res": plain(2, 16), "low_res": plain(4, 8)}}
    if draws:
        doc["local_set_draws"] = draws
    policy = Policy(resolve_document(LocatedDocument(doc, {}), registry, "test"), registry)
    out = policy([np.zeros((40, 40, 3), np.uint8)] * photos, rng=seed)
    return [int(v[0, 0, 0]) for v in out.global_views], [int(v[0, 0, 0]) for v in out.local_views]


@pytest.mark.parametrize("photos", [1, 2])
def test_per_photo_views_of_one_photo_share_its_draw_and_x2_has_its_own(isolated_registry, photos):
    different = 0
    for seed in range(5):
        (x1, x2), ys = views(isolated_registry, None, photos, seed)  # per_photo is the default
        assert ys == [x1] * 4  # y1 … yc = G_l∘A_i(x′): the draw that made x1
        different += x1 != x2  # x2 = G_h∘A_i(x″): a draw of its own, even when x″ is x′
    assert different >= 4


def test_per_view_draws_a_i_for_every_view(isolated_registry):
    (x1, x2), ys = views(isolated_registry, "per_view", 1, seed=0)
    assert len({x1, x2, *ys}) >= 5  # six draws of 256 levels: hardly any repeats


def test_an_unknown_value_names_the_field_and_the_choices(isolated_registry):
    registry = isolated_registry(("fills", Fills()))
    with pytest.raises(PolicyError) as err:
        resolve_document(LocatedDocument({"local_set_draws": "per_product"}, {}), registry, "test")
    assert "local_set_draws = 'per_product' (per_photo or per_view" in err.value.problems[0]
