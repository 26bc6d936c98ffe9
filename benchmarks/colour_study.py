"""Colour study: does removing colour in training, at inference, or both buy colour invariance
without costing pattern accuracy?

Two rows trained per seed under the CPU preset (or ``--preset``):
- **SkiLL**: the product type's policy (its views are grey with ToGray's own probability);
- **SkiLL, grey views**: the same policy with every view grey (``ToGray`` at ``p: 1`` in both
  view groups; the policy file is written to ``OUT/policies/``).

Each is evaluated twice, on its held-out photos in colour and grey (``--input grey``), so four
cells per figure: trained on colour or grey views × embedded from colour or grey photos. The
comparison's own reports are written for each input (``comparison.json`` etc. hold the last,
grey), and the study's table pairs every cell with SkiLL/colour by seed (95 % interval).
Finished runs are reused (a seeded ``skill compare`` folder with a ``skill`` row can be the OUT).

    python benchmarks/colour_study.py --task dress --seeds 3 --out runs/colour-dress [--json colour.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from skill_aug import policy_for_task
from skill_aug.atomic import atomic_write_text
from skill_aug.spec import GlobalSpace, OpSpec, ViewGroup
from skill_train.compare.rows import RowSpec
from skill_train.compare.runs import compare
from skill_train.compare.seeds import parse_seeds
from skill_train.compare.stats import paired_difference

COLOUR_ENTROPY = "colour entropy"


def grey_views(space: GlobalSpace) -> GlobalSpace:
    """``space`` with ``ToGray`` at probability 1 in every view (added last where a group lacks it)."""

    def group(g: ViewGroup) -> ViewGroup:
        ops = tuple(OpSpec(o.name, {**o.params, "p": 1.0}) if o.name == "ToGray" else o for o in g.ops)
        if not any(o.name == "ToGray" for o in ops):
            ops += (OpSpec("ToGray", {"num_output_channels": 3, "method": "weighted_average", "p": 1.0}),)
        return dataclasses.replace(g, ops=ops)

    return GlobalSpace(group(space.high_res), group(space.low_res))


def study_figures(result: dict) -> dict[str, float]:
    """Linear and k-NN accuracy of every attribute but colour, and the colour entropy, of one evaluation."""
    out = {f"{name} {label}": float(probes[probe]["accuracy"])
           for name, probes in result["attributes"].items() if name != "color"
           for probe, label in (("linear", "linear"), ("knn", "k-NN")) if probe in probes}
    out[COLOUR_ENTROPY] = float(result["color_entropy"]["value"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="dress")
    parser.add_argument("--seeds", default="3", help="a count (3: seeds 0, 1, 2) or a list (0,1,2)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    console = Console()
    seeds = parse_seeds(args.seeds)
    policy = policy_for_task(args.task)
    grey = policy.replace(name=f"{args.task}-grey-views", global_space=grey_views(policy.spec.global_space))
    grey_file = args.out / "policies" / f"{args.task}-grey-views.yaml"
    atomic_write_text(grey_file, grey.to_yaml())
    rows = [RowSpec("skill", "SkiLL"), RowSpec("skill-grey-views", "SkiLL, grey views", str(grey_file.resolve()))]

    cells: dict[tuple[str, str], dict[int, dict[str, float]]] = {}
    for input in ("colour", "grey"):
        report = compare(args.task, args.out, rows=rows, seeds=seeds, preset=args.preset, input=input, log=console.print)
        for row in report["rows"]:
            cells[(row["label"], input)] = {run["seed"]: study_figures(run["eval"]) for run in row["runs"]}

    reference = cells[("SkiLL", "colour")]
    names = list(next(iter(reference.values())))
    table = Table(title=f"{args.task}: trained on colour or grey views × embedded from colour or grey photos "
                        f"(seeds {', '.join(map(str, seeds))}; mean ± sd; − SkiLL/colour paired, 95 % interval)")
    for column in ("training views", "input", *names):
        table.add_column(column, justify="left" if column in ("training views", "input") else "right")
    summary = []
    for (label, input), by_seed in cells.items():
        row_cells, figures = [], {}
        for name in names:
            values = [by_seed[s][name] for s in seeds]
            diff = paired_difference(values, [reference[s][name] for s in seeds])
            scale = 1.0 if name == COLOUR_ENTROPY else 100.0
            sd = np.std(values, ddof=1) * scale if len(values) > 1 else 0.0
            interval = f" [{diff.low * scale:+.1f}, {diff.high * scale:+.1f}]" if diff.low is not None else ""
            row_cells.append(f"{np.mean(values) * scale:.2f} ± {sd:.2f}" +
                             ("" if (label, input) == ("SkiLL", "colour") else f"\n{diff.mean * scale:+.2f}{interval}"))
            figures[name] = {"values": values, "minus_skill_colour": diff.to_json()}
        table.add_row(label, input, *row_cells)
        summary.append({"row": label, "input": input, "seeds": seeds, "figures": figures})
    console.print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps({"task": args.task, "cells": summary}, indent=2))


if __name__ == "__main__":
    main()
