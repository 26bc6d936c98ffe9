"""The learning-curve figure of compare and ablate: each row's held-out k-NN against epoch."""

from __future__ import annotations

import cv2

from skill_train.compare.figures import curve_series, learning_curves


def curve(*points: tuple[int, float, float]) -> list[dict]:
    return [{"step": 14 * e - 1, "epoch": e, "pattern": p, "color": c} for e, p, c in points]


def test_a_row_with_several_seeds_is_their_mean_at_each_epoch_and_rows_without_checks_are_left_out():
    series = curve_series([
        ("SkiLL", [curve((5, 0.10, 0.9), (10, 0.20, 0.8)), curve((5, 0.20, 0.7), (10, 0.40, 0.6))]),
        ("random init", [[], []]),
        ("DINO", [curve((5, 0.05, 0.95))]),
    ])
    assert sorted(series) == ["color", "pattern"]
    assert series["pattern"] == {"SkiLL": [(5.0, 15.0), (10.0, 30.0)], "DINO": [(5.0, 5.0)]}
    assert series["color"]["SkiLL"] == [(5.0, 80.0), (10.0, 70.0)]


def test_the_figure_has_one_panel_per_attribute_and_none_without_checks(tmp_path):
    path = learning_curves(tmp_path / "curves.png", [("SkiLL", [curve((5, 0.1, 0.9), (10, 0.2, 0.8))])])
    image = cv2.imread(str(path))
    assert image.shape[1] > 2 * 560  # pattern and colour side by side
    assert learning_curves(tmp_path / "none.png", [("random init", [[]])]) is None
    assert not (tmp_path / "none.png").exists()
