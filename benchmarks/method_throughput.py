"""Optimiser steps per second of each training method at its preset's shapes, without data loading.

    python benchmarks/method_throughput.py                      # dino, simclr, byol; CPU preset
    python benchmarks/method_throughput.py --methods simclr byol --steps 5 --threads 2 --json out.json

One step is what the trainer does per batch on ready-made tensors: the method's forward and
loss, backward, AdamW, and its updates after the step (EMA target, loss centre). Wall time
depends on what else runs on the machine, so CPU seconds per step are reported too.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from skill_train.run.config import TrainConfig
from skill_train.methods import MethodSetup, load_method
from skill_train.models.backbone import backbone_config, create_backbone
from skill_train.models.param_groups import parameter_groups


def recipe_config(method: str, preset: str, batch_size: int | None) -> TrainConfig:
    """The preset with the method's recipe for it (what ``skill train --method`` uses)."""
    return TrainConfig.from_preset(preset, method=method, batch_size=batch_size)


def measure(method: str, preset: str, steps: int, batch_size: int | None) -> dict[str, Any]:
    """Steps/s (wall and per CPU second) of ``method`` at ``preset``'s shapes."""
    cls = load_method(method)
    cfg = recipe_config(method, preset, batch_size)
    high, low = cfg.high_res_size or 224, cfg.low_res_size or 96
    n_local = (cfg.n_local if cfg.n_local is not None else 6) if cls.uses_local_views else 0
    model_config = backbone_config(cfg.arch, high, cfg.arch_overrides)
    torch.manual_seed(0)
    setup = MethodSetup(create_backbone(model_config, cfg.drop_path_rate), lambda: create_backbone(model_config),
                        cfg, cfg.method_options, steps_per_epoch=max(steps, 1), n_local=n_local)
    runner = cls.build(setup).train()
    optimizer = torch.optim.AdamW(parameter_groups(runner.student), lr=1e-5)
    batch = cfg.batch_size
    views = [torch.randn(batch, 3, high, high) for _ in range(2)] + [torch.randn(batch, 3, low, low) for _ in range(n_local)]

    def one_step(step: int) -> None:
        out = runner.step(views, 1, step)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        runner.before_optimizer_step(1, step)
        optimizer.step()
        runner.after_optimizer_step(1, step)

    one_step(0)  # warm-up: allocations, first-call overheads
    wall, cpu = time.perf_counter(), time.process_time()
    for step in range(1, steps + 1):
        one_step(step)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "method": method, "arch": cfg.arch, "batch_size": batch, "views": f"2×{high}px + {n_local}×{low}px",
        "steps_per_s": steps / wall, "images_per_s": steps * batch / wall, "cpu_s_per_step": cpu / steps,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    """Measure each method and print a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["dino", "simclr", "byol"])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None, help="Also write the results to this JSON file.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [measure(m, args.preset, args.steps, args.batch_size) for m in args.methods]
    table = Table(title=f"method steps, {args.preset} preset, no data loading")
    for col in ("method", "arch", "batch", "views", "steps/s", "images/s", "CPU s/step"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["method"], r["arch"], str(r["batch_size"]), r["views"], f"{r['steps_per_s']:.2f}",
                      f"{r['images_per_s']:.1f}", f"{r['cpu_s_per_step']:.2f}")
    Console().print(table)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
