"""``skill compare``: train every row under one budget and seed, evaluate them all, report.

    >>> result = compare("dress", out=Path("runs/compare-dress"), preset="cpu")
    >>> result["rows"][0]["label"], result["rows"][0]["eval"]["color_entropy"]["value"]

Every row shares the preset, epochs, batch size, seed, catalogue and held-out split; only
the policy (and, for BYOL/SimCLR, the trainer method) differs. Each row trains into
``OUT/<name>/``: a finished run is reused (after checking it was trained with the same
budget), an interrupted one is resumed, and its embeddings and evaluation are cached
beside it. The outputs are ``comparison.json``, ``comparison.md``, ``color_entropy.png``
and ``map.png`` (a 2-D map of each row's product embeddings coloured by pattern and by
colour).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import yaml

from skill_train.evaluation.embed import embed_run
from skill_train.evaluation.embeddings import EmbeddingTable
from skill_train.evaluation.errors import EvaluationError
from skill_train.evaluation.evaluate import EvalSettings, evaluate
from skill_train.evaluation.methods import MethodSpec, standard_methods
from skill_train.evaluation.report import comparison_markdown, write_json, write_text_atomic

#: TrainConfig fields that say how a run is executed, not what it learns; ignored when a
#: finished run is checked against the comparison's budget.
RUN_ONLY_FIELDS = {"out", "resume", "device", "workers", "threads", "max_steps"}


def row_config(base: Any, spec: MethodSpec, run_dir: Path) -> Any:
    """The TrainConfig of one row: the shared budget plus the row's policy, method and overrides."""
    if spec.method and spec.method != base.method:
        # Another method keeps the shared budget but brings its own recipe (e.g. ResNet-18 for SimCLR).
        return base.with_method(spec.method, policy=spec.policy, out=str(run_dir), **spec.overrides)
    return base.replace(policy=spec.policy, method=base.method, out=str(run_dir), **spec.overrides)


