"""The paper's figures on frozen embeddings: accuracy, R@P and colour entropy.

Definitions (docs/evaluation.md has them in full):

- ``recall_at_precision``: per class, the one-vs-rest precision–recall curve of the probe's
  probability for that class; the highest recall whose precision is ≥ P (0 if none);
  the macro mean over the classes present in the test set.
- ``color_entropy``: k-means on L2-normalised embeddings; per cluster the entropy (nats)
  of the colour labels; the unweighted mean over clusters. Also H(C|K)/H(C).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.cluster import KMeans

from skill_train.eval.errors import EvaluationError


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Fraction of rows whose prediction equals the label."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        raise EvaluationError("accuracy of an empty test set is undefined")
    return float(np.mean(y_true == y_pred))


def chance_level(labels: Sequence) -> float:
    """The accuracy of the best constant guess: the share of the most common label."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        raise EvaluationError("the chance level of an empty test set is undefined")
    _, counts = np.unique(labels, return_counts=True)
    return float(counts.max() / len(labels))


def top_confusions(y_true: Sequence, y_pred: Sequence, n: int = 5) -> list[dict[str, object]]:
    """The ``n`` most frequent mistakes, most first (ties by label): each ``true`` label, the ``predicted``
    one, how many rows (``count``) and their ``share`` of the rows of that true label."""
    y_true, y_pred = [str(y) for y in y_true], [str(y) for y in y_pred]
    totals = Counter(y_true)
    mistakes = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)
    ranked = sorted(mistakes.items(), key=lambda item: (-item[1], item[0]))[:n]
    return [{"true": t, "predicted": p, "count": count, "share": count / totals[t]} for (t, p), count in ranked]


def binary_recall_at_precision(is_positive: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """Highest recall over thresholds t (predict positive iff score ≥ t) with precision ≥ ``precision``.

    Thresholds are the distinct scores, so tied scores enter together. 0 when no threshold
    reaches the precision or there are no positives.
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(is_positive.sum())
    if n_pos == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_pos = scores[order], is_positive[order]
    tp = np.cumsum(sorted_pos)
    predicted = np.arange(1, len(scores) + 1)
    # Only the last row of each run of equal scores is a valid cut (ties go in together).
    last_of_run = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    tp, predicted = tp[last_of_run], predicted[last_of_run]
    ok = tp / predicted >= precision - 1e-12
    return float(tp[ok].max() / n_pos) if ok.any() else 0.0


def per_class_recall_at_precision(
    y_true: Sequence, proba: np.ndarray, classes: Sequence, precision: float
) -> dict[str, float]:
    """R@P of each class present in ``y_true``, scored by its probability column.

    ``proba[:, j]`` is the probability of ``classes[j]``; a test class the probe never saw
    in training is scored 0 everywhere (so its R@P is 0 unless it is the only class).
    """
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    column = {str(c): j for j, c in enumerate(classes)}
    out: dict[str, float] = {}
    for cls in np.unique(y_true.astype(str)):
        scores = proba[:, column[cls]] if cls in column else np.zeros(len(y_true))
        out[cls] = binary_recall_at_precision(y_true.astype(str) == cls, scores, precision)
    return out


def recall_at_precision(y_true: Sequence, proba: np.ndarray, classes: Sequence, precision: float) -> float:
    """Macro mean over test classes of the per-class R@P (see :func:`per_class_recall_at_precision`)."""
    per_class = per_class_recall_at_precision(y_true, proba, classes, precision)
    if not per_class:
        raise EvaluationError("R@P of an empty test set is undefined")
    return float(np.mean(list(per_class.values())))


def entropy_nats(labels: Sequence) -> float:
    """Shannon entropy (natural log) of the empirical distribution of ``labels``."""
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


@dataclass(frozen=True)
class ColorEntropy:
    """Colour entropy of a clustering.

    ``mean`` is the unweighted mean over clusters of the per-cluster colour entropy (nats);
    ``conditional`` is H(C|K) (the size-weighted mean), ``marginal`` is H(C) and
    ``normalized`` is H(C|K)/H(C) (None when H(C) = 0, i.e. one colour).
    """

    k: int
    mean: float
    conditional: float
    marginal: float
    normalized: float | None
    per_cluster: tuple[float, ...]
    cluster_sizes: tuple[int, ...]

    def to_json(self) -> dict:
        """Every figure and K, for a report."""
        return {
            "k": self.k,
            "value": self.mean,
            "conditional_entropy": self.conditional,
            "marginal_entropy": self.marginal,
            "normalized": self.normalized,
        }


def cluster_color_entropy(clusters: Sequence, colors: Sequence) -> ColorEntropy:
    """Colour entropy of a given clustering (see :class:`ColorEntropy`)."""
    clusters, colors = np.asarray(clusters), np.asarray(colors)
    if len(clusters) != len(colors) or len(clusters) == 0:
        raise EvaluationError(
            f"colour entropy needs one colour per row: {len(clusters)} rows, {len(colors)} colours"
        )
    ids = np.unique(clusters)
    per_cluster = [entropy_nats(colors[clusters == c]) for c in ids]
    sizes = [int((clusters == c).sum()) for c in ids]
    conditional = float(np.dot(sizes, per_cluster) / len(colors))
    marginal = entropy_nats(colors)
    return ColorEntropy(
        k=len(ids),
        mean=float(np.mean(per_cluster)),
        conditional=conditional,
        marginal=marginal,
        normalized=conditional / marginal if marginal > 0 else None,
        per_cluster=tuple(per_cluster),
        cluster_sizes=tuple(sizes),
    )


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def kmeans_clusters(embeddings: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means cluster of each L2-normalised row (K capped at the number of distinct rows)."""
    x = l2_normalize(embeddings)
    if len(x) < 2:
        raise EvaluationError(f"k-means needs at least 2 embeddings, got {len(x)}")
    if k < 2:
        raise EvaluationError(f"k-means needs K >= 2, got {k}")
    distinct = len(np.unique(x.round(6), axis=0))
    k = min(k, distinct)
    if k < 2:
        return np.zeros(len(x), dtype=np.int64)
    model = KMeans(n_clusters=k, n_init=4, random_state=seed)
    return model.fit_predict(x.astype(np.float64))


def color_entropy(embeddings: np.ndarray, colors: Sequence, k: int, seed: int = 0) -> ColorEntropy:
    """Cluster L2-normalised ``embeddings`` into ``k`` groups and measure their colour entropy."""
    if len(embeddings) != len(colors):
        raise EvaluationError(
            f"colour entropy needs one colour per embedding: {len(embeddings)} vs {len(colors)}"
        )
    return cluster_color_entropy(kmeans_clusters(embeddings, k, seed), colors)
