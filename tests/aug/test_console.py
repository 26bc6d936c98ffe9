"""Both command lines speak in one line per error or warning; --debug shows the traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import typer

from skill_aug.console import DEBUG_ENV, run_cli
from skill_aug.errors import CatalogWarning, PolicyError, SkillAugError


def app_raising(error: BaseException | None, warn: str | None = None):
    def build() -> typer.Typer:
        app = typer.Typer()

        @app.command()
        def go(flag: bool = False) -> None:
            if warn:
                warnings.warn(warn, CatalogWarning)
            if error is not None:
                raise error

        @app.command()
        def other() -> None:
            pass

        return app

    return build


@pytest.fixture(autouse=True)
def no_debug(monkeypatch):
    monkeypatch.setenv(DEBUG_ENV, "0")  # off, and restored afterwards even though run_cli sets it
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # run_cli replaces it


@pytest.mark.parametrize("error, code, line", [
    (SkillAugError("bad --products: use 1 to 1,000,000"), 2, "error: bad --products: use 1 to 1,000,000"),
    (RuntimeError("disk on fire"), 1, "error: unexpected RuntimeError: disk on fire (rerun with --debug for the "
                                      "traceback)"),
    (ValueError("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call last):\n"
                '  File "x.py", line 1, in f\nValueError: crop too large'), 1,
     "error: unexpected ValueError: crop too large (rerun with --debug for the traceback)"),
    (KeyboardInterrupt(), 130, None),  # Ctrl-C: the shell's status, no traceback
])
def test_errors_are_one_line_with_an_exit_code(capsys, error, code, line):
    with pytest.raises(SystemExit) as exit_:
        run_cli(app_raising(error), ["go"])
    assert exit_.value.code == code
    err = capsys.readouterr().err
    assert err.splitlines() == [line] if line else "Traceback" not in err and len(err.strip().splitlines()) <= 1


def test_policy_errors_are_one_line_per_problem(capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli(app_raising(PolicyError(["a.yaml:3: x", "a.yaml:9: y"])), ["go"])
    assert exit_.value.code == 1 and capsys.readouterr().err.splitlines() == ["a.yaml:3: x", "a.yaml:9: y"]


def test_debug_anywhere_on_the_line_shows_the_traceback(monkeypatch):
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_cli(app_raising(RuntimeError("disk on fire")), ["go", "--debug"])
    assert os.environ[DEBUG_ENV] == "1"  # workers and subprocesses inherit it
    monkeypatch.setenv(DEBUG_ENV, "1")
    with pytest.raises(SkillAugError):
        run_cli(app_raising(SkillAugError("x")), ["go"])


def test_warnings_are_one_clean_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli(app_raising(None, warn="2 product folders have no photos and are skipped: a, b"), ["go"])
    assert exit_.value.code == 0
    err = capsys.readouterr().err
    assert err.splitlines() == ["warning: 2 product folders have no photos and are skipped: a, b"]


def run_skill_aug(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != DEBUG_ENV}
    return subprocess.run([sys.executable, "-m", "skill_aug", *args], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_preview_writes_in_the_working_folder_whatever_the_policy_name_and_honours_the_umask(tmp_path):
    (tmp_path / "policy.yaml").write_text("name: ../../escape/../x\ntask: dress\n")
    work = tmp_path / "work"
    work.mkdir()
    result = run_skill_aug(work, "preview", str(tmp_path / "policy.yaml"), "--samples", "1")
    assert result.returncode == 0, result.stderr
    (written,) = list(work.iterdir())  # the policy's name cannot choose where the file goes
    assert written.name == "preview-escape_x.png" and result.stdout.strip() == written.name
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~umask  # readable by a teammate


@pytest.mark.parametrize("args, line", [
    (["gp"], "error: No such command 'gp'. (see `skill-aug --help`)"),
    (["go", "--flga"], "error: No such option: --flga (Possible options: --flag, --no-flag) (see `skill-aug go "
                       "--help`)"),
])
def test_usage_errors_are_one_line_too(capsys, args, line):
    with pytest.raises(SystemExit) as exit_:
        run_cli(app_raising(None), args, prog_name="skill-aug")
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines() == [line]
