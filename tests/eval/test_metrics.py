"""R@P, accuracy and colour entropy against hand-computed cases."""

import math

import numpy as np
import pytest

from skill_train.eval.errors import EvaluationError
from skill_train.eval.metrics import (
    accuracy,
    binary_recall_at_precision,
    cluster_color_entropy,
    color_entropy,
    per_class_recall_at_precision,
    recall_at_precision,
)


def test_accuracy_counts_matches():
    assert accuracy(["a", "b", "c", "a"], ["a", "b", "a", "b"]) == 0.5
    with pytest.raises(EvaluationError):
        accuracy([], [])


def test_perfect_classifier_has_full_recall_at_every_precision():
    y = np.array(["a", "b", "c", "a", "b", "c"])
    classes = ["a", "b", "c"]
    proba = np.eye(3)[[0, 1, 2, 0, 1, 2]] * 0.8 + 0.2 / 3
    assert recall_at_precision(y, proba, classes, 0.90) == 1.0
    assert recall_at_precision(y, proba, classes, 0.95) == 1.0


def test_binary_recall_at_precision_hand_computed():
    # sorted by score: + + - + -   -> precision/recall at each cut:
    # 1/1 (r 1/3), 2/2 (r 2/3), 2/3, 3/4 (r 1), 3/5
    pos = np.array([1, 1, 0, 1, 0], bool)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    assert binary_recall_at_precision(pos, scores, 0.90) == pytest.approx(2 / 3)
    assert binary_recall_at_precision(pos, scores, 0.80) == pytest.approx(2 / 3)
    assert binary_recall_at_precision(pos, scores, 0.75) == 1.0
    assert binary_recall_at_precision(pos, scores, 0.60) == 1.0
    # the order of rows does not matter
    perm = np.array([3, 0, 4, 2, 1])
    assert binary_recall_at_precision(pos[perm], scores[perm], 0.90) == pytest.approx(2 / 3)


def test_tied_scores_enter_together():
    # a positive tied with a negative at the top cannot be taken alone
    pos = np.array([1, 0, 1], bool)
    scores = np.array([0.9, 0.9, 0.1])
    assert binary_recall_at_precision(pos, scores, 0.90) == 0.0
    assert binary_recall_at_precision(pos, scores, 0.50) == 1.0  # cut at 0.1: 2/3 precision


def test_no_threshold_reaching_precision_gives_zero():
    pos = np.array([0, 1, 0, 1], bool)
    scores = np.array([0.9, 0.5, 0.4, 0.3])
    assert binary_recall_at_precision(pos, scores, 0.9) == 0.0
    assert binary_recall_at_precision(np.zeros(3, bool), scores[:3], 0.9) == 0.0


def test_macro_mean_over_test_classes_hand_computed():
    classes = ["a", "b", "c"]
    y = np.array(["a", "a", "b", "b"])  # "c" absent from test: not averaged
    proba = np.array(
        [
            [0.7, 0.2, 0.1],  # a
            [0.4, 0.5, 0.1],  # a
            [0.6, 0.3, 0.1],  # b
            [0.1, 0.8, 0.1],  # b
        ]
    )
    # class a scores: .7(+) .6(-) .4(+) .1(-): cuts 1/1 r.5, 1/2, 2/3, 2/4 -> R@90 = 0.5
    # class b scores: .8(+) .5(-) .3(+) .2(-): cuts 1/1 r.5, 1/2, 2/3, 2/4 -> R@90 = 0.5
    per = per_class_recall_at_precision(y, proba, classes, 0.9)
    assert per == {"a": 0.5, "b": 0.5}
    assert recall_at_precision(y, proba, classes, 0.9) == 0.5
    # at P = 0.6 class a reaches r=1 at 2/3, class b also
    assert recall_at_precision(y, proba, classes, 0.6) == 1.0


def test_class_unseen_in_training_scores_zero():
    y = np.array(["a", "z"])
    proba = np.array([[1.0], [1.0]])
    assert per_class_recall_at_precision(y, proba, ["a"], 0.9) == {"a": 0.0, "z": 0.0}


def test_colour_pure_clusters_have_zero_entropy():
    result = cluster_color_entropy([0, 0, 1, 1, 2], ["red", "red", "blue", "blue", "red"])
    assert result.mean == 0.0 and result.conditional == 0.0
    assert result.normalized == 0.0
    assert result.k == 3


def test_entropy_hand_computed_mean_is_unweighted():
    # cluster 0: red, blue (ln 2); cluster 1: red x 3 (0); cluster 2: r, g, b (ln 3)
    clusters = [0, 0, 1, 1, 1, 2, 2, 2]
    colors = ["r", "b", "r", "r", "r", "r", "g", "b"]
    result = cluster_color_entropy(clusters, colors)
    assert result.mean == pytest.approx((math.log(2) + 0 + math.log(3)) / 3)
    assert result.conditional == pytest.approx((2 * math.log(2) + 3 * math.log(3)) / 8)
    p = np.array([5, 2, 1]) / 8  # r, b, g overall
    assert result.marginal == pytest.approx(-(p * np.log(p)).sum())
    assert result.normalized == pytest.approx(result.conditional / result.marginal)


def test_one_colour_has_no_normalised_form():
    assert cluster_color_entropy([0, 1], ["red", "red"]).normalized is None


def _blobs(n_blobs: int, per_blob: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:n_blobs] * 10
    return np.concatenate([c + rng.normal(scale=0.1, size=(per_blob, dim)) for c in centres])


def test_kmeans_on_colour_sorted_embeddings_gives_zero_entropy():
    emb = _blobs(4, 12)
    colors = np.repeat(["red", "green", "blue", "black"], 12)
    result = color_entropy(emb, colors, k=4)
    assert result.mean == pytest.approx(0.0)
    assert result.normalized == pytest.approx(0.0)


def test_colour_agnostic_embeddings_reach_the_maximum():
    # every blob (design) holds each of 3 colours equally: entropy ln 3, normalised 1
    emb = _blobs(4, 12)
    colors = np.tile(["red", "green", "blue"], 16)
    result = color_entropy(emb, colors, k=4)
    assert result.mean == pytest.approx(math.log(3))
    assert result.normalized == pytest.approx(1.0)


def test_k_is_capped_by_distinct_embeddings():
    emb = np.repeat(np.eye(3), 4, axis=0)
    result = color_entropy(emb, ["a"] * 12, k=50)
    assert result.k == 3


def test_collapsed_embeddings_reach_the_maximum_entropy():
    # one point: one cluster holding every colour, so colour entropy cannot tell collapse from invariance
    colors = ["red", "red", "blue", "green"]
    result = color_entropy(np.ones((4, 8)), colors, k=3)
    assert result.k == 1
    assert result.mean == pytest.approx(result.marginal)
    assert result.normalized == pytest.approx(1.0)


def test_top_confusions_counts_each_mistake_against_its_true_class():
    from skill_train.eval.metrics import top_confusions

    y_true = ["h", "h", "h", "h", "v", "v", "c", "c"]
    y_pred = ["c", "c", "h", "v", "v", "c", "c", "c"]
    assert top_confusions(y_true, y_pred) == [
        {"true": "h", "predicted": "c", "count": 2, "share": 0.5},
        {"true": "h", "predicted": "v", "count": 1, "share": 0.25},
        {"true": "v", "predicted": "c", "count": 1, "share": 0.5},
    ]
    assert top_confusions(y_true, y_pred, n=1)[0]["count"] == 2
    assert top_confusions(["a", "b"], ["a", "b"]) == []
