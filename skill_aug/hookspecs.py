"""The plugin contract: every hook a ``skill_aug`` plugin may implement.

A plugin is a module (or object) with functions decorated by :data:`hookimpl`, published
under the entry-point group ``skill_aug``::

    [project.entry-points.skill_aug]
    lamps = "skill_plugin_lamps"

Every hook receives a ``register`` callback, so one implementation can add many things and
the host records which plugin added each one. Implementations may accept fewer arguments
than the spec lists (the spec can grow without breaking them).
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("skill_aug")
hookimpl = pluggy.HookimplMarker("skill_aug")


@hookspec
def register_product_types(register: Callable[[Any], None]) -> None:
    """Register product types: call ``register(ProductType(...))`` once per type.

    A product type brings its local augmentation set A_i, its preprocessing stage H and
    the attributes an evaluation should report. Two plugins registering the same name
    is an error naming both distributions.
    """


@hookspec
def register_ops(register: Callable[[type], None]) -> None:
    """Register custom ops: call ``register(cls)`` for each albumentations transform class.

    ``cls`` must subclass ``albumentations.BasicTransform`` (usually ``ImageOnlyTransform``
    or ``DualTransform``) and store every ``__init__`` argument under its own name, so that
    policies can name it and ``A.save``/``A.load`` round-trip it.
    """


@hookspec
def register_silhouettes(register: Callable[[Any], None]) -> None:
    """Register synthetic product shapes: call ``register(Silhouette(...))`` for each.

    A product type names one in ``ProductType.silhouette``; ``skill data synth --task`` and
    ``skill-aug preview --task`` then draw its products with it instead of a generic shape.
    """
