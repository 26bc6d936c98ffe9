"""The layering docs/architecture.md promises: the core needs no torch and never imports the trainer,
and the trainer's packages depend on each other in one direction, lazy imports included."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: skill_train's packages, lowest first: each may import only those before it (and skill_aug).
LAYERS = ["presets", "schedules", "models", "methods", "run", "eval", "train", "compare", "cli", "__main__"]


def imports_of(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the skill_aug/skill_train modules it imports anywhere in its body."""
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        rel = path.relative_to(REPO).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        found[module] = {n for n in names if n.split(".")[0] in ("skill_aug", "skill_train", "torch")}
    return found


def test_the_core_needs_no_torch_and_never_imports_the_trainer():
    # albumentations itself imports torch when it is installed, so the check is on the core's own code
    assert not [f"{m} imports {n}" for m, names in imports_of("skill_aug").items() for n in names
                if n.split(".")[0] in ("torch", "skill_train")]
    code = (
        "import importlib, pkgutil, sys, skill_aug, skill_aug_plugins\n"
        "for pkg in (skill_aug, skill_aug_plugins):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'skill_train'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_trainer_packages_depend_one_way():
    wrong = []
    for module, names in imports_of("skill_train").items():
        if module == "skill_train":
            continue
        here = LAYERS.index(module.split(".")[1])
        for name in names:
            parts = name.split(".")
            if parts[0] != "skill_train" or len(parts) < 2 or parts[1] not in LAYERS:
                continue
            if LAYERS.index(parts[1]) > here:
                wrong.append(f"{module} imports {name}")
    assert wrong == []
