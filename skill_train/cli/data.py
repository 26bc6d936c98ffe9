"""``skill data``: product catalogues; ``skill data synth`` writes the synthetic one.

    skill data synth --task dress --products 2000 --out data/dress
    skill data synth --task lamps --silhouette furniture --out data/lamps --json
    skill data synth --task dress,shirt,shoes --products 900 --out data/mixed
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional

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
    data = typer.Typer(help="Product catalogues: write the synthetic catalogue; prepare one for training.", no_args_is_help=True)

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

    @data.command("prepare")
    def prepare_command(
        data_dir: Path = typer.Option(..., "--data", help="Catalogue folder or manifest (.csv/.jsonl) to prepare."),
        task: Optional[str] = typer.Option(None, "--task", help="Product type whose policy's H to store for every "
                                           "product (default: each product's category picks its type)."),
        policy: Optional[Path] = typer.Option(None, "--policy", help="Policy YAML whose H to store."),
        preset: Optional[str] = typer.Option(None, "--preset", help="cpu, paper or a preset YAML: its view sizes "
                                             "set the source size (default: cpu without a GPU, paper with one)."),
        method: Optional[str] = typer.Option(None, "--method", help="Training method the run will use (dino by default)."),
        category_column: Optional[str] = typer.Option(None, "--category-column", help="As for skill train."),
        category_map: Optional[List[str]] = typer.Option(None, "--category-map", metavar="CATEGORY=TYPE",
                                                         help="As for skill train (repeatable)."),
        unknown_category: Optional[str] = typer.Option(None, "--unknown-category", help="As for skill train."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON only."),
    ) -> None:
        """Store every photo's H(x) at the source size once; `skill train --data` with the same flags reads it."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.table import Table

        from skill_aug.catalog import Catalog
        from skill_aug.prepared import preparation_key, prepare
        from skill_train.cli.train import category_map as parse_map
        from skill_train.run.config import TrainConfig, default_preset
        from skill_train.train.data import resolve_policies

        cfg = TrainConfig.from_preset(preset or default_preset(None), task=task, data=str(data_dir),
                                      policy=str(policy) if policy else None, method=method,
                                      category_column=category_column, category_map=parse_map(category_map),
                                      unknown_category=unknown_category)
        catalog = Catalog.open(data_dir)
        policies = resolve_policies(cfg, catalog)
        console = Console(stderr=as_json)
        results = []
        with Progress(TextColumn("[bold]prepare[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=as_json) as bar:
            # types with the same H and source size share one store (H(x) is the same image)
            groups: dict[str, tuple[list[str], Any, list[int]]] = {}
            for name, pol in policies.policies.items():
                names, _, indices = groups.setdefault(preparation_key(pol), ([], pol, []))
                names.append(pol.spec.name)
                indices += [i for i, owner in enumerate(policies.products) if owner == name]
            for names, pol, indices in groups.values():
                job = bar.add_task(f"{', '.join(names)} at {pol.source_size} px", total=len(indices))
                done = prepare(catalog, pol, products=sorted(indices), progress=lambda n, job=job: bar.advance(job, n))
                results.append({"policy": ", ".join(names), "products": len(indices), **done})
        if as_json:
            typer.echo(json.dumps({"prepared": results}, indent=2))
            return
        table = Table(title=f"prepared {data_dir}")
        for column in ("policy", "products", "photos", "unreadable", "source px", "MB", "folder"):
            table.add_column(column, justify="left" if column in ("policy", "folder") else "right")
        for row in results:
            table.add_row(row["policy"], f"{row['products']:,}", f"{row['photos']:,}", f"{row['unreadable']:,}",
                          str(row["source_size"]), f"{row['bytes'] / 1e6:,.1f}", row["folder"])
        console.print(table)

    app.add_typer(data, name="data")
