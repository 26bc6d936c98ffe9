"""Weighted k-NN and the two probes on constructed data with known answers."""

import math

import numpy as np
import pytest

from skill_train.eval.errors import EvaluationError
from skill_train.eval.knn import knn_predict, knn_scores
from skill_train.eval.metrics import recall_at_precision
from skill_train.eval.probes import ProbeConfig, fit_probe


def test_knn_weighted_vote_hand_computed():
    train = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    labels = ["a", "b", "b"]
    test = np.array([[1.0, 0.0]])
    classes, scores = knn_scores(train, labels, test, k=2, temperature=0.5)
    # neighbours: [1,0] sim 1 (a), [.8,.6] sim .8 (b)
    assert list(classes) == ["a", "b"]
    assert scores[0] == pytest.approx([math.exp(1 / 0.5), math.exp(0.8 / 0.5)])
    # with k = 3 the [0,1] neighbour (sim 0) adds exp(0) = 1 to b
    _, scores3 = knn_scores(train, labels, test, k=3, temperature=0.5)
    assert scores3[0][1] == pytest.approx(math.exp(1.6) + 1.0)


def test_knn_works_with_few_test_rows_and_large_k():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3] * 5
    train = np.concatenate([c + rng.normal(scale=0.3, size=(10, 8)) for c in centres])
    labels = np.repeat(["x", "y", "z"], 10)
    test = np.concatenate([c + rng.normal(scale=0.3, size=(2, 8)) for c in centres])  # 6 rows
    pred = knn_predict(train, labels, test, k=20, temperature=0.07)
    assert list(pred) == ["x", "x", "y", "y", "z", "z"]
    assert len(knn_predict(train, labels, test[:1], k=500)) == 1


def test_knn_rejects_bad_parameters():
    with pytest.raises(EvaluationError):
        knn_scores(np.ones((2, 2)), ["a"], np.ones((1, 2)))
    with pytest.raises(EvaluationError):
        knn_scores(np.ones((2, 2)), ["a", "b"], np.ones((1, 2)), temperature=0)


def _separable(n_per_class: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 32)) * 4
    x = np.concatenate([c + rng.normal(size=(n_per_class, 32)) for c in centres])
    y = np.repeat(["dot", "floral", "plain", "stripe"], n_per_class)
    return x, y


@pytest.mark.parametrize("kind", ["linear", "nonlinear"])
def test_probe_on_separable_classes_is_perfect(kind):
    x, y = _separable(40)
    xt, yt = _separable(10, seed=0)  # same centres
    rng = np.random.default_rng(1)
    xt = xt + rng.normal(scale=0.01, size=xt.shape)
    probe = fit_probe(x, y, None, ProbeConfig(kind=kind, max_epochs=60))
    assert list(probe.classes) == ["dot", "floral", "plain", "stripe"]
    proba = probe.predict_proba(xt)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.mean(probe.predict(xt) == yt) == 1.0
    assert recall_at_precision(yt, proba, probe.classes, 0.90) == 1.0
    training = probe.training_json()
    if kind == "linear":
        assert training["C"] in (0.01, 0.1, 1.0, 10.0) and training["chosen_by"] == "3-fold group cross-validation"
    else:
        assert training["monitored"] == "validation log-loss" and training["alpha"] in (1e-4, 1e-2, 1.0)
        assert 1 <= training["best_epoch"] <= training["epochs_run"] <= 60


def test_linear_probe_cannot_solve_xor_but_mlp_can():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(800, 2))
    y = np.where(x[:, 0] * x[:, 1] > 0, "same", "diff")
    lin = fit_probe(x[:600], y[:600], None, ProbeConfig(kind="linear"))
    mlp = fit_probe(x[:600], y[:600], None, ProbeConfig(kind="nonlinear", hidden=64, learning_rate=1e-2))
    assert np.mean(lin.predict(x[600:]) == y[600:]) < 0.7
    assert np.mean(mlp.predict(x[600:]) == y[600:]) > 0.9


def test_probe_is_deterministic_for_a_seed():
    x, y = _separable(20)
    x = x + np.random.default_rng(5).normal(scale=4, size=x.shape)  # make it hard
    for kind in ("linear", "nonlinear"):
        a = fit_probe(x, y, None, ProbeConfig(kind=kind, seed=3, max_epochs=30, hidden=32))
        b = fit_probe(x, y, None, ProbeConfig(kind=kind, seed=3, max_epochs=30, hidden=32))
        assert np.array_equal(a.predict_proba(x), b.predict_proba(x))
        assert a.history == b.history and a.training_json() == b.training_json()


def _designs(seed: int, n_classes: int = 6, designs: int = 20, photos: int = 4, dim: int = 384):
    """Embedding-like data: a weak class direction, a large per-design offset, photo noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=0.3, size=(n_classes, dim))
    x, y, g = [], [], []
    for c in range(n_classes):
        for d in range(designs):
            offset = rng.normal(scale=1.5, size=dim)
            for _ in range(photos):
                x.append(centres[c] + offset + rng.normal(size=dim))
                y.append(f"class{c}")
                g.append(f"c{c}-d{d}")
    return np.asarray(x), np.asarray(y), np.asarray(g)


def test_linear_probe_is_at_least_as_strong_as_plain_logistic_regression():
    """The standard (issue 13): lbfgs LogisticRegression, C=1, standardised, on the same design split.

    Measured here: ours 0.583 / 0.639 / 0.708 against 0.569 / 0.639 / 0.708 on seeds 0-2; the
    earlier Adam-trained softmax probe scored 0.493 / 0.535 / 0.667 and would fail this test.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ours, baseline = [], []
    for seed in range(3):
        x, y, g = _designs(seed)
        designs = np.unique(g)
        test = np.isin(g, designs[np.random.default_rng(seed).permutation(len(designs))[: len(designs) * 3 // 10]])
        probe = fit_probe(x[~test], y[~test], g[~test], ProbeConfig(kind="linear"))
        ours.append(np.mean(probe.predict(x[test]) == y[test]))
        standard = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(x[~test], y[~test])
        baseline.append(np.mean(standard.predict(x[test]) == y[test]))
    assert 0.5 < np.mean(baseline) < 0.8  # a task where a weak probe shows
    assert np.mean(ours) >= np.mean(baseline) - 0.01, (ours, baseline)
