"""Trainer throughput against its ceilings, at the same shapes (default: the CPU preset).

    python benchmarks/train_throughput.py                 # CPU preset, curtains, default workers
    python benchmarks/train_throughput.py --workers 0 --steps 20 --json out.json
    python benchmarks/train_throughput.py --preset paper --task dress --device cuda \
        --precision bf16 fp16 --real-photos 1024 --workers 14 --steps 200    # a GPU

On CUDA every measure runs under the run's autocast (``--precision``: bf16, fp16 with a
GradScaler), and the peak GPU memory of each is reported. ``--real-photos SIDE`` trains on a
prepared catalogue of real photos (scikit-learn's and scikit-image's samples) at that longest side
instead of the task's synthetic one.

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
from skill_train.methods.dino import DINOLoss
from skill_train.models.device import peak_gpu_memory_gib, resolve_device
from skill_train.models.ema import ema_update
from skill_train.models.param_groups import parameter_groups
from skill_train.run.config import TrainConfig
from skill_train.train.build import build_method
from skill_train.train.data import resolve_policy
from skill_train.train.loop import AUTOCAST_DTYPES, clip_gradients, resolve_precision, train


def _views(cfg: TrainConfig, n_local: int, batch: int, device: torch.device) -> list[torch.Tensor]:
    high, low = cfg.high_res_size or 224, cfg.low_res_size or 96
    return ([torch.randn(batch, 3, high, high, device=device) for _ in range(2)]
            + [torch.randn(batch, 3, low, low, device=device) for _ in range(n_local)])


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(fn, batch: int, steps: int, device: torch.device, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    _sync(device)
    return batch * steps / (time.perf_counter() - start)


def bare_and_compute(cfg: TrainConfig, n_local: int, steps: int) -> dict[str, float | None]:
    """Images/s of the student's forward/backward alone, and of a whole optimiser step without data
    (each under the run's autocast), with the peak GPU memory of the whole step."""
    device = resolve_device(cfg.device)
    precision = resolve_precision(cfg, device)
    dtype = AUTOCAST_DTYPES.get(precision)
    method = build_method(cfg, cfg.high_res_size or 224)[0]
    method.to(device)
    student, teacher = method.student, method.teacher
    views = _views(cfg, n_local, cfg.batch_size, device)
    loss_fn = DINOLoss(cfg.options.out_dim, 2 + n_local, cfg.options.teacher_temp, cfg.options.teacher_temp,
                       0, cfg.epochs).to(device)
    optimizer = torch.optim.AdamW(parameter_groups(student))
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")

    def autocast():
        return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)

    def bare() -> None:
        student.zero_grad(set_to_none=True)
        with autocast():
            out = student(views).float().logsumexp(-1).mean()
        scaler.scale(out).backward()

    def full_step() -> None:
        with autocast():
            with torch.no_grad():
                t = teacher(views[:2])
            loss = loss_fn(student(views), t, 1, update_center=False)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        clip_gradients(student, cfg.clip_grad)
        scaler.step(optimizer)
        scaler.update()
        ema_update(teacher, student, 0.996)
        loss_fn.update_center(t)

    bare_rate = _rate(bare, cfg.batch_size, steps, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    compute_rate = _rate(full_step, cfg.batch_size, steps, device)
    return {"precision": precision, "bare_images_per_s": bare_rate, "compute_images_per_s": compute_rate,
            "compute_peak_gpu_memory_gib": peak_gpu_memory_gib(device)}


def trainer_rate(cfg: TrainConfig, steps: int) -> dict[str, float | None]:
    """The real trainer over ``steps`` optimiser steps (plus 3 uncounted): its steady images/s and peak
    GPU memory (``summary.json``), and its images/s within epochs (``metrics.jsonl``, leaving out each
    epoch's first step, which waits for the loader's workers to refill: on a small benchmark catalogue
    that wait recurs every few steps, on a real one once per thousands)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = train(cfg.replace(out=str(Path(tmp) / "run"), max_steps=steps + 3, eval_holdout=0.0))
        summary = json.loads((run / "summary.json").read_text())
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    inside = [r for r in records[3:] if r["step"] > 0 and records[r["step"] - 1]["epoch"] == r["epoch"]]
    seconds = sum(cfg.batch_size / r["images_per_s"] for r in inside)
    return {"trainer_images_per_s": summary["images_per_s"],
            "trainer_within_epoch_images_per_s": len(inside) * cfg.batch_size / seconds if seconds else None,
            "steps_per_epoch": sum(1 for r in records if r["epoch"] == records[0]["epoch"]),
            "trainer_peak_gpu_memory_gib": summary.get("peak_gpu_memory_gib")}


def real_photo_catalogue(root: Path, side: int, products: int, cfg: TrainConfig) -> Path:
    """A prepared catalogue of ``products`` × 2 real photos at longest side ``side`` (``skill data prepare``)."""
    from photos import real_photos, write_catalogue

    from skill_aug.catalog import Catalog
    from skill_aug.prepared import prepare

    folder = write_catalogue(root / f"real{side}", real_photos(), side, products)
    prepare(Catalog.open(folder), resolve_policy(cfg.replace(data=str(folder))))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--task", default="curtains")
    parser.add_argument("--workers", type=int, default=None, help="default: the preset's")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--precision", nargs="+", default=["auto"], help="auto, bf16, fp16 (CUDA; one row each)")
    parser.add_argument("--real-photos", type=int, default=None, metavar="SIDE",
                        help="train on a prepared catalogue of real photos at this longest side")
    parser.add_argument("--products", type=int, default=512, help="products in the --real-photos catalogue")
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    overrides = {"task": args.task, "workers": args.workers, "device": args.device}
    cfg = TrainConfig.from_preset(args.preset, **{k: v for k, v in overrides.items() if v is not None})
    console = Console()
    with tempfile.TemporaryDirectory(prefix="skill-train-bench-") as tmp:
        if args.real_photos:
            cfg = cfg.replace(data=str(real_photo_catalogue(Path(tmp), args.real_photos, args.products, cfg)))
        n_local = resolve_policy(cfg).n_local
        device = resolve_device(cfg.device)
        rows = []
        for precision in args.precision:
            run_cfg = cfg.replace(precision=precision)
            row = bare_and_compute(run_cfg, n_local, args.steps)
            if device.type == "cuda":
                torch.cuda.empty_cache()  # the ceiling's networks are gone; the trainer starts from a clean pool
            row.update(trainer_rate(run_cfg, args.steps))
            row["trainer_over_compute"] = row["trainer_images_per_s"] / row["compute_images_per_s"]
            rows.append(row)
            console.print(f"{row['precision']}: {row}")
    result = {
        "preset": args.preset, "task": args.task, "data": f"real photos, {args.real_photos} px, prepared"
        if args.real_photos else "synthetic", "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch": torch.__version__, "workers": cfg.workers, "threads": torch.get_num_threads(),
        "batch_size": cfg.batch_size, "views": f"2x{cfg.high_res_size} + {n_local}x{cfg.low_res_size}",
        "rows": rows,
    }
    table = Table(title=f"train throughput, {cfg.arch} ({result['views']} px, batch {cfg.batch_size}, "
                        f"{rows[0]['steps_per_epoch']} steps per epoch, workers {cfg.workers}, "
                        f"{result['device_name'] or result['device']})")
    for col in ("precision", "bare fwd/bwd img/s", "full step, no data", "trainer img/s", "within epochs",
                "trainer / step", "peak GiB (step)", "peak GiB (trainer)"):
        table.add_column(col, justify="right")
    def shown(value: float | None, digits: int) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    for row in rows:
        table.add_row(row["precision"], f"{row['bare_images_per_s']:.1f}", f"{row['compute_images_per_s']:.1f}",
                      f"{row['trainer_images_per_s']:.1f}", shown(row["trainer_within_epoch_images_per_s"], 1),
                      f"{row['trainer_over_compute']:.2f}",
                      shown(row["compute_peak_gpu_memory_gib"], 2), shown(row["trainer_peak_gpu_memory_gib"], 2))
    console.print(table)
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
