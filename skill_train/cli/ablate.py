"""``skill ablate``: a thin command over :mod:`skill_train.compare.ablation`.

    skill ablate --task dress [--seeds 3] [--only RegionCrop --only local] [--out DIR] [--preset cpu]
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from skill_train.cli.eval import INPUT_HELP


def register(app: typer.Typer) -> None:
    """Add ``ablate`` to the ``skill`` app."""

    @app.command()
    def ablate(
        task: str = typer.Option(..., help="Product type whose local set A_i and preprocessing H are ablated."),
        seeds: str = typer.Option("1", help="A count (3: seeds 0, 1, 2) or a list (0,1,2); every row runs per seed "
                                            "in OUT/ROW/seed-N and each op's worth gets a 95 % interval (n/a with one)."),
        only: List[str] = typer.Option([], help="Only these ablations (repeatable): an op's class (RegionCrop), a row's "
                                                "op name where the class repeats (local-2-Affine), or a whole stage "
                                                "(local, preprocess); the full policy always runs."),
        out: Optional[Path] = typer.Option(None, help="Folder for the policies, runs and report (default runs/ablate-TASK)."),
        data: Optional[str] = typer.Option(None, help="Catalogue (default: the task's synthetic catalogue)."),
        preset: str = typer.Option("cpu", help="Training preset every row shares (cpu, paper or a YAML file)."),
        epochs: Optional[int] = typer.Option(None, help="Epochs for every row (default: the preset's)."),
        batch_size: Optional[int] = typer.Option(None, help="Batch size for every row (default: the preset's)."),
        products: Optional[int] = typer.Option(None, help="Size of the synthetic catalogue (default 600)."),
        attribute: List[str] = typer.Option([], help="Attributes to probe (default: the product type's); the first "
                                                     "ranks the ops (default pattern)."),
        map_kind: str = typer.Option("pca", "--map", help="2-D map projection of comparison's map.png: pca or tsne."),
        device: str = typer.Option("auto", help="Training and embedding device."),
        workers: int = typer.Option(0, help="DataLoader workers for embedding."),
        input: str = typer.Option("colour", help=INPUT_HELP + " (cached apart: changing it embeds again, trains nothing)"),
    ) -> None:
        """Train the full policy and one policy per op of A_i and H removed; rank what each op buys."""
        from skill_train.compare.ablation import ablate as run_ablate
        from skill_train.compare.report import ablation_tables
        from skill_train.compare.seeds import parse_seeds
        from skill_train.run.folder import RUNS_ROOT
        from skill_train.train.loop import TrainingInterrupted

        seed_list = parse_seeds(seeds)
        console = Console()
        folder = out or RUNS_ROOT / f"ablate-{task}"
        try:
            report = run_ablate(task, folder, seeds=seed_list, attributes=attribute, log=console.print, only=only,
                                data=data, preset=preset, epochs=epochs, batch_size=batch_size, products=products,
                                map_kind=map_kind, device=device, workers=workers, input=input)
        except TrainingInterrupted as stop:
            console.print(f"[yellow]{stop}[/]; run the same command again to resume (finished runs are reused)")
            raise typer.Exit(130)
        for table in ablation_tables(report):
            console.print(table)
        console.print(f"wrote {folder}/ablation.json, ablation.md, ablation.png (policies in {folder}/policies, "
                      f"per-row figures in comparison.md)")
