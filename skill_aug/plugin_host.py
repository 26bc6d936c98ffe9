"""Loading plugins so that one broken plugin never takes the tool down.

Both plugin hosts (``skill_aug``'s product types and ops, ``skill_train``'s methods) load
their entry points through :func:`load_plugins` and collect registrations through
:class:`Claims`. The rules, as browsers and pytest treat extensions:

- a plugin that fails to import, implements a hook no spec declares, has a malformed hook,
  raises inside a hook or registers something invalid is *disabled*: everything it
  registered is dropped, one warning line names it, its distribution and the fix, and the
  host lists it as failed;
- a name registered by two plugins is kept by *neither* (no silent winner); using that name
  is an error naming both distributions, and nothing else is affected;
- an allow-list variable (``SKILL_AUG_PLUGINS``) naming a plugin that is not installed is a
  warning, not silence.
"""

from __future__ import annotations

import difflib
import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, Callable, Generic, Iterable, TypeVar

import pluggy

T = TypeVar("T")


def suggest(name: str, choices: Iterable[str]) -> str:
    """A short hint: 'did you mean X?' when close, else the valid choices."""
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    if not choices:
        return "none are installed"
    if len(choices) <= 12:
        return "valid: " + ", ".join(choices)
    return f"{len(choices)} valid names; `skill-aug ops` lists them"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was disabled, and why (shown by ``skill-aug plugins`` / ``skill methods``)."""

    name: str
    distribution: str
    reason: str


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin object registered on the manager, with where it comes from."""

    name: str
    plugin: object
    distribution: str
    version: str

    @property
    def module(self) -> str:
        """The plugin's module name (the object's type name for a non-module plugin)."""
        return getattr(self.plugin, "__name__", type(self.plugin).__name__)

    def label(self) -> str:
        """``plugin 'lamps' (skill-plugin-lamps 0.1.0)``, as every message names a plugin."""
        return plugin_label(self.name, self.distribution, self.version, self.module)


def plugin_label(name: str, distribution: str, version: str, module: str = "") -> str:
    """How every message names a plugin: ``plugin 'lamps' (skill-plugin-lamps 0.1.0)``."""
    origin = " ".join(part for part in (distribution, version) if part)
    return f"plugin {name!r} ({origin or module or 'unknown distribution'})"


class InvalidRegistration(Exception):
    """Raised by a ``register`` callback when a plugin hands it something it cannot use."""


def allow_list(variable: str) -> set[str] | None:
    """The entry-point names an allow-list variable permits; ``None`` when it is not set."""
    value = os.environ.get(variable)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


