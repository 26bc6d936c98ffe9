"""``skill eval`` on a run folder or an embeddings file: the run's catalogue, held-out split and
task as defaults, so evaluation scores products that training never saw.

    >>> result = run_eval(checkpoint=Path("runs/dress"), embeddings=None, data=None, attributes=[], ...)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from rich.console import Console

from skill_train.eval.checks import check_eval_options
from skill_train.eval.embed import embed_run
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.evaluate import EvalSettings, count_steps, evaluate, resolve_attributes
from skill_train.run.folder import RunDir


def open_catalog(data: str | None, fallback: str | None = None) -> Any:
    """The catalogue at ``data`` (else ``fallback``); neither is a one-line error."""
    from skill_aug.catalog import Catalog

    where = data or fallback
    if not where:
        raise EvaluationError("no --data given (the catalogue folder or manifest the embeddings came from)")
    return Catalog.open(where)


def run_catalog(cfg: Mapping[str, Any]) -> str | None:
    """The catalogue a run trained on (``cfg``: its config values): its ``data``, else its task's synthetic catalogue."""
    if cfg.get("data"):
        return str(cfg["data"])
    if cfg.get("task"):
        from skill_aug.synth import default_catalog

        return str(default_catalog(cfg["task"], products=cfg.get("synthetic_products")))
    return None


def run_defaults(cfg: Mapping[str, Any]) -> tuple[float | None, int | None, str | None]:
    """The run's held-out fraction, seed and task, from its config values (so eval tests on products
    training never saw)."""
    holdout = cfg.get("eval_holdout")
    return (float(holdout) if holdout else None), cfg.get("seed"), cfg.get("task")


def run_eval(
    *,
    checkpoint: Path | None,
    embeddings: Path | None,
    data: str | None,
    attributes: list[str],
    task: str | None,
    probes: list[str],
    test_fraction: float | None,
    seed: int | None,
    entropy_k: int | None,
    per_product: str,
    device: str,
    workers: int,
    console: Console,
    by: str | None = None,
    input: str | None = None,
) -> dict:
    """Embed (or load embeddings), evaluate and return the report (what ``skill eval`` prints); ``by``
    (a column, e.g. ``category``) reports each of its values as well."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    if (checkpoint is None) == (embeddings is None):
        raise EvaluationError("give exactly one of --checkpoint RUN or --embeddings FILE.npz")
    check_eval_options(test_fraction, seed, entropy_k, workers, per_product)
    run_config = RunDir(checkpoint).config_values() if checkpoint is not None else {}
    if checkpoint is not None:
        catalog = open_catalog(data or run_catalog(run_config))
        table = embed_run(checkpoint, catalog, per_product=per_product, device=device, workers=workers,
                          input=input or "colour")
    else:
        if input is not None:
            raise EvaluationError(f"--input {input}: chooses what --checkpoint's backbone is shown; {embeddings} "
                                  "is already embedded (give --input to `skill embed` instead)")
        table = EmbeddingTable.load(embeddings)
        catalog = open_catalog(data, table.meta.get("data"))
        if per_product == "mean":
            table = table.mean_per_product()
    run_fraction, run_seed, run_task = run_defaults(run_config)
    settings = EvalSettings(
        attributes=tuple(attributes) or None,
        task=task or run_task,
        test_fraction=test_fraction if test_fraction is not None else (run_fraction or 0.2),
        seed=seed if seed is not None else (run_seed or 0),
        probes=tuple(probes) or ("linear", "nonlinear"),
        entropy_k=entropy_k,
        by=by,
    )
    names = resolve_attributes(catalog, settings)
    n_values = len({v for v in catalog.attribute_values(by) if v}) if by in catalog.attribute_names else 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("evaluating", total=count_steps(len(names), settings, n_values))
        result = evaluate(table, catalog, settings, lambda what: progress.update(task, advance=1, description=f"evaluating: {what}"))
    result["source"] = {
        "checkpoint": str(checkpoint) if checkpoint else None,
        "embeddings": str(embeddings) if embeddings else None,
        "data": str(catalog.source),
        "embedding": dict(table.meta),
    }
    return result
