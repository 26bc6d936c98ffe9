"""The plugin host: loads ``skill_aug`` entry points and records who registered what.

Built-in product types and ops arrive through the very same entry points a third party
uses; this module has no special case for them. Loading is lazy (first use), idempotent,
survives a plugin that fails to import (a warning naming it) and records provenance.

``SKILL_AUG_PLUGINS`` (comma-separated entry-point names) limits which plugins load;
set it to an empty string to load none.
"""

from __future__ import annotations

import difflib
import inspect
import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Generic, Iterable, TypeVar

import pluggy

from skill_aug import hookspecs
from skill_aug.errors import PluginError, UnknownProductType
from skill_aug.spec import ProductType

ENTRY_POINT_GROUP = "skill_aug"
ALLOW_LIST_ENV = "SKILL_AUG_PLUGINS"
R = TypeVar("R")


@dataclass
class PluginInfo:
    """A loaded plugin, its distribution and everything it registered."""

    name: str
    distribution: str
    version: str
    module: str
    product_types: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why (shown by ``skill-aug plugins``)."""

    name: str
    distribution: str
    reason: str


@dataclass(frozen=True)
class OpInfo:
    """An op a policy may name: its class, where it comes from, its parameters."""

    name: str
    cls: type
    source: str
    params: dict[str, Any]


def _op_params(cls: type) -> dict[str, Any]:
    """Constructor parameters and their defaults (``None`` marks a required one)."""
    params: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in {"self", "args", "kwargs", "always_apply", "strict"}:
            continue
        default = param.default
        params[name] = None if default is inspect.Parameter.empty else default
    return params


def _albumentations_ops() -> dict[str, OpInfo]:
    import albumentations as A
    from albumentations.core.composition import BaseCompose
    from albumentations.core.transforms_interface import BasicTransform

    ops: dict[str, OpInfo] = {}
    source = f"albumentations {A.__version__}"
    for name in dir(A):
        obj = getattr(A, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, BasicTransform)
            and not issubclass(obj, BaseCompose)
            and obj.__module__.startswith("albumentations.augmentations")
            and not inspect.isabstract(obj)
        ):
            ops[name] = OpInfo(name, obj, source, _op_params(obj))
    return ops


def make_op(cls: type, params: dict[str, Any]) -> Any:
    """Construct a transform with ``strict=True`` (unknown arguments raise, not warn).

    A few 2.0.8 transforms (e.g. ``RandomRotate90``) reject ``strict`` itself; for them the
    policy validator has already checked every argument name against the signature.
    """
    try:
        return cls(**params, strict=True)
    except TypeError as err:
        if "'strict'" not in str(err):
            raise
        return cls(**params)


class Registry:
    """Everything the loaded plugins registered, each tagged with the plugin that did it."""

    def __init__(self) -> None:
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.problems: list[str] = []
        self.product_types: dict[str, ProductType] = {}
        self.product_type_sources: dict[str, str] = {}
        self.ops: dict[str, OpInfo] = _albumentations_ops()

    def product_type(self, name: str) -> ProductType:
        """The registered product type ``name``, or an error suggesting the closest one."""
        try:
            return self.product_types[name]
        except KeyError:
            raise UnknownProductType(
                f"unknown product type {name!r} ({suggest(name, self.product_types)})"
            ) from None

    def op_class(self, name: str) -> type:
        """The transform class a policy op name refers to."""
        return self.ops[name].cls

    def raise_problems(self) -> None:
        """Raise the first registry conflict or hook misspelling, if any."""
        if self.problems:
            raise PluginError(self.problems[0])


def suggest(name: str, choices: Iterable[str]) -> str:
    """A short hint: 'did you mean X?' when close, else the valid choices."""
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    if len(choices) <= 12:
        return "valid: " + ", ".join(choices)
    return f"{len(choices)} valid names; `skill-aug ops` lists them"


def _distribution(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"], dist.version


def _allowed(name: str) -> bool:
    allow = os.environ.get(ALLOW_LIST_ENV)
    if allow is None:
        return True
    return name in {item.strip() for item in allow.split(",") if item.strip()}


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    return pm


class _Loader:
    """Registers plugin objects on a manager and collects what their hooks register."""

    def __init__(self) -> None:
        self.pm = _new_manager()
        self.registry = Registry()

    def add(self, name: str, plugin: object, distribution: str = "", version: str = "") -> None:
        module = getattr(plugin, "__name__", type(plugin).__name__)
        try:
            self.pm.register(plugin, name=name)
        except Exception as err:  # a bad hookimpl signature
            self._fail(name, distribution, f"{type(err).__name__}: {err}")
            return
        try:
            # A hook implemented under a name no spec declares (a typo) is an error.
            self.pm.check_pending()
        except pluggy.PluginValidationError as err:
            self.pm.unregister(plugin)
            hook = next((h for h in _hook_names_of(plugin) if not hasattr(hookspecs, h)), "?")
            problem = (
                f"plugin {name!r} ({distribution or module}) implements unknown hook {hook!r} "
                f"({suggest(hook, _hook_names())})"
            )
            self.registry.problems.append(problem)
            self._fail(name, distribution, problem)
            return
        self.registry.plugins[name] = PluginInfo(name, distribution, version, module)

    def _fail(self, name: str, distribution: str, reason: str) -> None:
        self.registry.failures.append(PluginFailure(name, distribution, reason))
        warnings.warn(f"skill_aug plugin {name!r} ({distribution}) failed to load: {reason}",
                      stacklevel=3)

    def collect(self) -> Registry:
        """Call every hook implementation one plugin at a time, tagging what it registers."""
        reg = self.registry
        for hook_name, register_for in (
            ("register_ops", self._register_op),
            ("register_product_types", self._register_product_type),
        ):
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                plugin_name = impl.plugin_name
                try:
                    impl.function(*[register_for(plugin_name) for _ in impl.argnames])
                except Exception as err:
                    self._fail(plugin_name, reg.plugins[plugin_name].distribution,
                               f"{hook_name} raised {type(err).__name__}: {err}")
        return reg

    def _register_op(self, plugin: str) -> Callable[[type], None]:
        def register(cls: type) -> None:
            from albumentations.core.transforms_interface import BasicTransform

            reg = self.registry
            if not (isinstance(cls, type) and issubclass(cls, BasicTransform)):
                raise TypeError(f"register_ops expects an albumentations transform class, got {cls!r}")
            name = cls.__name__
            if name in reg.ops and reg.ops[name].cls is not cls:
                reg.problems.append(
                    f"op {name!r} is registered twice: by {reg.ops[name].source} and by plugin "
                    f"{plugin!r} ({reg.plugins[plugin].distribution})"
                )
                return
            reg.ops[name] = OpInfo(name, cls, f"plugin {plugin}", _op_params(cls))
            reg.plugins[plugin].ops.append(name)

        return register

    def _register_product_type(self, plugin: str) -> Callable[[ProductType], None]:
        def register(product_type: ProductType) -> None:
            reg = self.registry
            if not isinstance(product_type, ProductType):
                raise TypeError(f"register_product_types expects a ProductType, got {product_type!r}")
            name = product_type.name
            if name in reg.product_types:
                first = reg.product_type_sources[name]
                reg.problems.append(
                    f"product type {name!r} is registered by two plugins: {first!r} "
                    f"(distribution {reg.plugins[first].distribution}) and {plugin!r} "
                    f"(distribution {reg.plugins[plugin].distribution}); uninstall one or "
                    f"limit plugins with {ALLOW_LIST_ENV}"
                )
                return
            reg.product_types[name] = product_type
            reg.product_type_sources[name] = plugin
            reg.plugins[plugin].product_types.append(name)

        return register


def _hook_names() -> list[str]:
    return [n for n in dir(hookspecs) if n.startswith("register_")]


def _hook_names_of(plugin: object) -> list[str]:
    """Names of the functions ``plugin`` marked with ``@hookimpl``."""
    return [
        attr for attr in dir(plugin)
        if getattr(getattr(plugin, attr, None), f"{ENTRY_POINT_GROUP}_impl", None) is not None
    ]


def build_registry(
    extra_plugins: Iterable[tuple[str, object]] = (), load_entry_points: bool = True
) -> Registry:
    """Load the installed entry points (unless told not to) plus ``extra_plugins``."""
    loader = _Loader()
    if load_entry_points:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if not _allowed(ep.name):
                continue
            dist, version = _distribution(ep)
            try:
                plugin = ep.load()
            except Exception as err:
                loader._fail(ep.name, dist, f"import failed: {type(err).__name__}: {err}")
                continue
            loader.add(ep.name, plugin, dist, version)
    for name, plugin in extra_plugins:
        loader.add(name, plugin, "local", "")
    return loader.collect()


class LazyRegistry(Generic[R]):
    """A process-wide registry, built by ``build`` on first use (a plugin host's ``get_registry``)."""

    def __init__(self, build: Callable[[], R]):
        self._build = build
        self._value: R | None = None

    def get(self, check: bool = True) -> R:
        """The registry; with ``check``, its first problem (``raise_problems()``) is raised."""
        if self._value is None:
            self._value = self._build()
        if check:
            self._value.raise_problems()  # type: ignore[attr-defined]
        return self._value

    def set(self, registry: R | None) -> None:
        """Replace the registry (tests); ``None`` rebuilds it on next use."""
        self._value = registry


_REGISTRY: LazyRegistry[Registry] = LazyRegistry(build_registry)


def get_registry(check: bool = True) -> Registry:
    """The process-wide registry, built on first use.

    With ``check`` (the default), a conflict between plugins or a misspelled hook raises
    :class:`PluginError`; ``skill-aug plugins`` passes ``check=False`` to list them instead.
    """
    return _REGISTRY.get(check)


def set_registry(registry: Registry | None) -> None:
    """Replace the process-wide registry (tests); ``None`` reloads on next use."""
    _REGISTRY.set(registry)
