"""Runs many CLI invocations in one long-lived process, each as a fresh `python -m ...` would see it.

Importing torch, timm and albumentations costs seconds per process; this driver pays it once.
Each request (one JSON line on stdin: ``{"cli": "skill" | "skill-aug", "argv": [...], "cwd": ...,
"env": {...}}``) runs the real ``main()`` with file descriptors 1 and 2 redirected to files, so
everything the command (or Python, for an uncaught exception) prints is captured. The answer is
one JSON line: ``{"code", "stdout", "stderr"}``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
import warnings


def _main_of(cli: str):
    if cli == "skill":
        from skill_train.cli import main
    else:
        from skill_aug.cli import main
    return main


def run(request: dict) -> dict:
    main = _main_of(request["cli"])
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush(), sys.stderr.flush()
    fd1, fd2 = os.dup(1), os.dup(2)
    os.dup2(out.fileno(), 1), os.dup2(err.fileno(), 2)
    code = 0
    try:
        os.environ.update(request.get("env") or {})
        os.chdir(request.get("cwd") or saved_cwd)
        sys.argv = [request["cli"], *request["argv"]]
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # fresh warning registries, as in a new process,
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)  # and the categories a new process ignores
            try:
                main()
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            except BaseException:  # what Python would print for an uncaught exception
                traceback.print_exc()
                code = 1
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(fd1, 1), os.dup2(fd2, 2)
        os.close(fd1), os.close(fd2)
        os.environ.clear(), os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
    out.seek(0), err.seek(0)
    return {"code": code, "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


def serve() -> None:
    import skill_aug.cli  # noqa: F401  (the imports every request needs, paid once)
    import skill_train.cli  # noqa: F401
    import skill_train.train.loop  # noqa: F401

    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run(json.loads(line))) + "\n")
            answers.flush()


if __name__ == "__main__":
    serve()
