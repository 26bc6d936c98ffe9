"""A method's own options: ``method_options`` parsed into its options dataclass, one-line errors.

    >>> SimCLR.parse_options({"temperature": 0.5})        # SimCLROptions(temperature=0.5, ...)

:func:`typed_value` is the one check of a value against a declared type; the training config
uses it for its own fields too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from skill_train.methods.errors import MethodError

_SCALARS: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
}


#: Widest head layer any method accepts (4x DINO's 65536 prototypes): a typo's 10^9 would need terabytes.
MAX_WIDTH = 262_144


def check_widths(options: object, names: tuple[str, ...], minimum: int = 1) -> None:
    """Raise ``ValueError`` naming the first of ``names`` that is not a layer width in [minimum, MAX_WIDTH]."""
    for name in names:
        value = getattr(options, name)
        if not minimum <= value <= MAX_WIDTH:
            raise ValueError(f"option {name} = {value!r} is not valid (expected an integer in [{minimum}, {MAX_WIDTH}])")


@dataclass(frozen=True)
class NoOptions:
    """A method without options of its own."""


def typed_value(value: Any, annotation: str) -> tuple[bool, Any]:
    """Whether ``value`` fits the declared ``annotation`` (``"int"``, ``"float | None"``,
    ``"dict[str, Any]"``, ...), and the value as that type (an int given for a float becomes a float).

    ``None`` fits an annotation that allows it; other annotations than scalars and dicts accept anything.
    """
    if value is None and "None" in annotation:
        return True, None
    kind = annotation.split("|")[0].strip().split("[")[0]
    if kind in _SCALARS:
        ok = _SCALARS[kind](value)
    else:
        ok = isinstance(value, dict) if kind == "dict" else True
    return ok, (float(value) if ok and kind == "float" else value)


def parse_options(method: str, options_cls: type, values: Mapping[str, Any], source: str) -> Any:
    """Build ``options_cls`` from ``values``, one-line errors naming the option and what is valid."""
    from skill_aug.plugins import suggest

    fields = {f.name: f for f in dataclasses.fields(options_cls)}
    for key in values:
        if key not in fields:
            hint = suggest(str(key), fields) if fields else f"{method} takes no options"
            raise MethodError(f"{source}: unknown option {key!r} for method {method!r} ({hint})")
    checked: dict[str, Any] = {}
    for key, value in values.items():
        declared = fields[key].type
        annotation = declared if isinstance(declared, str) else getattr(declared, "__name__", str(declared))
        ok, checked[key] = typed_value(value, annotation)
        if ok and isinstance(checked[key], float) and not math.isfinite(checked[key]):
            raise MethodError(f"{source}: {method} option {key} = {value!r} is not valid (expected a finite number)")
        if not ok:
            expected = annotation.split("|")[0].strip()
            raise MethodError(f"{source}: {method} option {key} = {value!r} is not valid (expected {expected})")
    try:
        return options_cls(**checked)
    except ValueError as err:
        raise MethodError(f"{source}: {method} {err}") from None
