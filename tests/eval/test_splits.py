"""Splits keep every design (or product) on one side."""

import numpy as np
import pytest

from skill_train.eval.errors import EvaluationError
from skill_train.eval.splits import group_split, row_groups


def _catalogue_rows():
    # 40 designs x 3 colourways x 2 photos
    attributes, product_ids = {}, []
    for design in range(40):
        for colour in range(3):
            pid = f"p{design:02d}-{colour}"
            attributes[pid] = {"design_id": f"d{design:02d}", "color": str(colour)}
            product_ids += [pid, pid]
    return product_ids, attributes


def test_split_never_leaks_a_design():
    product_ids, attributes = _catalogue_rows()
    groups, group_by = row_groups(product_ids, attributes)
    assert group_by == "design_id"
    for seed in range(5):
        split = group_split(groups, 0.25, seed, group_by)
        train_designs = {attributes[product_ids[i]]["design_id"] for i in split.train}
        test_designs = {attributes[product_ids[i]]["design_id"] for i in split.test}
        assert train_designs and test_designs
        assert not train_designs & test_designs
        assert len(split.train) + len(split.test) == len(product_ids)
        assert split.n_groups == (30, 10)


def test_split_by_product_without_design_ids():
    product_ids = [f"p{i}" for i in range(10) for _ in range(3)]
    groups, group_by = row_groups(product_ids, {pid: {"pattern": "x"} for pid in product_ids})
    assert group_by == "product_id"
    split = group_split(groups, 0.3, 0, group_by)
    train = {product_ids[i] for i in split.train}
    test = {product_ids[i] for i in split.test}
    assert not train & test and len(test) == 3


def test_split_is_deterministic_and_independent_of_row_order():
    product_ids, attributes = _catalogue_rows()
    groups, _ = row_groups(product_ids, attributes)
    a = group_split(groups, 0.25, 3)
    perm = np.random.default_rng(0).permutation(len(groups))
    b = group_split(groups[perm], 0.25, 3)
    assert set(groups[a.test]) == set(groups[perm][b.test])
    assert set(groups[a.test]) != set(groups[group_split(groups, 0.25, 4).test])


def test_split_needs_two_groups_and_a_sane_fraction():
    with pytest.raises(EvaluationError, match="at least 2"):
        group_split(["a", "a"], 0.5)
    with pytest.raises(EvaluationError, match="between 0 and 1"):
        group_split(["a", "b"], 1.0)
    # two groups: one on each side whatever the fraction
    split = group_split(["a", "b"], 0.01)
    assert len(split.train) == 1 and len(split.test) == 1
