"""Train/test splits by product, or by design so colourways of one design never straddle.

A split is made over *groups* (designs, or products when there is no ``design_id``), never
over rows: every photo of a product, and every product of a design, lands on one side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from skill_train.eval.errors import EvaluationError


@dataclass(frozen=True)
class Split:
    """Row indices of a train/test split and how it was made.

    ``group_by`` is ``"design_id"`` or ``"product_id"``; ``n_groups`` counts the groups
    on each side as ``(train, test)``.
    """

    train: np.ndarray
    test: np.ndarray
    group_by: str
    test_fraction: float
    seed: int
    n_groups: tuple[int, int]

    def to_json(self) -> dict:
        """The split's parameters and sizes (not the indices) for a report."""
        return {
            "group_by": self.group_by,
            "test_fraction": self.test_fraction,
            "seed": self.seed,
            "train_rows": int(len(self.train)),
            "test_rows": int(len(self.test)),
            "train_groups": self.n_groups[0],
            "test_groups": self.n_groups[1],
        }


def row_groups(
    product_ids: Sequence[str], attributes: Mapping[str, Mapping[str, str]]
) -> tuple[np.ndarray, str]:
    """The group of each row and what it is: its product's ``design_id`` when every product has one.

    ``attributes`` maps product id to that product's attribute dict. When only some products
    carry a ``design_id``, the others form a group of their own (by product id), which still
    never lets a design straddle.
    """
    designs = [attributes.get(pid, {}).get("design_id", "") for pid in product_ids]
    if not any(designs):
        return np.asarray([f"product:{pid}" for pid in product_ids]), "product_id"
    groups = [
        f"design:{design}" if design else f"product:{pid}"
        for pid, design in zip(product_ids, designs)
    ]
    return np.asarray(groups), "design_id"


def group_split(
    groups: Sequence[str],
    test_fraction: float = 0.25,
    seed: int = 0,
    group_by: str = "product_id",
) -> Split:
    """Split rows so that each group is entirely in train or entirely in test.

    Groups are sorted, shuffled with ``seed`` and the first ``round(test_fraction * n)``
    (at least 1, at most n − 1) go to test, so the split depends only on the set of
    groups, not on row order.
    """
    if not 0.0 < test_fraction < 1.0:
        raise EvaluationError(f"test fraction {test_fraction} must be strictly between 0 and 1")
    groups = np.asarray(groups)
    unique = np.unique(groups)
    if len(unique) < 2:
        raise EvaluationError(
            f"cannot split by {group_by}: need at least 2 distinct groups, got {len(unique)}"
        )
    order = np.random.default_rng(seed).permutation(len(unique))
    n_test = int(min(max(round(test_fraction * len(unique)), 1), len(unique) - 1))
    test_groups = unique[order[:n_test]]
    is_test = np.isin(groups, test_groups)
    return Split(
        train=np.flatnonzero(~is_test),
        test=np.flatnonzero(is_test),
        group_by=group_by,
        test_fraction=test_fraction,
        seed=seed,
        n_groups=(len(unique) - n_test, n_test),
    )


@dataclass(frozen=True)
class HoldoutSplit:
    """Product indices on each side, and what was kept together (``design_id`` or ``product_id``)."""

    train: list[int]
    test: list[int]
    group_by: str


def product_split(products: Sequence, fraction: float, seed: int = 0) -> HoldoutSplit:
    """Split a catalogue's products so that a design (or, without ``design_id``, a product) is on one side only.

    The trainer holds the test side out of training; :func:`group_split` makes the split.
    """
    ids = [p.product_id for p in products]
    groups, group_by = row_groups(ids, {p.product_id: p.attributes for p in products})
    split = group_split(groups, test_fraction=fraction, seed=seed, group_by=group_by)
    return HoldoutSplit(train=split.train.tolist(), test=split.test.tolist(), group_by=group_by)
