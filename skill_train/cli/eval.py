"""``skill embed``, ``skill eval``, ``skill compare`` and ``skill search``: thin commands over
:mod:`skill_train.eval` and :mod:`skill_train.compare`.

    skill embed --checkpoint runs/dress --data DIR --out dress.npz [--per-product mean]
    skill eval --checkpoint runs/dress --data DIR --attribute pattern --json eval.json
    skill eval --embeddings dress.npz --data DIR
    skill eval --checkpoint runs/mixed --by category      # every product type of a mixed catalogue too
    skill compare --task dress --preset cpu [--row skill --row dino] [--seeds 3]
    skill compare --data mixed --preset cpu      # several product types: SkiLL per category vs DINO
    skill search --checkpoint runs/dress --data DIR --query photo.jpg --k 10
    skill search --checkpoint runs/mixed --data DIR --query DIR/shoes-00001/00.jpg --same-category
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from skill_aug.atomic import check_writable


def _skipped(meta: dict) -> str:
    """``; N unreadable photo(s) skipped`` when embedding skipped any (the README's promise, said aloud)."""
    n = int(meta.get("unreadable") or 0)
    return f"; {n} unreadable photo(s) skipped" if n else ""


#: ``--input``'s help, the same on every command that embeds.
INPUT_HELP = ("What the backbone is shown of each photo after H: colour (as trained) or grey (its luma in three "
              "channels: an embedding blind to colour; see docs/ablations.md).")


def register(app: typer.Typer) -> None:
    """Add ``embed``, ``eval``, ``compare`` and ``search`` to the ``skill`` app."""

    @app.command()
    def embed(
        checkpoint: Path = typer.Option(..., help="Run folder with backbone.safetensors + model_config.json."),
        data: Optional[str] = typer.Option(None, help="Catalogue folder or manifest to embed (default: the run's)."),
        out: Path = typer.Option(..., help="Output .npz (product_id, path, embedding)."),
        per_product: str = typer.Option("none", help="none: one row per photo; mean: one row per product."),
        device: str = typer.Option("auto", help="auto (CUDA when available), cpu, cuda, cuda:N."),
        batch_size: int = typer.Option(64, help="Photos per forward pass."),
        workers: int = typer.Option(0, help="DataLoader worker processes reading photos."),
        no_preprocess: bool = typer.Option(False, "--no-preprocess", help="Skip the run policy's preprocessing H."),
        input: str = typer.Option("colour", help=INPUT_HELP),
    ) -> None:
        """Embed every photo of a catalogue with a trained run's backbone."""
        from skill_train.eval.checks import check_embed_options
        from skill_train.eval.embed import embed_run
        from skill_train.eval.from_run import open_catalog, run_catalog
        from skill_train.run.folder import RunDir

        check_embed_options(batch_size, workers, per_product, input)
        check_writable(out, "--out")
        console = Console()
        catalog = open_catalog(data or run_catalog(RunDir(checkpoint).config_values()))
        table = embed_run(checkpoint, catalog, per_product=per_product, preprocess=not no_preprocess,
                          device=device, batch_size=batch_size, workers=workers, input=input)
        table.save(out)
        console.print(f"wrote {len(table)} × {table.dim} embeddings of {len(set(table.product_id))} products → {out}"
                      f"{_skipped(table.meta)}")

    @app.command("eval")
    def eval_command(
        checkpoint: Optional[Path] = typer.Option(None, help="Run folder to embed the catalogue with."),
        embeddings: Optional[Path] = typer.Option(None, help="Saved embeddings (.npz from `skill embed`)."),
        data: Optional[str] = typer.Option(None, help="Catalogue with the labels (default: the run's, or the one the .npz names)."),
        attribute: List[str] = typer.Option([], help="Attribute to probe (repeatable; default: the product type's, else every labelled column but ids and colour)."),
        task: Optional[str] = typer.Option(None, help="Product type whose attributes are probed by default (default: the run's, or the catalogue's category)."),
        probe: List[str] = typer.Option([], help="linear and/or nonlinear (repeatable; default both)."),
        test_fraction: Optional[float] = typer.Option(None, help="Share of designs held out (default: the run's eval_holdout, else 0.2)."),
        seed: Optional[int] = typer.Option(None, help="Split, probe and k-means seed (default: the run's seed, else 0)."),
        entropy_k: Optional[int] = typer.Option(None, help="K for colour entropy (default: number of pattern classes)."),
        per_product: str = typer.Option("none", help="none: one row per photo; mean: one per product."),
        device: str = typer.Option("auto", help="Device for embedding."),
        workers: int = typer.Option(0, help="DataLoader workers for embedding."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write every figure and its parameters here."),
        by: Optional[str] = typer.Option(None, "--by", metavar="COLUMN", help="Report each value of this column as well (e.g. category: every product type of a mixed catalogue)."),
        input: Optional[str] = typer.Option(None, help=INPUT_HELP + " (with --checkpoint; default colour)"),
    ) -> None:
        """Linear / non-linear probes (Acc, R@90, R@95), k-NN, held-out product retrieval and colour entropy."""
        from skill_train.eval.from_run import run_eval
        from skill_train.eval.report import (attribute_table, by_category_table, confusion_lines, entropy_table,
                                             retrieval_line, write_json)

        if json_out:
            check_writable(json_out, "--json")
        console = Console()
        result = run_eval(checkpoint=checkpoint, embeddings=embeddings, data=data, attributes=attribute, task=task, probes=probe,
                          test_fraction=test_fraction, seed=seed, entropy_k=entropy_k, per_product=per_product,
                          device=device, workers=workers, console=console, by=by, input=input)
        split = result["split"]
        console.print(f"{result['rows']} rows of {result['products']} products; test side: {split['test_groups']} "
                      f"of {split['train_groups'] + split['test_groups']} {split['group_by']} groups"
                      f"{_skipped(result['source']['embedding'])}")
        console.print(attribute_table(result))
        for line in confusion_lines(result):
            console.print(line, soft_wrap=True)  # one line per attribute, for grep
        console.print(retrieval_line(result))
        console.print(entropy_table(result))
        if result.get("by_category"):
            console.print(by_category_table(result))
        if json_out:
            write_json(json_out, result)
            console.print(f"wrote {json_out}")

    @app.command()
    def compare(
        task: Optional[str] = typer.Option(None, help="Product type (its policy is the SkiLL row)."),
        data: Optional[str] = typer.Option(None, help="Catalogue (default: the task's synthetic catalogue); without --task, "
                                                      "its category column picks each product's policy and each category is reported."),
        preset: str = typer.Option("cpu", help="Training preset every row shares (cpu, paper or a YAML file)."),
        budget: Optional[str] = typer.Option(None, hidden=True, help="Old spelling of --preset."),
        epochs: Optional[int] = typer.Option(None, help="Epochs for every row (default: the preset's)."),
        batch_size: Optional[int] = typer.Option(None, help="Batch size for every row (default: the preset's)."),
        products: Optional[int] = typer.Option(None, help="Size of the synthetic catalogue (default 600)."),
        seed: Optional[int] = typer.Option(None, help="One seed for every row's training, split, probes and k-means (default 0)."),
        seeds: Optional[str] = typer.Option(None, help="Several seeds: a count (3: seeds 0, 1, 2) or a list (0,1,2); every "
                                                       "row runs per seed in OUT/ROW/seed-N, the report gives mean ± sd "
                                                       "and paired differences with a 95 % interval."),
        row: List[str] = typer.Option([], help="Only these rows (repeatable): random-init, dino, skill, "
                                               "skill-no-local, skill-no-preprocess, skill-low-colour, byol, simclr."),
        method: List[str] = typer.Option([], hidden=True, help="Old spelling of --row."),
        attribute: List[str] = typer.Option([], help="Attributes to probe (default: the product type's)."),
        out: Optional[Path] = typer.Option(None, help="Folder for the runs and the report (default runs/compare-TASK)."),
        map_kind: str = typer.Option("pca", "--map", help="2-D map projection: pca or tsne."),
        device: str = typer.Option("auto", help="Training and embedding device."),
        workers: int = typer.Option(0, help="DataLoader workers for embedding."),
        input: str = typer.Option("colour", help=INPUT_HELP + " (cached apart: changing it embeds again, trains nothing)"),
    ) -> None:
        """Train SkiLL, DINO and the ablations under one budget, evaluate all, write the comparison."""
        from skill_train.compare.report import report_tables
        from skill_train.compare.rows import select, standard_rows
        from skill_train.compare.runs import compare as run_compare
        from skill_train.compare.seeds import parse_seeds
        from skill_train.eval.errors import EvaluationError
        from skill_train.run.folder import RUNS_ROOT
        from skill_train.train.loop import TrainingInterrupted

        if seeds is not None and seed is not None:
            raise EvaluationError("--seed and --seeds: give one of them (--seeds 0,1,2 names every seed)")
        seed_list = parse_seeds(seeds) if seeds is not None else None
        console = Console()
        if not task and not data:
            raise EvaluationError("give --task (a product type) or --data (a catalogue whose category column names "
                                  "each product's type)")
        folder = out or RUNS_ROOT / f"compare-{task or Path(str(data)).stem}"
        rows = select(standard_rows(task, folder), list(row) + list(method))
        try:
            report = run_compare(task, folder, data=data, preset=budget or preset, epochs=epochs, batch_size=batch_size,
                                 products=products, seed=seed or 0, seeds=seed_list, rows=rows, attributes=attribute,
                                 map_kind=map_kind, device=device, workers=workers, input=input, log=console.print)
        except TrainingInterrupted as stop:
            console.print(f"[yellow]{stop}[/]; run the same command again to resume (finished rows are reused)")
            raise typer.Exit(130)
        for table in report_tables(report):
            console.print(table)
        console.print(f"wrote {folder}/comparison.json, comparison.md, color_entropy.png, map.png")

    @app.command()
    def search(
        checkpoint: Path = typer.Option(..., help="Run folder whose backbone embeds the catalogue and the query."),
        data: str = typer.Option(..., help="Catalogue to search."),
        query: Path = typer.Option(..., help="Query photo."),
        k: int = typer.Option(10, help="How many results."),
        per: str = typer.Option("design", help="design: one result per design (colourways folded); product: every product."),
        png: Optional[Path] = typer.Option(None, help="Where to write the result strip (default: search-<query>.png)."),
        device: str = typer.Option("auto", help="Embedding device."),
        workers: int = typer.Option(0, help="DataLoader workers for building the index."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON."),
        same_category: bool = typer.Option(False, "--same-category", help="Only products of the query's category (the query is one of --data's photos; else give --category)."),
        category: Optional[str] = typer.Option(None, "--category", help="Only products of this category (and the query gets its H)."),
        input: str = typer.Option("colour", help=INPUT_HELP),
    ) -> None:
        """The catalogue's designs most similar to a photo (exact cosine search), with a PNG strip."""
        from dataclasses import asdict

        from rich.table import Table

        from skill_train.eval.from_run import open_catalog
        from skill_train.eval.report import write_json
        from skill_aug.errors import ImageReadError
        from skill_aug.images import read_image
        from skill_train.eval.checks import check_search_options
        from skill_train.eval.errors import EvaluationError
        from skill_train.eval.search import build_index, query_category, result_strip, search as run_search
        from skill_train.run.folder import RunDir

        check_search_options(k, per, workers, input)
        try:
            read_image(query)  # an unreadable query is refused before the index is built
        except ImageReadError as err:
            raise EvaluationError(f"--query {err}") from None
        check_writable(png or Path(f"search-{query.stem}.png"), "--png")
        if json_out:
            check_writable(json_out, "--json")
        console = Console()
        catalog = open_catalog(data)
        column = str(RunDir(checkpoint).config_values().get("category_column") or "category")
        if same_category and category is None:
            category = query_category(catalog, query, column)
        index = build_index(checkpoint, catalog, device, workers, input=input)  # cached: search reads it back
        hits = run_search(checkpoint, catalog, query, k=k, per=per, device=device, workers=workers,
                          category=category, column=column, input=input)
        table = Table(title=f"most similar to {query}" + (f" among {category} products" if category else ""))
        for column in ("rank", "product", "design", "cosine", "photo"):
            table.add_column(column, justify="right" if column in ("rank", "cosine") else "left")
        for hit in hits:
            table.add_row(str(hit.rank), hit.product_id, hit.design_id or "—", f"{hit.score:.3f}", hit.path)
        console.print(table)
        if index.meta.get("unreadable"):
            console.print(f"the index{_skipped(index.meta)}")
        strip = result_strip(query, hits, png or Path(f"search-{query.stem}.png"))
        console.print(f"wrote {strip}")
        if json_out:
            write_json(json_out, {"query": str(query), "checkpoint": str(checkpoint), "per": per,
                                  "category": category, "hits": [asdict(h) for h in hits]})
