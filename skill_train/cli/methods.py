"""``skill methods``: the training methods the installed plugins register, and who registered each.

    skill methods
    skill methods --json
"""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add ``skill methods`` to the ``skill`` app."""

    @app.command("methods")
    def methods_command(
        as_json: bool = typer.Option(False, "--json", help="Print the methods as JSON only."),
    ) -> None:
        """List the training methods (``--method``): built-in and from plugins of the ``skill_train`` group."""
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from skill_train.methods.registry import get_registry

        registry = get_registry()
        rows = [{"name": m.name, "plugin": m.plugin, "distribution": m.distribution, "target": m.target,
                 "description": m.description} for m in registry.methods.values()]
        failures = [{"plugin": f.name, "distribution": f.distribution, "reason": f.reason}
                    for f in registry.failures]
        clashes = [clash.message() for clash in registry.clashes.values()]
        if as_json:
            typer.echo(json.dumps({"methods": rows, "failures": failures, "clashes": clashes}, indent=2))
            return
        table = Table(title="training methods")
        for column in ("method", "plugin", "distribution", "description"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row["name"], row["plugin"], row["distribution"], row["description"])
        console = Console()
        console.print(table)
        # Text, not markup: a plugin's reason may hold brackets rich would read as tags
        for failure in failures:
            console.print(Text("disabled ", style="red")
                          + Text(f"{failure['plugin']} ({failure['distribution']}): {failure['reason']}"))
        for clash in clashes:
            console.print(Text("clash ", style="red") + Text(clash))
