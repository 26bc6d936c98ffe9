"""A comparison over several seeds: which seeds, where each (row, seed) run lives, and the figures
summed up over seeds (mean ± sd per row, paired differences for the paper's claims, and how
well label-free retrieval ranks the rows against the attributes).

    >>> parse_seeds("3"), parse_seeds("0,1,2"), seed_run_dir(Path("runs/compare-dress"), "skill", 1)
    ([0, 1, 2], [0, 1, 2], PosixPath('runs/compare-dress/skill/seed-1'))

The seed is the run's ``seed``: it draws the initial weights, the batches *and* the held-out
designs, so all rows of one seed share the split and their differences are paired by seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from skill_train.compare.stats import paired_difference, rank_agreement, spread
from skill_train.eval.errors import EvaluationError
from skill_train.eval.report import PROBE_LABELS, metric_keys, metric_label

#: The pairs (row, row) whose difference carries one of the paper's claims (Tables 2 and 4, Fig. 7).
CLAIMS = (("skill", "dino"), ("skill", "skill-no-local"), ("skill", "skill-no-preprocess"), ("skill", "skill-low-colour"))

MAX_SEED = 2**32
MAX_COUNT = 100
_VALID = f"a count in [1, {MAX_COUNT}] (3: seeds 0, 1, 2) or a comma-separated list of distinct seeds in [0, 2^32) (0,1,2)"


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: a count N (seeds 0 … N−1) or a list of distinct seeds; one-line error otherwise."""
    items = [item.strip() for item in str(text).split(",")]
    if not all(item.isascii() and item.isdigit() for item in items):
        raise EvaluationError(f"--seeds {text!r}: give {_VALID}")
    numbers = [int(item) for item in items]
    if len(numbers) == 1:
        if not 1 <= numbers[0] <= MAX_COUNT:
            raise EvaluationError(f"--seeds {text!r}: give {_VALID}")
        return list(range(numbers[0]))
    if len(set(numbers)) != len(numbers):
        raise EvaluationError(f"--seeds {text!r}: a seed is repeated; give {_VALID}")
    if max(numbers) >= MAX_SEED:
        raise EvaluationError(f"--seeds {text!r}: a seed is out of range; give {_VALID}")
    return numbers


def seed_run_dir(out: Path, row: str, seed: int) -> Path:
    """The run folder of one (row, seed) pair of a multi-seed comparison: ``OUT/<row>/seed-<n>/``."""
    return Path(out) / row / f"seed-{seed}"


@dataclass(frozen=True)
class Metric:
    """One figure of an evaluation: where it sits in the JSON, its table, column and unit."""

    path: tuple[str, ...]
    group: str
    label: str
    unit: str  # "fraction" (shown in %) or "nats"

    @property
    def key(self) -> str:
        """The figure's name in ``comparison.json``: its JSON path joined by ``/``."""
        return "/".join(self.path)

    def value(self, result: dict) -> float | None:
        """The figure in one evaluation, None where it is missing."""
        node: Any = result
        for part in self.path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def _metrics_of_one(result: dict) -> list[Metric]:
    out: list[Metric] = []
    keys = metric_keys(result)
    for name, block in result.get("attributes", {}).items():
        for kind in result["settings"]["probes"]:
            out += [Metric(("attributes", name, kind, key), name, f"{PROBE_LABELS[kind]} {metric_label(key)}", "fraction")
                    for key in keys if key in block.get(kind, {})]
        if "accuracy" in block.get("knn", {}):
            out.append(Metric(("attributes", name, "knn", "accuracy"), name, "k-NN Acc", "fraction"))
    ce = result.get("color_entropy")
    if ce:
        out += [Metric(("color_entropy", "value"), "colour entropy", f"K={ce.get('k')}", "nats"),
                Metric(("color_entropy", "normalized"), "colour entropy", "H(C|K)/H(C)", "nats")]
        out += [Metric(("color_entropy", "sweep", k, "value"), "colour entropy", f"K={k}", "nats") for k in ce.get("sweep", {})]
    for key, label in (("r@1", "R@1"), ("map", "mAP")):  # label-free product retrieval, where the evaluation has it
        if key in (result.get("retrieval") or {}):
            out.append(Metric(("retrieval", key), "retrieval", label, "fraction"))
    return out


def metrics_of(results: Sequence[dict]) -> list[Metric]:
    """Every figure that any of ``results`` holds, in the order they first appear."""
    seen: dict[tuple[str, ...], Metric] = {}
    for result in results:
        for metric in _metrics_of_one(result):
            seen.setdefault(metric.path, metric)
    return list(seen.values())


def row_figures(runs: Sequence[dict], metrics: Sequence[Metric]) -> dict[str, dict[str, Any]]:
    """Per figure, mean ± sd over a row's runs (``{"eval": ...}`` each) and the per-seed values."""
    out = {}
    for metric in metrics:
        values = [metric.value(run["eval"]) for run in runs]
        out[metric.key] = {**spread(values).to_json(), "values": values}
    return out


def claim_differences(rows: Sequence[dict], metrics: Sequence[Metric]) -> list[dict[str, Any]]:
    """For each claim pair whose rows are both present, the paired difference of every figure."""
    by_name = {row["name"]: row for row in rows}
    out = []
    for a, b in CLAIMS:
        if a not in by_name or b not in by_name:
            continue
        evals_a = {run["seed"]: run["eval"] for run in by_name[a]["runs"]}
        evals_b = {run["seed"]: run["eval"] for run in by_name[b]["runs"]}
        seeds = [s for s in evals_a if s in evals_b]
        figures = {m.key: paired_difference([m.value(evals_a[s]) for s in seeds], [m.value(evals_b[s]) for s in seeds]).to_json()
                   for m in metrics}
        out.append({"a": a, "b": b, "label": f"{by_name[a]['label']} − {by_name[b]['label']}", "seeds": seeds,
                    "metrics": figures})
    return out


def retrieval_agreement(rows: Sequence[dict], metrics: Sequence[Metric]) -> list[dict[str, Any]]:
    """How well label-free product retrieval ranks the rows: for each retrieval figure and each
    attribute's k-NN and linear accuracy, Spearman's rho between the rows' means over seeds.

    This is what tells a user with an unlabelled catalogue whether retrieval can stand in for
    attribute accuracy when choosing between policies.
    """
    retrieval = [m for m in metrics if m.group == "retrieval"]
    attributes = [m for m in metrics if m.path[0] == "attributes" and m.path[2] in ("knn", "linear")
                  and m.path[3] == "accuracy"]
    out = []
    for r in retrieval:
        for a in attributes:
            agreement = rank_agreement([row["over_seeds"][r.key]["mean"] for row in rows],
                                       [row["over_seeds"][a.key]["mean"] for row in rows])
            out.append({"retrieval": r.key, "attribute": a.key,
                        "label": f"{r.label} vs {a.group} {a.label}", **agreement.to_json()})
    return out
