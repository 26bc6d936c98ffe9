"""``skill data``: product catalogues; ``skill data synth`` writes the synthetic one.

    skill data synth --task dress --products 2000 --out data/dress
    skill data synth --task lamps --silhouette furniture --out data/lamps --json
    skill data synth --task dress,shirt,shoes --products 900 --out data/mixed
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from skill_aug.synth import DEFAULT_PRODUCTS, check_request, write_catalog


def _summary_table(stats: dict):
    from rich.table import Table

    table = Table(title=f"synthetic catalogue: {stats['task']}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("folder", stats["out"]),
        ("products", str(stats["products"])),
        ("designs", str(stats["designs"])),
        ("photos", f"{stats['images']} ({stats['photos_min']}-{stats['photos_max']} per product, {stats['size']} px)"),
        ("silhouette", stats["silhouette"]),
        ("patterns", ", ".join(f"{k} {v}" for k, v in stats["patterns"].items())),
        ("colours", ", ".join(f"{k} {v}" for k, v in stats["colors"].items())),
        ("time", f"{stats['seconds']:.1f} s, {stats['images_per_s']:.0f} images/s"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def register(app: typer.Typer) -> None:
    """Add the ``skill data`` group to the ``skill`` app."""
    data = typer.Typer(help="Product catalogues: write the synthetic catalogue.", no_args_is_help=True)

    @data.command("synth")
    def synth(
        out: Path = typer.Option(..., "--out", help="New (or empty) folder to write the catalogue to."),
        task: str = typer.Option("dress", "--task", help="Product type: dress, shirt, furniture, curtains, "
                                 "shoes, wall-art, a plugin's, or any name (generic shape); several, "
                                 "comma-separated, write one mixed catalogue (the category column says which)."),
        products: int = typer.Option(DEFAULT_PRODUCTS, "--products", help="Number of products."),
        seed: int = typer.Option(0, "--seed", help="Same seed, same files (byte for byte)."),
        size: int = typer.Option(128, "--size", help="Photo side in pixels."),
        photos_min: int = typer.Option(4, "--photos-min", help="Fewest photos per product."),
        photos_max: int = typer.Option(8, "--photos-max", help="Most photos per product."),
        silhouette: Optional[str] = typer.Option(None, "--silhouette",
                                                 help="Built-in shape for a task without its own (e.g. furniture)."),
        as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON only."),
    ) -> None:
        """Write a synthetic product catalogue: ROOT/<product_id>/NN.png + attributes.csv."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        check_request(task, products, out, size, photos_min, photos_max, silhouette)
        console = Console(stderr=as_json)
        with Progress(TextColumn("[bold]synth[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=as_json) as bar:
            job = bar.add_task(task, total=products)
            stats = write_catalog(task, products, out, seed=seed, size=size, photos_min=photos_min,
                                  photos_max=photos_max, silhouette=silhouette,
                                  progress=lambda n: bar.update(job, completed=n))
        if as_json:
            typer.echo(json.dumps(stats, indent=2))
        else:
            console.print(_summary_table(stats))

    app.add_typer(data, name="data")
