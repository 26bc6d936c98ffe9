"""``skill compare``: train every row under one budget and seed, evaluate them all, report.

    >>> result = compare("dress", out=Path("runs/compare-dress"), preset="cpu")
    >>> result["rows"][0]["label"], result["rows"][0]["eval"]["color_entropy"]["value"]

Every row shares the preset, epochs, batch size, seed, catalogue and held-out split; only
the policy (and, for BYOL/SimCLR, the training method) differs. Each row trains into
``OUT/<name>/``: a finished run is reused (after checking it was trained with the same
budget), an interrupted one is resumed, and its embeddings and evaluation are cached
beside it. The outputs are ``comparison.json``, ``comparison.md``, ``color_entropy.png``
and ``map.png`` (a 2-D map of each row's product embeddings coloured by pattern and by
colour).

With ``seeds=[0, 1, 2]`` every (row, seed) pair trains into ``OUT/<row>/seed-<n>/`` (reused
alike), the seed also drawing the held-out designs, so rows of one seed are paired; the report
gives mean ± sd over seeds per row and figure, and the paired differences of the paper's claims
with a 95 % interval (:mod:`skill_train.compare.seeds`, :mod:`skill_train.compare.stats`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from skill_aug.atomic import atomic_write_text
from skill_train.compare.report import comparison_markdown, input_note
from skill_train.compare.rows import RowSpec, standard_rows
from skill_train.eval.embed import embed_run
from skill_train.eval.embeddings import EmbeddingTable
from skill_train.eval.errors import EvaluationError
from skill_train.eval.evaluate import EvalSettings, evaluate
from skill_train.eval.report import write_json
from skill_train.run.folder import RunDir
from skill_train.run.log import knn_curve, run_summary

#: TrainConfig fields that say how a run is executed, not what it learns; ignored when a
#: finished run is checked against the comparison's budget. ``eval_every`` only watches the run
#: (its k-NN check has its own random state), so runs from before it existed are still reused.
RUN_ONLY_FIELDS = {"out", "resume", "device", "workers", "threads", "max_steps", "eval_every"}


def row_config(base: Any, spec: RowSpec, run_dir: Path) -> Any:
    """The TrainConfig of one row: the shared budget plus the row's policy, method and overrides."""
    if spec.method and spec.method != base.method:
        # Another method keeps the shared budget but brings its own recipe (e.g. ResNet-18 for SimCLR).
        return base.with_method(spec.method, policy=spec.policy, out=str(run_dir), **spec.overrides)
    return base.replace(policy=spec.policy, method=base.method, out=str(run_dir), **spec.overrides)


def check_same_budget(run_dir: Path, cfg: Any) -> None:
    """Raise if the run saved in ``run_dir`` was trained with a different recipe than ``cfg``.

    The saved ``config.yaml`` is read as a config, so a field newer than the run counts at its
    default (the behaviour the run had).
    """
    saved = RunDir(run_dir).load_config().to_dict()
    wanted = cfg.to_dict()
    for key in wanted:
        if key in RUN_ONLY_FIELDS:
            continue
        if key == "policy" and saved.get(key) != wanted[key] and same_policy(run_dir, cfg):
            continue
        if saved.get(key) != wanted[key]:
            raise EvaluationError(
                f"{run_dir} was trained with {key} = {saved.get(key)!r}, this comparison asks for {wanted[key]!r}; "
                f"use another --out or remove that run folder"
            )


def same_policy(run_dir: Path, cfg: Any) -> bool:
    """Whether the run in ``run_dir`` was trained with the policy ``cfg`` resolves to, whatever file
    (or checkout) it came from: ``skill compare``'s SkiLL\\L and ``skill ablate``'s "no local set"
    write the same policy to different files, and a moved checkout moves every path. Names and
    descriptions aside, every op, parameter, view and working size must match; a catalogue whose
    categories pick the policies is never judged the same here.
    """
    from skill_aug.errors import SkillAugError
    from skill_train.train.data import pinned_policy

    try:
        saved = RunDir(run_dir).load_policies()
        wanted = pinned_policy(cfg)
    except (SkillAugError, OSError):  # a policy that no longer loads is not the same policy
        return False
    if saved is None or wanted is None or len(saved.policies) != 1:
        return False

    def content(policy: Any) -> Any:
        return replace(policy.spec, name="", description="")

    return content(saved.first) == content(wanted)


