"""The plugin host: loads ``skill_aug`` entry points and records who registered what.

Built-in product types, ops and silhouettes arrive through the very same entry points a
third party uses; this module has no special case for them. Loading is lazy (first use) and
isolating (:mod:`skill_aug.plugin_host`): a broken plugin is disabled with one warning line,
a name two plugins register is kept by neither, and everything else keeps working.

``SKILL_AUG_PLUGINS`` (comma-separated entry-point names) limits which plugins load;
set it to an empty string to load none.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, TypeVar

from skill_aug import hookspecs
from skill_aug.errors import PluginError, UnknownProductType
from skill_aug.plugin_host import (
    Claims,
    Clash,
    InvalidRegistration,
    PluginFailure,
    load_plugins,
    plugin_label,
    suggest,
)
from skill_aug.spec import OpSpec, ProductType, Silhouette

ENTRY_POINT_GROUP = "skill_aug"
ALLOW_LIST_ENV = "SKILL_AUG_PLUGINS"
R = TypeVar("R")

# Hooks of the trainer's plugin host, and where a plugin implementing one here belongs.
_TRAINER_HOOKS = {"register_methods": "a skill_train hook: publish the plugin in the entry-point "
                                      "group skill_train instead (docs/methods.md)"}

__all__ = [
    "ALLOW_LIST_ENV", "OpInfo", "PluginFailure", "PluginInfo", "Registry", "blame_plugin",
    "build_registry", "get_registry", "make_op", "set_registry", "suggest",
]


@dataclass
class PluginInfo:
    """A loaded plugin, its distribution and everything it registered."""

    name: str
    distribution: str
    version: str
    module: str
    product_types: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    silhouettes: list[str] = field(default_factory=list)

    def label(self) -> str:
        """``plugin 'lamps' (skill-plugin-lamps 0.1.0)``."""
        return plugin_label(self.name, self.distribution, self.version, self.module)


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
    ``ValueError``/``TypeError`` mean bad arguments and pass through for the validator to
    explain; anything else a plugin's constructor raises is a :class:`PluginError` naming it.
    """
    try:
        try:
            return cls(**params, strict=True)
        except TypeError as err:
            if "'strict'" not in str(err):
                raise
            return cls(**params)
    except (ValueError, TypeError):
        raise
    except Exception as err:
        origin = blame_plugin(err) or f"op {cls.__name__}"
        raise PluginError(f"{origin} could not build op {cls.__name__}: {type(err).__name__}: {err}") from err


class Registry:
    """Everything the enabled plugins registered, each tagged with the plugin that did it.

    A name registered by two plugins is in :attr:`clashes`, not in ``product_types``, ``ops``
    or ``silhouettes``; :meth:`product_type` and :meth:`missing` explain it when it is used.
    """

    def __init__(self) -> None:
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.clashes: dict[tuple[str, str], Clash] = {}
        self.product_types: dict[str, ProductType] = {}
        self.product_type_sources: dict[str, str] = {}
        self.ops: dict[str, OpInfo] = _albumentations_ops()
        self.silhouettes: dict[str, Silhouette] = {}
        self.silhouette_sources: dict[str, str] = {}

    def product_type(self, name: str) -> ProductType:
        """The registered product type ``name``, or an error suggesting the closest one."""
        try:
            return self.product_types[name]
        except KeyError:
            error = PluginError if ("product type", name) in self.clashes else UnknownProductType
            raise error(self.missing("product type", name)) from None

    def op_class(self, name: str) -> type:
        """The transform class a policy op name refers to."""
        return self.ops[name].cls

    def missing(self, kind: str, name: str) -> str:
        """Why ``name`` is not a registered ``kind`` ("product type", "op", "silhouette")."""
        clash = self.clashes.get((kind, name))
        if clash is not None:
            return clash.message()
        known = {"product type": self.product_types, "op": self.ops,
                 "silhouette": self.silhouettes}[kind]
        return f"unknown {kind} {name!r} ({suggest(name, known)})"

    def plugin_of(self, module: str) -> PluginInfo | None:
        """The enabled plugin whose module is ``module`` or a package above it."""
        for info in self.plugins.values():
            if module == info.module or module.startswith(info.module + "."):
                return info
        return None


def blame_plugin(err: BaseException) -> str | None:
    """``plugin 'x' (dist 1.0)``: the plugin whose code raised ``err`` (innermost frame), if any.

    Looks only at a registry already built; naming a culprit must not load plugins again.
    """
    registry = _REGISTRY.peek()
    if registry is None:
        return None
    culprit = None
    tb = err.__traceback__
    while tb is not None:
        info = registry.plugin_of(tb.tb_frame.f_globals.get("__name__", ""))
        if info is not None:
            culprit = info
        tb = tb.tb_next
    return culprit.label() if culprit is not None else None


def _check_op(cls: Any) -> str:
    from albumentations.core.transforms_interface import BasicTransform

    if not (isinstance(cls, type) and issubclass(cls, BasicTransform)):
        raise InvalidRegistration(f"register_ops expects an albumentations transform class, got {cls!r}")
    return cls.__name__


