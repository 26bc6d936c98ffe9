"""The ``skill`` command: data, training, embedding, evaluation and retrieval.

Each command group lives in its own module with a ``register(app)`` function; this file
only assembles them, so commands stay thin wrappers over library functions.
"""

from __future__ import annotations

import typer

from skill_aug.console import add_debug_option, run_cli


def build_app() -> typer.Typer:
    """A fresh ``skill`` app (tests build their own)."""
    app = typer.Typer(
        name="skill",
        help="Train and evaluate SkiLL design representations of product images.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    add_debug_option(app)
    from skill_train.cli import ablate as ablate_commands
    from skill_train.cli import data as data_commands
    from skill_train.cli import eval as eval_commands
    from skill_train.cli import methods as method_commands
    from skill_train.cli import train as train_commands

    for commands in (data_commands, train_commands, eval_commands, ablate_commands, method_commands):
        commands.register(app)
    return app


def main() -> None:
    """Console-script entry point: one-line errors and warnings, no traceback without --debug."""
    run_cli(build_app, prog_name="skill")
