"""Find a training method by name in the plugin registry and import its class.

    >>> method_cls = load_method("simclr")     # skill_train.methods.simclr:SimCLR
    >>> method_names()                          # ['byol', 'dino', 'simclr', ...third-party ones]

Methods reach the registry through the ``register_methods`` hook, the built-in ones too
(``skill_train.methods.registration``); the class is imported only when it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from skill_aug.errors import SkillAugError

if TYPE_CHECKING:
    from skill_train.methods.base import Method


class MethodError(SkillAugError):
    """A method that cannot be loaded or built as configured (one line: which and why)."""


class UnknownMethod(MethodError):
    """A method name that no loaded plugin registers."""


def method_names() -> list[str]:
    """The names of every registered method, sorted."""
    from skill_aug.plugins import get_registry

    return sorted(get_registry().methods)


def load_method(name: str) -> type["Method"]:
    """The :class:`~skill_train.methods.base.Method` subclass registered as ``name``.

    An unknown name raises :class:`UnknownMethod` with the closest registered name; a
    target that does not import, or is not a ``Method``, raises :class:`MethodError`
    naming the plugin that registered it.
    """
    from skill_aug.plugins import ALLOW_LIST_ENV, get_registry, suggest
    from skill_train.methods.base import Method

    methods = get_registry().methods
    info = methods.get(name)
    if info is None:
        if not methods:
            raise UnknownMethod(
                f"unknown method {name!r}: no methods are registered (is skill-aug installed with its "
                f"entry points, and does {ALLOW_LIST_ENV} leave out skill_train_methods?)"
            )
        raise UnknownMethod(f"unknown method {name!r} ({suggest(name, methods)})")
    module_name, _, attr = info.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as err:
        raise MethodError(
            f"method {name!r} (plugin {info.plugin!r}): cannot import {info.target} ({type(err).__name__}: {err})"
        ) from err
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise MethodError(
            f"method {name!r} (plugin {info.plugin!r}): {info.target} is not a skill_train.methods.Method subclass"
        )
    return cls
