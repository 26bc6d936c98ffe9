"""``skill ablate``: what each op of a product type's local set A_i and preprocessing H buys.

    >>> report = ablate("dress", out=Path("runs/ablate-dress"), seeds=[0, 1, 2])
    >>> [(r["label"], r["metrics"][report["ranked_by"]]["mean"]) for r in report["ranking"]]

The rows are the full policy (SkiLL, the product type's own) and, derived from the registered
product type alone (so a third party's works alike), one policy per op removed from A_i and
from H plus "no local set" and "no H". Each ablated policy is a small file
``OUT/policies/<task>-without-<op>.yaml`` that ``extends: <task>`` and lists the stage it
changes, kept beside the runs. All rows train and evaluate through
:func:`skill_train.compare.runs.compare` (per-seed folders, reuse, budget check, evaluation,
``comparison.md``); an op's worth is the paired difference full − without-op over seeds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from skill_aug.atomic import atomic_write_text
from skill_aug.errors import PluginError, UnknownProductType
from skill_aug.spec import OpSpec
from skill_train.compare.rows import RowSpec
from skill_train.compare.seeds import Metric
from skill_train.compare.stats import paired_difference
from skill_train.eval.errors import EvaluationError

FULL = RowSpec("skill", "SkiLL")
#: The stages an ablation removes ops from: policy key → (short name in row names, symbol, words).
STAGES = {"local_set": ("local", "A_i", "local set"), "preprocess": ("preprocess", "H", "preprocessing")}


@dataclass(frozen=True)
class Ablation:
    """The full policy with the ops at ``removed`` (0-based positions) of ``stage`` left out."""

    name: str
    label: str
    stage: str
    removed: tuple[int, ...]
    ops: tuple[str, ...]  # the class names removed, in order

    def policy_name(self, task: str) -> str:
        """The ablated policy's name and file stem: ``dress-without-RegionCrop``, ``dress-no-local``."""
        return f"{task}-{self.name.removeprefix('skill-')}"

    def document(self, task: str, stage_ops: Sequence[OpSpec]) -> str:
        """The ablated policy as YAML: ``extends: <task>`` and the stage's remaining ops."""
        kept = [op.to_yaml() for i, op in enumerate(stage_ops) if i not in self.removed]
        symbol = STAGES[self.stage][1]
        what = (f"without its whole {STAGES[self.stage][2]} {symbol}" if len(self.removed) == len(stage_ops)
                else f"without {self.ops[0]} ({symbol} op {self.removed[0] + 1} of {len(stage_ops)})")
        body = yaml.safe_dump({"extends": task, "name": self.policy_name(task),
                               self.stage: kept}, sort_keys=False, default_flow_style=None, width=100)
        return f"# skill ablate: the {task} policy {what}.\n{body}"


def task_policy(task: str) -> Any:
    """The product type's full policy; an unknown (or clashing) type is a ``--task`` error."""
    from skill_aug import policy_for_task

    try:
        return policy_for_task(task)
    except (UnknownProductType, PluginError) as err:
        raise EvaluationError(f"--task {task!r}: {err}") from None


def ablations_of(task: str, spec: Any) -> list[Ablation]:
    """One ablation per op of A_i and of H, then the whole stage; none for an empty stage, and no
    per-op row for a one-op stage (removing its op is removing the stage).

    An op is named by its class where that is unique in the policy, else by stage and position
    (``local-2-Affine``), so two ops of one class stay distinct.
    """
    stages = {key: tuple(getattr(spec, key)) for key in STAGES}
    counts = Counter(op.name for ops in stages.values() for op in ops)
    out: list[Ablation] = []
    for key, ops in stages.items():
        short, symbol, words = STAGES[key]
        if len(ops) > 1:
            for i, op in enumerate(ops):
                unique = counts[op.name] == 1
                out.append(Ablation(f"skill-without-{op.name if unique else f'{short}-{i + 1}-{op.name}'}",
                                    f"without {op.name} ({symbol}{'' if unique else f' #{i + 1}'})", key, (i,), (op.name,)))
        if ops:
            alone = f" (= without {ops[0].name})" if len(ops) == 1 else ""
            out.append(Ablation(f"skill-no-{short}", f"no {words} {symbol}{alone}", key, tuple(range(len(ops))),
                                tuple(op.name for op in ops)))
    if not out:
        raise EvaluationError(f"--task {task!r}: its local set A_i and its preprocessing H are both empty; "
                              "there is nothing to ablate")
    return out


def selected(task: str, ablations: Sequence[Ablation], only: Sequence[str]) -> list[Ablation]:
    """The ablations ``only`` names (all when empty), in their own order.

    A name is an op's class (``RegionCrop``: every row removing that class), a row's own op
    name where the class repeats (``local-2-Affine``), or a whole stage (``local``, ``preprocess``;
    a one-op stage's row also answers to its op's class).
    """
    def names(ablation: Ablation) -> set[str]:
        if ablation.name.startswith("skill-no-"):
            return {STAGES[ablation.stage][0], *(ablation.ops if len(ablation.ops) == 1 else ())}
        return {ablation.ops[0], ablation.name.removeprefix("skill-without-")}

    valid = [n for a in ablations for n in sorted(names(a), key=len, reverse=True)]
    for name in only:
        if name not in valid:
            choices = ", ".join(dict.fromkeys(valid))
            raise EvaluationError(f"--only {name!r}: the {task} policy has no such op or stage; choose from {choices}")
    return [a for a in ablations if not only or names(a) & set(only)]


