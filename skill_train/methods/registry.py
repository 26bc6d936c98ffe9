"""Find training methods: the ``skill_train`` entry points, their ``register_methods`` hooks, and
the class behind a name.

    >>> method_cls = load_method("simclr")     # skill_train.methods.simclr:SimCLR
    >>> method_names()                          # ['byol', 'dino', 'simclr', ...third-party ones]

Methods reach the registry through the ``register_methods`` hook, the built-in ones too
(``skill_train.methods.registration``); a class is imported only when it is used, so listing
methods imports no torch. Loading is lazy and isolating (:mod:`skill_aug.plugin_host`): a
broken plugin is disabled with one warning line, a name two plugins register is kept by
neither. ``SKILL_TRAIN_PLUGINS`` (comma-separated entry-point names) limits which
method plugins load.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from skill_aug.plugin_host import Claims, Clash, InvalidRegistration, PluginFailure, load_plugins, suggest
from skill_aug.plugins import LazyRegistry
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
    """Every registered method, the plugins that were disabled, and names two plugins registered."""

    methods: dict[str, MethodInfo] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    clashes: dict[str, Clash] = field(default_factory=dict)


# Hooks of skill_aug's plugin host, and where a plugin implementing one here belongs.
_CORE_HOOKS = {hook: "a skill_aug hook: publish the plugin in the entry-point group skill_aug instead "
                     "(docs/plugins.md)"
               for hook in ("register_product_types", "register_ops", "register_silhouettes")}


def _stager(staged: list[tuple[str, str, str]]) -> Callable[[], Callable[..., None]]:
    def make_register() -> Callable[..., None]:
        def register(name: str, target: str, description: str = "") -> None:
            if not (isinstance(name, str) and name and isinstance(target, str) and ":" in target):
                raise InvalidRegistration(f"register(name, 'module:Class', description) got {name!r}, {target!r}")
            staged.append((name, target, str(description)))

        return register

    return make_register


def build_registry(extra_plugins: Iterable[tuple[str, object]] = (), load_entry_points: bool = True) -> MethodRegistry:
    """Load the installed ``skill_train`` entry points (unless told not to) plus ``extra_plugins``."""
    found = load_plugins(ENTRY_POINT_GROUP, hookspecs, ALLOW_LIST_ENV, extra_plugins, load_entry_points,
                         moved_hooks=_CORE_HOOKS, warning_prefix="skill_train method")
    claims: Claims[MethodInfo] = Claims("method", ALLOW_LIST_ENV)
    for loaded in list(found.plugins.values()):
        staged: list[tuple[str, str, str]] = []
        if found.call("register_methods", loaded.name, _stager(staged)):
            for name, target, description in staged:
                claims.claim(name, loaded.label(),
                             MethodInfo(name, target, description, loaded.name, loaded.distribution))
    kept, clashes = claims.settled()
    return MethodRegistry({name: info for name, (_, info) in kept.items()}, list(found.failures), clashes)


_REGISTRY: LazyRegistry[MethodRegistry] = LazyRegistry(build_registry)


def get_registry() -> MethodRegistry:
    """The process-wide method registry, built on first use (broken plugins disabled, with a warning)."""
    return _REGISTRY.get()


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

    registry = get_registry()
    methods = registry.methods
    info = methods.get(name)
    if name in registry.clashes:
        raise MethodError(registry.clashes[name].message())
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