def check_same_views(run_dir: Path, cfg: Any) -> None:
    """Raise if a change of the view pipeline since the run in ``run_dir`` was trained alters its views.

    The policies come from the run's own ``policy.yaml`` (they drew its views, and reading them indexes
    no catalogue); from ``cfg`` only when that file no longer loads (e.g. a plugin renamed an op).
    """
    from skill_aug.errors import SkillAugError
    from skill_train.train.data import resolve_policies

    run = RunDir(run_dir)
    try:
        policies = run.load_policies()
    except (SkillAugError, OSError):
        policies = None
    if policies is None:
        policies = resolve_policies(cfg)
    run.check_same_views(policies.policies.values(), "use another --out or remove that run folder")


def export_initialisation(cfg: Any, run_dir: Path) -> None:
    """A run folder holding the backbone exactly as training would start it (no training)."""
    from skill_train.models.backbone import backbone_config
    from skill_train.models.device import resolve_device
    from skill_train.run.export import export_backbone
    from skill_train.train.build import initial_backbone
    from skill_train.train.data import resolve_policies

    policies = resolve_policies(cfg)
    policy = policies.first
    run = RunDir(run_dir).create()
    backbone = initial_backbone(cfg, policy.high_res_size)
    export_backbone(backbone, backbone_config(cfg.arch, policy.high_res_size, cfg.arch_overrides), run)
    run.write_config(cfg)
    run.write_policy(policies)  # embedded with the task's H (each category's), like SkiLL
    run.write_summary(run_summary(
        run, status="finished", method=None, arch=cfg.arch, steps=0, epochs_done=0.0, last={}, method_figures={},
        images_per_s=0.0, train_time_s=0.0, wall_time_s=0.0, device=str(resolve_device(cfg.device)), world_size=1,
        precision="fp32", knn={},
    ))


def ensure_trained(spec: RowSpec, cfg: Any, run_dir: Path, log: Callable[[str], None]) -> str:
    """Train, resume or reuse the run of one row; returns what was done."""
    from skill_train.train.loop import train

    if RunDir(run_dir).is_finished():
        check_same_budget(run_dir, cfg)
        if spec.method is not None:  # an untrained backbone saw no views
            check_same_views(run_dir, cfg)
        return "reused"
    if spec.method is None:
        export_initialisation(cfg, run_dir)
        return "initialised"
    if RunDir(run_dir).has_checkpoint():
        check_same_budget(run_dir, cfg)
        log(f"[bold]{spec.label}[/]: resuming {run_dir}")
        train(cfg.replace(resume=True))
        return "resumed"
    log(f"[bold]{spec.label}[/]: training into {run_dir}")
    train(cfg)
    return "trained"


def _newer(path: Path, than: Path) -> bool:
    return path.is_file() and path.stat().st_mtime >= than.stat().st_mtime


def ensure_evaluated(run_dir: Path, catalog: Any, settings: EvalSettings, device: str, workers: int,
                     input: str = "colour") -> tuple[dict, EmbeddingTable]:
    """The row's evaluation, from ``eval.json`` when it is newer than the backbone and has the same
    settings (``eval-grey.json`` and ``embeddings-grey.npz`` for grey input)."""
    run = RunDir(run_dir)
    weights, emb_path, eval_path = run.backbone, run.embeddings_for(input), run.eval_for(input)
    if _newer(emb_path, weights):
        table = EmbeddingTable.load(emb_path)
    else:
        table = embed_run(run_dir, catalog, device=device, workers=workers, input=input)
        table.save(emb_path)
    if _newer(eval_path, emb_path):
        cached = json.loads(eval_path.read_text(encoding="utf-8"))
        if cached.get("settings") == json.loads(json.dumps(settings.to_json())):
            return cached, table
    result = evaluate(table, catalog, settings)
    write_json(eval_path, result)
    return json.loads(eval_path.read_text(encoding="utf-8")), table


