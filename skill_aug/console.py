"""How both command lines speak to a person: one line per error or warning, on stderr.

    >>> run_cli(build_app)          # the body of a console script's ``main()``

An error is one ``error: ...`` line and a non-zero exit; a Python warning is one
``warning: ...`` line (no library file and line number); an exception raised inside a
plugin's code names the plugin. ``--debug`` anywhere on the command line, or
``SKILL_AUG_DEBUG=1``, shows the full traceback and the warnings' origins instead.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Sequence

from rich.console import Console
from rich.text import Text

from skill_aug.errors import PolicyError, SkillAugError, first_line

DEBUG_ENV = "SKILL_AUG_DEBUG"
DEBUG_FLAG = "--debug"
DEBUG_HELP = "Show full tracebacks and where warnings come from (same as SKILL_AUG_DEBUG=1)."

# Exit statuses: 1 for an invalid policy file (as `validate` reports), 2 for any other
# refused input, 1 for a failure nobody foresaw, 130 for Ctrl-C (the shell's convention).
EXIT_POLICY, EXIT_ERROR, EXIT_UNEXPECTED, EXIT_INTERRUPTED = 1, 2, 1, 130


def debug_enabled() -> bool:
    """Whether tracebacks are wanted (``--debug`` was given or ``SKILL_AUG_DEBUG`` is set)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in {"", "0", "false", "no"}


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """``error: message`` on stderr, in red where the terminal has colour."""
    _stderr().print(Text("error: ", style="bold red") + Text(message))


def print_warning(message: str) -> None:
    """``warning: message`` on stderr, in yellow where the terminal has colour."""
    _stderr().print(Text("warning: ", style="yellow") + Text(message))


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    print_warning(first_line(str(message)) or category.__name__)


def describe_unexpected(err: BaseException) -> str:
    """One line for an exception nobody turned into a message: who raised it, and the way on."""
    from skill_aug.plugins import blame_plugin  # the plugin host only when something broke

    line = first_line(str(err))
    name = type(err).__name__
    what = line if line.startswith(f"{name}:") else f"{name}: {line}".rstrip(": ")
    culprit = blame_plugin(err)
    if culprit is not None:
        return (f"{culprit} raised {what} (the plugin's bug: update or uninstall it, or leave it "
                f"out with SKILL_AUG_PLUGINS; {DEBUG_FLAG} shows the traceback)")
    return f"unexpected {what} (rerun with {DEBUG_FLAG} for the traceback)"


def _is_click_error(err: BaseException) -> bool:
    """A click usage / parameter error (typer vendors click from 0.25, so match by shape)."""
    return callable(getattr(err, "format_message", None)) and isinstance(getattr(err, "exit_code", None), int)


def _is_abort(err: BaseException) -> bool:
    import typer

    return isinstance(err, typer.Abort)


def add_debug_option(app: Any) -> None:
    """Document ``--debug`` in ``app``'s help (``run_cli`` acts on it wherever it appears)."""
    import typer

    @app.callback()
    def _options(debug: bool = typer.Option(False, DEBUG_FLAG, help=DEBUG_HELP)) -> None:
        pass


def run_cli(build_app: Callable[[], Any], argv: Sequence[str] | None = None,
            prog_name: str | None = None) -> None:
    """Run a typer app as a console script: one-line errors and warnings, exit codes above."""
    args = list(sys.argv[1:] if argv is None else argv)
    if DEBUG_FLAG in args:
        args = [a for a in args if a != DEBUG_FLAG]
        os.environ[DEBUG_ENV] = "1"  # inherited by DataLoader workers and subprocesses
    debug = debug_enabled()
    if not debug:
        warnings.showwarning = _show_warning
    try:
        # Not standalone: click would print a usage error as a boxed paragraph, and a
        # typo in a flag deserves the same one line as any other bad input.
        status = build_app()(args=args, prog_name=prog_name, standalone_mode=False)
    except PolicyError as err:
        if debug:
            raise
        for problem in err.problems:
            print(problem, file=sys.stderr)
        sys.exit(EXIT_POLICY)
    except SkillAugError as err:
        if debug:
            raise
        print_error(" ".join(line.strip() for line in str(err).splitlines() if line.strip()))
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        if debug:
            raise
        print_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as err:  # the last line of defence: never a traceback without --debug
        if type(err).__name__ == "NoArgsIsHelpError":  # a bare `skill`: the help, as click would
            print((err.ctx.get_help() if getattr(err, "ctx", None) else str(err)))  # type: ignore[attr-defined]
            sys.exit(EXIT_ERROR)
        if debug:
            raise
        if _is_click_error(err):  # a bad flag, value or command name (click's own exceptions)
            context = getattr(err, "ctx", None)
            hint = f" (see `{context.command_path} --help`)" if context is not None else ""
            print_error(first_line(err.format_message()) + hint)  # type: ignore[attr-defined]
            sys.exit(err.exit_code)  # type: ignore[attr-defined]
        if _is_abort(err):
            print_error("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        print_error(describe_unexpected(err))
        sys.exit(EXIT_UNEXPECTED)
    sys.exit(status if isinstance(status, int) else 0)  # typer.Exit(code) comes back as its code
