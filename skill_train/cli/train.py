"""``skill train``: a thin command over :func:`skill_train.train.loop.train`.

    skill train --task curtains                    # synthetic catalogue, the task's policy, CPU preset
    skill train --data DIR --policy policies/dino.yaml --epochs 50
    skill train --resume runs/curtains-20250101-120000   # or --resume last
    skill train --task dress --nproc 2             # DDP through torchrun
    skill train --task shirt --method simclr       # or byol: the paper's CNN baselines (ResNet-18 on CPU)
    skill train --task shirt --method byol --arch resnet50
    skill train --data mixed --category-map rug=wall-art --balance-categories   # each product: its type's H, A_i
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

LATEST = "last"


def _resume_folder(resume: str, out: str | None) -> Any:
    """The run ``--resume`` names: a folder, or ``last`` (``--out``, else the newest run under runs/)."""
    from skill_train.run.checkpoint import CheckpointError
    from skill_train.run.folder import RUNS_ROOT, RunDir

    if resume != LATEST:
        return RunDir(resume)
    if out:
        return RunDir(out)
    latest = RunDir.latest()
    if latest is None:
        raise CheckpointError(f"--resume: no run with a checkpoint under {RUNS_ROOT}/ (give the run folder)")
    return latest


#: The config field each command-line flag sets (and the flag an error about that field names).
FLAGS = {"task": "--task", "data": "--data", "policy": "--policy", "preset": "--preset", "epochs": "--epochs",
         "batch_size": "--batch-size", "lr": "--lr", "workers": "--workers", "seed": "--seed", "out": "--out",
         "max_steps": "--max-steps", "device": "--device", "init": "--init", "method": "--method", "arch": "--arch",
         "eval_every": "--eval-every", "category_column": "--category-column", "category_map": "--category-map",
         "unknown_category": "--unknown-category", "balance_categories": "--balance-categories"}
_FIELD_FLAGS = {("base_lr" if k == "lr" else k): v for k, v in FLAGS.items()}


def check_flags(overrides: dict[str, Any]) -> None:
    """Each given flag's value on its own (before any preset or run is read); a bad one is a ConfigError naming the flag."""
    from skill_train.run.config import ConfigError, TrainConfig

    given = {k: v for k, v in overrides.items() if v is not None and k in _FIELD_FLAGS}
    if not given:
        return
    try:
        TrainConfig.from_dict(given, "command line")
    except ConfigError as err:
        if err.field in given:
            raise ConfigError(f"{_FIELD_FLAGS[err.field]} {given[err.field]}: not valid (expected {err.expected})"
                              if err.expected else f"{_FIELD_FLAGS[err.field]}: {str(err).split(': ', 1)[-1]}",
                              err.field, err.expected) from None
        raise


def category_map(items: list[str] | None) -> dict[str, str] | None:
    """``--category-map rug=wall-art`` (repeatable) as ``{"rug": "wall-art"}``; ``None`` when not given."""
    from skill_aug.catalog_policies import parse_category_map

    return parse_category_map(items) if items else None


def build_config(options: dict[str, Any], console: Any) -> Any:
    """The run's TrainConfig from command-line options: a preset (or a saved run) plus overrides."""
    from skill_train.run.checkpoint import CheckpointError
    from skill_train.run.config import TrainConfig, default_preset, method_recipe

    overrides = {
        "task": options["task"], "data": options["data"], "policy": options["policy"],
        "epochs": options["epochs"], "batch_size": options["batch_size"], "base_lr": options["lr"],
        "workers": options["workers"], "seed": options["seed"], "out": options["out"],
        "max_steps": options["max_steps"], "device": options["device"], "init": options["init"],
        "method": options.get("method"), "arch": options.get("arch"), "eval_every": options.get("eval_every"),
        "category_column": options.get("category_column"), "unknown_category": options.get("unknown_category"),
        "category_map": category_map(options.get("category_map")),
        "balance_categories": options.get("balance_categories") or None,
    }
    check_flags(overrides)
    if options.get("arch") is not None:
        overrides["arch_overrides"] = {}  # the preset's architecture arguments belong to its own model
    if options["resume"] is not None:
        run = _resume_folder(options["resume"], options["out"])
        if not run.has_config():
            raise CheckpointError(f"--resume {run}: no {run.CONFIG} there (is it a run folder?)")
        cfg = run.load_config()
        # a saved --max-steps was a stopping point of that invocation, not part of the recipe
        changes = {k: v for k, v in overrides.items() if v is not None}
        return cfg.replace(**{"max_steps": None, **changes, "out": str(run), "resume": True})

    preset = options["preset"]
    if preset is None:
        preset = default_preset(options["device"])
        if preset == "cpu":
            arch = options.get("arch") or method_recipe(options.get("method") or "dino", "cpu").get("arch")
            console.print(f"[yellow]no GPU: using the CPU preset[/] ({arch or 'a small conv-stem ViT'} at 64/32 px "
                          "views; --preset paper for the paper's scale at 224/96)")
    return TrainConfig.from_preset(preset, **overrides)


