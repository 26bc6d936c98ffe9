"""One SkiLL run over a mixed catalogue against one run per type and against DINO's policy.

The catalogue: ``skill data synth --task dress,shirt,curtains``. Rows, all at the CPU preset and
the same number of optimiser steps:

- ``skill (mixed)``: one run over every type, each product with its own type's H and A_i;
- ``dino (mixed)``: the same run with ``policies/dino.yaml`` for every product;
- ``skill (TYPE only)``: one run per type, on that type's training products alone, for as
  many epochs as give the mixed run's step count.

Every row is scored by ``skill eval --by category`` on the same held-out products (the mixed
run's split: same seed, same catalogue); the per-type runs never see a held-out product.
Prints a rich table of pattern k-NN and linear accuracy per category and writes JSON.

    python benchmarks/mixed_catalogue.py --out runs/mixed [--products 600] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

TYPES = ("dress", "shirt", "curtains")
ROOT = Path(__file__).resolve().parents[1]


def skill(*args: str) -> None:
    """Run the ``skill`` CLI (this interpreter), failing loudly."""
    subprocess.run([sys.executable, "-m", "skill_train", *args], check=True)


def type_catalogue(mixed: Path, out: Path, category: str, keep: set[str]) -> Path:
    """A folder catalogue of the ``keep`` products of ``category`` (symlinks to the mixed one's folders)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(mixed / "attributes.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    chosen = [r for r in rows if r["category"] == category and r["product_id"] in keep]
    with open(out / "attributes.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    for row in chosen:
        link = out / row["product_id"]
        if not link.exists():
            os.symlink((mixed / row["product_id"]).resolve(), link)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = args.out
    mixed = out / "catalogue"
    if not mixed.exists():
        skill("data", "synth", "--task", ",".join(TYPES), "--products", str(args.products), "--out", str(mixed),
              "--seed", str(args.seed))

    from skill_aug.catalog import Catalog
    from skill_train.eval.splits import product_split
    from skill_train.run.folder import RunDir
    from skill_train.run.config import TrainConfig

    cfg = TrainConfig.from_preset("cpu")
    catalog = Catalog.open(mixed)
    split = product_split(catalog.products, cfg.eval_holdout, args.seed)
    train_ids = {catalog.products[i].product_id for i in split.train}
    mixed_steps = cfg.epochs * (len(split.train) // cfg.batch_size)

    runs = {}
    common = ["--seed", str(args.seed), "--preset", "cpu"]
    for name, extra in (("skill (mixed)", []), ("dino (mixed)", ["--policy", str(ROOT / "policies" / "dino.yaml")])):
        run = out / name.split()[0]
        if not RunDir(run).is_finished():
            skill("train", "--data", str(mixed), "--out", str(run), *common, *extra)
        runs[name] = run
    for category in TYPES:
        folder = type_catalogue(mixed, out / f"only-{category}", category, train_ids)
        # the run holds out its own share for its end-of-run k-NN: count the products it trains on
        own = Catalog.open(folder)
        n_train = len(product_split(own.products, cfg.eval_holdout, args.seed).train)
        epochs = -(-mixed_steps // max(n_train // cfg.batch_size, 1))  # ceil: at least the mixed run's steps
        run = out / f"skill-{category}"
        if not RunDir(run).is_finished():
            # every product of the folder trains: the held-out products are not in it
            skill("train", "--data", str(folder), "--out", str(run), "--epochs", str(epochs), "--eval-every", "0",
                  *common)
        runs[f"skill ({category} only)"] = run

    results = {}
    for name, run in runs.items():
        report = out / f"eval-{run.name}.json"
        if not report.exists():
            skill("eval", "--checkpoint", str(run), "--data", str(mixed), "--by", "category", "--attribute", "pattern",
                  "--seed", str(args.seed), "--json", str(report))
        results[name] = json.loads(report.read_text())

    table = Table(title=f"pattern on the held-out products of a {'+'.join(TYPES)} catalogue (CPU preset, seed {args.seed})")
    table.add_column("row")
    for category in TYPES:
        table.add_column(f"{category} k-NN / linear", justify="right")
    table.add_column("overall k-NN / linear", justify="right")
    for name, result in results.items():
        cells = []
        for category in (*TYPES, None):
            block = result["by_category"][category] if category else result
            pattern = block["attributes"]["pattern"]
            cells.append(f"{100 * pattern['knn']['accuracy']:.1f} / {100 * pattern['linear']['accuracy']:.1f}")
        table.add_row(name, *cells)
    Console().print(table)
    (out / "mixed_catalogue.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
