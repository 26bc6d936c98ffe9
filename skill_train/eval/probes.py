"""Linear and non-linear probes on frozen embeddings (scikit-learn), with early stopping.

- Linear: multinomial logistic regression — an ``MLPClassifier`` with no hidden layer
  (softmax over an affine map) — on standardised features.
- Non-linear: the same with one ReLU hidden layer.

Both are trained with Adam from a fixed seed, one epoch at a time; a validation split of
the *training* groups (designs or products, so no design leaks into validation either)
picks the epoch with the lowest validation log-loss, stopping after ``patience`` epochs
without improvement. Without enough groups for a validation split, the training loss is
monitored instead.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skill_train.eval.errors import EvaluationError
from skill_train.eval.splits import group_split

ProbeKind = Literal["linear", "nonlinear"]


@dataclass(frozen=True)
class ProbeConfig:
    """Hyper-parameters of a probe; all of them go into the JSON report."""

    kind: ProbeKind = "linear"
    hidden: int = 512
    alpha: float = 1e-4
    learning_rate: float | None = None  # None: 1e-2 linear, 1e-3 non-linear (measured, see docs)
    batch_size: int = 256  # capped so an epoch has >= 10 steps
    max_epochs: int = 200
    patience: int = 10
    val_fraction: float = 0.15
    seed: int = 0

    @property
    def lr(self) -> float:
        """The Adam learning rate used: ``learning_rate``, or the default of this kind of probe."""
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-2 if self.kind == "linear" else 1e-3

    def to_json(self) -> dict:
        """The parameters as a plain dict (``hidden`` only for the non-linear probe)."""
        out = dict(self.__dict__, learning_rate=self.lr)
        if self.kind == "linear":
            out.pop("hidden")
        return out


@dataclass
class Probe:
    """A fitted probe: standardiser + classifier, and how training stopped."""

    config: ProbeConfig
    scaler: StandardScaler
    model: MLPClassifier
    classes: np.ndarray
    best_epoch: int
    epochs_run: int
    monitored: str
    history: list[float] = field(default_factory=list)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`classes`."""
        return self.model.predict_proba(self.scaler.transform(np.asarray(x, dtype=np.float64)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes[self.predict_proba(x).argmax(axis=1)]

    def training_json(self) -> dict:
        """How training went: epochs run, the epoch kept, the monitored loss."""
        return {"best_epoch": self.best_epoch, "epochs_run": self.epochs_run, "monitored": self.monitored}


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

    ``groups`` (design or product of each row) keeps validation rows' groups out of the
    rows the probe trains on; None treats every row as its own group.
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
    fit_rows, val_rows = validation_split(y, groups, config.val_fraction, config.seed)
    monitored = "validation log-loss" if len(val_rows) else "training log-loss"
    watch_x, watch_y = (xs[val_rows], y[val_rows]) if len(val_rows) else (xs[fit_rows], y[fit_rows])
    watch_index = np.searchsorted(classes, watch_y)

    model = MLPClassifier(
        hidden_layer_sizes=(config.hidden,) if config.kind == "nonlinear" else (),
        activation="relu",
        solver="adam",
        alpha=config.alpha,
        # at least ~10 steps per epoch, so small training sets still converge in few epochs
        batch_size=min(config.batch_size, max(8, -(-len(fit_rows) // 10))),
        learning_rate_init=config.lr,
        random_state=config.seed,
        shuffle=True,
    )
    best_loss, best_state, best_epoch, since_best = np.inf, None, 0, 0
    history: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, config.max_epochs + 1):
            model.partial_fit(xs[fit_rows], y[fit_rows], classes=classes)
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
    return Probe(config, scaler, model, classes, best_epoch, len(history), monitored, history)