def _check_product_type(product_type: Any) -> str:
    if not isinstance(product_type, ProductType):
        raise InvalidRegistration(f"register_product_types expects a skill_aug.ProductType, got {product_type!r}")
    if not isinstance(product_type.name, str) or not product_type.name.strip():
        raise InvalidRegistration(f"a product type needs a non-empty name, got {product_type.name!r}")
    for stage in ("local_set", "preprocess"):
        for op in getattr(product_type, stage):
            if not isinstance(op, OpSpec):
                raise InvalidRegistration(f"product type {product_type.name!r}: {stage} holds {op!r}, "
                                          "not a skill_aug.OpSpec")
    if not isinstance(product_type.silhouette, str):
        raise InvalidRegistration(f"product type {product_type.name!r}: silhouette must be a name, "
                                  f"got {product_type.silhouette!r}")
    return product_type.name


def _check_silhouette(silhouette: Any) -> str:
    if not isinstance(silhouette, Silhouette):
        raise InvalidRegistration(f"register_silhouettes expects a skill_aug.Silhouette, got {silhouette!r}")
    if not callable(silhouette.draw):
        raise InvalidRegistration(f"silhouette {silhouette.name!r}: draw must be callable")
    return silhouette.name


# hook name -> (kind of thing, its check returning the name it is registered under)
_HOOKS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "register_ops": ("op", _check_op),
    "register_product_types": ("product type", _check_product_type),
    "register_silhouettes": ("silhouette", _check_silhouette),
}


def build_registry(
    extra_plugins: Iterable[tuple[str, object]] = (), load_entry_points: bool = True
) -> Registry:
    """Load the installed entry points (unless told not to) plus ``extra_plugins``."""
    found = load_plugins(ENTRY_POINT_GROUP, hookspecs, ALLOW_LIST_ENV, extra_plugins,
                         load_entry_points, moved_hooks=_TRAINER_HOOKS, warning_prefix="skill_aug")
    reg = Registry()
    claims = {kind: Claims[tuple[str, Any]](kind, ALLOW_LIST_ENV) for kind, _ in _HOOKS.values()}
    for loaded in list(found.plugins.values()):
        staged: list[tuple[str, str, Any]] = []
        ok = all(found.call(hook, loaded.name, _stager(kind, check, staged))
                 for hook, (kind, check) in _HOOKS.items())
        clash = next((f"op {name!r} has the name of albumentations' own {name}; rename the class"
                      for kind, name, _ in staged if kind == "op" and name in reg.ops), None)
        if ok and clash:
            found.disable(loaded, clash)
            ok = False
        if not ok:
            continue
        reg.plugins[loaded.name] = PluginInfo(loaded.name, loaded.distribution, loaded.version, loaded.module)
        for kind, name, value in staged:
            claims[kind].claim(name, loaded.label(), (loaded.name, value))
    reg.failures = list(found.failures)
    for kind, claim in claims.items():
        kept, clashes = claim.settled()
        reg.clashes.update({(kind, name): c for name, c in clashes.items()})
        for name, (_, (plugin, value)) in kept.items():
            _install(reg, kind, name, plugin, value)
    return reg


def _stager(kind: str, check: Callable[[Any], str], staged: list) -> Callable[[], Callable[[Any], None]]:
    def make_register() -> Callable[[Any], None]:
        def register(value: Any) -> None:
            staged.append((kind, check(value), value))

        return register

    return make_register


def _install(reg: Registry, kind: str, name: str, plugin: str, value: Any) -> None:
    info = reg.plugins[plugin]
    if kind == "op":
        reg.ops[name] = OpInfo(name, value, f"plugin {plugin}", _op_params(value))
        info.ops.append(name)
    elif kind == "product type":
        reg.product_types[name] = value
        reg.product_type_sources[name] = plugin
        info.product_types.append(name)
    else:
        reg.silhouettes[name] = value
        reg.silhouette_sources[name] = plugin
        info.silhouettes.append(name)


class LazyRegistry(Generic[R]):
    """A process-wide registry, built by ``build`` on first use (a plugin host's ``get_registry``)."""

    def __init__(self, build: Callable[[], R]):
        self._build = build
        self._value: R | None = None

    def get(self) -> R:
        """The registry, built now if this is its first use."""
        if self._value is None:
            self._value = self._build()
        return self._value

    def peek(self) -> R | None:
        """The registry if it has been built, else ``None`` (never builds it)."""
        return self._value

    def set(self, registry: R | None) -> None:
        """Replace the registry (tests); ``None`` rebuilds it on next use."""
        self._value = registry


_REGISTRY: LazyRegistry[Registry] = LazyRegistry(build_registry)


def get_registry() -> Registry:
    """The process-wide registry, built on first use (broken plugins disabled, with a warning)."""
    return _REGISTRY.get()


def set_registry(registry: Registry | None) -> None:
    """Replace the process-wide registry (tests); ``None`` reloads on next use."""
    _REGISTRY.set(registry)
