"""A mixed catalogue's evaluation per category: `skill compare --data MIXED`, `skill eval --by category`,
the trainer's end-of-run k-NN per category and `skill search --same-category`, on a tiny preset."""

import functools
import json

import numpy as np
import pytest
import torch
import yaml
from threadpoolctl import threadpool_limits

from skill_aug.catalog import Catalog
from skill_aug.synth import write_catalog
from skill_train.compare.rows import select, standard_rows
from skill_train.compare import runs as compare_runs
from skill_train.compare.runs import compare
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.evaluate import EvalSettings, evaluate
from skill_train.eval.search import query_category, search

from test_compare_search import TINY

TYPES = ("dress", "shirt", "shoes")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny probes and k-means: BLAS threads would only fight over the cores."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, one_thread):
    """A comparison on a catalogue of three types: random init, DINO and SkiLL (each product its type's
    policy); linear probes only, to keep it fast."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("mixed")
    write_catalog(",".join(TYPES), products=72, out=root / "data", seed=2, size=48, photos_min=2, photos_max=2)
    preset = root / "tiny.yaml"
    preset.write_text(yaml.safe_dump(TINY))
    rows = [r for r in standard_rows(None, root / "out") if r.name in ("random-init", "skill", "dino")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compare_runs, "EvalSettings", functools.partial(EvalSettings, probes=("linear",)))
        report = compare(None, root / "out", data=str(root / "data"), preset=str(preset), rows=rows,
                         attributes=("pattern",), device="cpu", log=lambda _: None)
    return root, report


def test_compare_on_a_mixed_catalogue_trains_each_row_on_it_and_reports_each_category(mixed):
    root, report = mixed
    out = root / "out"
    assert [r["name"] for r in report["rows"]] == ["random-init", "dino", "skill"]
    assert report["task"] is None and report["rows"][2]["policy"] == "category"
    for row in report["rows"]:
        evaluation = row["eval"]
        assert evaluation["by"] == "category" and sorted(evaluation["by_category"]) == list(TYPES)
        assert sum(part["rows"] for part in evaluation["by_category"].values()) == evaluation["rows"]
    skill = yaml.safe_load((out / "skill" / "policy.yaml").read_text())
    assert sorted(skill["policies"]) == list(TYPES)  # SkiLL: each category its own type's policy
    assert yaml.safe_load((out / "dino" / "policy.yaml").read_text())["name"] == "dino"  # pinned for all
    markdown = (out / "comparison.md").read_text()
    for name in TYPES:
        assert f"**category {name} (" in markdown
    assert [r.name for r in standard_rows(None, root / "rows") if r.method in ("dino", None)] == \
        ["random-init", "dino", "skill"]  # no ablations without a type
    with pytest.raises(EvaluationError, match="'skill-no-local' is not a row of this comparison"):
        select(standard_rows(None, root / "rows"), ["skill-no-local"])
    with pytest.raises(EvaluationError, match=r"give --task \(a product type\) or --data"):
        compare(None, root / "none")


def test_the_trainers_end_of_run_knn_reports_each_category(mixed):
    root, _ = mixed
    summary = json.loads((root / "out" / "skill" / "summary.json").read_text())
    knn = summary["knn"]
    assert knn["by"] == "category" and set(knn["by_category"]) <= set(TYPES) and knn["by_category"]
    for report in knn["by_category"].values():
        assert "category" not in report and "pattern" in report
        assert 0 <= report["pattern"]["accuracy"] <= 1 and 0 <= report["pattern"]["random_init_accuracy"] <= 1
    from skill_train.run.log import summary_tables

    assert any("k-NN per category" in str(table.title) for table in summary_tables(summary))


def test_eval_by_category_scores_each_categorys_own_rows_on_the_one_split(mixed):
    from skill_train.eval.splits import group_split, row_groups

    root, _ = mixed
    catalog = Catalog.open(root / "data")
    products = catalog.products
    labels = {p.product_id: dict(p.attributes) for p in products}
    ids = np.asarray([p.product_id for p in products])
    categories = np.asarray([labels[pid]["category"] for pid in ids])
    pattern = np.asarray([labels[pid]["pattern"] for pid in ids])
    groups, group_by = row_groups(ids.tolist(), labels)
    split = group_split(groups, 0.2, 0, group_by)  # the split evaluate makes
    def scorable(c: str) -> bool:  # held-out rows, and two patterns to tell apart in training
        return (categories[split.test] == c).any() and len(set(pattern[split.train][categories[split.train] == c])) > 1

    exact = next(c for c in TYPES if scorable(c))
    patterns = sorted(set(pattern))
    rng = np.random.default_rng(0)
    rows = [np.eye(len(patterns))[patterns.index(pattern[i])] if categories[i] == exact
            else rng.normal(size=len(patterns)) for i in range(len(ids))]  # one category embeds its pattern exactly
    table = EmbeddingTable(ids, np.asarray([str(p.paths[0]) for p in products]), np.asarray(rows, np.float32), {})
    result = evaluate(table, catalog, EvalSettings(attributes=("pattern",), probes=("linear",), by="category"))
    assert sum(part["split"]["test_rows"] for part in result["by_category"].values()) == result["split"]["test_rows"]
    mine = result["by_category"][exact]
    assert mine["split"]["test_rows"] == (categories[split.test] == exact).sum() > 0
    seen = set(pattern[split.train][categories[split.train] == exact])
    held_out = pattern[split.test][categories[split.test] == exact]
    # among its own training rows, an exactly embedded pattern finds itself whenever training had it
    assert mine["attributes"]["pattern"]["knn"]["accuracy"] == pytest.approx(np.mean([p in seen for p in held_out]))
    with pytest.raises(EvaluationError, match=r"--by 'kind' is not a column of .* \(columns: category, pattern"):
        evaluate(table, catalog, EvalSettings(attributes=("pattern",), by="kind"))


def test_eval_by_category_from_a_run_folder(mixed):
    from rich.console import Console

    from skill_train.eval.from_run import run_eval

    root, _ = mixed
    result = run_eval(checkpoint=root / "out" / "skill", embeddings=None, data=None, attributes=["pattern"], task=None,
                      probes=["linear"], test_fraction=None, seed=None, entropy_k=None, per_product="none",
                      device="cpu", workers=0, console=Console(file=open("/dev/null", "w")), by="category")
    assert result["settings"]["by"] == "category" and sorted(result["by_category"]) == list(TYPES)
    from skill_train.eval.report import by_category_table

    assert by_category_table(result).row_count >= 3


def test_search_can_keep_to_the_querys_category(mixed):
    root, _ = mixed
    catalog = Catalog.open(root / "data")
    shoe = next(p for p in catalog if p.attributes["category"] == "shoes")
    run = root / "out" / "skill"
    assert query_category(catalog, shoe.paths[0]) == "shoes"
    hits = search(run, catalog, shoe.paths[0], k=5, per="product", device="cpu", category="shoes")
    shoes = {p.product_id for p in catalog if p.attributes["category"] == "shoes"}
    assert len(hits) == 5 and all(hit.product_id in shoes for hit in hits)
    assert hits[0].product_id == shoe.product_id  # its own product first (the query is one of its photos)
    anywhere = search(run, catalog, shoe.paths[0], k=len(catalog), per="product", device="cpu")
    assert {hit.product_id for hit in anywhere} - shoes  # without the restriction, other types come up too
    with pytest.raises(EvaluationError, match=r"is not a photo of .*; name the query's category with --category"):
        query_category(catalog, root / "tiny.yaml")
    with pytest.raises(EvaluationError, match=r"--category 'rug': no product"):
        search(run, catalog, shoe.paths[0], k=3, device="cpu", category="rug")
