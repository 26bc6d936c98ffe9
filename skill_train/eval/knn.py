"""Weighted k-NN classification on frozen embeddings (DINO's protocol), and the trainer's
end-of-run check built on it.

Cosine similarity on L2-normalised features; each of the top-k training neighbours votes
for its label with weight exp(similarity / T). Test rows are processed in fixed-size
chunks, so any test-set size works (including fewer than 100 rows).

    >>> split = product_split(catalog.products, fraction=0.2, seed=0)   # by design_id when present
    >>> report, _ = knn_checks(backbone, catalog, split, attributes=["pattern", "color"], size=64)
    >>> report["pattern"]          # {"accuracy": …, "chance": …, "n_classes": …, "n_train": …, "n_test": …}

Products of the check's test side never train the network (the trainer leaves them out), so
its accuracy measures generalisation to unseen designs.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from skill_train.eval.errors import EvaluationError
from skill_train.eval.metrics import accuracy, chance_level, l2_normalize


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


def knn_checks(
    backbone: Any,
    catalog: Any,
    split: Any,
    attributes: Sequence[str],
    size: int,
    device: str = "cpu",
    k: int = 20,
    temperature: float = 0.07,
    photos_per_product: int = 2,
    preprocess: Callable[..., np.ndarray] | None = None,
    by: str | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
    """Per attribute: k-NN accuracy of ``split.test``'s photos against ``split.train``'s, the chance
    level (:func:`~skill_train.eval.metrics.chance_level`) and the class and row counts; and with ``by``
    (a column, e.g. ``category``) the same report per value of that column, embedding once: a
    category's test photos vote among that category's training photos only, as if its catalogue
    stood alone (so a mixed run compares with per-type runs).

    Up to ``photos_per_product`` photos of each product are embedded whole
    (:func:`~skill_train.eval.embed.embed_catalog`, after ``preprocess``, e.g. the policy's H).
    Rows whose product lacks the attribute are left out of that attribute.
    """
    from skill_train.eval.embed import embed_catalog

    def embed(indices: Sequence[int]) -> Any:
        return embed_catalog(backbone, catalog.subset(indices), size, preprocess, device,
                             photos_per_product=photos_per_product, show_progress=False)

    train, test = embed(split.train), embed(split.test)
    labels = {p.product_id: p.attributes for p in catalog}
    unreadable = int(train.meta.get("unreadable", 0) + test.meta.get("unreadable", 0))
    overall = _knn_report(train, test, labels, attributes, k, temperature, unreadable)
    per_value: dict[str, dict[str, dict[str, float]]] = {}
    if by:
        train_by = np.asarray([labels[pid].get(by, "") for pid in train.product_id])
        test_by = np.asarray([labels[pid].get(by, "") for pid in test.product_id])
        for value in sorted(set(test_by.tolist()) - {""}):
            report = _knn_report(train, test, labels, [a for a in attributes if a != by], k, temperature,
                                 unreadable, train_by == value, test_by == value)
            if report:
                per_value[value] = report
    return overall, per_value


def _knn_report(train: Any, test: Any, labels: dict, attributes: Sequence[str], k: int, temperature: float,
                unreadable: int, train_rows: np.ndarray | None = None,
                test_rows: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Per attribute, k-NN of the test rows (``test_rows`` of them) against the train rows (``train_rows``)."""
    report: dict[str, dict[str, float]] = {}
    for name in attributes:
        train_y = np.asarray([labels[pid].get(name, "") for pid in train.product_id])
        test_y = np.asarray([labels[pid].get(name, "") for pid in test.product_id])
        tr, te = train_y != "", test_y != ""
        if train_rows is not None:
            tr, te = tr & train_rows, te & test_rows
        if not tr.any() or not te.any():
            continue
        predicted = knn_predict(train.embedding[tr], train_y[tr], test.embedding[te], k=k, temperature=temperature)
        report[name] = {
            "accuracy": accuracy(test_y[te], predicted),
            "chance": chance_level(test_y[te]),
            "n_classes": int(len(set(train_y[tr].tolist()) | set(test_y[te].tolist()))),
            "n_train": int(tr.sum()),
            "n_test": int(te.sum()),
            "unreadable_photos": unreadable,
        }
    return report