def _torchrun_args(options: dict[str, Any]) -> list[str]:
    """The same command for each torchrun process, without ``--nproc``."""
    args: list[str] = []
    for key, flag in FLAGS.items():
        value = options.get(key)
        if key == "category_map":
            for item in value or ():
                args += [flag, str(item)]
        elif key == "balance_categories":
            args += [flag] if value else []
        elif value is not None:
            args += [flag, str(value)]
    if options["resume"] is not None:
        args += ["--resume", options["resume"]]
    return args


def register(app: typer.Typer) -> None:
    """Add ``skill train`` to the ``skill`` app."""

    @app.command("train")
    def train_command(
        task: Optional[str] = typer.Option(None, "--task", help="Product type (its installed policy and synthetic catalogue are the defaults)."),
        data: Optional[Path] = typer.Option(None, "--data", help="Catalogue folder or manifest (.csv/.jsonl); default: the task's synthetic catalogue."),
        policy: Optional[Path] = typer.Option(None, "--policy", help="Policy YAML overriding the task's (e.g. policies/dino.yaml)."),
        preset: Optional[str] = typer.Option(None, "--preset", help="cpu, paper or a preset YAML; default: cpu without a GPU, paper with one."),
        epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs (the schedules span them)."),
        batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Global batch (split over processes)."),
        lr: Optional[float] = typer.Option(None, "--lr", help="Base learning rate per 256 images (peak = lr × batch / 256)."),
        workers: Optional[int] = typer.Option(None, "--workers", help="DataLoader worker processes."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed of initialisation, data order and augmentation."),
        out: Optional[Path] = typer.Option(None, "--out", help="Run folder (default runs/<task>-<timestamp>)."),
        resume: Optional[str] = typer.Option(None, "--resume", metavar="DIR|last",
                                             help="Continue the run in DIR with its saved config ('last': --out, else the newest run under runs/)."),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after N optimiser steps (schedules still span --epochs)."),
        device: Optional[str] = typer.Option(None, "--device", help="cpu, cuda or auto (default)."),
        init: Optional[Path] = typer.Option(None, "--init", help="Local backbone.safetensors or checkpoint.pt to start from."),
        nproc: int = typer.Option(1, "--nproc", min=1, help="Processes on this machine (launches torchrun, DDP)."),
        method: Optional[str] = typer.Option(None, "--method", help="Training method: dino (default), simclr, byol or one a plugin registers; the preset takes that method's recipe (SimCLR/BYOL: ResNet-18 on CPU, ResNet-50 for paper)."),
        arch: Optional[str] = typer.Option(None, "--arch", help="Any timm model name as the backbone (e.g. resnet50, vit_small_patch16_224), built with timm's defaults."),
        eval_every: Optional[int] = typer.Option(None, "--eval-every", help="Held-out k-NN of the embedding network every N epochs, logged and shown (0: only at the end; the CPU preset: 5)."),
        category_column: Optional[str] = typer.Option(None, "--category-column", help="Column naming each product's type (default: category); each product gets its type's H and A_i."),
        category_map: Optional[List[str]] = typer.Option(None, "--category-map", metavar="CATEGORY=TYPE", help="Train a category as an installed product type, e.g. rug=wall-art (repeatable)."),
        unknown_category: Optional[str] = typer.Option(None, "--unknown-category", help="A category without an installed type: error (default), global (G only, no H/A_i) or skip."),
        balance_categories: bool = typer.Option(False, "--balance-categories", help="Draw every category equally often (each epoch: as many draws as products)."),
    ) -> None:
        """Train a design representation with self-distillation on a product catalogue."""
        from rich.console import Console

        from skill_train.train.distributed import launch_torchrun
        from skill_train.train.loop import TrainingInterrupted, train

        options = dict(task=task, data=data, policy=policy, preset=preset, epochs=epochs, batch_size=batch_size,
                       lr=lr, workers=workers, seed=seed, out=out, resume=resume, max_steps=max_steps,
                       device=device, init=init, method=method, arch=arch, eval_every=eval_every,
                       category_column=category_column, category_map=category_map, unknown_category=unknown_category,
                       balance_categories=balance_categories)
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()}
        console = Console()
        if nproc > 1 and "LOCAL_RANK" not in os.environ:
            console.print(f"launching {nproc} processes with torchrun")
            raise typer.Exit(launch_torchrun(nproc, _torchrun_args(options)))
        is_main = int(os.environ.get("RANK", "0")) == 0
        cfg = build_config(options, console if is_main else Console(file=open(os.devnull, "w")))
        try:
            run_dir = train(cfg)
        except TrainingInterrupted as stop:
            if is_main:
                console.print(f"[yellow]{stop}[/]; continue with: skill train --resume {stop.run_dir}")
            sys.exit(130)
        except KeyboardInterrupt:  # a second Ctrl-C: the last checkpoint and its summary are kept as they were
            if is_main:
                typer.echo(f"error: stopped at once; the last saved checkpoint is kept (continue with: "
                           f"skill train --resume {cfg.out or 'last'})", err=True)
            sys.exit(130)
        if is_main:
            console.print(f"run saved in [bold]{run_dir}[/]")
