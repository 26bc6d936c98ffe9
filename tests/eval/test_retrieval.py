"""Held-out product retrieval: the label-free score, on hand-made cases and through `evaluate`."""

import numpy as np
import pytest

from skill_aug.catalog import Catalog
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.evaluate import EvalSettings, evaluate
from skill_train.eval.retrieval import product_retrieval


def test_a_hand_made_ranking_gives_known_r1_and_map():
    # A0 and A1 are orthogonal and B lies between them: each A photo ranks B first, the other A second
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])
    result = product_retrieval(x, np.array(["A", "A", "B"]))
    assert result["r@1"] == 0.0 and result["map"] == pytest.approx(0.5)  # the other A photo ranks 2nd
    assert result["queries"] == 2 and result["products"] == 1 and result["chance_r@1"] == pytest.approx(0.5)


def test_identity_beats_random_and_single_photos_are_skipped():
    rng = np.random.default_rng(0)
    ids = np.repeat([f"p{i}" for i in range(20)], 3)
    identity = np.repeat(rng.normal(size=(20, 32)), 3, axis=0) + rng.normal(scale=0.05, size=(60, 32))
    assert product_retrieval(identity, ids)["r@1"] == 1.0 and product_retrieval(identity, ids)["map"] == 1.0
    noise = product_retrieval(rng.normal(size=(60, 32)), ids)
    assert noise["r@1"] < 0.3 and noise["chance_r@1"] == pytest.approx(2 / 59)
    assert "skipped" in product_retrieval(identity[::3], ids[::3])


def test_queries_are_capped_and_drawn_by_the_seed():
    rng = np.random.default_rng(1)
    ids = np.repeat([f"p{i}" for i in range(50)], 2)
    x = rng.normal(size=(100, 8))
    a, b = product_retrieval(x, ids, seed=3, max_queries=40), product_retrieval(x, ids, seed=3, max_queries=40)
    assert a == b and a["queries"] == 40 and a["gallery"] == 100


def test_evaluate_reports_retrieval_on_the_held_out_side(catalogue):
    """Embeddings that know each product find its other photo; pattern-only ones confuse products."""
    catalog = Catalog.open(catalogue)
    rng = np.random.default_rng(0)
    ids, paths, by_product, by_pattern = [], [], [], []
    directions = {p.product_id: rng.normal(size=16) for p in catalog}
    patterns = {name: rng.normal(size=16) for name in {p.attributes["pattern"] for p in catalog}}
    for product in catalog:
        for path in product.paths:
            ids.append(product.product_id)
            paths.append(str(path))
            by_product.append(directions[product.product_id] + rng.normal(scale=0.01, size=16))
            by_pattern.append(patterns[product.attributes["pattern"]] + rng.normal(scale=0.01, size=16))
    settings = EvalSettings(attributes=("pattern",), test_fraction=0.34, seed=1, probes=("linear",))
    knows = evaluate(EmbeddingTable(np.asarray(ids), np.asarray(paths), np.asarray(by_product, np.float32)),
                     catalog, settings)["retrieval"]
    pattern_only = evaluate(EmbeddingTable(np.asarray(ids), np.asarray(paths), np.asarray(by_pattern, np.float32)),
                            catalog, settings)["retrieval"]
    assert knows["r@1"] == 1.0 and knows["queries"] == pattern_only["queries"] > 0
    assert pattern_only["r@1"] < 0.8 and pattern_only["map"] < knows["map"]
