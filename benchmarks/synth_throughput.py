"""Images per second of the synthetic catalogue writer on one core (target: >= 200 at 128 px).

Writes real catalogues (PNG files included) to a temporary folder for each task and size,
with OpenCV limited to one thread and the process pinned to one CPU where the OS allows.
Prints a rich table (wall-clock images/s, and images per CPU-second, which a busy machine
does not distort); ``--json FILE`` also writes the numbers.

    python benchmarks/synth_throughput.py [--products 120] [--sizes 128] [--tasks dress,shoes]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

from skill_aug.atomic import atomic_write_text
from skill_aug.synth import write_catalog

TARGET = 200.0  # images/s at 128 px on one core (issue 3)
TASKS = "dress,shirt,furniture,curtains,shoes,wall-art,lamps"


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=120, help="products per catalogue")
    parser.add_argument("--sizes", default="128", help="comma-separated photo sizes")
    parser.add_argument("--tasks", default=TASKS, help="comma-separated tasks ('lamps' = generic shape)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            for task in args.tasks.split(","):
                cpu = time.process_time()
                stats = write_catalog(task, args.products, Path(tmp) / f"{task}-{size}", seed=0, size=size)
                cpu = time.process_time() - cpu
                rows.append({"task": task, "size": size, "products": stats["products"],
                             "images": stats["images"], "seconds": stats["seconds"],
                             "images_per_s": stats["images_per_s"],
                             "images_per_cpu_s": round(stats["images"] / max(cpu, 1e-9), 1)})
    table = Table(title="synthetic catalogue throughput (one core, PNG written)")
    for col in ("task", "size", "products", "images", "seconds", "images/s", "images/CPU-s"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for r in rows:
        ok = r["size"] != 128 or r["images_per_s"] >= TARGET
        rate = f"[{'green' if ok else 'red'}]{r['images_per_s']:.0f}[/]"
        table.add_row(r["task"], str(r["size"]), str(r["products"]), str(r["images"]), f"{r['seconds']:.2f}", rate,
                      f"{r['images_per_cpu_s']:.0f}")
    console = Console()
    console.print(table)
    at_128 = [r for r in rows if r["size"] == 128]
    if at_128:
        total = sum(r["images"] for r in at_128) / sum(r["seconds"] for r in at_128)
        verdict = "meets" if total >= TARGET else "misses"
        console.print(f"all tasks at 128 px: {total:.0f} images/s ({verdict} the {TARGET:.0f} images/s target)")
    if args.json:
        atomic_write_text(args.json, json.dumps({"target_images_per_s_128px": TARGET, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
