"""Weighted k-NN classification on frozen embeddings (DINO's protocol).

Cosine similarity on L2-normalised features; each of the top-k training neighbours votes
for its label with weight exp(similarity / T). Test rows are processed in fixed-size
chunks, so any test-set size works (including fewer than 100 rows).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from skill_train.evaluation.errors import EvaluationError
from skill_train.evaluation.metrics import l2_normalize


def knn_scores(
    train_embeddings: np.ndarray,
    train_labels: Sequence,
    test_embeddings: np.ndarray,
    k: int = 20,
    temperature: float = 0.07,
    chunk_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Per test row, the summed vote weight of each class; returns ``(classes, scores)``.

    ``k`` is capped at the number of training rows.
    """
    train_labels = np.asarray(train_labels).astype(str)
    if len(train_embeddings) != len(train_labels) or len(train_labels) == 0:
        raise EvaluationError(
            f"k-NN needs labelled training rows: {len(train_embeddings)} embeddings, "
            f"{len(train_labels)} labels"
        )
    if temperature <= 0 or k < 1:
        raise EvaluationError(f"k-NN needs k >= 1 and T > 0, got k={k}, T={temperature}")
    classes, label_index = np.unique(train_labels, return_inverse=True)
    train = l2_normalize(train_embeddings)
    test = l2_normalize(test_embeddings)
    k = min(k, len(train))
    scores = np.zeros((len(test), len(classes)), dtype=np.float64)
    for start in range(0, len(test), chunk_size):
        sims = test[start : start + chunk_size] @ train.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1).astype(np.float64)
        weights = np.exp(top_sims / temperature)
        rows = np.repeat(np.arange(len(top)), k)
        np.add.at(scores[start : start + chunk_size], (rows, label_index[top].ravel()), weights.ravel())
    return classes, scores


def knn_predict(
    train_embeddings: np.ndarray,
    train_labels: Sequence,
    test_embeddings: np.ndarray,
    k: int = 20,
    temperature: float = 0.07,
) -> np.ndarray:
    """The label with the largest vote weight for each test row."""
    classes, scores = knn_scores(train_embeddings, train_labels, test_embeddings, k, temperature)
    return classes[scores.argmax(axis=1)]
