"""Linear and non-linear probes on frozen embeddings (scikit-learn), tuned without leaks.

Both work on standardised features, and every choice they make is made on the *training*
side only, with whole groups (designs or products) held out, so no design of the test side
and none of a validation fold leaks into what a probe learns:

- Linear: multinomial logistic regression, L-BFGS (scikit-learn's ``LogisticRegression``),
  its inverse L2 strength C chosen from ``c_grid`` by group k-fold cross-validation
  (accuracy, ties to the lower log-loss), then refitted on every training row.
- Non-linear: one ReLU hidden layer (``MLPClassifier``, Adam from a fixed seed), trained one
  epoch at a time; a validation split of the training groups picks the epoch with the
  lowest validation log-loss (stopping after ``patience`` epochs without improvement) and
  the L2 penalty from ``alpha_grid``. Without enough groups, the training loss is monitored.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skill_train.eval.errors import EvaluationError
from skill_train.eval.splits import group_split

ProbeKind = Literal["linear", "nonlinear"]


@dataclass(frozen=True)
class ProbeConfig:
    """Hyper-parameters of a probe; all of them go into the JSON report."""

    kind: ProbeKind = "linear"
    c_grid: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)  # linear: inverse L2 strengths tried
    folds: int = 3  # linear: group k-fold for choosing C
    hidden: int = 512  # non-linear from here on
    alpha_grid: tuple[float, ...] = (1e-4, 1e-2, 1.0)
    learning_rate: float = 1e-3
    batch_size: int = 256  # capped so an epoch has >= 10 steps
    max_epochs: int = 200
    patience: int = 10
    val_fraction: float = 0.15
    seed: int = 0

    def to_json(self) -> dict:
        """The parameters this kind of probe uses, as a plain dict."""
        linear = ("kind", "c_grid", "folds", "seed")
        keep = linear if self.kind == "linear" else [k for k in self.__dict__ if k not in ("c_grid", "folds")]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items() if k in keep}


@dataclass
class Probe:
    """A fitted probe: standardiser + classifier, and how its hyper-parameters were chosen."""

    config: ProbeConfig
    scaler: StandardScaler
    model: LogisticRegression | MLPClassifier
    classes: np.ndarray
    training: dict = field(default_factory=dict)
    history: list[float] = field(default_factory=list)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`classes`."""
        return self.model.predict_proba(self.scaler.transform(np.asarray(x, dtype=np.float64)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes[self.predict_proba(x).argmax(axis=1)]

    def training_json(self) -> dict:
        """How it was tuned: the chosen C (linear) or alpha and epochs (non-linear), and on what."""
        return dict(self.training)


def validation_split(
    y: np.ndarray, groups: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows to fit and rows to validate on, whole groups on each side.

    A validation group holding the last groups of some class goes back to the fit side,
    so every training class is still fitted; with fewer than 5 groups, or when nothing
    is left to validate on, every row is fitted (and the training loss is monitored).
    """
    everything, none = np.arange(len(y)), np.array([], dtype=np.int64)
    if len(np.unique(groups)) < 5:
        return everything, none
    is_val = np.zeros(len(y), bool)
    is_val[group_split(groups, fraction, seed, "validation").test] = True
    for cls in np.unique(y):
        if not (~is_val & (y == cls)).any():
            is_val[np.isin(groups, groups[is_val & (y == cls)])] = False
    if not is_val.any():
        return everything, none
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def _log_loss(proba: np.ndarray, y_index: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y_index)), y_index], 1e-12, None))))


def fit_probe(
    x: np.ndarray,
    y: Sequence,
    groups: Sequence[str] | None = None,
    config: ProbeConfig = ProbeConfig(),
) -> Probe:
    """Fit a probe on training rows ``x`` with labels ``y``.

    ``groups`` (design or product of each row) keeps whole groups together in every fold and
    validation split; None treats every row as its own group.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(str)
    if len(x) != len(y) or len(x) < 2:
        raise EvaluationError(f"a probe needs >= 2 labelled rows, got {len(x)} rows and {len(y)} labels")
    classes = np.unique(y)
    if len(classes) < 2:
        raise EvaluationError(f"a probe needs >= 2 classes in training, got {list(classes)}")
    groups = np.asarray(groups) if groups is not None else np.arange(len(y)).astype(str)
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    if config.kind == "linear":
        model, training = _fit_linear(xs, y, groups, config)
        return Probe(config, scaler, model, classes, training)
    return _fit_nonlinear(xs, y, groups, classes, config, scaler)


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, solver="lbfgs", max_iter=2000)


def _fit_linear(xs: np.ndarray, y: np.ndarray, groups: np.ndarray,
                config: ProbeConfig) -> tuple[LogisticRegression, dict]:
    """L-BFGS logistic regression with C chosen by group k-fold on the training side."""
    folds = min(config.folds, len(np.unique(groups)))
    scores: dict[float, tuple[float, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if folds >= 2 and len(config.c_grid) > 1:
            splits = [(tr, va) for tr, va in GroupKFold(n_splits=folds).split(xs, y, groups)
                      if len(np.unique(y[tr])) >= 2]
            for c in config.c_grid:
                accuracies, losses = [], []
                for tr, va in splits:
                    model = _logistic(c).fit(xs[tr], y[tr])
                    proba = model.predict_proba(xs[va])
                    known = np.isin(y[va], model.classes_)  # a class missing from the fold's fit: an error
                    predicted = model.classes_[proba.argmax(axis=1)]
                    accuracies.append(float(np.mean(predicted == y[va])))
                    index = np.searchsorted(model.classes_, y[va][known])
                    losses.append(_log_loss(proba[known], index) if known.any() else np.inf)
                if splits:
                    scores[c] = (float(np.mean(accuracies)), float(np.mean(losses)))
        best = max(scores, key=lambda c: (scores[c][0], -scores[c][1])) if scores else 1.0
        model = _logistic(best).fit(xs, y)
    training = {"C": best, "chosen_by": f"{folds}-fold group cross-validation" if scores else "default (too few groups)",
                "cv_accuracy": {str(c): round(a, 4) for c, (a, _) in scores.items()}}
    return model, training


def _fit_nonlinear(xs: np.ndarray, y: np.ndarray, groups: np.ndarray, classes: np.ndarray,
                   config: ProbeConfig, scaler: StandardScaler) -> Probe:
    """The MLP with early stopping on held-out groups, for each alpha; the best on validation."""
    fit_rows, val_rows = validation_split(y, groups, config.val_fraction, config.seed)
    monitored = "validation log-loss" if len(val_rows) else "training log-loss"
    watch_x, watch_y = (xs[val_rows], y[val_rows]) if len(val_rows) else (xs[fit_rows], y[fit_rows])
    watch_index = np.searchsorted(classes, watch_y)
    best: tuple[float, MLPClassifier, float, int, list[float]] | None = None
    for alpha in config.alpha_grid:
        model, loss, epoch, history = _early_stopped_mlp(xs[fit_rows], y[fit_rows], watch_x, watch_index,
                                                         classes, alpha, config)
        if best is None or loss < best[0] - 1e-6:
            best = (loss, model, alpha, epoch, history)
    assert best is not None
    loss, model, alpha, epoch, history = best
    training = {"alpha": alpha, "best_epoch": epoch, "epochs_run": len(history), "monitored": monitored}
    return Probe(config, scaler, model, classes, training, history)


def _early_stopped_mlp(x: np.ndarray, y: np.ndarray, watch_x: np.ndarray, watch_index: np.ndarray,
                       classes: np.ndarray, alpha: float,
                       config: ProbeConfig) -> tuple[MLPClassifier, float, int, list[float]]:
    model = MLPClassifier(
        hidden_layer_sizes=(config.hidden,),
        activation="relu",
        solver="adam",
        alpha=alpha,
        # at least ~10 steps per epoch, so small training sets still converge in few epochs
        batch_size=min(config.batch_size, max(8, -(-len(x) // 10))),
        learning_rate_init=config.learning_rate,
        random_state=config.seed,
        shuffle=True,
    )
    best_loss, best_state, best_epoch, since_best = np.inf, None, 0, 0
    history: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, config.max_epochs + 1):
            model.partial_fit(x, y, classes=classes)
            loss = _log_loss(model.predict_proba(watch_x), watch_index)
            history.append(loss)
            if loss < best_loss - 1e-6:
                best_loss, best_epoch, since_best = loss, epoch, 0
                best_state = (copy.deepcopy(model.coefs_), copy.deepcopy(model.intercepts_))
            else:
                since_best += 1
                if since_best >= config.patience:
                    break
    model.coefs_, model.intercepts_ = best_state
    return model, best_loss, best_epoch, history
