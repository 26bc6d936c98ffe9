"""What a run shows and records: the progress bar, ``metrics.jsonl``, the summary and its table.

Only rank 0 creates these; other ranks get a :class:`RunLog` with ``enabled=False``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from skill_aug.atomic import atomic_write_text
from skill_aug.views_version import VIEWS_VERSION
from skill_train.run.folder import RunDir


class RunLog:
    """One line of ``metrics.jsonl`` per optimiser step, and a live progress bar.

    On resume, lines of steps at or after the resumed step are dropped first, so the file
    reads as one uninterrupted run.
    """

    def __init__(self, run_dir: Path, total_steps: int, start_step: int, enabled: bool = True,
                 console: Console | None = None, show_progress: bool = True,
                 stat: tuple[str, str] = ("teacher_temp", "T_t")):
        self.enabled = enabled
        self.stat_key, stat_label = stat  # the method's own figure beside the loss (DINO: teacher temperature)
        self.path = RunDir(run_dir).metrics
        self.console = console or Console()
        self._file = None
        self._progress: Progress | None = None
        if not enabled:
            return
        kept = []
        if start_step > 0 and self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip() and json.loads(line)["step"] < start_step:
                    kept.append(line + "\n")
        atomic_write_text(self.path, "".join(kept))
        self._file = self.path.open("a", encoding="utf-8")
        if show_progress:
            self._progress = Progress(
                TextColumn("[bold]epoch {task.fields[epoch]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.4f}"),
                TextColumn("lr {task.fields[lr]:.2e}"),
                TextColumn(f"{stat_label} " + "{task.fields[stat]:.3f}"),
                TextColumn("{task.fields[ips]:.0f} img/s"),
                TextColumn("{task.fields[knn]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._task = self._progress.add_task(
                "train", total=total_steps, completed=start_step, epoch=0, loss=float("nan"), lr=0.0,
                stat=float("nan"), ips=0.0, knn="",
            )
            self._progress.start()

    def step(self, record: dict[str, Any]) -> None:
        """Append one step's metrics (``step``, ``epoch``, ``loss``, ``lr``, ...) and advance the bar."""
        if not self.enabled:
            return
        assert self._file is not None
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self._progress is not None:
            self._progress.update(
                self._task, completed=record["step"] + 1, epoch=record["epoch"], loss=record["loss"],
                lr=record["lr"], stat=record.get(self.stat_key, float("nan")), ips=record["images_per_s"],
            )
            if record.get("knn"):  # the learning signal: held-out k-NN, shown until the next check
                shown = ", ".join(f"{name} {100 * acc:.1f}%" for name, acc in record["knn"].items())
                self._progress.update(self._task, knn=f"k-NN {shown}")

    def print(self, *objects: Any) -> None:
        """Print on rank 0 (through the progress bar when it is live)."""
        if self.enabled:
            self.console.print(*objects)

    def close(self) -> None:
        """Stop the bar and close the metrics file."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._file is not None:
            self._file.close()
            self._file = None


def knn_curve(run_dir: Path) -> list[dict[str, Any]]:
    """The held-out k-NN checks logged during training (``--eval-every``), from ``metrics.jsonl``."""
    path = RunDir(run_dir).metrics
    if not path.is_file():
        return []
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [{"step": r["step"], "epoch": r["epoch"] + 1, **r["knn"]} for r in records if r.get("knn")]


class Throughput:
    """Images per second: per step, and a steady rate that ignores the first ``skip`` steps."""

    def __init__(self, skip: int = 3):
        self.skip = skip
        self.steps = 0
        self.images = 0
        self.seconds = 0.0
        self._last = time.perf_counter()

    def tick(self, images: int) -> float:
        """Record a finished step of ``images`` samples; returns this step's images/s."""
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        self.steps += 1
        if self.steps > self.skip:
            self.images += images
            self.seconds += elapsed
        return images / max(elapsed, 1e-9)

    def restart_clock(self) -> None:
        """Do not count the time since the last tick (checkpoint writes, epoch set-up)."""
        self._last = time.perf_counter()

    @property
    def steady(self) -> float:
        """Images/s over the counted steps (0 before any)."""
        return self.images / self.seconds if self.seconds > 0 else 0.0


#: Keys of a step's record that are the run's own, not the method's statistics.
STEP_KEYS = {"step", "epoch", "loss", "lr", "wd", "images_per_s", "knn"}


