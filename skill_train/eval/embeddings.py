"""Embedding files: an ``.npz`` with ``product_id``, ``path`` and ``embedding`` (one row each).

    >>> table = EmbeddingTable.load("dress.npz")
    >>> table.embedding.shape          # (rows, dim), float32
    >>> table.mean_per_product()       # one row per product (path = its first photo)
    >>> table.save("dress-products.npz")

Strings are stored as fixed-width unicode arrays, so ``np.load`` never needs pickle.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skill_aug.atomic import atomic_write
from skill_train.eval.errors import EvaluationError

REQUIRED_KEYS = ("product_id", "path", "embedding")


@dataclass(frozen=True)
class EmbeddingTable:
    """Rows of embeddings with the product and photo each came from; ``meta`` says how they were made."""

    product_id: np.ndarray
    path: np.ndarray
    embedding: np.ndarray
    meta: dict = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        n = len(self.product_id)
        if len(self.path) != n or self.embedding.ndim != 2 or len(self.embedding) != n:
            raise EvaluationError(
                f"embedding table needs one product_id, path and embedding row per row: got "
                f"{n}, {len(self.path)} and {self.embedding.shape}"
            )

    def __len__(self) -> int:
        return len(self.product_id)

    @property
    def dim(self) -> int:
        """Width of an embedding row."""
        return int(self.embedding.shape[1])

    def mean_per_product(self) -> "EmbeddingTable":
        """One row per product (in first-seen order): the mean of its rows; ``path`` is its first photo."""
        ids, first, inverse = np.unique(self.product_id, return_index=True, return_inverse=True)
        order = np.argsort(first)
        sums = np.zeros((len(ids), self.dim), dtype=np.float64)
        np.add.at(sums, inverse, self.embedding)
        means = sums / np.bincount(inverse)[:, None]
        meta = dict(self.meta, per_product="mean")
        return EmbeddingTable(ids[order], self.path[first[order]], means[order].astype(np.float32), meta)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the table atomically (to exactly ``path``, whatever its suffix)."""
        arrays = dict(
            product_id=np.asarray(self.product_id, dtype=str),
            path=np.asarray(self.path, dtype=str),
            embedding=np.asarray(self.embedding, dtype=np.float32),
            meta=np.asarray(json.dumps(self.meta)),
        )

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:  # a file object: np.savez adds no ".npz" to the name
                np.savez(f, **arrays)

        return atomic_write(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "EmbeddingTable":
        """Read a table written by :meth:`save` (or any ``.npz`` with the three arrays)."""
        path = Path(path)
        if not path.is_file():
            raise EvaluationError(f"{path}: no such embeddings file")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in REQUIRED_KEYS if k not in data.files]
                if missing:
                    raise EvaluationError(
                        f"{path}: missing array {missing[0]!r} (an embeddings file holds "
                        f"{', '.join(REQUIRED_KEYS)})"
                    )
                meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
                embedding = np.asarray(data["embedding"], dtype=np.float32)
                if embedding.ndim != 2:
                    raise EvaluationError(f"{path}: 'embedding' must be 2-D (rows, dim), got {embedding.shape}")
                bad = np.flatnonzero(~np.isfinite(embedding).all(axis=1))
                if len(bad):
                    raise EvaluationError(f"{path}: {len(bad)} embedding row(s) hold NaN or infinite values "
                                          f"(first: row {bad[0]}); every value must be a finite number")
                return cls(data["product_id"].astype(str), data["path"].astype(str), embedding, meta)
        except (OSError, ValueError) as err:
            raise EvaluationError(f"{path}: not a readable .npz embeddings file ({err})") from err
