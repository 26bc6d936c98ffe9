"""A score that needs no labels: does a photo of a held-out product find the product's other photos?

    >>> product_retrieval(embeddings, product_ids)   # the held-out rows only
    {"r@1": 0.62, "map": 0.48, "chance_r@1": 0.004, "queries": 512, "products": 128, ...}

Every photo of a product with at least two photos among the rows is a query; the gallery is
every other row (cosine similarity). R@1 is the share of queries whose nearest row is another
photo of the same product; mAP the mean average precision of those photos in the ranking.
Photos of one product differ in viewpoint, crop and light but not in design, so a
representation that keeps design and drops the shoot scores high; a catalogue needs no
attributes for it, only two photos per product (issue 13's label-free score).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skill_train.eval.metrics import l2_normalize

# Ranking N rows per query costs O(N) memory per query; queries are drawn (seeded) beyond this.
MAX_QUERIES = 2000
_CHUNK = 256


def product_retrieval(embedding: np.ndarray, product_ids: np.ndarray, seed: int = 0,
                      max_queries: int = MAX_QUERIES) -> dict[str, Any]:
    """R@1 and mAP of same-product retrieval among ``embedding``'s rows (see module doc).

    With no product holding two photos among the rows, the result says so under ``skipped``.
    """
    ids = np.asarray(product_ids).astype(str)
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    candidates = np.flatnonzero(counts[inverse] >= 2)
    if len(candidates) == 0:
        return {"skipped": "no product has 2 photos among the held-out rows (embed every photo: "
                           "--per-product none)"}
    queries = candidates
    x = l2_normalize(embedding)
    if len(queries) > max_queries:
        queries = np.sort(np.random.default_rng(seed).choice(candidates, size=max_queries, replace=False))
    hits, precisions, chance = [], [], []
    for start in range(0, len(queries), _CHUNK):
        chunk = queries[start:start + _CHUNK]
        sims = x[chunk] @ x.T
        sims[np.arange(len(chunk)), chunk] = -np.inf  # a photo never retrieves itself
        order = np.argsort(-sims, axis=1, kind="stable")[:, :-1]  # the query itself ranks last
        same = inverse[order] == inverse[chunk][:, None]
        hits.append(same[:, 0])
        positives = same.sum(axis=1)
        ranks = np.arange(1, same.shape[1] + 1)
        precisions.append((np.cumsum(same, axis=1) / ranks * same).sum(axis=1) / positives)
        chance.append(positives / same.shape[1])
    return {
        "r@1": float(np.concatenate(hits).mean()),
        "map": float(np.concatenate(precisions).mean()),
        "chance_r@1": float(np.concatenate(chance).mean()),
        "queries": int(len(queries)),
        "products": int(len(np.unique(inverse[candidates]))),
        "gallery": int(len(x)),
    }
