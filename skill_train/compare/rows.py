"""The rows of a comparison: which policy and which training method each one trains.

    >>> rows = standard_rows("dress", workdir=Path("runs/compare-dress"))
    >>> [m.label for m in rows]
    ['random init', 'DINO', 'SkiLL', 'SkiLL\\\\L', 'SkiLL\\\\H', 'SkiLL low colour']

SkiLL is the task's policy; DINO is ``policies/dino.yaml``; the ablations are
``policies/ablations/<task>-no-local.yaml``, ``-no-preprocess.yaml`` and
``-low-colour.yaml`` where those files exist, and are otherwise derived from the task's
policy here (written beside the runs, so each run's ``policy.yaml`` says what it used).
BYOL and SimCLR rows are added when a plugin registers those training methods.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill_aug.spec import GlobalSpace, OpSpec, ViewGroup

from skill_aug.atomic import atomic_write_text
from skill_train.eval.errors import EvaluationError

#: Global colour ops whose probability the low-colour ablation lowers (paper §6: p1, p2, p3).
COLOUR_OPS = ("ToGray", "ColorJitter", "GaussianBlur")
LOW_COLOUR_P = 0.1


@dataclass(frozen=True)
class RowSpec:
    """One row of a comparison.

    ``policy`` is a policy YAML (None: the task's own policy); ``method`` a registered
    training method (``dino``, ``simclr``, ``byol``, ...), or None for the untrained
    backbone at its seeded initialisation; ``overrides`` are extra TrainConfig fields.
    """

    name: str
    label: str
    policy: str | None = None
    method: str | None = "dino"
    overrides: dict[str, Any] = field(default_factory=dict)


def policies_dir() -> Path | None:
    """``./policies`` if it holds ``dino.yaml``, else the source checkout's ``policies/``."""
    for candidate in (Path("policies"), Path(__file__).resolve().parents[2] / "policies"):
        if (candidate / "dino.yaml").is_file():
            return candidate.resolve()
    return None


def low_colour_space(space: GlobalSpace, p: float = LOW_COLOUR_P) -> GlobalSpace:
    """``space`` with every grayscale, colour-jitter and blur op at probability ``p``."""

    def ops(seq: tuple[OpSpec, ...]) -> tuple[OpSpec, ...]:
        return tuple(OpSpec(o.name, {**o.params, "p": p}) if o.name in COLOUR_OPS else o for o in seq)

    def group(g: ViewGroup) -> ViewGroup:
        return dataclasses.replace(g, ops=ops(g.ops), per_view=tuple(ops(v) for v in g.per_view))

    return GlobalSpace(group(space.high_res), group(space.low_res))


def _write_policy(policy: Any, path: Path) -> str:
    atomic_write_text(path, policy.to_yaml())
    return str(path.resolve())


def standard_rows(task: str | None, workdir: Path, include_random: bool = True) -> list[RowSpec]:
    """The paper's rows for ``task``: (random init,) DINO, SkiLL, SkiLL\\L, SkiLL\\H, low colour (+ BYOL, SimCLR).

    Without a task (a catalogue of several types, whose category picks each product's policy): no
    ablations, which belong to one type's policy.
    """
    from skill_aug import load_policy, policy_for_task
    from skill_aug.catalog_policies import global_policy
    from skill_train.methods import method_names

    base = policy_for_task(task) if task else global_policy()
    found = policies_dir()
    derived = workdir / "policies"

    def ablation(suffix: str, make) -> str:
        if found and (found / "ablations" / f"{task}-{suffix}.yaml").is_file():
            return str(found / "ablations" / f"{task}-{suffix}.yaml")
        return _write_policy(make(), derived / f"{task}-{suffix}.yaml")

    if found:
        dino = str(found / "dino.yaml")
    else:
        from skill_aug.spaces import dino_global_space

        space = base.spec.global_space
        dino_policy = base.replace(
            name="dino", preprocess=(), local_set=(),
            global_space=dino_global_space(space.high_res.size, space.low_res.size, space.high_res.count,
                                           space.low_res.count),
        )
        dino = _write_policy(dino_policy, derived / "dino.yaml")
    load_policy(dino)  # fail early, with the file's own error, if it does not load
    rows = [RowSpec("random-init", "random init", method=None)] if include_random else []
    rows += [RowSpec("dino", "DINO", dino), RowSpec("skill", "SkiLL")]
    rows += [] if not task else [
        RowSpec("skill-no-local", "SkiLL\\L", ablation("no-local", lambda: base.replace(name=f"{task}-no-local", local_set=()))),
        RowSpec("skill-no-preprocess", "SkiLL\\H", ablation("no-preprocess", lambda: base.replace(name=f"{task}-no-preprocess", preprocess=()))),
        RowSpec("skill-low-colour", "SkiLL low colour",
                   ablation("low-colour", lambda: base.replace(name=f"{task}-low-colour",
                                                               global_space=low_colour_space(base.spec.global_space)))),
    ]
    registered = method_names()
    for name, label in (("byol", "BYOL"), ("simclr", "SimCLR")):
        if name in registered:
            rows.insert(1 if include_random else 0, RowSpec(name, label, dino, method=name))
    return rows


def select(rows: list[RowSpec], names: list[str]) -> list[RowSpec]:
    """The rows named in ``names`` (in that order); all of them when ``names`` is empty."""
    if not names:
        return rows
    by_name = {r.name: r for r in rows}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise EvaluationError(f"--row {unknown[0]!r} is not a row of this comparison (rows: {', '.join(by_name)})")
    return [by_name[n] for n in names]
