"""Trainer throughput against its ceilings, at the same shapes (default: the CPU preset).

    python benchmarks/train_throughput.py                 # CPU preset, curtains, default workers
    python benchmarks/train_throughput.py --workers 0 --steps 20 --json out.json

Three numbers, in images (products) per second:
- ``bare``: the student (backbone + head) forward and backward on ready-made tensors of the
  preset's view shapes — the ceiling the issue names;
- ``compute``: one full optimiser step on ready-made tensors (teacher forward, student
  forward/backward, clipping, AdamW, EMA, centre) — what the loop costs without data;
- ``trainer``: the steady images/s the real trainer reports (``summary.json``), with data
  loading and augmentation through the DataLoader.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from skill_aug.atomic import atomic_write_text
from skill_train.run.config import TrainConfig
from skill_train.methods.dino import DINOLoss
from skill_train.models.ema import ema_update
from skill_train.models.param_groups import parameter_groups
from skill_train.train.build import build_method
from skill_train.train.loop import clip_gradients, train


def _views(cfg: TrainConfig, n_local: int, batch: int) -> list[torch.Tensor]:
    high, low = cfg.high_res_size or 224, cfg.low_res_size or 96
    return [torch.randn(batch, 3, high, high) for _ in range(2)] + [torch.randn(batch, 3, low, low) for _ in range(n_local)]


def _rate(fn, batch: int, steps: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return batch * steps / (time.perf_counter() - start)


def bare_and_compute(cfg: TrainConfig, n_local: int, steps: int) -> tuple[float, float]:
    """Images/s of the student's forward/backward alone, and of a whole optimiser step without data."""
    method = build_method(cfg, cfg.high_res_size or 224)[0]
    student, teacher = method.student, method.teacher
    views = _views(cfg, n_local, cfg.batch_size)
    loss_fn = DINOLoss(cfg.options.out_dim, 2 + n_local, cfg.options.teacher_temp, cfg.options.teacher_temp, 0, cfg.epochs)
    optimizer = torch.optim.AdamW(parameter_groups(student))

    def bare() -> None:
        student.zero_grad(set_to_none=True)
        student(views).float().logsumexp(-1).mean().backward()

    def full_step() -> None:
        with torch.no_grad():
            t = teacher(views[:2])
        loss = loss_fn(student(views), t, 1, update_center=False)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_gradients(student, cfg.clip_grad)
        optimizer.step()
        ema_update(teacher, student, 0.996)
        loss_fn.update_center(t)

    return _rate(bare, cfg.batch_size, steps), _rate(full_step, cfg.batch_size, steps)


def trainer_rate(cfg: TrainConfig, steps: int) -> float:
    """Steady images/s of the real trainer over ``steps`` optimiser steps (plus 3 uncounted)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = train(cfg.replace(out=str(Path(tmp) / "run"), max_steps=steps + 3, eval_holdout=0.0))
        return json.loads((run / "summary.json").read_text())["images_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--task", default="curtains")
    parser.add_argument("--workers", type=int, default=None, help="default: the preset's")
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    overrides = {"task": args.task, "workers": args.workers}
    cfg = TrainConfig.from_preset(args.preset, **overrides)
    from skill_train.train.data import resolve_policy

    n_local = resolve_policy(cfg).n_local
    bare, compute = bare_and_compute(cfg, n_local, args.steps)
    trainer = trainer_rate(cfg, args.steps)
    result = {
        "preset": args.preset, "task": args.task, "workers": cfg.workers, "threads": torch.get_num_threads(),
        "batch_size": cfg.batch_size, "views": f"2x{cfg.high_res_size} + {n_local}x{cfg.low_res_size}",
        "bare_images_per_s": bare, "compute_images_per_s": compute, "trainer_images_per_s": trainer,
        "trainer_over_bare": trainer / bare, "trainer_over_compute": trainer / compute,
    }
    table = Table(title=f"train throughput ({result['views']} px, batch {cfg.batch_size}, workers {cfg.workers})")
    table.add_column("measure")
    table.add_column("images/s", justify="right")
    table.add_column("of bare", justify="right")
    for name, key in (("bare student fwd/bwd (ceiling)", "bare_images_per_s"),
                      ("full step, no data", "compute_images_per_s"), ("trainer (steady)", "trainer_images_per_s")):
        table.add_row(name, f"{result[key]:.1f}", f"{result[key] / bare:.2f}")
    Console().print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
