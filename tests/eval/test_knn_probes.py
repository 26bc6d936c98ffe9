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
    assert probe.monitored == "validation log-loss"
    assert 1 <= probe.best_epoch <= probe.epochs_run <= 60


def test_linear_probe_cannot_solve_xor_but_mlp_can():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(800, 2))
    y = np.where(x[:, 0] * x[:, 1] > 0, "same", "diff")
    lin = fit_probe(x[:600], y[:600], None, ProbeConfig(kind="linear", learning_rate=1e-2))
    mlp = fit_probe(x[:600], y[:600], None, ProbeConfig(kind="nonlinear", hidden=64, learning_rate=1e-2))
    assert np.mean(lin.predict(x[600:]) == y[600:]) < 0.7
    assert np.mean(mlp.predict(x[600:]) == y[600:]) > 0.9


def test_probe_is_deterministic_for_a_seed():
    x, y = _separable(20)
    x = x + np.random.default_rng(5).normal(scale=4, size=x.shape)  # make it hard
    a = fit_probe(x, y, None, ProbeConfig(kind="linear", seed=3, max_epochs=30))
    b = fit_probe(x, y, None, ProbeConfig(kind="linear", seed=3, max_epochs=30))
    assert np.array_equal(a.predict_proba(x), b.predict_proba(x))
    assert a.history == b.history


def test_probe_needs_two_classes():
    with pytest.raises(EvaluationError, match="2 classes"):
        fit_probe(np.ones((4, 3)), ["a"] * 4)
