"""YAML reading that remembers where every value came from (file and line).

Only the safe loader is used: a ``!!python/...`` tag is an error, never executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill_aug.errors import PolicyError

#: A path into a document: mapping keys and list indices, e.g. ("global_space", "high_res", "ops", 2).
KeyPath = tuple[Any, ...]

#: Limits no hand-written policy, preset or run config comes near, checked while the file is
#: parsed and before any value is built: a YAML bomb (nested aliases, deep nesting) stops here.
MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_ALIASES = 100


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with :data:`MAX_DEPTH`, :data:`MAX_ALIASES` and no duplicate mapping keys."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def _refuse(self, problem: str, mark: Any) -> None:
        raise yaml.MarkedYAMLError(problem=problem, problem_mark=mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                self._refuse(f"more than {MAX_ALIASES} aliases (*name): refused as a possible YAML bomb",
                             self.peek_event().start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    self._refuse(f"duplicate key {key_node.value!r} (first on line {seen[key_node.value]}; "
                                 "the last one would silently win)", key_node.start_mark)
                seen[key_node.value] = line
        return node


MAX_NODES = 100_000


def _check_expanded(node: yaml.Node, sizes: dict[int, int], depth: int) -> int:
    """Values ``node`` stands for once every alias is expanded (memoised: shared nodes count once per use)."""
    if depth > MAX_DEPTH:
        raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep once aliases are expanded",
                                   problem_mark=node.start_mark)
    if id(node) in sizes:
        return sizes[id(node)]
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = []
    size = 1 + sum(_check_expanded(child, sizes, depth + 1) for child in children)
    if size > MAX_NODES:
        raise yaml.MarkedYAMLError(problem=f"more than {MAX_NODES:,} values once aliases are expanded: refused as "
                                           "a YAML bomb", problem_mark=node.start_mark)
    sizes[id(node)] = size
    return size


def load_bounded_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The value of a YAML document and its node tree, through :class:`BoundedLoader`.

    Raises ``yaml.YAMLError`` (a ``MarkedYAMLError`` with the line where one is known) for a
    file over :data:`MAX_BYTES`, too deep, with too many aliases, with a duplicate key, or not YAML.
    """
    if len(text) > MAX_BYTES:
        raise yaml.YAMLError(f"{len(text):,} characters is more than the {MAX_BYTES:,} a YAML file here may hold")
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expanded(node, {}, 1)
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


@dataclass
class LocatedDocument:
    """A parsed YAML document plus the ``(file, line)`` of every value in it."""

    data: Any
    origins: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: KeyPath) -> str:
        """``FILE:LINE`` of the deepest known prefix of ``path``."""
        for end in range(len(path), -1, -1):
            origin = self.origins.get(tuple(path[:end]))
            if origin is not None:
                return f"{origin[0]}:{origin[1]}"
        return "<policy>:1"


def _walk(node: yaml.Node, path: KeyPath, source: str, origins: dict) -> None:
    origins[path] = (source, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _walk(value_node, path + (key,), source, origins)
            # A key's problems point at the key's line, not at where its value starts.
            origins[path + (key,)] = (source, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), source, origins)


def read_located_yaml(path: Path | str, text: str | None = None) -> LocatedDocument:
    """Parse ``path`` (or ``text`` labelled as ``path``) with the safe loader, keeping lines."""
    source = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PolicyError([f"{source}:0: no such policy file"]) from None
        except (OSError, UnicodeDecodeError) as err:
            raise PolicyError([f"{source}:0: cannot read policy file ({err})"]) from None
    try:
        data, node = load_bounded_yaml(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        problem = (err.problem or str(err)).strip()
        if "python/" in str(err):
            problem += " (policies are plain YAML; python tags are never executed)"
        raise PolicyError([f"{source}:{line}: invalid YAML: {problem}"]) from None
    except yaml.YAMLError as err:
        raise PolicyError([f"{source}:0: invalid YAML: {err}"]) from None
    origins: dict[KeyPath, tuple[str, int]] = {}
    if node is not None:
        _walk(node, (), source, origins)
    return LocatedDocument(data, origins)


def merge_documents(base: LocatedDocument, override: LocatedDocument) -> LocatedDocument:
    """Deep-merge ``override`` onto ``base``: mappings merge, lists and scalars replace."""

    def merge(a: Any, b: Any, path: KeyPath) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for key, value in b.items():
                out[key] = merge(a.get(key), value, path + (key,)) if key in a else value
            return out
        return b

    origins = dict(base.origins)
    # Values the override replaces wholesale take its origins; merged mappings keep both.
    replaced = [p for p in override.origins if _is_leaf_or_list(override.data, p)]
    for prefix in replaced:
        for key in [k for k in origins if k[: len(prefix)] == prefix]:
            del origins[key]
    origins.update(override.origins)
    return LocatedDocument(merge(base.data, override.data, ()), origins)


def _is_leaf_or_list(data: Any, path: KeyPath) -> bool:
    value = data
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return False
    return not isinstance(value, dict)