def _saved_config(run_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")) or {}


def check_same_budget(run_dir: Path, cfg: Any) -> None:
    """Raise if the run saved in ``run_dir`` was trained with a different recipe than ``cfg``."""
    saved = _saved_config(run_dir)
    wanted = cfg.to_dict()
    defaults = type(cfg)().to_dict()
    for key in wanted:
        if key in RUN_ONLY_FIELDS:
            continue
        if key not in saved and wanted[key] == defaults.get(key):
            continue  # a field newer than the run, at its default: the behaviour the run had
        if saved.get(key) != wanted[key]:
            raise EvaluationError(
                f"{run_dir} was trained with {key} = {saved.get(key)!r}, this comparison asks for {wanted[key]!r}; "
                f"use another --out or remove that run folder"
            )


def run_finished(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a finished run (its summary says so and the backbone is exported)."""
    summary = run_dir / "summary.json"
    if not summary.is_file() or not (run_dir / "backbone.safetensors").is_file():
        return False
    return json.loads(summary.read_text(encoding="utf-8")).get("status") == "finished"


def export_initialisation(cfg: Any, run_dir: Path) -> None:
    """A run folder holding the backbone exactly as training would start it (no training)."""
    from skill_train.checkpoint import atomic_write_text, export_backbone
    from skill_train.model import backbone_config
    from skill_train.train_data import resolve_policy
    from skill_train.trainer import initial_backbone

    policy = resolve_policy(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    backbone = initial_backbone(cfg, policy.high_res_size)
    export_backbone(backbone, backbone_config(cfg.arch, policy.high_res_size, cfg.arch_overrides), run_dir)
    atomic_write_text(run_dir / "config.yaml", cfg.replace(resume=False).to_yaml())
    atomic_write_text(run_dir / "policy.yaml", policy.to_yaml())  # embedded with the task's H, like SkiLL
    atomic_write_text(run_dir / "summary.json", json.dumps({"status": "finished", "steps": 0, "train_time_s": 0.0}) + "\n")


def ensure_trained(spec: MethodSpec, cfg: Any, run_dir: Path, log: Callable[[str], None]) -> str:
    """Train, resume or reuse the run of one row; returns what was done."""
    from skill_train.trainer import train

    if run_finished(run_dir):
        check_same_budget(run_dir, cfg)
        return "reused"
    if spec.method is None:
        export_initialisation(cfg, run_dir)
        return "initialised"
    if (run_dir / "checkpoint.pt").is_file():
        check_same_budget(run_dir, cfg)
        log(f"[bold]{spec.label}[/]: resuming {run_dir}")
        train(cfg.replace(resume=True))
        return "resumed"
    log(f"[bold]{spec.label}[/]: training into {run_dir}")
    train(cfg)
    return "trained"


def _newer(path: Path, than: Path) -> bool:
    return path.is_file() and path.stat().st_mtime >= than.stat().st_mtime


def ensure_evaluated(run_dir: Path, catalog: Any, settings: EvalSettings, device: str, workers: int) -> tuple[dict, EmbeddingTable]:
    """The row's evaluation, from ``eval.json`` when it is newer than the backbone and has the same settings."""
    weights = run_dir / "backbone.safetensors"
    emb_path, eval_path = run_dir / "embeddings.npz", run_dir / "eval.json"
    if _newer(emb_path, weights):
        table = EmbeddingTable.load(emb_path)
    else:
        table = embed_run(run_dir, catalog, device=device, workers=workers)
        table.save(emb_path)
    if _newer(eval_path, emb_path):
        cached = json.loads(eval_path.read_text(encoding="utf-8"))
        if cached.get("settings") == json.loads(json.dumps(settings.to_json())):
            return cached, table
    result = evaluate(table, catalog, settings)
    write_json(eval_path, result)
    return json.loads(eval_path.read_text(encoding="utf-8")), table


def compare(
    task: str,
    out: Path,
    data: str | None = None,
    preset: str = "cpu",
    epochs: int | None = None,
    batch_size: int | None = None,
    products: int | None = None,
    seed: int = 0,
    methods: Sequence[MethodSpec] | None = None,
    attributes: Sequence[str] = (),
    map_kind: str = "pca",
    device: str = "auto",
    workers: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train (or reuse) and evaluate every row, write the report files into ``out``; returns the report."""
    from skill_aug.catalog import Catalog
    from skill_train.config import TrainConfig
    from skill_train.evaluation.figures import write_figures
    from skill_aug.synth import default_catalog

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = TrainConfig.from_preset(preset, task=task, data=data, seed=seed, epochs=epochs, batch_size=batch_size,
                                   synthetic_products=products, device=device)
    rows_spec = list(methods) if methods is not None else standard_methods(task, out)
    names = [m.name for m in rows_spec]
    if len(set(names)) != len(names):
        raise EvaluationError(f"two comparison rows share a name: {names}")
    data_path = Path(data) if data else Path(default_catalog(task, products=products))
    catalog = Catalog.open(data_path)
    settings = EvalSettings(attributes=tuple(attributes) or None, task=task,
                            test_fraction=base.eval_holdout or 0.2, seed=seed)

    rows: list[dict[str, Any]] = []
    tables: list[EmbeddingTable] = []
    for spec in rows_spec:
        run_dir = out / spec.name
        cfg = row_config(base, spec, run_dir)
        action = ensure_trained(spec, cfg, run_dir, log)
        result, table = ensure_evaluated(run_dir, catalog, settings, device, workers)
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        log(f"[bold]{spec.label}[/]: {action}, evaluated ({run_dir})")
        rows.append({
            "name": spec.name, "label": spec.label, "method": spec.method, "policy": spec.policy or f"task:{task}",
            "run_dir": str(run_dir), "action": action,
            "train": {k: summary.get(k) for k in ("status", "steps", "final_loss", "uniform_loss", "train_time_s")},
            "eval": result,
        })
        tables.append(table)

    report = {
        "task": task,
        "data": str(data_path),
        "budget": {k: v for k, v in base.to_dict().items() if k not in RUN_ONLY_FIELDS | {"policy", "method"}},
        "eval_settings": settings.to_json(),
        "rows": rows,
    }
    labelled = [(r["label"], r["eval"]) for r in rows]
    figures = write_figures(out, labelled, tables, catalog, map_kind, seed)
    report["figures"] = {k: str(v) for k, v in figures.items()}
    write_json(out / "comparison.json", report)
    write_text_atomic(out / "comparison.md", comparison_markdown(labelled))
    return report
