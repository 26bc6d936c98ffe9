"""Find training methods: the ``skill_train`` entry points, their ``register_methods`` hooks, and
the class behind a name.

    >>> method_cls = load_method("simclr")     # skill_train.methods.simclr:SimCLR
    >>> method_names()                          # ['byol', 'dino', 'simclr', ...third-party ones]

Methods reach the registry through the ``register_methods`` hook, the built-in ones too
(``skill_train.methods.registration``); a class is imported only when it is used, so listing
methods imports no torch. Loading is lazy and survives a plugin that fails to import (a
warning naming it). ``SKILL_TRAIN_PLUGINS`` (comma-separated entry-point names) limits which
method plugins load.
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Callable, Iterable

import pluggy

from skill_aug.plugins import LazyRegistry, suggest
from skill_train.methods import hookspecs
from skill_train.methods.errors import MethodError, UnknownMethod

if TYPE_CHECKING:
    from skill_train.methods.base import Method

ENTRY_POINT_GROUP = hookspecs.PROJECT
ALLOW_LIST_ENV = "SKILL_TRAIN_PLUGINS"


@dataclass(frozen=True)
class MethodInfo:
    """A training method registered through ``register_methods``: its import target and who registered it."""

    name: str
    target: str
    description: str
    plugin: str
    distribution: str = "local"


@dataclass
class MethodRegistry:
    """Every registered method, the plugins that failed to load, and conflicts between plugins."""

    methods: dict[str, MethodInfo] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (plugin, reason)
    problems: list[str] = field(default_factory=list)

    def raise_problems(self) -> None:
        """Raise the first conflict (two plugins registering one name), if any."""
        if self.problems:
            raise MethodError(self.problems[0])


def _allowed(name: str) -> bool:
    allow = os.environ.get(ALLOW_LIST_ENV)
    return allow is None or name in {item.strip() for item in allow.split(",") if item.strip()}


def _fail(registry: MethodRegistry, plugin: str, reason: str) -> None:
    registry.failures.append((plugin, reason))
    warnings.warn(f"skill_train method plugin {plugin!r} failed to load: {reason}", stacklevel=3)


def _registrar(registry: MethodRegistry, plugin: str, distribution: str) -> Callable[..., None]:
    def register(name: str, target: str, description: str = "") -> None:
        if name in registry.methods:
            registry.problems.append(
                f"method {name!r} is registered by two plugins: {registry.methods[name].plugin!r} and {plugin!r} "
                f"(uninstall one or limit plugins with {ALLOW_LIST_ENV})"
            )
            return
        registry.methods[name] = MethodInfo(name, target, description, plugin, distribution)

    return register


def build_registry(extra_plugins: Iterable[tuple[str, object]] = (), load_entry_points: bool = True) -> MethodRegistry:
    """Load the installed ``skill_train`` entry points (unless told not to) plus ``extra_plugins``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registry = MethodRegistry()
    plugins: list[tuple[str, object, str]] = []
    if load_entry_points:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if not _allowed(ep.name):
                continue
            dist = ep.dist.metadata["Name"] if getattr(ep, "dist", None) is not None else "unknown"
            try:
                plugins.append((ep.name, ep.load(), dist))
            except Exception as err:
                _fail(registry, ep.name, f"import failed: {type(err).__name__}: {err}")
    plugins += [(name, plugin, "local") for name, plugin in extra_plugins]
    for name, plugin, dist in plugins:
        try:
            pm.register(plugin, name=name)
            pm.check_pending()  # a hook under a name no spec declares (a typo)
        except (ValueError, pluggy.PluginValidationError) as err:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            _fail(registry, name, f"{type(err).__name__}: {err} (the hook is register_methods)")
            continue
        for impl in pm.hook.register_methods.get_hookimpls():
            if impl.plugin_name != name:
                continue
            try:
                impl.function(*[_registrar(registry, name, dist) for _ in impl.argnames])
            except Exception as err:
                _fail(registry, name, f"register_methods raised {type(err).__name__}: {err}")
    return registry


_REGISTRY: LazyRegistry[MethodRegistry] = LazyRegistry(build_registry)


def get_registry(check: bool = True) -> MethodRegistry:
    """The process-wide method registry, built on first use (``check``: raise on a conflict)."""
    return _REGISTRY.get(check)


def set_registry(registry: MethodRegistry | None) -> None:
    """Replace the process-wide registry (tests); ``None`` reloads on next use."""
    _REGISTRY.set(registry)


def method_names() -> list[str]:
    """The names of every registered method, sorted."""
    return sorted(get_registry().methods)


def load_method(name: str) -> type["Method"]:
    """The :class:`~skill_train.methods.base.Method` subclass registered as ``name``.

    An unknown name raises :class:`UnknownMethod` with the closest registered name; a
    target that does not import, or is not a ``Method``, raises :class:`MethodError`
    naming the plugin that registered it.
    """
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
