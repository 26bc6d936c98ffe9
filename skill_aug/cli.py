"""``skill-aug``: preview, validate, show and export policies; list plugins and ops.

Commands are thin: each calls library functions that the tests also call directly.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from skill_aug.console import add_debug_option, run_cli
from skill_aug.errors import PolicyError, SkillAugError, first_line

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def _console() -> Console:
    console = Console()
    if not console.is_terminal:  # piped or redirected: no terminal width to fit, so don't cut at 80
        console.width = max(console.width, 160)
    return console


def _policy_from(policy: Optional[str], task: Optional[str]):
    from skill_aug.policy import load_policy, policy_for_task

    if policy and task:
        raise SkillAugError("give a policy file or --task, not both")
    if policy:
        return load_policy(policy)
    if task:
        return policy_for_task(task)
    raise SkillAugError("give a policy file (e.g. policies/dress.yaml) or --task NAME")


def _catalogue_record(path: str) -> Any:
    """The per-category policies a mixed run recorded in ``path`` and the record itself, or None
    for a plain policy file."""
    import yaml

    from skill_aug.catalog_policies import CatalogPolicies, is_policy_record
    from skill_aug.yaml_lines import load_bounded_yaml

    try:
        document, _ = load_bounded_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # load_policy reports the file's problem with its line
    if not is_policy_record(document):
        return None
    try:
        return CatalogPolicies.from_document(document), document
    except SkillAugError as err:
        raise SkillAugError(f"{path}: {err}") from None


def _policy_tree(pol: Any) -> Tree:
    """One resolved policy as a tree: H, the working (and source) size, A_i and G, each with where it came from."""
    doc = pol.to_document()
    tree = Tree(f"[bold]{pol.spec.name}[/] (task: {pol.task or 'none'})")
    sources = pol.sources

    def add_ops(node: Tree, ops: list[dict]) -> None:
        if not ops:
            node.add("[dim](no ops)[/]")
        for op in ops:
            (name, params), = op.items()
            node.add(f"[cyan]{name}[/] " + ", ".join(f"{k}={v}" for k, v in params.items()))

    add_ops(tree.add(f"preprocess H  [dim]from {sources.get('preprocess', '?')}[/]"), doc["preprocess"])
    tree.add(f"working size: {doc['working_size']} px shorter side after H  "
             f"[dim]{sources.get('working_size', '?')}[/]")
    if pol.source_size > pol.working_size:
        last = pol.spec.local_set[pol.last_zooming_op].name
        tree.add(f"source size: {pol.source_size} px: H(x) kept larger for A_i's close-ups (zoom ×{pol.zoom:.2f}), "
                 f"shrunk to the working size after {last}")
    draws = doc["local_set_draws"].replace("_", " ")
    add_ops(tree.add(f"local set A_i, drawn {draws}  [dim]from {sources.get('local_set', '?')}[/]"),
            doc["local_set"])
    space = tree.add(f"global space G  [dim]from {sources.get('global_space', '?')}[/]")
    for key, label in (("high_res", "G_h"), ("low_res", "G_l")):
        g = doc["global_space"][key]
        node = space.add(f"{label}: {g['count']} × {g['size']} px, crop scale {g['scale']}, ratio {g['ratio']}")
        add_ops(node, g["ops"])
        for i, extra in enumerate(g["per_view"]):
            add_ops(node.add(f"view {i + 1} only"), extra)
    return tree


def _read_photos(paths: list[Path]) -> list:
    from skill_aug.images import read_image

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    if not files:
        raise SkillAugError(f"no photos found in {', '.join(map(str, paths))} "
                            f"(expected files ending in {', '.join(sorted(IMAGE_SUFFIXES))})")
    return [read_image(f) for f in files]


def _catalogue_product(data: Path, product_id: str) -> tuple[Any, int]:
    """The catalogue ``data`` and the index of ``product_id`` in it."""
    from skill_aug.catalog import Catalog
    from skill_aug.plugin_host import suggest

    catalog = Catalog.open(data)
    ids = catalog.product_ids
    if product_id not in ids:
        hint = suggest(product_id, ids)
        if not hint.startswith("did you mean") and len(ids) > 12:
            hint = f"{len(ids)} products, e.g. {ids[0]}"
        raise SkillAugError(f"--product {product_id!r} is not in {data} ({hint})")
    return catalog, ids.index(product_id)


def _generated_photos(task: Optional[str], seed: int) -> list:
    try:
        from skill_aug.synth import render_product
    except ImportError:
        raise SkillAugError("no --image given and the synthetic catalogue is unavailable; "
                            "pass --image PATH (a photo or a folder of one product's photos)") from None
    photos, _ = render_product(task or "generic", seed=seed, size=256, n_photos=4)
    return photos


def _file_stem(name: str) -> str:
    """``name`` as one file name in the working folder: a policy's name may not pick a path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "policy"
    return stem[:100]


