"""`evaluate` on saved embeddings with known structure, against the tiny on-disk catalogue."""

import math

import numpy as np
import pytest

from skill_aug.catalog import Catalog
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.evaluate import EvalSettings, evaluate
from skill_train.eval.splits import group_split, row_groups

from conftest import COLOURS, PATTERNS


def _table(catalog: Catalog, encode: str, seed: int = 0, merge: dict[str, str] | None = None) -> EmbeddingTable:
    """One row per photo; the embedding encodes the product's pattern or its colour, plus noise
    (``merge`` encodes some patterns as others)."""
    rng = np.random.default_rng(seed)
    ids, paths, rows = [], [], []
    for product in catalog:
        key = product.attributes["pattern"] if encode == "pattern" else product.product_id.split("-")[-1]
        key = (merge or {}).get(key, key)
        axis = (PATTERNS if encode == "pattern" else tuple(COLOURS)).index(key)
        for path in product.paths:
            ids.append(product.product_id)
            paths.append(str(path))
            rows.append(np.eye(16)[axis] * 5 + rng.normal(scale=0.05, size=16))
    return EmbeddingTable(np.asarray(ids), np.asarray(paths), np.asarray(rows, np.float32))


SETTINGS = EvalSettings(attributes=("pattern",), test_fraction=0.34, seed=1)


def test_the_knn_names_the_classes_an_embedding_merges(catalogue):
    catalog = Catalog.open(catalogue)
    merged, into = PATTERNS[1], PATTERNS[0]
    result = evaluate(_table(catalog, "pattern", merge={merged: into}), catalog, SETTINGS)
    knn = result["attributes"]["pattern"]["knn"]
    assert knn["accuracy"] < 1.0 and knn["confusions"]
    assert all({c["true"], c["predicted"]} == {merged, into} for c in knn["confusions"])
    assert sum(c["count"] for c in knn["confusions"]) == round((1 - knn["accuracy"]) * result["attributes"]["pattern"]["n_test"])
    assert all(0 < c["share"] <= 1 for c in knn["confusions"])


def test_pattern_embeddings_are_perfect_and_colour_agnostic(catalogue):
    catalog = Catalog.open(catalogue)
    table = _table(catalog, "pattern")
    attrs = {p.product_id: p.attributes for p in catalog}
    groups, _ = row_groups(table.product_id.tolist(), attrs)
    split = group_split(groups, SETTINGS.test_fraction, SETTINGS.seed)
    patterns = np.asarray([attrs[p]["pattern"] for p in table.product_id])
    assert set(patterns[split.test]) <= set(patterns[split.train])  # the case is fair

    result = evaluate(table, catalog, SETTINGS)
    block = result["attributes"]["pattern"]
    for kind in ("linear", "nonlinear"):
        assert block[kind]["accuracy"] == 1.0
        assert block[kind]["r@90"] == 1.0 and block[kind]["r@95"] == 1.0
    assert block["knn"] == {"accuracy": 1.0, "k": 20, "temperature": 0.07, "confusions": []}
    assert block["n_test"] == len(split.test) and block["n_classes"] == 4
    _, counts = np.unique(patterns[split.test], return_counts=True)
    assert block["chance"] == pytest.approx(counts.max() / len(split.test))  # the best constant guess
    assert result["split"]["group_by"] == "design_id"

    ce = result["color_entropy"]
    assert ce["k"] == 4  # the number of pattern classes
    assert ce["color_source"] == "attribute 'color'"
    assert ce["value"] == pytest.approx(math.log(3))
    assert ce["normalized"] == pytest.approx(1.0)
    assert set(ce["sweep"]) == {"10", "20", "50"}


def test_colour_embeddings_cluster_by_colour(catalogue):
    catalog = Catalog.open(catalogue)
    result = evaluate(_table(catalog, "color"), catalog, SETTINGS)
    assert result["color_entropy"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert result["color_entropy"]["normalized"] == pytest.approx(0.0, abs=1e-9)
    # pattern is not in these embeddings: the probes are near chance
    assert result["attributes"]["pattern"]["linear"]["accuracy"] < 0.6


def test_colour_from_pixels_when_there_is_no_colour_column(catalogue_without_colour):
    catalog = Catalog.open(catalogue_without_colour)
    result = evaluate(_table(catalog, "color"), catalog, SETTINGS)
    ce = result["color_entropy"]
    assert ce["color_source"] == "pixels"
    assert ce["n_colors"] == 3
    assert ce["value"] == pytest.approx(0.0, abs=1e-9)


def test_default_attributes_skip_ids_and_colour(catalogue):
    catalog = Catalog.open(catalogue)
    result = evaluate(_table(catalog, "pattern"), catalog, EvalSettings(probes=("linear",), test_fraction=0.34, seed=1))
    assert list(result["attributes"]) == ["pattern", "sleeve"]
    assert "nonlinear" not in result["attributes"]["sleeve"]


def test_products_missing_from_the_catalogue_are_an_error(catalogue):
    catalog = Catalog.open(catalogue)
    table = _table(catalog, "pattern")
    bad = EmbeddingTable(np.asarray(["nope"] + table.product_id[1:].tolist()), table.path, table.embedding)
    with pytest.raises(EvaluationError, match="'nope'"):
        evaluate(bad, catalog, SETTINGS)
    with pytest.raises(EvaluationError, match="'fabric' is not a column"):
        evaluate(table, catalog, EvalSettings(attributes=("fabric",)))


def test_embedding_file_round_trip_and_mean_per_product(tmp_path, catalogue):
    table = _table(Catalog.open(catalogue), "pattern")
    path = table.save(tmp_path / "e.npz")
    loaded = EmbeddingTable.load(path)
    assert np.array_equal(loaded.embedding, table.embedding)
    assert list(loaded.product_id) == list(table.product_id)
    means = loaded.mean_per_product()
    assert len(means) == 36 and means.meta["per_product"] == "mean"
    first = table.product_id[0]
    assert np.allclose(means.embedding[0], table.embedding[table.product_id == first].mean(axis=0))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    np.savez(tmp_path / "bad.npz", embedding=np.zeros((2, 2)))
    with pytest.raises(EvaluationError, match="missing array 'product_id'"):
        EmbeddingTable.load(tmp_path / "bad.npz")


def test_default_attributes_follow_the_product_type(catalogue):
    catalog = Catalog.open(catalogue)
    attrs = {p.product_id: dict(p.attributes) for p in catalog}
    from skill_train.eval.attributes import default_attributes

    assert default_attributes(catalog.attribute_names, attrs, "curtains") == ["pattern"]  # declares pattern, color
    assert default_attributes(catalog.attribute_names, attrs, "dress") == ["pattern", "sleeve"]
    for a in attrs.values():
        a["category"] = "curtains"
    assert default_attributes(catalog.attribute_names + ["category"], attrs) == ["pattern"]