def _distribution(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"], dist.version


@dataclass
class PluginSet:
    """The outcome of :func:`load_plugins`: a pluggy manager with the usable plugins on it."""

    manager: pluggy.PluginManager
    plugins: dict[str, LoadedPlugin] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    warning_prefix: str = "plugin"
    allow_env: str = ""

    def disable(self, plugin: LoadedPlugin, reason: str) -> None:
        """Take ``plugin`` off the manager (when it is the one loaded under its name), record why
        and warn once in one line. Another plugin of the same name is left alone."""
        if self.plugins.get(plugin.name) is plugin:
            del self.plugins[plugin.name]
            if self.manager.is_registered(plugin.plugin):
                self.manager.unregister(plugin.plugin)
        self.failures.append(PluginFailure(plugin.name, plugin.distribution, reason))
        fix = (f"fix or uninstall {plugin.distribution}" if plugin.distribution not in {"", "local", "unknown"}
               else "fix it")
        warnings.warn(f"{self.warning_prefix} {plugin.label()} is disabled: {reason} ({fix}, or leave it out "
                      f"with {self.allow_env})", stacklevel=2)

    def call(self, hook_name: str, plugin_name: str, make_register: Callable[[], Callable[..., Any]]) -> bool:
        """Call ``plugin_name``'s implementation of ``hook_name``; disable it if it raises.

        Returns whether the plugin is still enabled. Every argument the implementation takes
        receives ``make_register()`` (hooks pass one ``register`` callback).
        """
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            if impl.plugin_name != plugin_name:
                continue
            try:
                impl.function(*[make_register() for _ in impl.argnames])
            except InvalidRegistration as err:
                self.disable(self.plugins[plugin_name], f"{hook_name}: {err}")
                return False
            except Exception as err:
                self.disable(self.plugins[plugin_name], f"{hook_name} raised {type(err).__name__}: {err}")
                return False
        return True


def _hook_names_of(plugin: object, project: str) -> list[str]:
    """Names of the functions ``plugin`` marked with the project's ``@hookimpl``."""
    return [attr for attr in dir(plugin)
            if getattr(getattr(plugin, attr, None), f"{project}_impl", None) is not None]


def load_plugins(
    project: str,
    hookspecs: ModuleType,
    allow_env: str,
    extra_plugins: Iterable[tuple[str, object]] = (),
    load_entry_points: bool = True,
    moved_hooks: dict[str, str] | None = None,
    warning_prefix: str = "plugin",
) -> PluginSet:
    """Register the entry points of group ``project`` (and ``extra_plugins``) on a new manager.

    A plugin that cannot be imported or registered, or implements a hook ``hookspecs`` does
    not declare, is disabled. ``moved_hooks`` maps a hook of another host to the advice to
    give a plugin that implements it here (e.g. a method plugin in the wrong group).
    """
    manager = pluggy.PluginManager(project)
    manager.add_hookspecs(hookspecs)
    found = PluginSet(manager, warning_prefix=warning_prefix, allow_env=allow_env)
    spec_names = [n for n in dir(hookspecs) if callable(getattr(hookspecs, n, None))
                  and getattr(getattr(hookspecs, n), f"{project}_spec", None) is not None]
    candidates: list[LoadedPlugin] = []
    if load_entry_points:
        allowed = allow_list(allow_env)
        eps = sorted(entry_points(group=project), key=lambda e: e.name)
        for ep in eps:
            if allowed is not None and ep.name not in allowed:
                continue
            dist, version = _distribution(ep)
            try:
                plugin = ep.load()
            except Exception as err:
                found.disable(LoadedPlugin(ep.name, None, dist, version),
                              f"import failed: {type(err).__name__}: {err}")
                continue
            candidates.append(LoadedPlugin(ep.name, plugin, dist, version))
        for missing in sorted((allowed or set()) - {ep.name for ep in eps}):
            warnings.warn(f"{allow_env} names {missing!r}, which no installed {project} plugin "
                          f"provides ({suggest(missing, [ep.name for ep in eps])})", stacklevel=2)
    candidates += [LoadedPlugin(name, plugin, "local", "") for name, plugin in extra_plugins]
    for candidate in candidates:
        if candidate.name in found.plugins:  # two entry points (or an extra plugin) of one name
            found.disable(candidate, f"the name is already taken by {found.plugins[candidate.name].label()}")
            continue
        found.plugins[candidate.name] = candidate
        unknown = [h for h in _hook_names_of(candidate.plugin, project) if h not in spec_names]
        if unknown:
            hook = unknown[0]
            advice = (moved_hooks or {}).get(hook) or suggest(hook, spec_names)
            found.disable(candidate, f"implements unknown hook {hook!r} ({advice})")
            continue
        try:
            manager.register(candidate.plugin, name=candidate.name)
        except Exception as err:  # a malformed hookimpl (an argument the spec lacks), a duplicate
            found.disable(candidate, f"{type(err).__name__}: {err}")
    return found


@dataclass
class Clash:
    """A name registered by more than one plugin: kept by none of them."""

    kind: str
    name: str
    owners: list[str]
    allow_env: str

    def message(self) -> str:
        """The one line shown when the name is used."""
        return (f"{self.kind} {self.name!r} is registered by {len(self.owners)} plugins, so by none: "
                f"{' and '.join(self.owners)}; uninstall one, or load one with {self.allow_env}")


class Claims(Generic[T]):
    """Names claimed by plugins; a name claimed twice ends up in :attr:`clashes`, not in the result."""

    def __init__(self, kind: str, allow_env: str):
        self.kind = kind
        self.allow_env = allow_env
        self._claims: dict[str, list[tuple[str, T]]] = {}

    def claim(self, name: str, owner: str, value: T) -> None:
        """Record that ``owner`` (a plugin's label) registers ``value`` as ``name``."""
        self._claims.setdefault(name, []).append((owner, value))

    def settled(self) -> tuple[dict[str, tuple[str, T]], dict[str, Clash]]:
        """(name -> (owner, value)) for names claimed once, and the clashes."""
        kept: dict[str, tuple[str, T]] = {}
        clashes: dict[str, Clash] = {}
        for name, claims in self._claims.items():
            if len(claims) == 1:
                kept[name] = claims[0]
            else:
                clashes[name] = Clash(self.kind, name, [owner for owner, _ in claims], self.allow_env)
        return kept, clashes