def ablation_rows(task: str, out: Path, only: Sequence[str] = ()) -> tuple[list[RowSpec], list[Ablation]]:
    """The full policy's row and one row per ablation (those ``only`` names, see :func:`selected`),
    whose policy files are written (and validated) under ``OUT/policies/``; returns the rows (full
    first) and the ablations."""
    from skill_aug import load_policy

    spec = task_policy(task).spec
    ablations = selected(task, ablations_of(task, spec), only)
    rows = [FULL]
    for ablation in ablations:
        path = Path(out) / "policies" / f"{ablation.policy_name(task)}.yaml"
        atomic_write_text(path, ablation.document(task, getattr(spec, ablation.stage)))
        load_policy(path)  # fail before any training, with the file's own error
        rows.append(RowSpec(ablation.name, ablation.label, str(path.resolve())))
    return rows, ablations


def ranked_metrics(attribute: str) -> list[Metric]:
    """The figures an op's worth is measured on: linear probe and k-NN accuracy on ``attribute``,
    and held-out product retrieval R@1 (kept only where an evaluation has it)."""
    return [Metric(("attributes", attribute, "linear", "accuracy"), attribute, "Linear Acc", "fraction"),
            Metric(("attributes", attribute, "knn", "accuracy"), attribute, "k-NN Acc", "fraction"),
            Metric(("retrieval", "r@1"), "retrieval", "R@1", "fraction")]


def ranked_attribute(rows: Sequence[dict], asked: Sequence[str] = ()) -> str:
    """The attribute the ranking is on: the first one asked for, else ``pattern``, else the first evaluated."""
    if asked:
        return asked[0]
    evaluated = [name for row in rows for run in row["runs"] for name in run["eval"].get("attributes", {})]
    if not evaluated:
        raise EvaluationError("no evaluation has an attribute to rank the ablations on; give --attribute")
    return "pattern" if "pattern" in evaluated else evaluated[0]


def ranking(rows: Sequence[dict], ablations: Sequence[Ablation], attribute: str) -> dict[str, Any]:
    """What each ablation's ops buy: per figure, the paired difference full − ablation over the
    seeds both have, ranked by the first figure present (the linear probe) from most to least.

    ``rows`` are a seeded comparison's rows (``name``, ``runs`` of ``{"seed", "eval"}``), the
    full policy's named ``skill``.
    """
    by_name = {row["name"]: row for row in rows}
    full = {run["seed"]: run["eval"] for run in by_name[FULL.name]["runs"]}
    evals = [run["eval"] for row in rows for run in row["runs"]]
    metrics = [m for m in ranked_metrics(attribute) if any(m.value(e) is not None for e in evals)]
    if not metrics:
        raise EvaluationError(f"no evaluation has a linear probe, k-NN or retrieval figure for {attribute!r}")
    entries = []
    for ablation in ablations:
        without = {run["seed"]: run["eval"] for run in by_name[ablation.name]["runs"]}
        seeds = [s for s in full if s in without]
        entries.append({
            "name": ablation.name, "label": ablation.label, "stage": ablation.stage, "ops": list(ablation.ops),
            "positions": [i + 1 for i in ablation.removed], "policy": by_name[ablation.name]["policy"], "seeds": seeds,
            "metrics": {m.key: paired_difference([m.value(full[s]) for s in seeds],
                                                 [m.value(without[s]) for s in seeds]).to_json() for m in metrics},
        })
    key = metrics[0].key
    entries.sort(key=lambda e: (e["metrics"][key]["mean"] is None, -(e["metrics"][key]["mean"] or 0.0)))
    return {"attribute": attribute, "ranked_by": key,
            "metrics": {m.key: {"group": m.group, "label": m.label, "unit": m.unit} for m in metrics},
            "ranking": entries}


def ablate(
    task: str,
    out: Path,
    seeds: Sequence[int] = (0,),
    attributes: Sequence[str] = (),
    log: Callable[[str], None] = print,
    only: Sequence[str] = (),
    **compare_options: Any,
) -> dict[str, Any]:
    """Train (or reuse) and evaluate the full policy and every ablation (or those ``only`` names,
    see :func:`selected`) per seed, write
    ``ablation.json``, ``ablation.md`` and ``ablation.png`` (besides the comparison's own files)
    into ``out``; returns the ablation report. ``compare_options`` go to
    :func:`~skill_train.compare.runs.compare` (data, preset, epochs, batch_size, products, device, ...).
    """
    from skill_train.compare.figures import ranking_chart
    from skill_train.compare.report import ablation_markdown
    from skill_train.compare.runs import compare
    from skill_train.eval.report import write_json

    out = Path(out)
    rows, ablations = ablation_rows(task, out, only)
    compared = compare(task, out, rows=rows, seeds=list(seeds), attributes=attributes, log=log, **compare_options)
    report = {"task": task, "seeds": compared["seeds"], "full": {"name": FULL.name, "label": FULL.label,
              "over_seeds": next(r for r in compared["rows"] if r["name"] == FULL.name)["over_seeds"]},
              **ranking(compared["rows"], ablations, ranked_attribute(compared["rows"], attributes)),
              "retrieval_agreement": compared["retrieval_agreement"], "input": compared["input"],
              "comparison": str(out / "comparison.json")}
    report["figure"] = str(ranking_chart(out / "ablation.png", report))
    write_json(out / "ablation.json", report)
    atomic_write_text(out / "ablation.md", ablation_markdown(report))
    return report