def run_row(spec: RowSpec, base: Any, run_dir: Path, catalog: Any, settings: EvalSettings, task: str | None, device: str,
            workers: int, log: Callable[[str], None], input: str = "colour") -> tuple[dict[str, Any], EmbeddingTable]:
    """Train (or reuse) and evaluate one row into ``run_dir``; returns its report entry and embeddings."""
    cfg = row_config(base, spec, run_dir)
    action = ensure_trained(spec, cfg, run_dir, log)
    result, table = ensure_evaluated(run_dir, catalog, settings, device, workers, input)
    summary = RunDir(run_dir).read_summary()
    log(f"[bold]{spec.label}[/]: {action}, evaluated ({run_dir})")
    entry = {
        "name": spec.name, "label": spec.label, "method": spec.method, "policy": spec.policy or _own_policy(task),
        "run_dir": str(run_dir), "action": action,
        "train": {k: summary.get(k) for k in ("status", "steps", "final_loss", "uniform_loss", "train_time_s")},
        "eval": result,
    }
    return entry, table


def seeded_rows(rows_spec: Sequence[RowSpec], base: Any, out: Path, seeds: Sequence[int], catalog: Any,
                settings: EvalSettings, task: str | None, device: str, workers: int,
                log: Callable[[str], None], input: str = "colour") -> tuple[list[dict[str, Any]], list[EmbeddingTable]]:
    """Every (row, seed) pair, seed by seed, in ``OUT/<row>/seed-<n>/``: the rows, each with its
    runs (seed, run folder, action, training summary, evaluation), and the first seed's embeddings."""
    from skill_train.compare.seeds import seed_run_dir

    rows = [{"name": spec.name, "label": spec.label, "method": spec.method, "policy": spec.policy or _own_policy(task),
             "runs": []} for spec in rows_spec]
    tables: list[EmbeddingTable] = []
    for seed in seeds:
        log(f"[bold]seed {seed}[/]")
        for spec, row in zip(rows_spec, rows):
            entry, table = run_row(spec, base.replace(seed=seed), seed_run_dir(out, spec.name, seed), catalog,
                                   replace(settings, seed=seed), task, device, workers, log, input)
            row["runs"].append({"seed": seed, **{k: entry[k] for k in ("run_dir", "action", "train", "eval")}})
            if seed == seeds[0]:
                tables.append(table)
    return rows, tables


def _own_policy(task: str | None) -> str:
    """How a row without a policy file trains: its task's policy, or each product's category's."""
    return f"task:{task}" if task else "category"


