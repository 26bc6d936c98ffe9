"""One evaluation of frozen embeddings against a catalogue's labels (paper §5).

    >>> table = EmbeddingTable.load("dress.npz")
    >>> result = evaluate(table, Catalog.open("data/dress"), EvalSettings(attributes=("pattern",)))
    >>> result["attributes"]["pattern"]["linear"]["r@90"], result["color_entropy"]["value"]

Per attribute: a linear and a non-linear probe (accuracy, R@90, R@95) and weighted k-NN
accuracy, all trained on the train side of a design-grouped split and scored on the test
side. Held-out product retrieval (R@1, mAP) needs no labels at all: each test-side photo
should find its product's other photos first. Colour entropy clusters every row (no labels
are used to fit k-means).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

import numpy as np

from skill_train.eval.attributes import default_attributes
from skill_train.eval.colors import color_column, colors_from_attributes, colors_from_pixels
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.knn import knn_predict
from skill_train.eval.metrics import accuracy, chance_level, color_entropy, recall_at_precision, top_confusions
from skill_train.eval.probes import ProbeConfig, fit_probe
from skill_train.eval.retrieval import product_retrieval
from skill_train.eval.splits import Split, group_split, row_groups

@dataclass(frozen=True)
class EvalSettings:
    """Every parameter of an evaluation; all of them are written into the JSON report.

    ``test_fraction`` and ``seed`` default to the trainer's held-out split (``eval_holdout``
    0.2, seed 0), so the test side is the products the network never trained on.
    ``entropy_k`` None means the number of pattern classes (10 without a pattern column).
    ``task`` (else a single-valued ``category`` column) picks the product type whose
    declared attributes are probed when ``attributes`` is None. ``by`` names a column (e.g.
    ``category``) whose every value gets the report again, over its own rows.
    """

    attributes: tuple[str, ...] | None = None
    task: str | None = None
    test_fraction: float = 0.2
    seed: int = 0
    probes: tuple[str, ...] = ("linear", "nonlinear")
    precisions: tuple[float, ...] = (0.90, 0.95)
    hidden: int = 512
    knn_k: int = 20
    knn_temperature: float = 0.07
    entropy_k: int | None = None
    entropy_sweep: tuple[int, ...] = (10, 20, 50)
    by: str | None = None

    def to_json(self) -> dict:
        """The settings as plain values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def r_key(precision: float) -> str:
    """The JSON key of R@P: ``r@90`` for 0.90."""
    return f"r@{round(precision * 100):d}"


