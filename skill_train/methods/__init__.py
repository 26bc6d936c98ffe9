"""Self-supervised methods the trainer can run: DINO, SimCLR, BYOL, and any a plugin registers.

    >>> from skill_train.methods import load_method
    >>> method_cls = load_method("byol")          # via the plugin registry (register_methods hook)
    >>> method = method_cls.build(setup)          # setup: MethodSetup (backbone, config, options)

Each method owns its parts: its networks' heads, its loss and its options dataclass
(``dino/`` is a package of them; ``simclr.py`` and ``byol.py`` are one module each).
Importing this package is light (no torch): listing methods imports only the registry.
``Method``, ``MethodSetup`` and ``StepResult`` load on first access.
"""

from __future__ import annotations

from typing import Any

from skill_train.methods.errors import MethodError, UnknownMethod
from skill_train.methods.hookspecs import hookimpl
from skill_train.methods.registry import load_method, method_names

__all__ = ["Method", "MethodError", "MethodSetup", "StepResult", "UnknownMethod", "hookimpl", "load_method",
           "method_names"]


def __getattr__(name: str) -> Any:
    if name in {"Method", "MethodSetup", "StepResult"}:
        from skill_train.methods import base

        return getattr(base, name)
    raise AttributeError(f"module 'skill_train.methods' has no attribute {name!r}")
