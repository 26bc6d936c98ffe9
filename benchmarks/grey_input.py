"""Colour at inference: the same trained backbones, embedding colour photos or their grey versions.

A run's colour entropy says how little its embedding clusters by colour. This asks whether
removing colour at the input, after training, buys colour invariance without costing pattern
accuracy: every finished run of a seeded comparison (``skill compare --seeds``) is embedded
twice, with its own H and with H followed by a grey conversion (ITU-R 601 luma, copied to three
channels, as the policies' ``ToGray`` makes it: ``--input grey``), and both are evaluated with
the comparison's own settings (the seed's held-out designs). No training; the grey evaluation
is cached in each run folder (``eval-grey.json``), where ``skill compare --input grey`` finds
it. The colour figures are read from the catalogue's ``color`` attribute.

    python benchmarks/grey_input.py --runs runs/compare-dress-3seeds [--rows dino skill] [--json grey.json]

Prints a rich table (mean ± sd over seeds per row and input) and the paired difference grey −
colour with its 95 % interval; writes the figures as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from skill_aug.atomic import atomic_write_text
from skill_train.compare.runs import ensure_evaluated
from skill_train.compare.seeds import Metric
from skill_train.compare.stats import paired_difference, spread
from skill_train.eval.evaluate import EvalSettings
from skill_train.eval.from_run import open_catalog, run_catalog
from skill_train.run.folder import RunDir

COLOUR_ENTROPY = Metric(("color_entropy", "value"), "colour", "colour entropy", "nats")


def figures(result: dict) -> list[Metric]:
    """Linear probe and k-NN accuracy of every attribute but colour in ``result``, then the colour entropy."""
    return [Metric(("attributes", name, probe, "accuracy"), name, f"{name} {label}", "fraction")
            for name, probes in result["attributes"].items() if name != "color"
            for probe, label in (("linear", "linear"), ("knn", "k-NN")) if probe in probes] + [COLOUR_ENTROPY]


def evaluate_both(run_dir: Path) -> dict[str, dict[str, float | None]]:
    """The run's cached colour evaluation (``eval.json``) and its grey one (``eval-grey.json``, made
    here when missing, as ``skill compare --input grey`` would), with the same settings."""
    run = RunDir(run_dir)
    cached = json.loads(run.eval.read_text(encoding="utf-8"))
    settings = EvalSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in cached["settings"].items()})
    catalog = open_catalog(run_catalog(run.config_values()))
    grey, _ = ensure_evaluated(run_dir, catalog, settings, "cpu", 0, "grey")
    return {m.label: {"colour": m.value(cached), "grey": m.value(grey), "unit": m.unit} for m in figures(cached)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="a seeded comparison's folder (ROW/seed-N/)")
    parser.add_argument("--rows", nargs="+", default=None, help="rows to include (default: every row with runs)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    console = Console()
    rows = args.rows or sorted(p.name for p in args.runs.iterdir() if any(p.glob("seed-*/eval.json")))
    results: dict[str, dict[int, dict]] = {}
    for row in rows:
        for seed_dir in sorted((args.runs / row).glob("seed-*")):
            if not RunDir(seed_dir).eval.is_file():
                continue
            seed = int(seed_dir.name.removeprefix("seed-"))
            results.setdefault(row, {})[seed] = evaluate_both(seed_dir)
            console.log(f"{row} seed {seed} done")

    table = Table(title=f"colour vs grey input at inference: {args.runs}\n(accuracies in %, colour entropy in nats; "
                        "mean ± sd over seeds; grey − colour paired, 95 % interval)")
    for column in ("row", "figure", "colour input", "grey input", "grey − colour"):
        table.add_column(column, justify="left" if column in ("row", "figure") else "right")
    summary: dict[str, dict] = {}
    for row, by_seed in results.items():
        summary[row] = {}
        seeds = sorted(by_seed)
        for name in by_seed[seeds[0]]:
            colour = [by_seed[s][name]["colour"] for s in seeds]
            grey = [by_seed[s][name]["grey"] for s in seeds]
            diff = paired_difference(grey, colour)
            summary[row][name] = {"seeds": seeds, "colour": colour, "grey": grey, "grey_minus_colour": diff.to_json()}
            scale = 100.0 if by_seed[seeds[0]][name]["unit"] == "fraction" else 1.0

            def mean_sd(values: list) -> str:
                found = spread(values)
                return f"{found.mean * scale:.2f} ± {(found.sd or 0.0) * scale:.2f}"

            interval = (f"[{diff.low * scale:+.2f}, {diff.high * scale:+.2f}]" if diff.low is not None else "[n/a]")
            table.add_row(row, name, mean_sd(colour), mean_sd(grey), f"{diff.mean * scale:+.2f} {interval}")
    console.print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps({"runs": str(args.runs), "rows": summary}, indent=2))


if __name__ == "__main__":
    main()