def run_summary(
    run: RunDir, *, status: str, method: str | None, arch: str, steps: int, epochs_done: float,
    last: dict[str, Any], method_figures: dict[str, float], images_per_s: float, train_time_s: float,
    wall_time_s: float, device: str, world_size: int, precision: str, knn: dict[str, Any],
    peak_gpu_memory_gib: float | None = None,
) -> dict[str, Any]:
    """The run's ``summary.json``: its status, the last step's loss and method statistics (``last``),
    the method's own figures (``Method.summary``), throughput, times, where it ran (with the peak GPU
    memory this process allocated, on CUDA), the k-NN check and the view pipeline's version.

    A run folder holding an untrained backbone (``method`` None, no steps) has the same keys.
    """
    return {
        "run_dir": str(run), "status": status, "method": method, "arch": arch, "steps": steps,
        "epochs_done": epochs_done, "final_loss": last.get("loss", float("nan")),
        "final_stats": {k: v for k, v in last.items() if k not in STEP_KEYS},
        **method_figures,
        "images_per_s": images_per_s, "train_time_s": train_time_s, "wall_time_s": wall_time_s,
        "device": device, "world_size": world_size, "precision": precision,
        "peak_gpu_memory_gib": peak_gpu_memory_gib, "knn": knn,
        "views_version": VIEWS_VERSION,  # reuse and resume refuse a run whose views the code now draws otherwise
    }


def summary_tables(summary: dict[str, Any]) -> list[Table]:
    """The run's summary and its k-NN comparison as rich tables."""
    run = Table(title="training run", show_header=False)
    run.add_column("", style="bold")
    run.add_column("")
    rows = [
        ("run folder", summary["run_dir"]),
        ("method", f"{summary.get('method', 'dino')} on {summary.get('arch', '?')}"),
        ("status", summary["status"]),
        ("steps", f"{summary['steps']} ({summary['epochs_done']:.2f} epochs)"),
    ]
    if "uniform_loss" in summary:  # DINO: how far from the uniform (collapsed) solution
        rows += [
            ("final loss", f"{summary['final_loss']:.4f}  (uniform: ln K = {summary['uniform_loss']:.4f})"),
            ("teacher entropy", f"{summary['final_teacher_entropy']:.3f} nats"),
            ("student–teacher KL", f"{summary['final_kl']:.4f}"),
        ]
    else:
        rows.append(("final loss", f"{summary['final_loss']:.4f}"))
        rows += [(key.replace("_", " "), f"{value:.4f}") for key, value in summary.get("final_stats", {}).items()]
    rows += [
        ("images/s", f"{summary['images_per_s']:.1f}"),
        ("wall time", f"{summary['wall_time_s']:.0f} s"),
        ("device", f"{summary['device']} × {summary['world_size']} process(es)"),
    ]
    if summary.get("peak_gpu_memory_gib") is not None:
        rows.append(("peak GPU memory", f"{summary['peak_gpu_memory_gib']:.2f} GiB per process"))
    for key, value in rows:
        run.add_row(key, str(value))
    tables = [run]
    knn = summary.get("knn") or {}
    if knn.get("attributes"):
        t = Table(title=f"k-NN on held-out products (k={knn['k']}, T={knn['temperature']}, split by {knn['group_by']})")
        for col in ("attribute", "classes", "chance", "random init", "trained"):
            t.add_column(col, justify="right" if col != "attribute" else "left")
        for name, r in knn["attributes"].items():
            t.add_row(name, str(r["n_classes"]), f"{r['chance']:.1%}", f"{r['random_init_accuracy']:.1%}",
                      f"[bold]{r['accuracy']:.1%}")
        tables.append(t)
    if knn.get("by_category"):
        t = Table(title=f"k-NN per {knn['by']} (each among its own training products)")
        for col in (knn["by"], "attribute", "classes", "chance", "random init", "trained"):
            t.add_column(col, justify="right" if col in ("classes", "chance", "random init", "trained") else "left")
        for value, report in knn["by_category"].items():
            for i, (name, r) in enumerate(report.items()):
                t.add_row(value if i == 0 else "", name, str(r["n_classes"]), f"{r['chance']:.1%}",
                          f"{r.get('random_init_accuracy', float('nan')):.1%}", f"[bold]{r['accuracy']:.1%}")
        tables.append(t)
    return tables