def evaluate_attribute(
    x: np.ndarray, labels: np.ndarray, groups: np.ndarray, split: Split, settings: EvalSettings,
    step: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Probes and k-NN for one attribute; rows with an empty label are left out."""
    train = split.train[labels[split.train] != ""]
    test = split.test[labels[split.test] != ""]
    train_classes = np.unique(labels[train])
    out: dict[str, Any] = {
        "n_classes": int(len(np.unique(labels[labels != ""]))),
        "n_train": int(len(train)),
        "n_test": int(len(test)),
    }
    if len(test) == 0 or len(train_classes) < 2:
        out["skipped"] = f"{len(train_classes)} class(es) in train, {len(test)} test rows"
        for _ in (*settings.probes, "knn"):
            step("")
        return out
    out["chance"] = chance_level(labels[test])
    for kind in settings.probes:
        config = ProbeConfig(kind=kind, hidden=settings.hidden, seed=settings.seed)
        probe = fit_probe(x[train], labels[train], groups[train], config)
        proba = probe.predict_proba(x[test])
        block = {"accuracy": accuracy(labels[test], probe.classes[proba.argmax(axis=1)])}
        for p in settings.precisions:
            block[r_key(p)] = recall_at_precision(labels[test], proba, probe.classes, p)
        block["probe"] = config.to_json()
        block["training"] = probe.training_json()
        out[kind] = block
        step(kind)
    predicted = knn_predict(x[train], labels[train], x[test], settings.knn_k, settings.knn_temperature)
    out["knn"] = {
        "accuracy": accuracy(labels[test], predicted),
        "k": settings.knn_k,
        "temperature": settings.knn_temperature,
        "confusions": top_confusions(labels[test], predicted),  # which classes the embedding merges
    }
    step("knn")
    return out


def row_colors(table: EmbeddingTable, catalog: Any, attributes: dict[str, dict[str, str]]) -> tuple[np.ndarray, str]:
    """Each row's colour label and where it came from (a column name, or ``pixels``)."""
    column = color_column(catalog.attribute_names)
    if column:
        return colors_from_attributes(table.product_id, attributes, column), f"attribute '{column}'"
    by_product = colors_from_pixels(catalog, table.product_id.tolist())
    return np.asarray([by_product.get(pid, "") for pid in table.product_id]), "pixels"


def evaluate_color_entropy(
    x: np.ndarray, colors: np.ndarray, k: int, settings: EvalSettings
) -> dict[str, Any]:
    """Colour entropy at K = ``k`` and at each K of the sweep (rows without a colour left out)."""
    has = colors != ""
    if has.sum() < 2:
        raise EvaluationError("colour entropy needs at least 2 rows with a colour label")
    main = color_entropy(x[has], colors[has], k, settings.seed)
    out = main.to_json()
    out["n_colors"] = int(len(np.unique(colors[has])))
    out["rows"] = int(has.sum())
    out["sweep"] = {str(kk): color_entropy(x[has], colors[has], kk, settings.seed).to_json() for kk in settings.entropy_sweep}
    return out


def evaluate(
    table: EmbeddingTable,
    catalog: Any,
    settings: EvalSettings = EvalSettings(),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every figure of the report for ``table`` against ``catalog``'s labels (see module doc).

    ``progress`` is called with a short description after each unit of work; use
    :func:`count_steps` for the total.
    """
    step = progress or (lambda _: None)
    attributes = {p.product_id: dict(p.attributes) for p in catalog}
    unknown = [pid for pid in np.unique(table.product_id) if pid not in attributes]
    if unknown:
        raise EvaluationError(
            f"{len(unknown)} embedded product(s) are not in the catalogue {catalog.source}, e.g. "
            f"{unknown[0]!r}: embed and evaluate the same --data"
        )
    names = resolve_attributes(catalog, settings, attributes)
    if settings.by and settings.by not in catalog.attribute_names:
        raise EvaluationError(f"--by {settings.by!r} is not a column of {catalog.source} "
                              f"(columns: {', '.join(catalog.attribute_names) or 'none'})")
    groups, group_by = row_groups(table.product_id.tolist(), attributes)
    split = group_split(groups, settings.test_fraction, settings.seed, group_by)
    result = _evaluate_rows(table, catalog, settings, attributes, names, groups, split, step)
    result = {"rows": len(table), "products": int(len(np.unique(table.product_id))), "dim": table.dim,
              "split": split.to_json(), "settings": settings.to_json(), **result}
    if settings.by:
        result["by"] = settings.by
        result["by_category"] = {}
        values = np.asarray([attributes[pid].get(settings.by, "") for pid in table.product_id])
        for value in sorted(set(values.tolist()) - {""}):
            rows = values == value
            part = replace(split, train=split.train[rows[split.train]], test=split.test[rows[split.test]],
                           n_groups=(len(set(groups[split.train[rows[split.train]]])),
                                     len(set(groups[split.test[rows[split.test]]]))))
            block = _evaluate_rows(table, catalog, settings, attributes,
                                   category_attributes(catalog, settings, attributes, value), groups, part, step,
                                   rows=np.flatnonzero(rows))
            result["by_category"][value] = {"rows": int(rows.sum()), "split": part.to_json(), **block}
    return result


def _evaluate_rows(
    table: EmbeddingTable, catalog: Any, settings: EvalSettings, attributes: dict[str, dict[str, str]],
    names: list[str], groups: np.ndarray, split: Split, step: Callable[[str], None], rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """Probes, k-NN, retrieval and colour entropy over ``rows`` of ``table`` (all when None); ``split``
    indexes the whole table."""
    x = table.embedding
    result: dict[str, Any] = {"attributes": {}}
    for name in names:
        labels = np.asarray([attributes[pid].get(name, "") for pid in table.product_id])
        result["attributes"][name] = evaluate_attribute(x, labels, groups, split, settings, step)

    result["retrieval"] = product_retrieval(x[split.test], table.product_id[split.test], settings.seed)
    step("retrieval")

    colors, source = row_colors(table, catalog, attributes)
    keep = np.arange(len(table)) if rows is None else rows
    k = settings.entropy_k
    if k is None:
        patterns = {attributes[pid].get("pattern", "") for pid in np.unique(table.product_id[keep])} - {""}
        k = len(patterns) if len(patterns) >= 2 else 10
    try:
        entropy = evaluate_color_entropy(x[keep], colors[keep], k, settings)
    except EvaluationError as err:
        if rows is None:
            raise
        entropy = {"skipped": str(err), "color_source": source}
    entropy["color_source"] = source
    result["color_entropy"] = entropy
    step("colour entropy")
    return result


def category_attributes(
    catalog: Any, settings: EvalSettings, attributes: dict[str, dict[str, str]], value: str
) -> list[str]:
    """The attributes scored for the rows whose ``settings.by`` column is ``value``: ``settings.attributes``,
    else those :func:`default_attributes` picks among those products (``value`` as the product type),
    never the ``by`` column itself."""
    mine = {pid: a for pid, a in attributes.items() if a.get(settings.by or "", "") == value}
    if settings.attributes:
        names = list(settings.attributes)
    else:
        names = default_attributes(catalog.attribute_names, mine, value)
    return [n for n in names if n != settings.by]


def resolve_attributes(
    catalog: Any, settings: EvalSettings, attributes: dict[str, dict[str, str]] | None = None
) -> list[str]:
    """The attributes to probe: ``settings.attributes``, checked, or :func:`default_attributes`."""
    bad = [k for k in settings.probes if k not in ("linear", "nonlinear")]
    if bad:
        raise EvaluationError(f"unknown probe {bad[0]!r} (valid: linear, nonlinear)")
    if attributes is None:
        attributes = {p.product_id: dict(p.attributes) for p in catalog}
    if not settings.attributes:
        return default_attributes(catalog.attribute_names, attributes, settings.task)
    names = list(settings.attributes)
    missing = [n for n in names if n not in catalog.attribute_names]
    if missing:
        raise EvaluationError(
            f"attribute {missing[0]!r} is not a column of {catalog.source} "
            f"(columns: {', '.join(catalog.attribute_names) or 'none'})"
        )
    return names


def count_steps(n_attributes: int, settings: EvalSettings, n_values: int = 0) -> int:
    """How many times :func:`evaluate` calls its ``progress`` callback (about: ``n_values`` values of
    ``settings.by`` counted as having ``n_attributes`` each)."""
    return (n_attributes * (len(settings.probes) + 1) + 2) * (1 + n_values)
