"""The trainer's plugin contract: the hook that registers self-supervised methods.

A method plugin is a module with a function decorated by :data:`hookimpl`, published under
the entry-point group ``skill_train`` (the trainer's own group; ``skill_aug``'s group is
for product types and ops)::

    [project.entry-points.skill_train]
    vicreg = "my_package.methods"

    # my_package/methods.py
    from skill_train.methods import hookimpl

    @hookimpl
    def register_methods(register):
        register("vicreg", "my_package.vicreg:VICReg", "VICReg: variance, invariance, covariance")
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "skill_train"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_methods(register: Callable[[str, str, str], None]) -> None:
    """Register self-supervised training methods: ``register(name, target, description)``.

    ``target`` is an import path ``"package.module:ClassName"`` of a
    :class:`skill_train.methods.Method` subclass, imported only when the method is used (so
    listing methods never imports torch). The built-in ``dino``, ``simclr`` and ``byol``
    arrive through this same hook.
    """