def compare(
    task: str | None,
    out: Path,
    data: str | None = None,
    preset: str = "cpu",
    epochs: int | None = None,
    batch_size: int | None = None,
    products: int | None = None,
    seed: int = 0,
    rows: Sequence[RowSpec] | None = None,
    attributes: Sequence[str] = (),
    map_kind: str = "pca",
    device: str = "auto",
    workers: int = 0,
    log: Callable[[str], None] = print,
    seeds: Sequence[int] | None = None,
    input: str = "colour",
) -> dict[str, Any]:
    """Train (or reuse) and evaluate every row, write the report files into ``out``; returns the report.

    ``input="grey"`` embeds every row's held-out photos grey (cached apart from the colour
    embeddings, so switching trains nothing); the report says which input it holds.

    Without ``task``, ``data`` is a catalogue whose category column picks each product's type: SkiLL
    gives every product its type's policy, and the evaluation reports each category as well.

    With ``seeds``, every row is trained and evaluated once per seed (``seed`` is then unused) and
    the report gives mean ± sd over seeds and the paired differences of the paper's claims.
    """
    from skill_aug.catalog import Catalog
    from skill_aug.synth import default_catalog
    from skill_train.compare.figures import learning_curves, write_figures
    from skill_train.compare.seeds import seed_run_dir
    from skill_train.compare.report import seeded_markdown
    from skill_train.compare.seeds import claim_differences, metrics_of, retrieval_agreement, row_figures
    from skill_train.eval.checks import check_input
    from skill_train.run.config import TrainConfig

    check_input(input)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = list(seeds) if seeds is not None else None
    if seeds is not None and (not seeds or len(set(seeds)) != len(seeds)):
        raise EvaluationError(f"seeds must be distinct and at least one, got {seeds}")
    seed = seeds[0] if seeds else seed
    if not task and not data:
        raise EvaluationError("give --task (a product type) or --data (a catalogue whose category column names "
                              "each product's type)")
    base = TrainConfig.from_preset(preset, task=task, data=data, seed=seed, epochs=epochs, batch_size=batch_size,
                                   synthetic_products=products, device=device)
    rows_spec = list(rows) if rows is not None else standard_rows(task, out)
    names = [m.name for m in rows_spec]
    if len(set(names)) != len(names):
        raise EvaluationError(f"two comparison rows share a name: {names}")
    data_path = Path(data) if data else Path(default_catalog(task, products=products))
    catalog = Catalog.open(data_path)
    by = base.category_column if not task and len(catalog.categories(base.category_column)) > 1 else None
    settings = EvalSettings(attributes=tuple(attributes) or None, task=task,
                            test_fraction=base.eval_holdout or 0.2, seed=seed, by=by)
    budget = {k: v for k, v in base.to_dict().items() if k not in RUN_ONLY_FIELDS | {"policy", "method"}}

    if seeds is None:
        results, tables = [], []
        for spec in rows_spec:
            entry, table = run_row(spec, base, out / spec.name, catalog, settings, task, device, workers, log, input)
            results.append(entry)
            tables.append(table)
        report = {"task": task, "data": str(data_path), "budget": budget, "eval_settings": settings.to_json(),
                  "input": input, "rows": results}
        labelled = [(r["label"], r["eval"]) for r in results]
    else:
        results, tables = seeded_rows(rows_spec, base, out, seeds, catalog, settings, task, device, workers, log, input)
        metrics = metrics_of([run["eval"] for row in results for run in row["runs"]])
        for row in results:
            row["over_seeds"] = row_figures(row["runs"], metrics)
        report = {
            "task": task, "data": str(data_path), "seeds": seeds,
            "budget": {k: v for k, v in budget.items() if k != "seed"},
            "eval_settings": {k: v for k, v in settings.to_json().items() if k != "seed"},
            "input": input,
            "metrics": {m.key: {"group": m.group, "label": m.label, "unit": m.unit} for m in metrics},
            "rows": results,
            "differences": claim_differences(results, metrics),
            "retrieval_agreement": retrieval_agreement(results, metrics),
            "figures_seed": seeds[0],
        }
        labelled = [(r["label"], r["runs"][0]["eval"]) for r in results]
    figures = write_figures(out, labelled, tables, catalog, map_kind, seed)
    run_dirs = ([(spec.label, [out / spec.name]) for spec in rows_spec] if seeds is None else
                [(spec.label, [seed_run_dir(out, spec.name, s) for s in seeds]) for spec in rows_spec])
    curves = learning_curves(out / "learning_curves.png", [(label, [knn_curve(d) for d in dirs]) for label, dirs in run_dirs])
    if curves is not None:
        figures["learning_curves"] = curves
    report["figures"] = {k: str(v) for k, v in figures.items()}
    write_json(out / "comparison.json", report)
    markdown = seeded_markdown(report) if seeds is not None else \
        "\n\n".join(filter(None, [input_note(report).strip(), comparison_markdown(labelled)]))
    atomic_write_text(out / "comparison.md", markdown)
    return report