def _name_column(table: Table, header: str, values: list[str]) -> None:
    """A column that never cuts a name: as wide as its longest value, never wrapped."""
    table.add_column(header, no_wrap=True, min_width=max([len(header), *map(len, values)]))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def build_app() -> typer.Typer:
    """A fresh ``skill-aug`` app (tests build their own)."""
    app = typer.Typer(name="skill-aug", no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False,
                      help="SkiLL augmentation policies: preview, validate, show; plugins and ops.")
    add_debug_option(app)

    @app.command()
    def preview(
        policy: Optional[str] = typer.Argument(None, help="Policy YAML file (or use --task)."),
        task: Optional[str] = typer.Option(None, help="An installed product type's default policy."),
        image: Optional[List[Path]] = typer.Option(None, help="A photo or a folder of one product's photos; repeatable."),
        data: Optional[Path] = typer.Option(None, help="A catalogue folder or manifest: preview --product from it."),
        product: Optional[str] = typer.Option(None, help="With --data: the product whose photos to augment; its "
                                                         "category picks the policy, as in training, unless one is given."),
        category_column: str = typer.Option("category", help="With --data: the column naming each product's type."),
        category_map: Optional[List[str]] = typer.Option(None, metavar="CATEGORY=TYPE",
                                                         help="With --data: a category as an installed type (repeatable)."),
        unknown_category: str = typer.Option("error", help="With --data: a category without an installed type: "
                                                           "error, global (G only) or skip."),
        samples: int = typer.Option(4, min=1, max=64, help="Rows in the grid (1 to 64)."),
        seed: int = typer.Option(0, min=0, help="Seed (0 or more): the same seed draws the same grid."),
        out: Optional[Path] = typer.Option(None, help="PNG to write (default preview-<policy>.png)."),
    ) -> None:
        """Write a PNG grid of x′, x″, the G_h views and the G_l views, one row per sample."""
        from skill_aug.preview import write_preview

        if (data is None) != (product is None):
            raise SkillAugError("--data and --product go together: the catalogue, and the product in it to preview")
        if data is not None and image:
            raise SkillAugError("give --image or --data/--product, not both")
        photos, pol, stem = None, None, ""
        if data is not None:
            from skill_aug.catalog_policies import parse_category_map, product_policy

            catalog, index = _catalogue_product(data, str(product))
            photos = catalog.load_images(index, range(catalog.n_photos_of(index)))
            stem = f"-{_file_stem(str(product))}"
            if policy is None and task is None:  # the policy the trainer gives this product
                pol = product_policy(catalog, index, column=category_column, unknown_category=unknown_category,
                                     category_map=parse_category_map(category_map or ()))
        pol = pol or _policy_from(policy, task)
        if photos is None:
            photos = _read_photos(list(image)) if image else _generated_photos(pol.task, seed)
        target = out or Path(f"preview-{_file_stem(pol.spec.name)}{stem}.png")
        write_preview(pol, photos, target, samples=samples, seed=seed)
        typer.echo(str(target))

    @app.command()
    def validate(policies: List[Path] = typer.Argument(..., help="Policy files to check.")) -> None:
        """Check policy files: exit 0 when valid, else one FILE:LINE line per problem."""
        from skill_aug.plugins import get_registry
        from skill_aug.policy_document import resolve_policy_file

        registry = get_registry()
        problems: list[str] = []
        valid = 0
        for path in policies:  # every file is checked, whatever happens to the one before
            try:
                resolve_policy_file(path, registry)
                valid += 1
            except PolicyError as err:
                problems += err.problems
            except SkillAugError as err:
                problems.append(f"{path}: {err}")
        for line in problems:
            typer.echo(line, err=True)
        noun = "policy" if len(policies) == 1 else "policies"
        if problems:
            typer.echo(f"{valid} of {len(policies)} {noun} valid")
            raise typer.Exit(1)
        typer.echo(f"{len(policies)} {noun} valid")

    @app.command()
    def show(
        policy: Optional[str] = typer.Argument(None, help="Policy YAML file, or a run's policy.yaml (or use --task)."),
        task: Optional[str] = typer.Option(None, help="An installed product type's default policy."),
        category: Optional[str] = typer.Option(
            None, help="With a mixed catalogue's policy.yaml (a run's): only this category's policy."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a tree."),
    ) -> None:
        """The fully resolved policy: every op with every parameter, and where each part came from.

        A mixed run's ``policy.yaml`` (one policy per product type) shows every type's policy,
        after the categories it serves, or one category's with ``--category``.
        """
        found = _catalogue_record(policy) if policy and not task else None
        if found is None:
            if category is not None:
                raise SkillAugError("--category needs a mixed catalogue's policy.yaml (a run's), "
                                    "which records a policy per category")
            pol = _policy_from(policy, task)
            if as_json:
                typer.echo(json.dumps({"policy": pol.to_document(), "sources": pol.sources}, indent=2))
                return
            _console().print(_policy_tree(pol))
            return
        record, document = found
        names = list(record.policies)
        if category is not None:
            if category not in record.categories:
                raise SkillAugError(f"--category {category!r}: {policy} records the categories "
                                    f"{', '.join(sorted(record.categories))}")
            chosen = record.categories[category]
            if chosen is None:
                raise SkillAugError(f"--category {category!r}: its products were left out of training (skip)")
            names = [chosen]
        if as_json:
            typer.echo(json.dumps({
                "categories": {c: {"products": record.counts.get(c, 0), "policy": name}
                               for c, name in record.categories.items() if category in (None, c)},
                "policies": {name: {"policy": record.policies[name].to_document(),
                                    "sources": record.policies[name].sources} for name in names},
            }, indent=2))
            return
        console = _console()
        for name_of_category, entry in document["categories"].items():
            if category in (None, name_of_category):
                console.print(f"{name_of_category}: {entry.get('products')} products, policy {entry.get('policy')}, "
                              f"local set from {entry.get('local_set_from', 'none')}", highlight=False)
        for name in names:
            console.print(_policy_tree(record.policies[name]))

    @app.command()
    def plugins(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Enabled plugins with what they register; disabled ones and name clashes, with the reason."""
        from skill_aug.plugins import get_registry

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the disabled plugins are listed below instead
            reg = get_registry()
        enabled = [vars(p) for p in reg.plugins.values()]
        failed = [vars(f) for f in reg.failures]
        clashes = [c.message() for c in reg.clashes.values()]
        if as_json:
            typer.echo(json.dumps({"plugins": enabled, "failed": failed, "clashes": clashes}, indent=2))
            return
        table = Table(title="skill_aug plugins")
        _name_column(table, "plugin", [p["name"] for p in enabled])
        _name_column(table, "distribution", [p["distribution"] for p in enabled])
        table.add_column("version")
        for col in ("product types", "ops", "silhouettes"):
            table.add_column(col, overflow="fold")
        for p in enabled:
            table.add_row(p["name"], p["distribution"], p["version"], ", ".join(p["product_types"]),
                          ", ".join(p["ops"]), ", ".join(p["silhouettes"]))
        console = _console()
        console.print(table)
        for f in failed:
            console.print(Text("disabled ", style="red") + Text(f"{f['name']} ({f['distribution']}): {f['reason']}"))
        for clash in clashes:
            console.print(Text("clash ", style="red") + Text(clash))

    @app.command()
    def ops(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Every op a policy may name: where it comes from, what it does, its parameters."""
        from skill_aug.plugins import get_registry

        reg = get_registry()
        rows = [{"name": o.name, "source": o.source, "doc": first_line(o.cls.__doc__),
                 "params": _jsonable(o.params)}
                for o in sorted(reg.ops.values(), key=lambda o: (o.source.startswith("alb"), o.name))]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        table = Table(title=f"{len(rows)} ops")
        _name_column(table, "op", [r["name"] for r in rows])
        table.add_column("from", overflow="fold")
        table.add_column("what it does", overflow="fold", ratio=2)
        table.add_column("parameters (default)", overflow="fold", ratio=2)
        for row in rows:
            table.add_row(row["name"], row["source"], row["doc"],
                          ", ".join(f"{k}={v}" for k, v in row["params"].items()))
        _console().print(table)

    @app.command()
    def export(
        policy: Optional[str] = typer.Argument(None, help="Policy YAML file (or use --task)."),
        task: Optional[str] = typer.Option(None, help="An installed product type's default policy."),
        out: Path = typer.Option(..., help="Folder for the resolved policy and its pipelines."),
    ) -> None:
        """Write the resolved policy YAML and each compiled pipeline (``A.save`` format)."""
        from skill_aug.export import export_policy

        for path in export_policy(_policy_from(policy, task), out):
            typer.echo(str(path))

    return app


def main() -> None:
    """Console-script entry point: one-line errors and warnings, no traceback without --debug."""
    run_cli(build_app, prog_name="skill-aug")
