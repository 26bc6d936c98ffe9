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
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
